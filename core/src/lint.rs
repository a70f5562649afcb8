//! Post-render checks on every template: references that leave their template, and
//! CloudFormation's quotas (the figures from the AWS CloudFormation User Guide, "Understand
//! CloudFormation quotas"), each message quoting the AWS figure.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::logical_id::is_valid_logical_id;
use crate::synth::RenderedStack;
use indexmap::{IndexMap, IndexSet};
use serde_json::Value;

/// Resources declared in one template.
pub const MAX_RESOURCES: usize = 500;
/// Outputs declared in one template.
pub const MAX_OUTPUTS: usize = 200;
/// Parameters declared in one template.
pub const MAX_PARAMETERS: usize = 200;
/// Template body size, in bytes, for a template passed as an S3 object (how the CDK CLI
/// deploys): 1 MB.
pub const MAX_TEMPLATE_BYTES: usize = 1_048_576;
/// Dynamic references (`{{resolve:...}}`) in one template.
pub const MAX_DYNAMIC_REFERENCES: usize = 60;

/// One problem of one template. A dangling reference keeps its target, so that once
/// every stack is rendered the message can say which other stack defines it.
pub(crate) struct Finding {
    diagnostic: Diagnostic,
    dangling_target: Option<String>,
}

/// Every problem of one rendered template (`template` is its JSON).
pub(crate) fn lint_stack(stack: &RenderedStack, template: &Value) -> Vec<Finding> {
    let mut limits = Vec::new();
    check_limits(stack, template, &mut limits);
    let mut out: Vec<Finding> = limits
        .into_iter()
        .map(|diagnostic| Finding {
            diagnostic,
            dangling_target: None,
        })
        .collect();
    check_references(stack, template, &mut out);
    out
}

/// The findings of every stack as diagnostics, in stack order; a reference to an element
/// of another stack says so.
pub(crate) fn resolve(findings: Vec<Vec<Finding>>, all: &[RenderedStack]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for (stack, findings) in all.iter().zip(findings) {
        for Finding {
            mut diagnostic,
            dangling_target,
        } in findings
        {
            if let Some(target) = dangling_target
                && let Some(other) = all
                    .iter()
                    .find(|s| s.artifact_id != stack.artifact_id && s.paths.contains_key(&target))
            {
                diagnostic = diagnostic
                    .with_note(format!("`{target}` is defined in stack `{}`", other.artifact_id))
                    .with_help("stacks cannot reference each other: pass a deterministic name or ARN instead");
            }
            out.push(diagnostic);
        }
    }
    out
}

/// EventBridge's default quota of rules per event bus ("Rules per event bus", adjustable
/// in Service Quotas).
pub const DEFAULT_MAX_RULES_PER_BUS: usize = 300;

/// The `AWS::Events::Rule`s of one template by the name of their event bus (`default`
/// without `EventBusName`; the name of a bus of the same template it references;
/// `(unknown)` when it cannot be told).
pub(crate) fn rules_per_bus(template: &Value) -> IndexMap<String, usize> {
    let resources: Vec<(&String, &Value)> = section(template, "Resources").collect();
    let mut counts = IndexMap::new();
    for (_, rule) in resources
        .iter()
        .filter(|(_, r)| r.get("Type").and_then(Value::as_str) == Some("AWS::Events::Rule"))
    {
        let bus = match rule.get("Properties").and_then(|p| p.get("EventBusName")) {
            None => "default".to_owned(),
            Some(Value::String(name_or_arn)) => name_or_arn
                .rsplit_once("event-bus/")
                .map_or(name_or_arn.as_str(), |(_, name)| name)
                .to_owned(),
            Some(other) => other
                .get("Ref")
                .and_then(Value::as_str)
                .and_then(|id| resources.iter().find(|(k, _)| k.as_str() == id))
                .and_then(|(_, bus)| bus.get("Properties")?.get("Name")?.as_str())
                .unwrap_or("(unknown)")
                .to_owned(),
        };
        *counts.entry(bus).or_insert(0) += 1;
    }
    counts
}

