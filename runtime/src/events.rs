//! Status-change events as they arrive from EventBridge, read into the model's
//! [`StatusEvent`].
//!
//! Two reports describe one status change: Step Functions' own event
//! (`aws.states`, `Step Functions Execution Status Change`) and the state machine's
//! report about itself (`dpc.pipeline`, `Pipeline Status Change`, whose `detail`
//! spells the fields the same way). Both become the same [`StatusEvent`] key
//! (pipeline, execution ARN, status, redrive count), so the second is a duplicate.

use crate::env;
use dpc_model::{EventStatus, PipelineId, StatusEvent, Timestamp};
use serde_json::Value;
use std::fmt;

/// Why an event is not a status change of a dpc pipeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotAStatusEvent(pub String);

impl fmt::Display for NotAStatusEvent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for NotAStatusEvent {}

/// Which path reported the status change.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reporter {
    /// Step Functions' own event.
    StepFunctions,
    /// The state machine's report about itself.
    StateMachine,
}

/// A status change read from an EventBridge event.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StatusChange {
    /// The status event, as the trigger semantics see it.
    pub event: StatusEvent,
    /// Who reported it.
    pub reporter: Reporter,
    /// The region of the execution (from its ARN).
    pub region: String,
    /// The partition of the execution (from its ARN).
    pub partition: String,
    /// The execution's name (last part of its ARN).
    pub execution_name: String,
    /// The error a failed run reported, when it says.
    pub error: Option<String>,
    /// The execution found its trigger already claimed and ran nothing: its output
    /// (in Step Functions' terminal events) is `{"dpcDuplicate": true}`.
    pub duplicate: bool,
}

/// The parts of an execution ARN
/// `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExecutionArn {
    /// `aws`, `aws-cn`, ...
    pub partition: String,
    /// The region.
    pub region: String,
    /// The account id.
    pub account: String,
    /// The state machine's name (`dpc-<pipeline>`).
    pub state_machine: String,
    /// The execution's name.
    pub name: String,
}

impl ExecutionArn {
    /// Splits an execution ARN.
    ///
    /// # Errors
    /// When `arn` is not a Step Functions execution ARN.
    pub fn parse(arn: &str) -> Result<ExecutionArn, NotAStatusEvent> {
        let bad = || NotAStatusEvent(format!("`{arn}` is not a Step Functions execution ARN"));
        let parts: Vec<&str> = arn.splitn(8, ':').collect();
        if parts.len() != 8
            || parts[0] != "arn"
            || parts[2] != "states"
            || parts[5] != "execution"
            || parts[3].is_empty()
            || parts[6].is_empty()
            || parts[7].is_empty()
            || parts[4].len() != 12
            || !parts[4].bytes().all(|b| b.is_ascii_digit())
        {
            return Err(bad());
        }
        Ok(ExecutionArn {
            partition: parts[1].to_string(),
            region: parts[3].to_string(),
            account: parts[4].to_string(),
            state_machine: parts[6].to_string(),
            name: parts[7].to_string(),
        })
    }

    /// The dpc pipeline whose state machine this is (`dpc-<name>`).
    ///
    /// # Errors
    /// When the state machine is not named like dpc's.
    pub fn pipeline(&self) -> Result<PipelineId, NotAStatusEvent> {
        let prefix = format!("{}-", dpc_model::naming::PREFIX);
        match self.state_machine.strip_prefix(&prefix) {
            Some(name) if !name.is_empty() => Ok(PipelineId::new(&self.account, name)),
            _ => Err(NotAStatusEvent(format!(
                "state machine `{}` is not a dpc pipeline's (`dpc-<name>`)",
                self.state_machine
            ))),
        }
    }
}

