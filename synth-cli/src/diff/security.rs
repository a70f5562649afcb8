//! The security section of a stack's diff, as `cdk diff` shows it: IAM statements
//! (identity and trust policies), resource-policy statements (buckets, topics, queues,
//! buses, keys, secrets, APIs, Lambda permissions), policy attachments, permissions
//! boundaries and security-group rules that appear or disappear.
//!
//! Each template is reduced to a list of normalized items (a statement with its
//! lists sorted and its `Sid` dropped, a rule with its peer and ports); the diff is what
//! one list has and the other lacks. A widened statement therefore shows as the old
//! statement removed and the wider one added, exactly what a reviewer has to read.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::Change;

/// What kind of security-relevant item changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum SecurityKind {
    /// A statement of a role's inline policy or of an IAM (managed) policy.
    IamStatement,
    /// A statement of a role's trust policy: who may assume it.
    TrustStatement,
    /// A statement of a resource policy (bucket, topic, queue, bus, key, secret, API,
    /// log destination) or a Lambda permission.
    ResourcePolicy,
    /// A managed policy attached to a role, or a policy attached to roles.
    PolicyAttachment,
    /// A role's permissions boundary.
    PermissionsBoundary,
    /// An ingress or egress rule of a security group.
    SecurityGroupRule,
}

impl SecurityKind {
    /// A short heading for people.
    pub fn label(self) -> &'static str {
        match self {
            SecurityKind::IamStatement => "IAM statement",
            SecurityKind::TrustStatement => "trust statement",
            SecurityKind::ResourcePolicy => "resource policy",
            SecurityKind::PolicyAttachment => "policy attachment",
            SecurityKind::PermissionsBoundary => "permissions boundary",
            SecurityKind::SecurityGroupRule => "security group rule",
        }
    }
}

/// One security-relevant item that appeared or disappeared.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SecurityChange {
    /// `added` or `removed`.
    pub change: Change,
    /// What it is.
    pub kind: SecurityKind,
    /// The logical id of the resource holding it (the role, policy, bucket policy ...).
    pub logical_id: String,
    /// That resource's type.
    pub resource_type: String,
    /// The item: a policy statement (`Effect`, `Principal`, `Action`, `Resource`,
    /// `Condition`), a rule (`direction`, `protocol`, `ports`, `peer`), an attachment
    /// (`policy`, `role`) or a boundary (`policy`).
    pub detail: Value,
    /// Whether it grants more than before: an added `Allow` statement, attachment,
    /// ingress or egress rule, or a removed `Deny` or boundary.
    pub broadening: bool,
}

/// One item of a template, before diffing.
#[derive(Clone, Debug, PartialEq)]
struct Item {
    kind: SecurityKind,
    logical_id: String,
    resource_type: String,
    detail: Value,
}

/// The security items that `new` has and `old` lacks (added) and the reverse (removed),
/// removed first, each in template order.
pub fn diff_security(old: &Value, new: &Value) -> Vec<SecurityChange> {
    let old_items = items(old);
    let new_items = items(new);
    let mut out = Vec::new();
    for (change, from, other) in [
        (Change::Removed, &old_items, &new_items),
        (Change::Added, &new_items, &old_items),
    ] {
        // Multiset difference: two identical statements in one policy count twice.
        let mut unmatched: Vec<Option<&Item>> = other.iter().map(Some).collect();
        for item in from {
            if let Some(slot) = unmatched.iter_mut().find(|s| s.is_some_and(|o| o == item)) {
                *slot = None;
                continue;
            }
            out.push(SecurityChange {
                change,
                kind: item.kind,
                broadening: broadens(item, change),
                logical_id: item.logical_id.clone(),
                resource_type: item.resource_type.clone(),
                detail: item.detail.clone(),
            });
        }
    }
    out
}

fn broadens(item: &Item, change: Change) -> bool {
    let deny = item.detail.get("Effect").and_then(Value::as_str) == Some("Deny");
    match (item.kind, change) {
        (SecurityKind::PermissionsBoundary, c) => c == Change::Removed,
        (_, Change::Added) => !deny,
        (_, Change::Removed) => deny,
        (_, Change::Changed) => false,
    }
}