/// A warning for each event bus with more rules than EventBridge allows by default,
/// counted over every stack deployed to the same account and region.
pub(crate) fn check_rules_per_bus(stacks: &[RenderedStack]) -> Vec<Diagnostic> {
    let mut totals: IndexMap<(&str, &str, &str), usize> = IndexMap::new();
    for stack in stacks {
        for (bus, n) in &stack.rules_per_bus {
            *totals
                .entry((stack.account.as_str(), stack.region.as_str(), bus.as_str()))
                .or_insert(0) += n;
        }
    }
    totals
        .into_iter()
        .filter(|(_, n)| *n > DEFAULT_MAX_RULES_PER_BUS)
        .map(|((account, region, bus), n)| {
            Diagnostic::warning(
                codes::TOO_MANY_RULES_PER_BUS,
                format!(
                    "event bus `{bus}` of account {account} ({region}) needs {n} rules; EventBridge allows {DEFAULT_MAX_RULES_PER_BUS} per bus by default"
                ),
            )
            .with_help(format!(
                "ask AWS to raise the quota \"Rules per event bus\" (Service Quotas, Amazon EventBridge) in account {account}, {region}, before deploying"
            ))
        })
        .collect()
}

fn section<'a>(template: &'a Value, name: &str) -> impl Iterator<Item = (&'a String, &'a Value)> {
    template
        .get(name)
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
}

fn check_limits(stack: &RenderedStack, template: &Value, out: &mut Vec<Diagnostic>) {
    let id = &stack.artifact_id;
    let count = |name| section(template, name).count();
    let mut over = |code: &str, found: usize, max: usize, what: &str, help: &str| {
        if found > max {
            out.push(
                Diagnostic::error(
                    code,
                    format!(
                        "stack `{id}` has {found} {what}; CloudFormation allows {max} per template"
                    ),
                )
                .in_construct(id.clone())
                .with_help(help),
            );
        }
    };
    over(
        codes::TOO_MANY_RESOURCES,
        count("Resources"),
        MAX_RESOURCES,
        "resources",
        "split the stack",
    );
    over(
        codes::TOO_MANY_OUTPUTS,
        count("Outputs"),
        MAX_OUTPUTS,
        "outputs",
        "remove outputs nobody reads",
    );
    over(
        codes::TOO_MANY_PARAMETERS,
        count("Parameters"),
        MAX_PARAMETERS,
        "parameters",
        "use fewer parameters",
    );
    let dynamic = count_dynamic_references(template);
    over(
        codes::TOO_MANY_DYNAMIC_REFERENCES,
        dynamic,
        MAX_DYNAMIC_REFERENCES,
        "dynamic references (`{{resolve:...}}`)",
        "read fewer SSM parameters or secrets in this stack",
    );
    let size = stack.template_bytes.len();
    if size > MAX_TEMPLATE_BYTES {
        out.push(
            Diagnostic::error(
                codes::TEMPLATE_TOO_LARGE,
                format!(
                    "the template of stack `{id}` is {size} bytes; CloudFormation allows {MAX_TEMPLATE_BYTES} bytes (1 MB)"
                ),
            )
            .in_construct(id.clone())
            .with_help("split the stack"),
        );
    }
    for name in ["Parameters", "Conditions", "Resources", "Outputs"] {
        for (logical_id, _) in section(template, name) {
            if !is_valid_logical_id(logical_id) {
                out.push(
                    Diagnostic::error(
                        codes::INVALID_LOGICAL_ID,
                        format!("logical id `{logical_id}` does not match ^[A-Za-z0-9]{{1,255}}$"),
                    )
                    .in_construct(
                        stack
                            .paths
                            .get(logical_id)
                            .cloned()
                            .unwrap_or_else(|| id.clone()),
                    ),
                );
            }
        }
    }
}

