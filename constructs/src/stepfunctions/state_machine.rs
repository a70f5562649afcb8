//! [`StateMachine`] (L2): a standard state machine from a typed [`Definition`], with
//! logging and tracing on.
//!
//! The definition goes into the `Definition` property as a JSON object; every value
//! that CloudFormation must fill in (ARNs, SSM dynamic references) is a
//! `DefinitionSubstitutions` entry referred to as a whole string `"${Name}"`, because
//! cfn-lint and asl-validator both reject partial substitutions such as
//! `arn:${Partition}:...` while a whole-string placeholder passes both.

use super::asl::Definition;
use super::cfn::{
    CfnStateMachine, LogDestination, LogGroupDestination, LogLevel, LoggingConfiguration,
    TracingConfiguration,
};
use super::check::{self, MAX_DEFINITION_BYTES};
use crate::aws::Tag;
use crate::aws::iam::Statement;
use dpc_core::{CfnResource, Diagnostic, Expr, RawResource, ResourceRef, Scope};
use indexmap::IndexMap;

/// Diagnostic code: a definition dpc built is malformed (a bug in dpc).
pub const INVALID_DEFINITION: &str = "DM0310";
/// Diagnostic code: a definition is over Step Functions' size limit.
pub const DEFINITION_TOO_LARGE: &str = "DM0311";

/// What a [`StateMachine`] is made of.
#[derive(Clone, Debug)]
pub struct StateMachineProps {
    /// `StateMachineName`.
    pub name: String,
    /// The definition.
    pub definition: Definition,
    /// Values for the definition's `${Name}` placeholders.
    pub substitutions: IndexMap<String, Expr>,
    /// The role the state machine assumes.
    pub role_arn: Expr,
    /// The ARN of the log group it logs to (`arn:...:log-group:<name>:*`).
    pub log_group_arn: Expr,
    /// What it logs. Execution data (inputs, outputs) is never logged.
    pub log_level: LogLevel,
    /// Tags.
    pub tags: Vec<Tag>,
}

/// A standard Step Functions state machine with X-Ray tracing and CloudWatch logging.
#[derive(Clone, Debug)]
pub struct StateMachine {
    resource: ResourceRef,
    name: String,
}

/// How long a substituted value is assumed to be when its value is only known at deploy
/// time (an SSM parameter, a `Fn::Sub`), for the size check. ARNs and ids dpc
/// substitutes are well below this.
const ASSUMED_SUBSTITUTION_BYTES: usize = 256;

