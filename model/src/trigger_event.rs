//! SPEC's "The trigger event": what the central bus sends to a pipeline's account.

use crate::{EventStatus, PipelineId, StatusEvent, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The trigger event's `source`, which the rule for a pipeline matches.
pub const TRIGGER_SOURCE: &str = "dpc.orchestrator";
/// The trigger event's `detail-type`, which the rule for a pipeline matches.
pub const TRIGGER_DETAIL_TYPE: &str = "Pipeline Trigger";
/// The version of the trigger event's `detail` shape.
pub const TRIGGER_EVENT_VERSION: &str = "1";

/// The latest status of each upstream pipeline a condition names: account id →
/// pipeline name → status. Ordered maps, so the JSON is the same every time.
pub type Upstream = BTreeMap<String, BTreeMap<String, EventStatus>>;

/// The trigger event, exactly as SPEC shows it; it becomes the execution's input.
///
/// ```json
/// { "source": "dpc.orchestrator", "detail-type": "Pipeline Trigger",
///   "detail": { "version": "1", "pipeline": "pipeline-x", "account": "444444444444",
///               "cause": { "pipeline": "searches", "account": "333333333333",
///                          "status": "SUCCEEDED", "executionArn": "arn:aws:states:..." },
///               "upstream": { "222222222222": { "listings": "SUCCEEDED" } } } }
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerEvent {
    /// Always [`TRIGGER_SOURCE`].
    pub source: String,
    /// Always [`TRIGGER_DETAIL_TYPE`].
    #[serde(rename = "detail-type")]
    pub detail_type: String,
    /// Which pipeline to start, and why.
    pub detail: TriggerDetail,
}

/// The `detail` of a trigger event (what `PutEvents` sends as `Detail`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TriggerDetail {
    /// Always [`TRIGGER_EVENT_VERSION`].
    pub version: String,
    /// The name of the pipeline to start.
    pub pipeline: String,
    /// The account id of the pipeline to start.
    pub account: String,
    /// The delivered status event that made the condition true.
    pub cause: TriggerCause,
    /// The latest status of every upstream pipeline the condition names that has one.
    pub upstream: Upstream,
}

/// The `cause` of a trigger event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TriggerCause {
    /// The upstream pipeline's name.
    pub pipeline: String,
    /// The upstream pipeline's account id.
    pub account: String,
    /// The status it reported.
    pub status: EventStatus,
    /// The upstream execution's ARN.
    pub execution_arn: String,
}

impl TriggerEvent {
    /// The trigger event that starts `pipeline` because of `cause`.
    pub fn new(pipeline: &PipelineId, cause: &StatusEvent, upstream: Upstream) -> TriggerEvent {
        TriggerEvent {
            source: TRIGGER_SOURCE.to_string(),
            detail_type: TRIGGER_DETAIL_TYPE.to_string(),
            detail: TriggerDetail {
                version: TRIGGER_EVENT_VERSION.to_string(),
                pipeline: pipeline.name.clone(),
                account: pipeline.account.clone(),
                cause: TriggerCause {
                    pipeline: cause.pipeline.name.clone(),
                    account: cause.pipeline.account.clone(),
                    status: cause.status.clone(),
                    execution_arn: cause.execution.clone(),
                },
                upstream,
            },
        }
    }

    /// The pipeline this event starts.
    pub fn pipeline(&self) -> PipelineId {
        PipelineId::new(&self.detail.account, &self.detail.pipeline)
    }
}

/// A trigger event with the clock t at which it fired: one line of
/// `dpc simulate --json`. `time` comes first, then the trigger event's own fields.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimedTriggerEvent {
    /// The clock t at which the trigger manager emitted the event (RFC 3339 UTC).
    pub time: Timestamp,
    /// The trigger event.
    #[serde(flatten)]
    pub event: TriggerEvent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Status;

    #[test]
    fn serialises_exactly_as_spec_shows() {
        let cause = StatusEvent {
            pipeline: PipelineId::new("333333333333", "searches"),
            execution: "arn:aws:states:eu-west-1:333333333333:execution:dpc-searches:r1"
                .to_string(),
            status: Status::Succeeded.into(),
            redrive_count: 0,
            time: Timestamp::parse("2026-11-26T05:50:00Z").unwrap(),
        };
        let mut upstream = Upstream::new();
        upstream
            .entry("333333333333".into())
            .or_default()
            .insert("searches".into(), Status::Succeeded.into());
        upstream
            .entry("222222222222".into())
            .or_default()
            .insert("listings".into(), Status::Succeeded.into());
        let event = TriggerEvent::new(
            &PipelineId::new("444444444444", "pipeline-x"),
            &cause,
            upstream,
        );
        let line = TimedTriggerEvent {
            time: Timestamp::parse("2026-11-26T09:10:00Z").unwrap(),
            event,
        };
        let text = serde_json::to_string(&line).unwrap();
        assert_eq!(
            text,
            r#"{"time":"2026-11-26T09:10:00Z","source":"dpc.orchestrator","detail-type":"Pipeline Trigger","detail":{"version":"1","pipeline":"pipeline-x","account":"444444444444","cause":{"pipeline":"searches","account":"333333333333","status":"SUCCEEDED","executionArn":"arn:aws:states:eu-west-1:333333333333:execution:dpc-searches:r1"},"upstream":{"222222222222":{"listings":"SUCCEEDED"},"333333333333":{"searches":"SUCCEEDED"}}}}"#
        );
        let back: TimedTriggerEvent = serde_json::from_str(&text).unwrap();
        assert_eq!(back, line);
        assert_eq!(
            back.event.pipeline(),
            PipelineId::new("444444444444", "pipeline-x")
        );
    }
}