fn count_dynamic_references(value: &Value) -> usize {
    match value {
        // Most strings have no brace at all: a byte scan rules them out before the
        // substring search is set up.
        Value::String(s) if s.as_bytes().contains(&b'{') => s.matches("{{resolve:").count(),
        Value::Array(items) => items.iter().map(count_dynamic_references).sum(),
        Value::Object(map) => map.values().map(count_dynamic_references).sum(),
        _ => 0,
    }
}

/// What a template defines, by kind.
struct Defined {
    resources: IndexSet<String>,
    parameters: IndexSet<String>,
    conditions: IndexSet<String>,
}

fn check_references(stack: &RenderedStack, template: &Value, out: &mut Vec<Finding>) {
    let keys = |name| section(template, name).map(|(k, _)| k.clone()).collect();
    let defined = Defined {
        resources: keys("Resources"),
        parameters: keys("Parameters"),
        conditions: keys("Conditions"),
    };
    let mut found = Vec::new();
    for (logical_id, body) in section(template, "Conditions") {
        walk(body, true, &mut |r| found.push((logical_id.clone(), r)));
    }
    for (logical_id, resource) in section(template, "Resources") {
        let mut note = |r| found.push((logical_id.clone(), r));
        if let Some(props) = resource.get("Properties") {
            walk(props, false, &mut note);
        }
        if let Some(metadata) = resource.get("Metadata") {
            walk(metadata, false, &mut note);
        }
        match resource.get("DependsOn") {
            Some(Value::String(target)) => note(Reference::DependsOn(target.clone())),
            Some(Value::Array(targets)) => targets
                .iter()
                .filter_map(Value::as_str)
                .for_each(|t| note(Reference::DependsOn(t.to_owned()))),
            _ => {}
        }
        if let Some(Value::String(condition)) = resource.get("Condition") {
            note(Reference::Condition(condition.clone()));
        }
    }
    for (logical_id, output) in section(template, "Outputs") {
        let mut note = |r| found.push((logical_id.clone(), r));
        for key in ["Value", "Export"] {
            if let Some(v) = output.get(key) {
                walk(v, false, &mut note);
            }
        }
        if let Some(Value::String(condition)) = output.get("Condition") {
            note(Reference::Condition(condition.clone()));
        }
    }
    for (from, reference) in found {
        if let Some(problem) = dangling(&reference, &defined) {
            let path = stack
                .paths
                .get(&from)
                .cloned()
                .unwrap_or_else(|| stack.artifact_id.clone());
            out.push(Finding {
                diagnostic: problem.in_construct(path),
                dangling_target: Some(reference.target().to_owned()),
            });
        }
    }
}

/// A reference from one template element to another.
enum Reference {
    Ref(String),
    GetAtt(String),
    /// A `${Name}` or `${Name.Attr}` in `Fn::Sub` (the part before the dot).
    Sub(String, bool),
    DependsOn(String),
    Condition(String),
}

impl Reference {
    fn target(&self) -> &str {
        match self {
            Reference::Ref(t)
            | Reference::GetAtt(t)
            | Reference::Sub(t, _)
            | Reference::DependsOn(t)
            | Reference::Condition(t) => t,
        }
    }
}

fn dangling(reference: &Reference, defined: &Defined) -> Option<Diagnostic> {
    let is_resource = |t: &str| defined.resources.contains(t);
    let is_referable = |t: &str| is_resource(t) || defined.parameters.contains(t);
    let error = |code, message: String| Some(Diagnostic::error(code, message));
    match reference {
        Reference::Ref(t) if !t.starts_with("AWS::") && !is_referable(t) => error(
            codes::DANGLING_REFERENCE,
            format!("`Ref` to `{t}`, which is not in this stack"),
        ),
        Reference::GetAtt(t) if !is_resource(t) => error(
            codes::DANGLING_REFERENCE,
            format!("`Fn::GetAtt` of `{t}`, which is not a resource of this stack"),
        ),
        Reference::Sub(t, has_attr)
            if !(if *has_attr {
                is_resource(t)
            } else {
                is_referable(t)
            }) =>
        {
            error(
                codes::DANGLING_REFERENCE,
                format!("`Fn::Sub` variable `${{{t}}}` names nothing in this stack"),
            )
        }
        Reference::DependsOn(t) if !is_resource(t) => error(
            codes::DANGLING_DEPENDS_ON,
            format!("`DependsOn` names `{t}`, which is not a resource of this stack"),
        ),
        Reference::Condition(t) if !defined.conditions.contains(t) => error(
            codes::DANGLING_CONDITION,
            format!("condition `{t}` is not defined in this stack"),
        ),
        _ => None,
    }
}