/// Every security item of a template, in template order.
fn items(template: &Value) -> Vec<Item> {
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for (logical_id, resource) in resources {
        let resource_type = resource.get("Type").and_then(Value::as_str).unwrap_or("");
        let props = resource.get("Properties").cloned().unwrap_or(Value::Null);
        let mut push = |kind: SecurityKind, detail: Value| {
            out.push(Item {
                kind,
                logical_id: logical_id.clone(),
                resource_type: resource_type.to_owned(),
                detail,
            });
        };
        let prop = |name: &str| props.get(name);
        match resource_type {
            "AWS::IAM::Role" => {
                for s in statements(prop("AssumeRolePolicyDocument")) {
                    push(SecurityKind::TrustStatement, s);
                }
                for policy in prop("Policies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    for s in statements(policy.get("PolicyDocument")) {
                        push(SecurityKind::IamStatement, s);
                    }
                }
                for arn in prop("ManagedPolicyArns")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    push(
                        SecurityKind::PolicyAttachment,
                        json!({"policy": arn, "role": {"Ref": logical_id}}),
                    );
                }
                if let Some(boundary) = prop("PermissionsBoundary") {
                    push(
                        SecurityKind::PermissionsBoundary,
                        json!({"policy": boundary}),
                    );
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" | "AWS::IAM::RolePolicy" => {
                for s in statements(prop("PolicyDocument")) {
                    push(SecurityKind::IamStatement, s);
                }
                let roles = match prop("Roles").or_else(|| prop("RoleName")) {
                    Some(Value::Array(roles)) => roles.clone(),
                    Some(role) => vec![role.clone()],
                    None => Vec::new(),
                };
                for role in roles {
                    push(
                        SecurityKind::PolicyAttachment,
                        json!({"policy": {"Ref": logical_id}, "role": role}),
                    );
                }
            }
            "AWS::S3::BucketPolicy"
            | "AWS::SNS::TopicPolicy"
            | "AWS::SQS::QueuePolicy"
            | "AWS::Logs::ResourcePolicy"
            | "AWS::Logs::DestinationPolicy" => {
                for s in statements(prop("PolicyDocument")) {
                    push(SecurityKind::ResourcePolicy, s);
                }
            }
            "AWS::KMS::Key" => {
                for s in statements(prop("KeyPolicy")) {
                    push(SecurityKind::ResourcePolicy, s);
                }
            }
            "AWS::SecretsManager::ResourcePolicy" => {
                for s in statements(prop("ResourcePolicy")) {
                    push(SecurityKind::ResourcePolicy, s);
                }
            }
            "AWS::ApiGateway::RestApi" | "AWS::Events::EventBus" => {
                for s in statements(prop("Policy")) {
                    push(SecurityKind::ResourcePolicy, s);
                }
            }
            "AWS::Events::EventBusPolicy" => {
                push(SecurityKind::ResourcePolicy, bus_policy_statement(&props));
            }
            "AWS::Lambda::Permission" => {
                push(SecurityKind::ResourcePolicy, lambda_permission(&props));
            }
            "AWS::EC2::SecurityGroup" => {
                for (key, direction) in [
                    ("SecurityGroupIngress", "ingress"),
                    ("SecurityGroupEgress", "egress"),
                ] {
                    for rule in prop(key).and_then(Value::as_array).into_iter().flatten() {
                        let group = json!({"Ref": logical_id});
                        push(
                            SecurityKind::SecurityGroupRule,
                            sg_rule(direction, &group, rule),
                        );
                    }
                }
            }
            "AWS::EC2::SecurityGroupIngress" | "AWS::EC2::SecurityGroupEgress" => {
                let direction = if resource_type.ends_with("Ingress") {
                    "ingress"
                } else {
                    "egress"
                };
                let group = prop("GroupId").cloned().unwrap_or(Value::Null);
                push(
                    SecurityKind::SecurityGroupRule,
                    sg_rule(direction, &group, &props),
                );
            }
            _ => {}
        }
    }
    out
}

/// The statements of a policy document (an object, or a JSON string of one), normalized.
fn statements(document: Option<&Value>) -> Vec<Value> {
    let parsed;
    let document = match document {
        Some(Value::String(text)) => match serde_json::from_str::<Value>(text) {
            Ok(v) => {
                parsed = v;
                &parsed
            }
            Err(_) => return vec![json!({"Document": text})],
        },
        Some(v) => v,
        None => return Vec::new(),
    };
    match document.get("Statement") {
        Some(Value::Array(list)) => list.iter().map(normalize_statement).collect(),
        Some(single) => vec![normalize_statement(single)],
        // An intrinsic (`Fn::If` ...) in place of the document: compared as a whole.
        None => vec![json!({"Document": document})],
    }
}

