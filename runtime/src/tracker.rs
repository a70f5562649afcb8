//! The execution tracker (user accounts): turns what a pipeline's run reports into
//! notifications on the pipeline's topic `dpc-<name>-alerts`.
//!
//! Two inputs, routed by the pipeline stack according to its notification settings:
//! - Step Functions' status-change events (a rule per pipeline; for
//!   `PIPELINE_STATUS` it matches only the `onStatus` statuses, for `FULL_EXECUTION`
//!   every status) become pipeline-level messages;
//! - CloudWatch Logs subscription payloads of the state machine's log group (only
//!   for `FULL_EXECUTION`): gzip + base64, whose log events are Step Functions'
//!   execution history events; task states entering, exiting and failing become
//!   step-level messages.
//!
//! Each message is sent once: its id is claimed in the account's claims table first
//! (`attribute_not_exists`), and the claim is dropped again when publishing fails so
//! the retry sends it.

use crate::aws::error_text;
use crate::dynamo::{n, s};
use crate::env::{self, Vars};
use crate::events::{self, ExecutionArn};
use crate::notification::{self, Kind, Notification};
use crate::trigger_manager::Error;
use aws_sdk_sns::types::MessageAttributeValue;
use base64::Engine as _;
use dpc_model::PipelineId;
use dpc_model::contract::alerts;
use dpc_model::naming::AwsEnv;
use serde::Deserialize;
use serde_json::Value;
use std::io::Read;
use tracing::{Instrument, error, info, info_span, warn};

/// The claims table's prefix of a notification's id.
const NOTIFIED_PREFIX: &str = "notified#";
/// How long a sent notification's id is remembered.
pub const NOTIFIED_RETENTION_SECS: i64 = 7 * 86_400;
/// The most bytes a decompressed CloudWatch Logs payload may have (CloudWatch sends
/// at most 1 MB compressed batches; this bounds a hostile or broken one).
pub const MAX_PAYLOAD_BYTES: u64 = 16 * 1024 * 1024;

/// A CloudWatch Logs subscription payload, decoded.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LogsPayload {
    /// `DATA_MESSAGE` or `CONTROL_MESSAGE` (CloudWatch's reachability check).
    pub message_type: String,
    /// The log group.
    #[serde(default)]
    pub log_group: String,
    /// The log stream.
    #[serde(default)]
    pub log_stream: String,
    /// The log events.
    #[serde(default)]
    pub log_events: Vec<LogEvent>,
}

/// One log event.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub struct LogEvent {
    /// CloudWatch's id of the event.
    pub id: String,
    /// Milliseconds since the epoch.
    pub timestamp: i64,
    /// The log line: a Step Functions history event as JSON.
    pub message: String,
}

/// Decodes `{"awslogs": {"data": "<base64 of gzip of JSON>"}}`.
///
/// # Errors
/// When any layer is broken.
pub fn decode_logs(event: &Value) -> Result<LogsPayload, String> {
    let data = event
        .pointer("/awslogs/data")
        .and_then(Value::as_str)
        .ok_or("not a CloudWatch Logs payload: no awslogs.data")?;
    let gzipped = base64::engine::general_purpose::STANDARD
        .decode(data.trim())
        .map_err(|e| format!("awslogs.data is not base64: {e}"))?;
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gzipped.as_slice())
        .take(MAX_PAYLOAD_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|e| format!("awslogs.data is not gzip: {e}"))?;
    if json.len() as u64 > MAX_PAYLOAD_BYTES {
        return Err(format!(
            "the payload decompresses to more than {MAX_PAYLOAD_BYTES} bytes"
        ));
    }
    serde_json::from_slice(&json)
        .map_err(|e| format!("the payload is not CloudWatch Logs JSON: {e}"))
}