impl StateMachine {
    /// Adds the state machine as `<id>/Resource`.
    ///
    /// # Errors
    /// The definition is malformed (`DM0310`, naming each problem), or larger than Step
    /// Functions' 1 MB limit (`DM0311`), or a placeholder has no substitution.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: StateMachineProps,
    ) -> Result<StateMachine, Vec<Diagnostic>> {
        let mut errors: Vec<Diagnostic> = check::problems(&props.definition)
            .into_iter()
            .map(|p| {
                Diagnostic::error(
                    INVALID_DEFINITION,
                    format!("state machine `{}`: {p}", props.name),
                )
                .with_note("this is a bug in dpc: please report it with the pipeline.yaml")
            })
            .collect();
        let json = props.definition.to_json();
        // Placeholders live in strings: found by walking the definition, and its size
        // counted by serializing into a counter, instead of printing it to a string.
        let mut used: Vec<String> = Vec::new();
        let mut occurrences: IndexMap<String, usize> = IndexMap::new();
        each_string(&json, &mut |text| {
            for name in placeholders(text) {
                *occurrences.entry(name.clone()).or_insert(0) +=
                    text.matches(&format!("${{{name}}}")).count();
                if !used.contains(&name) {
                    used.push(name);
                }
            }
        });
        for name in used {
            if !props.substitutions.contains_key(&name) {
                errors.push(Diagnostic::error(
                    INVALID_DEFINITION,
                    format!(
                        "state machine `{}` uses `${{{name}}}` without a substitution",
                        props.name
                    ),
                ));
            }
        }
        let size = estimated_size(compact_len(&json), &occurrences, &props.substitutions);
        if size > MAX_DEFINITION_BYTES {
            errors.push(
                Diagnostic::error(
                    DEFINITION_TOO_LARGE,
                    format!(
                        "the definition of state machine `{}` is about {size} bytes; Step Functions allows {MAX_DEFINITION_BYTES} bytes (1 MB, a hard quota)",
                        props.name
                    ),
                )
                .with_help("split the pipeline into smaller pipelines chained by an `executions` trigger"),
            );
        }
        // The template is written indented, and the definition sits four levels deep in
        // it: a definition that nests deep can be far larger there than compact.
        let in_template = pretty_len(&json, DEFINITION_LEVEL);
        if in_template > dpc_core::lint::MAX_TEMPLATE_BYTES {
            errors.push(
                Diagnostic::error(
                    DEFINITION_TOO_LARGE,
                    format!(
                        "the definition of state machine `{}` takes {in_template} bytes of its stack's template as written (indented); CloudFormation allows {} bytes for the whole template",
                        props.name,
                        dpc_core::lint::MAX_TEMPLATE_BYTES
                    ),
                )
                .with_help("split the pipeline into smaller pipelines chained by an `executions` trigger, or nest fewer groups of steps inside each other"),
            );
        }
        if !errors.is_empty() {
            // The construct path names the stack, and so the pipeline.yaml to point at.
            let path = format!("{}/{id}", scope.path());
            return Err(errors.into_iter().map(|d| d.in_construct(&path)).collect());
        }
        let mut node = scope.child(id).map_err(|d| vec![d])?;
        let cfn = CfnStateMachine {
            state_machine_name: Some(Expr::from(props.name.as_str())),
            state_machine_type: Some("STANDARD".to_owned()),
            definition: None,
            definition_substitutions: props.substitutions,
            role_arn: Some(props.role_arn),
            logging_configuration: Some(LoggingConfiguration {
                destinations: vec![LogDestination {
                    cloud_watch_logs_log_group: LogGroupDestination {
                        log_group_arn: props.log_group_arn,
                    },
                }],
                include_execution_data: false,
                level: props.log_level,
            }),
            tracing_configuration: Some(TracingConfiguration { enabled: true }),
            tags: props.tags,
        };
        // The definition is moved into the properties where `CfnStateMachine` puts it
        // (after the name and type) rather than serialized with the rest, which would
        // copy the largest value of the stack once more.
        let mut properties = match serde_json::to_value(&cfn) {
            Ok(serde_json::Value::Object(map)) => map,
            Ok(_) | Err(_) => serde_json::Map::new(),
        };
        let at = ["StateMachineName", "StateMachineType"]
            .iter()
            .filter(|k| properties.contains_key(**k))
            .count();
        properties.shift_insert(at, "Definition".to_owned(), json);
        let resource = node
            .add_resource(
                "Resource",
                RawResource::new(CfnStateMachine::TYPE, serde_json::Value::Object(properties)),
            )
            .map_err(|d| vec![d])?;
        Ok(StateMachine {
            resource,
            name: props.name,
        })
    }

    /// `Ref`: the state machine's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.reference()
    }

    /// The state machine's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// What the state machine's role needs to log to CloudWatch Logs and trace with
    /// X-Ray. Step Functions' log delivery APIs have no resource type, so these are
    /// granted on `*` (see [`crate::security`]).
    ///
    /// # Errors
    /// Only if [`crate::security`] stopped listing these actions.
    pub fn logging_and_tracing_statements() -> Result<Vec<Statement>, Diagnostic> {
        Ok(vec![
            Statement::allow_unscoped(&[
                "logs:CreateLogDelivery",
                "logs:GetLogDelivery",
                "logs:UpdateLogDelivery",
                "logs:DeleteLogDelivery",
                "logs:ListLogDeliveries",
                "logs:PutResourcePolicy",
                "logs:DescribeResourcePolicies",
                "logs:DescribeLogGroups",
            ])?
            .sid("Logging"),
            Statement::allow_unscoped(&[
                "xray:PutTraceSegments",
                "xray:PutTelemetryRecords",
                "xray:GetSamplingRules",
                "xray:GetSamplingTargets",
            ])?
            .sid("Tracing"),
        ])
    }
}

/// The `${Name}` placeholders in a rendered definition (not `$.path` or `$$.Context`).
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        match after.find('}') {
            Some(end) => {
                let name = &after[..end];
                if !name.is_empty()
                    && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
                    && !out.iter().any(|n| n == name)
                {
                    out.push(name.to_owned());
                }
                rest = &after[end + 1..];
            }
            None => break,
        }
    }
    out
}

/// The definition's size once CloudFormation substitutes the placeholders: its compact
/// length, each placeholder replaced by its value's length (or an assumed ARN length
/// when the value is only known at deploy time).
fn estimated_size(
    compact_len: usize,
    occurrences: &IndexMap<String, usize>,
    substitutions: &IndexMap<String, Expr>,
) -> usize {
    let mut size = compact_len;
    for (name, value) in substitutions {
        let count = occurrences.get(name).copied().unwrap_or(0);
        let placeholder_len = name.len() + 3;
        let value_len = value.as_str().map_or(ASSUMED_SUBSTITUTION_BYTES, str::len);
        size = size.saturating_sub(count * placeholder_len) + count * value_len;
    }
    size
}

