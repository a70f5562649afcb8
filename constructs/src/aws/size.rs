//! How long a rendered document will be once CloudFormation resolves it, for the size
//! limits AWS puts on policies (bus policies, API resource policies, ...).

/// The compact JSON length of `value` with intrinsics replaced by values at least as long
/// as what CloudFormation will put there: an upper bound for size limits.
pub fn resolved_len(value: &serde_json::Value) -> usize {
    resolve_for_size(value).to_string().chars().count()
}

fn resolve_for_size(value: &serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) if map.len() == 1 => {
            let (key, inner) = map
                .iter()
                .next()
                .map(|(k, v)| (k.as_str(), v))
                .unwrap_or(("", value));
            match (key, inner) {
                ("Fn::Sub", Value::String(template)) => Value::String(substitute(template)),
                ("Fn::Sub", Value::Array(parts)) => match parts.first() {
                    Some(Value::String(template)) => Value::String(substitute(template)),
                    _ => Value::String(String::new()),
                },
                // The longest of what a Ref or GetAtt of dpc's resources yields (an ARN).
                ("Ref" | "Fn::GetAtt" | "Fn::Join", _) => Value::String("x".repeat(100)),
                _ => Value::Object(
                    map.iter()
                        .map(|(k, v)| (k.clone(), resolve_for_size(v)))
                        .collect(),
                ),
            }
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), resolve_for_size(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(resolve_for_size).collect()),
        other => other.clone(),
    }
}

fn substitute(template: &str) -> String {
    template
        .replace("${AWS::Partition}", "aws-us-gov")
        .replace("${AWS::Region}", "ap-southeast-5")
        .replace("${AWS::AccountId}", "123456789012")
        .replace("${AWS::URLSuffix}", "amazonaws.com.cn")
}
