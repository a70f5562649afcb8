//! Organisation policies as aspects: they visit every node of the app at synthesis and
//! report what breaks the policy; one error fails the synthesis, like any mistake.

use dpc_constructs::prelude::*;
use serde_json::Value;

/// Diagnostic codes of the policies: the organisation's own, prefix `POL`.
pub mod codes {
    /// A state machine without an owner.
    pub const NO_OWNER: &str = "POL001";
    /// An EMR instance type outside the allow-list.
    pub const INSTANCE_TYPE: &str = "POL002";
}

/// The stack tag dpc sets from a pipeline's `owner`.
pub const OWNER_TAG: &str = "dpc:owner";

fn state_machine<'a>(node: &'a NodeView<'_>) -> Option<&'a Resource> {
    node.resource()
        .filter(|r| r.type_name == "AWS::StepFunctions::StateMachine")
}

fn machine_name(resource: &Resource) -> String {
    resource.properties["StateMachineName"]
        .as_str()
        .unwrap_or(resource.logical_id())
        .to_owned()
}

/// Every state machine belongs to a team: its stack carries the `dpc:owner` tag, which
/// dpc sets from the pipeline's `owner`.
#[derive(Clone, Copy, Debug, Default)]
pub struct RequireOwner;

impl Aspect for RequireOwner {
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic> {
        let Some(machine) = state_machine(node) else {
            return Vec::new();
        };
        let owned = node
            .stack()
            .and_then(|s| node.tree().stack_props(s))
            .is_some_and(|p| p.tags.get(OWNER_TAG).is_some_and(|o| !o.is_empty()));
        if owned {
            return Vec::new();
        }
        vec![
            Diagnostic::error(
                codes::NO_OWNER,
                format!("state machine `{}` has no owner", machine_name(machine)),
            )
            .with_help("set `owner` on the pipeline: the team that answers for it"),
        ]
    }

    fn priority(&self) -> i32 {
        priority::READONLY
    }
}

/// EMR clusters use only the organisation's instance types.
#[derive(Clone, Debug)]
pub struct AllowedInstanceTypes {
    allowed: Vec<String>,
}

impl AllowedInstanceTypes {
    /// The organisation's list when nobody says otherwise.
    pub const DEFAULT: [&'static str; 4] = ["m5.xlarge", "m5.2xlarge", "r5.xlarge", "r5.2xlarge"];

    /// A policy allowing exactly `allowed`.
    pub fn new<I, S>(allowed: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        AllowedInstanceTypes {
            allowed: allowed.into_iter().map(Into::into).collect(),
        }
    }
}

impl Default for AllowedInstanceTypes {
    fn default() -> Self {
        Self::new(Self::DEFAULT)
    }
}

/// Every `InstanceType` inside a state machine definition (the cluster it creates).
fn instance_types(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, v) in map {
                match (key.as_str(), v) {
                    ("InstanceType", Value::String(t)) => {
                        if !out.contains(t) {
                            out.push(t.clone());
                        }
                    }
                    _ => instance_types(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| instance_types(v, out)),
        _ => {}
    }
}

impl Aspect for AllowedInstanceTypes {
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic> {
        let Some(machine) = state_machine(node) else {
            return Vec::new();
        };
        let mut found = Vec::new();
        instance_types(&machine.properties["Definition"], &mut found);
        found
            .into_iter()
            .filter(|t| !self.allowed.contains(t))
            .map(|t| {
                Diagnostic::error(
                    codes::INSTANCE_TYPE,
                    format!(
                        "state machine `{}` starts EMR instances of type `{t}`, which the organisation does not allow",
                        machine_name(machine)
                    ),
                )
                .with_note(format!("allowed: {}", self.allowed.join(", ")))
                .with_help("choose an allowed type in the pipeline's `cluster`")
            })
            .collect()
    }

    fn priority(&self) -> i32 {
        priority::READONLY
    }
}