/// Every string value of `value` (not keys), in document order.
fn each_string<'a>(value: &'a serde_json::Value, f: &mut impl FnMut(&'a str)) {
    match value {
        serde_json::Value::String(s) => f(s),
        serde_json::Value::Array(items) => items.iter().for_each(|v| each_string(v, f)),
        serde_json::Value::Object(map) => map.values().for_each(|v| each_string(v, f)),
        _ => {}
    }
}

/// Where the template holds the definition: `Resources` → the resource → `Properties`
/// → `Definition`, whose members are indented one level more.
const DEFINITION_LEVEL: usize = 4;

/// The bytes `value` takes when serde_json pretty-prints it (two spaces per level) as
/// the value of a key whose line is indented `level` levels, without printing it: the
/// indentation of a deep definition grows with depth × lines, so printing it only to
/// measure it could cost far more than the definition. No recursion: an explicit stack.
pub fn pretty_len(value: &serde_json::Value, level: usize) -> usize {
    use serde_json::Value;
    let mut total = 0;
    let mut pending: Vec<(&Value, usize)> = vec![(value, level)];
    while let Some((value, level)) = pending.pop() {
        total += match value {
            Value::Null => 4,
            Value::Bool(true) => 4,
            Value::Bool(false) => 5,
            Value::Number(n) => n.to_string().len(),
            Value::String(s) => json_string_len(s),
            Value::Array(items) if items.is_empty() => 2,
            Value::Object(map) if map.is_empty() => 2,
            Value::Array(items) => {
                pending.extend(items.iter().map(|v| (v, level + 1)));
                // `[`, each item's newline and indentation, the commas between, the
                // closing newline, indentation and `]`.
                2 + items.len() * (1 + 2 * (level + 1)) + (items.len() - 1) + 1 + 2 * level
            }
            Value::Object(map) => {
                pending.extend(map.values().map(|v| (v, level + 1)));
                let keys: usize = map.keys().map(|k| json_string_len(k) + 2).sum();
                2 + map.len() * (1 + 2 * (level + 1)) + keys + (map.len() - 1) + 1 + 2 * level
            }
        };
    }
    total
}

/// The length of `text` as a JSON string, quotes and escapes included, as serde_json
/// writes it.
fn json_string_len(text: &str) -> usize {
    2 + text
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\n' | '\r' | '\t' | '\u{8}' | '\u{c}' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

/// The length of `value` printed as compact JSON, without printing it.
fn compact_len(value: &serde_json::Value) -> usize {
    struct Counter(usize);
    impl std::io::Write for Counter {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len();
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut counter = Counter(0);
    // Writing a JSON value into a counter cannot fail.
    let _ = serde_json::to_writer(&mut counter, value);
    counter.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_len_is_what_serde_json_prints() {
        let value = serde_json::json!({
            "StartAt": "a \"quoted\" \\ name\twith\u{1}controls é",
            "States": {"a": {"Type": "Pass", "End": true, "Result": [1, -2.5, null, false, [], {}]}},
            "Empty": {}, "List": [[1], {"k": [true]}]
        });
        assert_eq!(
            pretty_len(&value, 0),
            serde_json::to_string_pretty(&value).unwrap().len()
        );
        // As a value four levels down, the way the template holds a definition.
        let mut wrapped = serde_json::json!({"Definition": value.clone()});
        for key in ["Properties", "Resource", "Resources"] {
            wrapped = serde_json::json!({ key: wrapped });
        }
        let mut wrapped_null = serde_json::json!({"Definition": null});
        for key in ["Properties", "Resource", "Resources"] {
            wrapped_null = serde_json::json!({ key: wrapped_null });
        }
        let frame = serde_json::to_string_pretty(&wrapped_null).unwrap().len() - 4;
        assert_eq!(
            pretty_len(&value, DEFINITION_LEVEL),
            serde_json::to_string_pretty(&wrapped).unwrap().len() - frame
        );
    }

    #[test]
    fn placeholders_are_whole_names_only() {
        let text = r#"{"a":"${ClaimTable}","b":"$.x","c":"${AWS::Region}","d":"${Bus}","e":"${ClaimTable}"}"#;
        assert_eq!(placeholders(text), ["ClaimTable", "Bus"]);
    }
}
