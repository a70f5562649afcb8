//! Status events: what the trigger manager receives when a pipeline's run changes status.

use crate::{PipelineId, Status, Timestamp};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;

/// The status a status event reports: one dpc knows, or any other text.
///
/// AWS may report statuses dpc does not know (Step Functions' `PENDING_REDRIVE`, or
/// one added later). SPEC: "A status the semantics do not know matches nothing", so
/// such an event can still be a pipeline's latest event, but no condition item holds
/// on it. Serialised as the plain status text.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventStatus {
    /// A status condition items can name.
    Known(Status),
    /// A status dpc does not know, kept verbatim.
    Unknown(String),
}

impl EventStatus {
    /// Reads a status as Step Functions spells it; never fails.
    pub fn parse(text: &str) -> EventStatus {
        match Status::parse(text) {
            Some(status) => EventStatus::Known(status),
            None => EventStatus::Unknown(text.to_string()),
        }
    }

    /// The status text (`SUCCEEDED`, `PENDING_REDRIVE`, ...).
    pub fn as_str(&self) -> &str {
        match self {
            EventStatus::Known(status) => status.as_str(),
            EventStatus::Unknown(text) => text,
        }
    }

    /// The known status, if it is one.
    pub fn known(&self) -> Option<Status> {
        match self {
            EventStatus::Known(status) => Some(*status),
            EventStatus::Unknown(_) => None,
        }
    }

    /// Whether this status satisfies a condition item asking for `wanted`.
    /// An unknown status matches nothing.
    pub fn matches(&self, wanted: &[Status]) -> bool {
        self.known().is_some_and(|status| wanted.contains(&status))
    }

    /// Whether the execution has ended: a known status other than `RUNNING`.
    pub fn is_terminal(&self) -> bool {
        self.known().is_some_and(Status::is_terminal)
    }

    /// The tie-break class at equal event times: terminal over `RUNNING`, and an
    /// unknown status below both, so that it never hides what dpc does know.
    fn tie_class(&self) -> u8 {
        match self {
            EventStatus::Known(Status::Running) => 1,
            EventStatus::Known(_) => 2,
            EventStatus::Unknown(_) => 0,
        }
    }
}

impl From<Status> for EventStatus {
    fn from(status: Status) -> EventStatus {
        EventStatus::Known(status)
    }
}

impl fmt::Display for EventStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for EventStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for EventStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Ok(EventStatus::parse(&text))
    }
}

/// One status change of one execution of a pipeline, as the trigger manager sees it.
///
/// Both reports of a run's end (Step Functions' own event and the state machine's
/// report to the central bus) become the same `StatusEvent`: they share
/// [`StatusEvent::key`], so the second is a duplicate.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StatusEvent {
    /// The pipeline whose execution changed status.
    pub pipeline: PipelineId,
    /// The execution's ARN (or, where no ARN is known, its name).
    pub execution: String,
    /// The status it reports.
    pub status: EventStatus,
    /// How often the execution had been redriven when it reported this status.
    #[serde(default)]
    pub redrive_count: u32,
    /// When the status changed: the event's own time, not its arrival.
    pub time: Timestamp,
}

/// What makes two status events the same event: SPEC's (execution, status, redrive
/// count), plus the pipeline so that bare execution names of different pipelines
/// never collide (an execution ARN already names its pipeline).
///
/// This is the run log's deduplication key.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EventKey {
    /// The pipeline.
    pub pipeline: PipelineId,
    /// The execution ARN or name.
    pub execution: String,
    /// The reported status.
    pub status: EventStatus,
    /// The redrive count: a redriven execution's events are new events.
    pub redrive_count: u32,
}

impl fmt::Display for EventKey {
    /// `account#name#execution#STATUS#redrive`: one string, usable as a table key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}#{}#{}#{}#{}",
            self.pipeline.account,
            self.pipeline.name,
            self.execution,
            self.status,
            self.redrive_count
        )
    }
}

impl StatusEvent {
    /// The event's identity for deduplication.
    pub fn key(&self) -> EventKey {
        EventKey {
            pipeline: self.pipeline.clone(),
            execution: self.execution.clone(),
            status: self.status.clone(),
            redrive_count: self.redrive_count,
        }
    }

    /// Orders two events of one pipeline by SPEC's "latest": by event time; at equal
    /// times a terminal status over `RUNNING`, then the higher redrive count, then
    /// the greater execution id.
    ///
    /// Two events equal in all of these (the same execution and redrive count
    /// reporting two terminal statuses in one second, which Step Functions does not
    /// do) are ordered by status text, so the result never depends on arrival order.
    pub fn precedence(&self, other: &StatusEvent) -> Ordering {
        self.time
            .cmp(&other.time)
            .then_with(|| self.status.tie_class().cmp(&other.status.tie_class()))
            .then_with(|| self.redrive_count.cmp(&other.redrive_count))
            .then_with(|| self.execution.cmp(&other.execution))
            .then_with(|| self.status.as_str().cmp(other.status.as_str()))
    }

