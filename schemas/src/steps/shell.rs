//! `type: shell`: a shell command on the cluster's master node.

use super::{StepContext, StepKind, StepProblem};
use crate::resolved::{ShellStep, StepConfig};
use serde_json::{Map, Value, json};

/// The built-in `shell` kind: `command`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShellKind;

impl StepKind for ShellKind {
    fn type_name(&self) -> &str {
        "shell"
    }

    fn description(&self) -> &str {
        "a shell command (`command`) run on the cluster's master node."
    }

    fn fields_schema(&self) -> Value {
        json!({
            "properties": {
                "command": {
                    "description": "The command, run with bash. Macros filled in at run time: `{{ds}}`, `{{ds_nodash}}`, `{{ts}}`, `{{pipeline}}`, `{{execution}}`.",
                    "type": "string",
                    "minLength": 1
                }
            },
            "required": ["command"]
        })
    }

    fn resolve(
        &self,
        fields: &Map<String, Value>,
        _cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) -> Option<StepConfig> {
        let before = problems.len();
        let command = fields
            .get("command")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string();
        super::push_macro_problems(&command, "/command", problems);
        let failed = problems[before..].iter().any(|p| p.diagnostic.is_error());
        (!failed).then_some(StepConfig::Shell(ShellStep { command }))
    }
}
