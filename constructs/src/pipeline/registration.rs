//! The pipeline's registrations with the central account, as custom resources served
//! by the account's registration provider (`dpc-registration`, by deterministic ARN):
//!
//! - `Custom::DpcPipeline`: the pipeline's condition tree and parents, written to the
//!   central dependency API on create and update, removed on delete;
//! - `Custom::DpcSlackChannels`: the pipeline's Slack channels, registered through the
//!   central Slack API.
//!
//! Both ask the provider to use the stable physical id `<account>/<name>`, so an update
//! is an update (never a replacement that would first register a second copy), and
//! both give it minutes rather than CloudFormation's default hour to answer.

use super::setup::AccountSetup;
use dpc_core::{Diagnostic, RawResource, ResourceRef, Scope};
use dpc_model::naming::LambdaRole;
use dpc_schema::{Pipeline, Trigger};
use serde_json::{Value, json};

/// `ServiceTimeout` of the custom resources, in seconds.
pub const SERVICE_TIMEOUT_SECONDS: u64 = 300;

/// The physical id the provider must return: `<account>/<name>`.
pub fn physical_id(pipeline: &Pipeline) -> String {
    format!("{}/{}", pipeline.account.id, pipeline.name)
}

/// Adds the registration (and the Slack channels, when there are any).
///
/// # Errors
/// A core diagnostic when ids collide.
pub fn add(
    scope: &mut Scope<'_>,
    pipeline: &Pipeline,
    setup: &AccountSetup,
    slack_channels: &[String],
) -> Result<(ResourceRef, Option<ResourceRef>), Diagnostic> {
    let token = setup.lambda_arn(LambdaRole::Registration);
    let (kind, condition, within, parents) = match &pipeline.trigger {
        Trigger::Executions(executions) => (
            "executions",
            serde_json::to_value(&executions.condition).unwrap_or(Value::Null),
            Value::from(executions.within.as_secs().to_string()),
            Value::Array(
                executions
                    .condition
                    .parents()
                    .into_iter()
                    .map(|p| json!({"account": p.account, "name": p.name}))
                    .collect(),
            ),
        ),
        Trigger::Manual => ("manual", Value::Null, Value::Null, json!([])),
        Trigger::Schedule(_) => ("schedule", Value::Null, Value::Null, json!([])),
        Trigger::Cron(_) => ("cron", Value::Null, Value::Null, json!([])),
    };
    let mut properties = json!({
        "ServiceToken": token,
        "ServiceTimeout": SERVICE_TIMEOUT_SECONDS,
        "PhysicalId": physical_id(pipeline),
        "Pipeline": {"account": pipeline.account.id, "name": pipeline.name},
        "Trigger": kind,
        "Parents": parents,
    });
    if let Some(map) = properties.as_object_mut()
        && !condition.is_null()
    {
        map.insert("Condition".into(), condition);
        map.insert("WithinSeconds".into(), within);
    }
    let registration = scope.child("Registration")?.add_resource(
        "Resource",
        RawResource::new("Custom::DpcPipeline", properties),
    )?;
    let slack = if slack_channels.is_empty() {
        None
    } else {
        Some(scope.child("SlackChannels")?.add_resource(
            "Resource",
            RawResource::new(
                "Custom::DpcSlackChannels",
                json!({
                    "ServiceToken": setup.lambda_arn(LambdaRole::Registration),
                    "ServiceTimeout": SERVICE_TIMEOUT_SECONDS,
                    "PhysicalId": physical_id(pipeline),
                    "Pipeline": {"account": pipeline.account.id, "name": pipeline.name},
                    "Channels": slack_channels,
                }),
            ),
        )?)
    };
    Ok((registration, slack))
}