/// A step-level message from one Step Functions history event (its JSON log line);
/// `None` for events that say nothing about a task step. `current_step` is the task
/// state entered last in the same batch (failure events do not name their state).
pub fn step_message(line: &str, current_step: &mut Option<String>) -> Option<Notification> {
    let event: Value = serde_json::from_str(line).ok()?;
    let kind = event.get("type")?.as_str()?;
    let arn_text = event.get("execution_arn")?.as_str()?;
    let arn = ExecutionArn::parse(arn_text).ok()?;
    let pipeline = arn.pipeline().ok()?;
    let details = event.get("details").cloned().unwrap_or(Value::Null);
    let name = details
        .get("name")
        .and_then(Value::as_str)
        .map(str::to_string);
    let (status, step) = match kind {
        "TaskStateEntered" => {
            *current_step = name.clone();
            ("STARTED", name?)
        }
        "TaskStateExited" => ("SUCCEEDED", name?),
        "TaskFailed" | "TaskStartFailed" | "TaskSubmitFailed" => (
            "FAILED",
            current_step.clone().unwrap_or_else(|| "a task".into()),
        ),
        "TaskTimedOut" => (
            "TIMED_OUT",
            current_step.clone().unwrap_or_else(|| "a task".into()),
        ),
        _ => return None,
    };
    let mut text = format!(
        "{} {}: step `{step}` {}",
        icon(status),
        pipeline.name,
        status.to_ascii_lowercase().replace('_', " ")
    );
    let failed = matches!(status, "FAILED" | "TIMED_OUT");
    if failed {
        let error = details.get("error").and_then(Value::as_str).unwrap_or("");
        let cause = details.get("cause").and_then(Value::as_str).unwrap_or("");
        if !error.is_empty() || !cause.is_empty() {
            text.push_str(&format!(" — {error} {cause}"));
        }
    }
    // The account too: the same pipeline may run in several accounts (dev, prod).
    text.push_str(&format!(
        " (execution {}, account {})",
        arn.name, pipeline.account
    ));
    if failed {
        // Where the reader sees the step's input, output and error in full.
        text.push('\n');
        text.push_str(&console_url(&arn.region, arn_text));
    }
    Some(Notification {
        version: notification::VERSION.into(),
        pipeline: pipeline.name,
        account: pipeline.account,
        execution_arn: arn_text.to_string(),
        kind: Kind::Step,
        status: status.into(),
        step: Some(step),
        text: crate::http::truncate(&text, notification::MAX_TEXT_CHARS),
        id: None,
    })
}

/// The pipeline-level message of a status-change event.
///
/// # Errors
/// When the event is not a dpc status change.
pub fn status_message(event: &Value) -> Result<Notification, String> {
    let change = events::status_change(event).map_err(|e| e.0)?;
    let status = change.event.status.as_str().to_string();
    let detail = event.get("detail").cloned().unwrap_or(Value::Null);
    let mut text = format!(
        "{} {} {} (execution {}, account {}, {})",
        icon(&status),
        change.event.pipeline.name,
        status,
        change.execution_name,
        change.event.pipeline.account,
        change.region
    );
    let error = detail.get("error").and_then(Value::as_str).unwrap_or("");
    let cause = crate::http::truncate(
        detail.get("cause").and_then(Value::as_str).unwrap_or(""),
        1000,
    );
    // No dangling `: ` when Step Functions gives only one of the two.
    match (error.is_empty(), cause.is_empty()) {
        (false, false) => text.push_str(&format!("\n{error}: {cause}")),
        (false, true) => text.push_str(&format!("\n{error}")),
        (true, false) => text.push_str(&format!("\n{cause}")),
        (true, true) => {}
    }
    text.push('\n');
    text.push_str(&console_url(&change.region, &change.event.execution));
    Ok(Notification {
        version: notification::VERSION.into(),
        pipeline: change.event.pipeline.name,
        account: change.event.pipeline.account,
        execution_arn: change.event.execution,
        kind: Kind::Pipeline,
        status,
        step: None,
        text: crate::http::truncate(&text, notification::MAX_TEXT_CHARS),
        id: None,
    })
}

/// The Step Functions console's page of an execution.
fn console_url(region: &str, execution_arn: &str) -> String {
    format!(
        "https://{region}.console.aws.amazon.com/states/home?region={region}#/v2/executions/details/{execution_arn}"
    )
}

fn icon(status: &str) -> &'static str {
    match status {
        "SUCCEEDED" => "✅",
        "FAILED" => "❌",
        "TIMED_OUT" => "⏰",
        "ABORTED" => "🛑",
        "RUNNING" | "STARTED" => "▶️",
        _ => "ℹ️",
    }
}

/// The alert topic of a pipeline in the execution's account and region
/// ([`AwsEnv::alert_topic_arn`], the ARN the pipeline stack's topic has).
pub fn topic_arn(arn: &ExecutionArn, pipeline: &str) -> String {
    AwsEnv::new(arn.account.as_str(), arn.region.as_str())
        .with_partition(arn.partition.as_str())
        .alert_topic_arn(pipeline)
}

/// The execution tracker.
#[derive(Clone, Debug)]
pub struct Tracker {
    ddb: aws_sdk_dynamodb::Client,
    sns: aws_sdk_sns::Client,
    claims_table: String,
}

/// What one invocation sent.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sent {
    /// The notifications published.
    pub published: Vec<Notification>,
    /// Notifications skipped as already sent.
    pub duplicates: usize,
}

impl Tracker {
    /// A tracker over `config`'s clients, deduplicating in [`env::CLAIMS_TABLE`].
    ///
    /// # Errors
    /// The variable is missing.
    pub fn from_vars(
        config: &aws_config::SdkConfig,
        vars: &dyn Vars,
    ) -> Result<Self, env::MissingVar> {
        Ok(Tracker {
            ddb: crate::aws::dynamodb(config),
            sns: crate::aws::sns(config),
            claims_table: vars.require(env::CLAIMS_TABLE)?,
        })
    }