/// Reads a status-change event of either reporter.
///
/// # Errors
/// When the event is not a status change of a dpc state machine, or lacks a field
/// the trigger semantics need.
pub fn status_change(event: &Value) -> Result<StatusChange, NotAStatusEvent> {
    let source = text(event, "source").unwrap_or_default();
    let detail_type = text(event, "detail-type").unwrap_or_default();
    let reporter = match (source, detail_type) {
        (env::SFN_SOURCE, env::SFN_STATUS_DETAIL_TYPE) => Reporter::StepFunctions,
        (env::PIPELINE_STATUS_SOURCE, env::PIPELINE_STATUS_DETAIL_TYPE) => Reporter::StateMachine,
        _ => {
            return Err(NotAStatusEvent(format!(
                "not a status change: source `{source}`, detail-type `{detail_type}`"
            )));
        }
    };
    let detail = event
        .get("detail")
        .filter(|d| d.is_object())
        .ok_or_else(|| NotAStatusEvent("the event has no detail".into()))?;
    let arn_text = text(detail, "executionArn")
        .ok_or_else(|| NotAStatusEvent("the detail has no executionArn".into()))?;
    let arn = ExecutionArn::parse(arn_text)?;
    let pipeline = arn.pipeline()?;
    // The self-report names its pipeline; it must be the one its ARN says.
    if let (Some(name), Some(account)) = (text(detail, "pipeline"), text(detail, "account"))
        && (name != pipeline.name || account != pipeline.account)
    {
        return Err(NotAStatusEvent(format!(
            "the report names pipeline {name}@{account} but its execution belongs to {pipeline}"
        )));
    }
    let status_text =
        text(detail, "status").ok_or_else(|| NotAStatusEvent("the detail has no status".into()))?;
    let status = EventStatus::parse(status_text);
    let redrive_count = match detail.get("redriveCount") {
        None | Some(Value::Null) => 0,
        Some(Value::Number(n)) => n
            .as_u64()
            .and_then(|n| u32::try_from(n).ok())
            .ok_or_else(|| NotAStatusEvent(format!("redriveCount {n} is not a count")))?,
        // State machine reports may carry it as text.
        Some(Value::String(s)) => s
            .parse()
            .map_err(|_| NotAStatusEvent(format!("redriveCount `{s}` is not a count")))?,
        Some(other) => {
            return Err(NotAStatusEvent(format!(
                "redriveCount {other} is not a count"
            )));
        }
    };
    let time = event_time(event, detail, &status, redrive_count)?;
    let error = text(detail, "error").map(str::to_string);
    let duplicate = marks_duplicate(detail.get("output"));
    Ok(StatusChange {
        event: StatusEvent {
            pipeline,
            execution: arn_text.to_string(),
            status,
            redrive_count,
            time,
        },
        reporter,
        region: arn.region,
        partition: arn.partition,
        execution_name: arn.name,
        error,
        duplicate,
    })
}

/// The status change's own time: when the execution started (or was redriven) for
/// `RUNNING` (`startDate`, in the state machine's own report too), when it stopped
/// otherwise; the event's `time` when the detail does not say (the state machine's
/// final report).
fn event_time(
    event: &Value,
    detail: &Value,
    status: &EventStatus,
    redrive_count: u32,
) -> Result<Timestamp, NotAStatusEvent> {
    // Step Functions spells dates as epoch milliseconds; the state machine's RUNNING
    // report has only `$$.Execution.StartTime`, RFC 3339 text.
    let millis = |name: &str| match detail.get(name) {
        Some(Value::String(t)) => Timestamp::parse(t)
            .ok()
            .map(|t| t.as_unix_seconds().saturating_mul(1000)),
        Some(v) => v.as_i64(),
        None => None,
    };
    let from_detail = if status.is_terminal() {
        millis("stopDate")
    } else if redrive_count > 0 {
        millis("redriveDate").or_else(|| millis("startDate"))
    } else {
        millis("startDate")
    };
    if let Some(ms) = from_detail {
        return Timestamp::from_unix_millis(ms)
            .map_err(|e| NotAStatusEvent(format!("the event time {ms} is out of range: {e}")));
    }
    let time =
        text(event, "time").ok_or_else(|| NotAStatusEvent("the event has no time".into()))?;
    Timestamp::parse(time).map_err(|e| NotAStatusEvent(e.to_string()))
}

/// Whether an execution's `output` (Step Functions sends it as JSON text) is a
/// duplicate's `{"dpcDuplicate": true}`.
fn marks_duplicate(output: Option<&Value>) -> bool {
    let parsed;
    let output = match output {
        Some(Value::String(json)) => match serde_json::from_str::<Value>(json) {
            Ok(value) => {
                parsed = value;
                &parsed
            }
            Err(_) => return false,
        },
        Some(value) => value,
        None => return false,
    };
    output.get(env::DUPLICATE_OUTPUT_KEY) == Some(&Value::Bool(true))
}