/// Canonical key order, lists sorted, one-element lists and strings alike, `Sid` dropped
/// (a renamed statement grants nothing new).
fn normalize_statement(statement: &Value) -> Value {
    let Some(map) = statement.as_object() else {
        return statement.clone();
    };
    let mut out = Map::new();
    for key in [
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ] {
        if let Some(value) = map.get(key) {
            let value = match key {
                "Action" | "NotAction" | "Resource" | "NotResource" => sorted_list(value),
                "Principal" | "NotPrincipal" => normalize_principal(value),
                _ => value.clone(),
            };
            out.insert(key.to_owned(), value);
        }
    }
    for (key, value) in map {
        if key != "Sid" && !out.contains_key(key) {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

fn sorted_list(value: &Value) -> Value {
    let mut items: Vec<Value> = match value {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    };
    items.sort_by_key(|v| v.to_string());
    items.dedup();
    Value::Array(items)
}

fn normalize_principal(value: &Value) -> Value {
    match value {
        Value::Object(map) if !is_intrinsic(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), sorted_list(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

fn is_intrinsic(map: &Map<String, Value>) -> bool {
    map.len() == 1
        && map
            .keys()
            .next()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
}

/// `AWS::Events::EventBusPolicy` as the statement it adds to the bus's policy: its
/// `Statement`, or the legacy `Action`/`Principal`/`Condition` form.
fn bus_policy_statement(props: &Value) -> Value {
    if let Some(statement) = props.get("Statement") {
        let mut s = normalize_statement(statement);
        if let (Value::Object(map), Some(bus)) = (&mut s, props.get("EventBusName")) {
            map.insert("EventBusName".into(), bus.clone());
        }
        return s;
    }
    let mut map = Map::new();
    map.insert("Effect".into(), json!("Allow"));
    if let Some(principal) = props.get("Principal") {
        map.insert("Principal".into(), json!({"AWS": [principal]}));
    }
    if let Some(action) = props.get("Action") {
        map.insert("Action".into(), sorted_list(action));
    }
    if let Some(condition) = props.get("Condition") {
        map.insert("Condition".into(), condition.clone());
    }
    if let Some(bus) = props.get("EventBusName") {
        map.insert("EventBusName".into(), bus.clone());
    }
    Value::Object(map)
}

/// `AWS::Lambda::Permission` as the statement it adds to the function's policy.
fn lambda_permission(props: &Value) -> Value {
    let get = |k: &str| props.get(k).cloned();
    let principal = get("Principal").unwrap_or(Value::Null);
    let principal_kind = match principal.as_str() {
        Some(p) if p.ends_with(".amazonaws.com") || p.ends_with(".amazonaws.com.cn") => "Service",
        _ => "AWS",
    };
    let mut condition = Map::new();
    if let Some(arn) = get("SourceArn") {
        condition.insert("ArnLike".into(), json!({"AWS:SourceArn": arn}));
    }
    let mut equals = Map::new();
    if let Some(account) = get("SourceAccount") {
        equals.insert("AWS:SourceAccount".into(), account);
    }
    if let Some(org) = get("PrincipalOrgID") {
        equals.insert("aws:PrincipalOrgID".into(), org);
    }
    if !equals.is_empty() {
        condition.insert("StringEquals".into(), Value::Object(equals));
    }
    let mut map = Map::new();
    map.insert("Effect".into(), json!("Allow"));
    map.insert("Principal".into(), json!({principal_kind: [principal]}));
    map.insert(
        "Action".into(),
        sorted_list(&get("Action").unwrap_or(Value::Null)),
    );
    map.insert(
        "Resource".into(),
        json!([get("FunctionName").unwrap_or(Value::Null)]),
    );
    if !condition.is_empty() {
        map.insert("Condition".into(), Value::Object(condition));
    }
    Value::Object(map)
}

/// A security group rule: direction, group, protocol, ports and the peer it opens to.
fn sg_rule(direction: &str, group: &Value, rule: &Value) -> Value {
    let get = |k: &str| rule.get(k).cloned();
    let peer = [
        "CidrIp",
        "CidrIpv6",
        "SourceSecurityGroupId",
        "DestinationSecurityGroupId",
        "SourcePrefixListId",
        "DestinationPrefixListId",
    ]
    .iter()
    .find_map(|k| get(k).map(|v| json!({ *k: v })))
    .unwrap_or(Value::Null);
    let mut map = Map::new();
    map.insert("direction".into(), json!(direction));
    map.insert("group".into(), group.clone());
    map.insert("protocol".into(), get("IpProtocol").unwrap_or(Value::Null));
    map.insert("ports".into(), json!([get("FromPort"), get("ToPort")]));
    map.insert("peer".into(), peer);
    if let Some(description) = get("Description") {
        map.insert("description".into(), description);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(resources: Value) -> Value {
        json!({ "Resources": resources })
    }

    fn role(actions: Value, resource: &str) -> Value {
        template(
            json!({"ClusterRole": {"Type": "AWS::IAM::Role", "Properties": {
                "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
                "Policies": [{"PolicyName": "access", "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Sid": "Read", "Effect": "Allow", "Action": actions, "Resource": resource}]}}]
            }}}),
        )
    }

    #[test]
    fn identical_policies_written_differently_are_no_change() {
        let a = role(
            json!(["s3:ListBucket", "s3:GetObject"]),
            "arn:aws:s3:::lake/*",
        );
        let mut b = role(
            json!(["s3:GetObject", "s3:ListBucket"]),
            "arn:aws:s3:::lake/*",
        );
        b["Resources"]["ClusterRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
            [0]["Sid"] = json!("Renamed");
        assert_eq!(diff_security(&a, &b), Vec::new());
    }

    #[test]
    fn a_widened_statement_is_the_old_removed_and_a_broadening_one_added() {
        let old = role(json!("s3:GetObject"), "arn:aws:s3:::lake/listings/*");
        let new = role(
            json!(["s3:GetObject", "s3:PutObject"]),
            "arn:aws:s3:::lake/*",
        );
        let changes = diff_security(&old, &new);
        assert_eq!(changes.len(), 2);
        assert_eq!(changes[0].change, Change::Removed);
        assert!(!changes[0].broadening);
        assert_eq!(changes[1].change, Change::Added);
        assert_eq!(changes[1].kind, SecurityKind::IamStatement);
        assert!(changes[1].broadening);
        assert_eq!(changes[1].logical_id, "ClusterRole");
        assert_eq!(
            changes[1].detail["Action"],
            json!(["s3:GetObject", "s3:PutObject"])
        );
    }

    #[test]
    fn bus_policies_lambda_permissions_and_rules_are_items() {
        let old = template(json!({
            "BusPolicy": {"Type": "AWS::Events::EventBusPolicy", "Properties": {
                "EventBusName": "central", "StatementId": "accounts",
                "Statement": {"Effect": "Allow", "Principal": {"AWS": ["222222222222"]},
                    "Action": "events:PutEvents", "Resource": "arn:bus"}}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
                "SecurityGroupEgress": [{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/8"}]}},
        }));
        let new = template(json!({
            "BusPolicy": {"Type": "AWS::Events::EventBusPolicy", "Properties": {
                "EventBusName": "central", "StatementId": "accounts",
                "Statement": {"Effect": "Allow", "Principal": {"AWS": ["333333333333", "222222222222"]},
                    "Action": "events:PutEvents", "Resource": "arn:bus"}}},
            "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"GroupDescription": "x",
                "SecurityGroupEgress": [{"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]}},
            "Invoke": {"Type": "AWS::Lambda::Permission", "Properties": {
                "FunctionName": {"Fn::GetAtt": ["Fn", "Arn"]}, "Action": "lambda:InvokeFunction",
                "Principal": "events.amazonaws.com", "SourceArn": "arn:rule"}},
        }));
        let changes = diff_security(&old, &new);
        let summary: Vec<(Change, SecurityKind, &str)> = changes
            .iter()
            .map(|c| (c.change, c.kind, c.logical_id.as_str()))
            .collect();
        assert_eq!(
            summary,
            [
                (Change::Removed, SecurityKind::ResourcePolicy, "BusPolicy"),
                (Change::Removed, SecurityKind::SecurityGroupRule, "Sg"),
                (Change::Added, SecurityKind::ResourcePolicy, "BusPolicy"),
                (Change::Added, SecurityKind::SecurityGroupRule, "Sg"),
                (Change::Added, SecurityKind::ResourcePolicy, "Invoke"),
            ]
        );
        assert_eq!(
            changes[2].detail["Principal"],
            json!({"AWS": ["222222222222", "333333333333"]})
        );
        assert_eq!(changes[3].detail["peer"], json!({"CidrIp": "0.0.0.0/0"}));
        assert_eq!(
            changes[4].detail["Principal"],
            json!({"Service": ["events.amazonaws.com"]})
        );
        assert_eq!(
            changes[4].detail["Condition"],
            json!({"ArnLike": {"AWS:SourceArn": "arn:rule"}})
        );
    }

    #[test]
    fn removing_a_boundary_or_a_deny_broadens() {
        let old = template(json!({"R": {"Type": "AWS::IAM::Role", "Properties": {
            "PermissionsBoundary": "arn:aws:iam::aws:policy/Boundary",
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
                {"Effect": "Deny", "Action": "s3:DeleteObject", "Resource": "*"}]}}]}}}));
        let new = template(json!({"R": {"Type": "AWS::IAM::Role", "Properties": {}}}));
        let changes = diff_security(&old, &new);
        assert_eq!(changes.len(), 2);
        assert!(
            changes
                .iter()
                .all(|c| c.broadening && c.change == Change::Removed)
        );
    }
}