/// Finds every reference inside `value`. `in_condition` is true inside the `Conditions`
/// section, where `{"Condition": "Name"}` refers to another condition.
fn walk(value: &Value, in_condition: bool, note: &mut dyn FnMut(Reference)) {
    match value {
        Value::Array(items) => items.iter().for_each(|v| walk(v, in_condition, note)),
        Value::Object(map) if map.len() == 1 => {
            let Some((key, arg)) = map.iter().next() else {
                return;
            };
            match (key.as_str(), arg) {
                ("Ref", Value::String(target)) => note(Reference::Ref(target.clone())),
                ("Fn::GetAtt", Value::Array(parts)) => {
                    if let Some(Value::String(target)) = parts.first() {
                        note(Reference::GetAtt(target.clone()));
                    }
                    parts
                        .iter()
                        .skip(1)
                        .for_each(|v| walk(v, in_condition, note));
                }
                ("Fn::GetAtt", Value::String(dotted)) => {
                    note(Reference::GetAtt(
                        dotted.split('.').next().unwrap_or_default().to_owned(),
                    ));
                }
                ("Fn::Sub", Value::String(template)) => sub_references(template, &[], note),
                ("Fn::Sub", Value::Array(parts)) => {
                    let vars: Vec<&str> = match parts.get(1) {
                        Some(Value::Object(vars)) => vars.keys().map(String::as_str).collect(),
                        _ => Vec::new(),
                    };
                    if let Some(Value::String(template)) = parts.first() {
                        sub_references(template, &vars, note);
                    }
                    parts
                        .iter()
                        .skip(1)
                        .for_each(|v| walk(v, in_condition, note));
                }
                ("Fn::If", Value::Array(parts)) => {
                    if let Some(Value::String(condition)) = parts.first() {
                        note(Reference::Condition(condition.clone()));
                    }
                    parts
                        .iter()
                        .skip(1)
                        .for_each(|v| walk(v, in_condition, note));
                }
                ("Condition", Value::String(condition)) if in_condition => {
                    note(Reference::Condition(condition.clone()))
                }
                (_, v) => walk(v, in_condition, note),
            }
        }
        Value::Object(map) => map.values().for_each(|v| walk(v, in_condition, note)),
        _ => {}
    }
}

/// The `${...}` names of a `Fn::Sub` template that must be defined in the template:
/// not `${!Literal}` escapes, not `${AWS::...}` pseudo parameters, not the Sub's own
/// variables.
fn sub_references(template: &str, vars: &[&str], note: &mut dyn FnMut(Reference)) {
    let mut rest = template;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { return };
        let name = &after[..end];
        rest = &after[end + 1..];
        if name.starts_with('!') || name.starts_with("AWS::") || vars.contains(&name) {
            continue;
        }
        match name.split_once('.') {
            Some((target, _)) => note(Reference::Sub(target.to_owned(), true)),
            None => note(Reference::Sub(name.to_owned(), false)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subs(template: &str, vars: &[&str]) -> Vec<String> {
        let mut out = Vec::new();
        sub_references(template, vars, &mut |r| out.push(r.target().to_owned()));
        out
    }

    #[test]
    fn sub_names() {
        assert_eq!(
            subs(
                "arn:${AWS::Partition}:s3:::${Bucket}/${!Literal}/${Fn.Arn}-${V}",
                &["V"]
            ),
            ["Bucket", "Fn"]
        );
        assert!(subs("no variables, ${unterminated", &[]).is_empty());
    }
}