    /// Whether this event replaces `current` as its pipeline's latest event.
    ///
    /// It does when there is no current event, or when it is later by
    /// [`StatusEvent::precedence`] and is not the same event (same [`EventKey`]) as
    /// `current`: the second report of a run's end may carry a slightly different
    /// time, and must change nothing.
    pub fn becomes_latest(&self, current: Option<&StatusEvent>) -> bool {
        match current {
            None => true,
            Some(current) => {
                let same_event = self.pipeline == current.pipeline
                    && self.execution == current.execution
                    && self.status == current.status
                    && self.redrive_count == current.redrive_count;
                !same_event && self.precedence(current) == Ordering::Greater
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(exec: &str, status: &str, redrive: u32, time: &str) -> StatusEvent {
        StatusEvent {
            pipeline: PipelineId::new("222222222222", "listings"),
            execution: exec.to_string(),
            status: EventStatus::parse(status),
            redrive_count: redrive,
            time: Timestamp::parse(time).unwrap(),
        }
    }

    #[test]
    fn later_event_time_wins_whatever_the_arrival() {
        let early = ev("b", "SUCCEEDED", 0, "2026-11-26T03:00:00Z");
        let late = ev("a", "RUNNING", 0, "2026-11-26T03:00:01Z");
        assert!(late.becomes_latest(Some(&early)));
        assert!(!early.becomes_latest(Some(&late)));
    }

    #[test]
    fn ties_go_to_terminal_then_redrive_then_execution_id() {
        let t = "2026-11-26T03:00:00Z";
        let running = ev("z", "RUNNING", 9, t);
        let failed = ev("a", "FAILED", 0, t);
        assert!(failed.becomes_latest(Some(&running)));
        assert!(!running.becomes_latest(Some(&failed)));

        let redriven = ev("a", "SUCCEEDED", 1, t);
        let first = ev("b", "SUCCEEDED", 0, t);
        assert!(redriven.becomes_latest(Some(&first)));
        assert!(!first.becomes_latest(Some(&redriven)));

        let greater = ev("exec-b", "FAILED", 0, t);
        let smaller = ev("exec-a", "SUCCEEDED", 0, t);
        assert!(greater.becomes_latest(Some(&smaller)));
        assert!(!smaller.becomes_latest(Some(&greater)));
    }

    #[test]
    fn unknown_status_ranks_below_running_at_a_tie_and_matches_nothing() {
        let t = "2026-11-26T03:00:00Z";
        let odd = ev("z", "PENDING_REDRIVE", 0, t);
        let running = ev("a", "RUNNING", 0, t);
        assert!(running.becomes_latest(Some(&odd)));
        assert!(!odd.status.matches(&Status::ALL));
        assert!(!odd.status.is_terminal());
        assert_eq!(odd.status.as_str(), "PENDING_REDRIVE");
    }

    #[test]
    fn the_same_event_with_another_time_is_not_new() {
        let first = ev("a", "SUCCEEDED", 0, "2026-11-26T03:00:00Z");
        let again_later = ev("a", "SUCCEEDED", 0, "2026-11-26T03:00:02Z");
        assert!(!again_later.becomes_latest(Some(&first)));
        let redriven = ev("a", "SUCCEEDED", 1, "2026-11-26T03:00:02Z");
        assert!(redriven.becomes_latest(Some(&first)));
    }

    #[test]
    fn running_older_than_its_terminal_event_changes_nothing() {
        let done = ev("a", "SUCCEEDED", 0, "2026-11-26T03:40:00Z");
        let late_running = ev("a", "RUNNING", 0, "2026-11-26T03:00:00Z");
        assert!(!late_running.becomes_latest(Some(&done)));
        let same_second = ev("a", "RUNNING", 0, "2026-11-26T03:40:00Z");
        assert!(!same_second.becomes_latest(Some(&done)));
    }

    #[test]
    fn serde_shape_is_flat_camel_case_with_plain_status_text() {
        let e = ev("arn:x", "TIMED_OUT", 2, "2026-11-26T03:00:00Z");
        let json = serde_json::to_value(&e).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "pipeline": {"account": "222222222222", "name": "listings"},
                "execution": "arn:x",
                "status": "TIMED_OUT",
                "redriveCount": 2,
                "time": "2026-11-26T03:00:00Z"
            })
        );
        let back: StatusEvent = serde_json::from_value(json).unwrap();
        assert_eq!(back, e);
        assert_eq!(
            e.key().to_string(),
            "222222222222#listings#arn:x#TIMED_OUT#2"
        );
    }
}
