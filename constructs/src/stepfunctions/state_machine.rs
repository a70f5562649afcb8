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
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope};
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
        let text = json.to_string();
        for name in placeholders(&text) {
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
        let size = estimated_size(&text, &props.substitutions);
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
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut node = scope.child(id).map_err(|d| vec![d])?;
        let resource = node
            .add_resource(
                "Resource",
                CfnStateMachine {
                    state_machine_name: Some(Expr::from(props.name.as_str())),
                    state_machine_type: Some("STANDARD".to_owned()),
                    definition: Some(json),
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
                },
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

fn estimated_size(text: &str, substitutions: &IndexMap<String, Expr>) -> usize {
    let mut size = text.len();
    for (name, value) in substitutions {
        let placeholder = format!("${{{name}}}");
        let count = text.matches(&placeholder).count();
        let value_len = value.as_str().map_or(ASSUMED_SUBSTITUTION_BYTES, str::len);
        size = size.saturating_sub(count * placeholder.len()) + count * value_len;
    }
    size
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_whole_names_only() {
        let text = r#"{"a":"${ClaimTable}","b":"$.x","c":"${AWS::Region}","d":"${Bus}","e":"${ClaimTable}"}"#;
        assert_eq!(placeholders(text), ["ClaimTable", "Bus"]);
    }
}