    /// Handles one invocation (a Logs payload or a status-change event).
    ///
    /// # Errors
    /// A DynamoDB or SNS failure (the invocation is retried).
    pub async fn handle(&self, event: &Value) -> Result<Sent, Error> {
        let mut sent = Sent::default();
        if event.get("awslogs").is_some() {
            let payload = match decode_logs(event) {
                Ok(p) => p,
                Err(why) => {
                    warn!(reason = %why, "ignoring an unreadable CloudWatch Logs payload");
                    return Ok(sent);
                }
            };
            if payload.message_type != "DATA_MESSAGE" {
                info!(messageType = %payload.message_type, "control message: nothing to do");
                return Ok(sent);
            }
            let mut current_step = None;
            for log in &payload.log_events {
                if let Some(message) = step_message(&log.message, &mut current_step) {
                    let id = format!("{NOTIFIED_PREFIX}{}#log#{}", message.execution_arn, log.id);
                    let span = info_span!("step", executionArn = %message.execution_arn,
                        pipeline = %PipelineId::new(&message.account, &message.pipeline));
                    self.send_once(&id, message, &mut sent)
                        .instrument(span)
                        .await?;
                }
            }
            return Ok(sent);
        }
        match status_message(event) {
            Ok(message) => {
                let change = events::status_change(event).map_err(|e| e.0)?;
                if change.duplicate {
                    // A second delivery of a trigger, which ran nothing: no news.
                    info!(executionArn = %change.event.execution, "not notifying a duplicate execution's status");
                    return Ok(sent);
                }
                let id = format!("{NOTIFIED_PREFIX}{}", change.event.key());
                let span = info_span!("status", executionArn = %message.execution_arn,
                    pipeline = %change.event.pipeline);
                self.send_once(&id, message, &mut sent)
                    .instrument(span)
                    .await?;
            }
            Err(why) => warn!(reason = %why, "ignoring an event that is not a dpc status change"),
        }
        Ok(sent)
    }

    async fn send_once(
        &self,
        id: &str,
        mut message: Notification,
        sent: &mut Sent,
    ) -> Result<(), Error> {
        // The same id on every attempt: when a publish timed out but went through,
        // the retry's copy is recognised downstream (the Slack poster).
        // An id too long to be taken is left out: posted on every delivery beats lost.
        let bare = id.strip_prefix(NOTIFIED_PREFIX).unwrap_or(id);
        message.id = notification::is_valid_id(bare).then(|| bare.to_string());
        let now = crate::clock::system_now().as_unix_seconds();
        let claim = self
            .ddb
            .put_item()
            .table_name(&self.claims_table)
            .item(env::claims::PARTITION, s(id))
            .item(env::TTL_ATTRIBUTE, n(now + NOTIFIED_RETENTION_SECS))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", env::claims::PARTITION)
            .send()
            .await;
        match claim {
            Ok(_) => {}
            Err(e) if crate::dynamo::is_condition_failure(&e) => {
                info!(id, "already notified");
                sent.duplicates += 1;
                return Ok(());
            }
            Err(e) => {
                let why = format!(
                    "claiming notification {id} in table {}: {}",
                    self.claims_table,
                    error_text(&e)
                );
                error!(error = %why, "the notification was not sent; the invocation fails so it is delivered again");
                return Err(why.into());
            }
        }
        match self.publish(&message).await {
            Ok(()) => {
                info!(status = %message.status, kind = ?message.kind, "notification published");
                sent.published.push(message);
                Ok(())
            }
            Err(why) => {
                // Drop the claim so the retry sends it.
                let dropped = self
                    .ddb
                    .delete_item()
                    .table_name(&self.claims_table)
                    .key(env::claims::PARTITION, s(id))
                    .send()
                    .await;
                if let Err(e) = dropped {
                    warn!(id, error = %error_text(&e),
                        "the notification's claim could not be dropped: the retry skips it as already notified, so it is lost");
                }
                error!(error = %why, "publishing the notification failed; the invocation fails so it is delivered again");
                Err(why)
            }
        }
    }