fn text<'a>(value: &'a Value, key: &str) -> Option<&'a str> {
    value
        .get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ARN: &str = "arn:aws:states:eu-west-1:222222222222:execution:dpc-listings:run-1";

    fn sfn(status: &str, stop: Option<i64>) -> Value {
        json!({
            "version": "0", "id": "e1", "source": "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            "account": "222222222222", "time": "2026-11-26T09:10:05Z", "region": "eu-west-1",
            "resources": [ARN],
            "detail": {
                "executionArn": ARN,
                "stateMachineArn": "arn:aws:states:eu-west-1:222222222222:stateMachine:dpc-listings",
                "name": "run-1", "status": status,
                "startDate": 1_795_669_200_000_i64, "stopDate": stop,
                "input": "{}", "output": null, "redriveCount": 0
            }
        })
    }

    #[test]
    fn both_reporters_give_the_same_key() {
        let own = status_change(&sfn("SUCCEEDED", Some(1_795_684_200_123))).unwrap();
        assert_eq!(own.reporter, Reporter::StepFunctions);
        assert_eq!(
            own.event.pipeline,
            PipelineId::new("222222222222", "listings")
        );
        assert_eq!(own.event.time.to_string(), "2026-11-26T09:10:00Z");
        let report = json!({
            "source": "dpc.pipeline", "detail-type": "Pipeline Status Change",
            "time": "2026-11-26T09:09:59Z",
            "detail": {"version": "1", "pipeline": "listings", "account": "222222222222",
                       "status": "SUCCEEDED", "executionArn": ARN,
                       "stateMachineArn": "arn:aws:states:eu-west-1:222222222222:stateMachine:dpc-listings",
                       "redriveCount": 0}
        });
        let report = status_change(&report).unwrap();
        assert_eq!(report.reporter, Reporter::StateMachine);
        assert_eq!(report.event.key(), own.event.key());
        assert_eq!(report.event.time.to_string(), "2026-11-26T09:09:59Z");
    }

    #[test]
    fn a_duplicates_output_marks_it_and_the_running_report_has_the_start_time() {
        let mut dup = sfn("SUCCEEDED", Some(1_795_669_201_000));
        dup["detail"]["output"] = json!("{\"dpcDuplicate\":true}");
        assert!(status_change(&dup).unwrap().duplicate);
        let mut run = sfn("SUCCEEDED", Some(1_795_669_201_000));
        run["detail"]["output"] = json!("{\"input\":{},\"dpcDuplicate\":false}");
        assert!(!status_change(&run).unwrap().duplicate);
        run["detail"]["output"] = json!("not json");
        assert!(!status_change(&run).unwrap().duplicate);
        let report = json!({
            "source": "dpc.pipeline", "detail-type": "Pipeline Status Change",
            "time": "2026-11-26T05:00:03Z",
            "detail": {"version": "1", "pipeline": "listings", "account": "222222222222",
                       "status": "RUNNING", "executionArn": ARN, "redriveCount": 0,
                       "startDate": "2026-11-26T05:00:00.123Z"}
        });
        let report = status_change(&report).unwrap();
        assert_eq!(report.event.time.to_string(), "2026-11-26T05:00:00Z");
        assert_eq!(
            report.event.key(),
            status_change(&sfn("RUNNING", None)).unwrap().event.key()
        );
    }

    #[test]
    fn running_uses_the_start_and_unknown_statuses_are_kept() {
        let running = status_change(&sfn("RUNNING", None)).unwrap();
        assert_eq!(running.event.time.to_string(), "2026-11-26T05:00:00Z");
        let odd = status_change(&sfn("PENDING_REDRIVE", Some(1_795_684_200_000))).unwrap();
        assert_eq!(odd.event.status.as_str(), "PENDING_REDRIVE");
    }

    #[test]
    fn foreign_and_broken_events_are_refused_with_a_reason() {
        let mut other = sfn("SUCCEEDED", Some(1));
        other["detail"]["executionArn"] =
            json!("arn:aws:states:eu-west-1:222222222222:execution:someone-else:r");
        assert!(
            status_change(&other)
                .unwrap_err()
                .0
                .contains("not a dpc pipeline")
        );
        assert!(status_change(&json!({"source": "aws.ec2"})).is_err());
        let mut lying = sfn("SUCCEEDED", Some(1));
        lying["source"] = json!("dpc.pipeline");
        lying["detail-type"] = json!("Pipeline Status Change");
        lying["detail"]["pipeline"] = json!("searches");
        lying["detail"]["account"] = json!("222222222222");
        assert!(
            status_change(&lying)
                .unwrap_err()
                .0
                .contains("names pipeline")
        );
        assert!(ExecutionArn::parse("arn:aws:states:eu-west-1:12:execution:a:b").is_err());
    }
}
