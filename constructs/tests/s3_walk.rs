//! The S3 grant walk (shared by `s3_grants.rs` here and the bench's generated-organisation
//! test, included with `#[path]`): every `s3://` location a pipeline template's state
//! machine hands its cluster (step arguments and commands, bootstrap actions, the log
//! location) must be covered by a statement of the cluster's instance role, which is
//! what reads it at run time. A location the role does not cover fails the run with
//! AccessDenied while every template check is green, so this is checked on the
//! templates themselves, not on dpc's intentions.
#![allow(dead_code)]

use serde_json::Value;

/// A location the cluster uses that its role does not cover.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ungranted {
    /// The template's resource id of the state machine.
    pub state_machine: String,
    /// The location as the definition spells it (macros shown as `{}`).
    pub location: String,
    /// The action the role lacks on it.
    pub action: &'static str,
}

/// Every location in `template` that the instance role does not cover.
pub fn ungranted(template: &Value) -> Vec<Ungranted> {
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return Vec::new();
    };
    let statements = instance_role_statements(template);
    let mut out = Vec::new();
    for (id, resource) in resources {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::StepFunctions::StateMachine")
        {
            continue;
        }
        let Some(definition) = resource.pointer("/Properties/Definition") else {
            continue;
        };
        let mut found = Vec::new();
        locations(definition, false, &mut found);
        for (location, is_log) in found {
            let action = if is_log {
                "s3:PutObject"
            } else {
                "s3:GetObject"
            };
            if !covered(&statements, action, &location) {
                out.push(Ungranted {
                    state_machine: id.clone(),
                    location,
                    action,
                });
            }
        }
    }
    out
}

/// How many `s3://` locations the walk found in `template`'s state machines (so a test
/// can tell a walk that checked something from one that found nothing to check).
pub fn location_count(template: &Value) -> usize {
    let mut found = Vec::new();
    if let Some(resources) = template.get("Resources").and_then(Value::as_object) {
        for resource in resources.values() {
            if let Some(definition) = resource.pointer("/Properties/Definition") {
                locations(definition, false, &mut found);
            }
        }
    }
    found.len()
}

/// The `Statement`s of the role EC2 (the cluster's instances) assumes.
pub fn instance_role_statements(template: &Value) -> Vec<Value> {
    let mut out = Vec::new();
    let Some(resources) = template.get("Resources").and_then(Value::as_object) else {
        return out;
    };
    for resource in resources.values() {
        if resource.get("Type").and_then(Value::as_str) != Some("AWS::IAM::Role") {
            continue;
        }
        let trust = resource
            .pointer("/Properties/AssumeRolePolicyDocument")
            .map(Value::to_string)
            .unwrap_or_default();
        if !trust.contains("ec2.amazonaws.com") {
            continue;
        }
        for policy in resource
            .pointer("/Properties/Policies")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(statements) = policy
                .pointer("/PolicyDocument/Statement")
                .and_then(Value::as_array)
            {
                out.extend(statements.iter().cloned());
            }
        }
    }
    out
}

/// Collects `(location, is the cluster's log location)` from every text in `value`.
fn locations(value: &Value, under_log_uri: bool, out: &mut Vec<(String, bool)>) {
    match value {
        Value::String(text) => {
            let mut rest = text.as_str();
            while let Some(at) = rest.find("s3://") {
                let tail = &rest[at..];
                let end = tail
                    .find(|c: char| c.is_whitespace() || matches!(c, '\'' | '"' | ',' | ')'))
                    .unwrap_or(tail.len());
                out.push((tail[..end].to_owned(), under_log_uri));
                rest = &tail[end..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| locations(v, under_log_uri, out)),
        Value::Object(map) => {
            for (key, v) in map {
                locations(v, under_log_uri || key == "LogUri", out);
            }
        }
        _ => {}
    }
}

/// Whether an `Allow` statement grants `action` on every object `location` can mean: the
/// object itself, or for a location with a run-time part (`{}`) or ending in `/`, every
/// object under its fixed prefix.
fn covered(statements: &[Value], action: &str, location: &str) -> bool {
    let Some(path) = location.strip_prefix("s3://") else {
        return false;
    };
    let (fixed, open) = match path.find('{') {
        Some(at) => (&path[..at], true),
        None => (path, path.ends_with('/') || !path.contains('/')),
    };
    let arn = format!("arn:aws:s3:::{fixed}");
    statements.iter().any(|s| {
        s.get("Effect").and_then(Value::as_str) == Some("Allow")
            && strings(s.get("Action"))
                .iter()
                .any(|a| action_matches(a, action))
            && resources(s.get("Resource")).iter().any(|pattern| {
                if open {
                    // Every key under `fixed`: only a pattern that is a prefix of it and a
                    // `*` covers them all.
                    pattern
                        .strip_suffix('*')
                        .is_some_and(|p| !p.contains(['*', '?']) && arn.starts_with(p))
                } else {
                    glob(pattern, &arn)
                }
            })
    })
}

fn action_matches(pattern: &str, action: &str) -> bool {
    glob(&pattern.to_ascii_lowercase(), &action.to_ascii_lowercase())
}

fn strings(value: Option<&Value>) -> Vec<String> {
    match value {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(Value::as_str)
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    }
}

/// Resource ARNs as IAM would see them in the `aws` partition: plain texts and `Fn::Sub`
/// texts with the partition filled in (anything else, such as a dynamic reference to a
/// key, is not an S3 object and is left out).
fn resources(value: Option<&Value>) -> Vec<String> {
    let one = |v: &Value| -> Option<String> {
        let text = match v {
            Value::String(s) => s.clone(),
            Value::Object(map) => map.get("Fn::Sub")?.as_str()?.to_owned(),
            _ => return None,
        };
        Some(text.replace("${AWS::Partition}", "aws"))
    };
    match value {
        Some(Value::Array(items)) => items.iter().filter_map(one).collect(),
        Some(v) => one(v).into_iter().collect(),
        None => Vec::new(),
    }
}

/// IAM's wildcard match: `*` any run of characters, `?` one.
fn glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut pi, mut ti, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            pi += 1;
            ti += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    while pi < p.len() && p[pi] == '*' {
        pi += 1;
    }
    pi == p.len()
}

#[test]
fn the_walk_reads_iam_as_iam_does() {
    assert!(glob("arn:aws:s3:::lake/x/*", "arn:aws:s3:::lake/x/a/b"));
    assert!(!glob("arn:aws:s3:::lake/x/*", "arn:aws:s3:::lake/y"));
    assert!(glob("s3:get*", "s3:getobject"));
    let statements = vec![serde_json::json!({
        "Effect": "Allow", "Action": "s3:GetObject",
        "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::lake/listings/*"}, "arn:aws:s3:::jobs/a.jar"]
    })];
    assert!(covered(
        &statements,
        "s3:GetObject",
        "s3://lake/listings/dt={}/"
    ));
    assert!(covered(&statements, "s3:GetObject", "s3://jobs/a.jar"));
    assert!(!covered(&statements, "s3:GetObject", "s3://jobs/b.jar"));
    assert!(!covered(&statements, "s3:PutObject", "s3://jobs/a.jar"));
    // An exact object grant does not cover a prefix.
    assert!(!covered(&statements, "s3:GetObject", "s3://jobs/"));
    assert!(!covered(&statements, "s3:GetObject", "s3://lake/{}/"));
}