    async fn publish(&self, message: &Notification) -> Result<(), Error> {
        let arn = ExecutionArn::parse(&message.execution_arn)?;
        let topic = topic_arn(&arn, &message.pipeline);
        let subject = format!("dpc: {} {}", message.pipeline, message.status);
        let string = |value: String| {
            MessageAttributeValue::builder()
                .data_type("String")
                .string_value(value)
                .build()
        };
        let kind = match message.kind {
            Kind::Pipeline => alerts::KIND_PIPELINE,
            Kind::Step => alerts::KIND_STEP,
        };
        // The subscriptions' filter policies route on these two (SNS cannot look into
        // the notification's JSON): without them a filtered target would get nothing.
        self.sns
            .publish()
            .topic_arn(&topic)
            .subject(crate::http::truncate(&subject, 99))
            .message(&message.text)
            .message_attributes(
                notification::ATTRIBUTE,
                string(serde_json::to_string(message)?)?,
            )
            .message_attributes(alerts::KIND_ATTRIBUTE, string(kind.to_string())?)
            .message_attributes(alerts::STATUS_ATTRIBUTE, string(message.status.clone())?)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "publishing the {} notification of execution {} to {topic}: {}",
                    message.status,
                    message.execution_arn,
                    error_text(&e)
                )
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn history_events_become_step_messages() {
        let arn = "arn:aws:states:eu-west-1:444444444444:execution:dpc-pipeline-x:r1";
        let mut current = None;
        let entered = json!({"id": "7", "type": "TaskStateEntered", "execution_arn": arn,
            "details": {"name": "aggregate", "input": "{}"}, "event_timestamp": "1"});
        let m = step_message(&entered.to_string(), &mut current).unwrap();
        assert_eq!(
            (m.kind, m.status.as_str(), m.step.as_deref()),
            (Kind::Step, "STARTED", Some("aggregate"))
        );
        assert!(
            !m.text.contains("console"),
            "only failures link: {}",
            m.text
        );
        let failed = json!({"id": "8", "type": "TaskFailed", "execution_arn": arn,
            "details": {"error": "States.TaskFailed", "cause": "exit 1"}});
        let m = step_message(&failed.to_string(), &mut current).unwrap();
        assert_eq!(
            (m.status.as_str(), m.step.as_deref()),
            ("FAILED", Some("aggregate"))
        );
        assert!(m.text.contains("States.TaskFailed exit 1"), "{}", m.text);
        // Which run, in which account, and where to look.
        assert!(
            m.text.contains("(execution r1, account 444444444444)")
                && m.text.contains(&format!(
                    "console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/{arn}"
                )),
            "{}",
            m.text
        );
        let pass = json!({"id": "9", "type": "PassStateEntered", "execution_arn": arn, "details": {"name": "x"}});
        assert_eq!(step_message(&pass.to_string(), &mut current), None);
        assert_eq!(step_message("not json", &mut current), None);
    }

    #[test]
    fn a_status_message_gives_what_step_functions_said_without_dangling_separators() {
        let arn = "arn:aws:states:eu-west-1:444444444444:execution:dpc-pipeline-x:r1";
        let event = |detail_extra: Value| {
            let mut detail = json!({"executionArn": arn, "status": "FAILED",
                "startDate": 1_795_669_200_000_i64, "stopDate": 1_795_669_260_000_i64});
            detail
                .as_object_mut()
                .unwrap()
                .extend(detail_extra.as_object().unwrap().clone());
            json!({"source": "aws.states", "detail-type": "Step Functions Execution Status Change",
                "time": "2026-11-26T09:10:05Z", "detail": detail})
        };
        let both = status_message(&event(json!({"error": "E", "cause": "why"}))).unwrap();
        assert!(
            both.text.starts_with(
                "❌ pipeline-x FAILED (execution r1, account 444444444444, eu-west-1)\nE: why\n"
            ),
            "{}",
            both.text
        );
        let error_only = status_message(&event(json!({"error": "States.Timeout"}))).unwrap();
        assert!(
            error_only.text.contains("\nStates.Timeout\nhttps://"),
            "{}",
            error_only.text
        );
        let cause_only = status_message(&event(json!({"cause": "exit 1"}))).unwrap();
        assert!(
            cause_only.text.contains("\nexit 1\nhttps://"),
            "{}",
            cause_only.text
        );
        assert!(!cause_only.text.contains(": exit 1"), "{}", cause_only.text);
    }

    #[test]
    fn topics_follow_the_naming_convention() {
        let arn = ExecutionArn::parse(
            "arn:aws:states:eu-west-1:444444444444:execution:dpc-pipeline-x:r1",
        )
        .unwrap();
        assert_eq!(
            topic_arn(&arn, "pipeline-x"),
            "arn:aws:sns:eu-west-1:444444444444:dpc-pipeline-x-alerts"
        );
    }

    #[test]
    fn broken_payloads_are_reported_not_panicked() {
        assert!(
            decode_logs(&json!({"awslogs": {"data": "%%%"}}))
                .unwrap_err()
                .contains("base64")
        );
        assert!(
            decode_logs(&json!({"awslogs": {"data": "aGVsbG8="}}))
                .unwrap_err()
                .contains("gzip")
        );
        assert!(decode_logs(&json!({"other": 1})).is_err());
    }
}
