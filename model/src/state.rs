//! The state the trigger semantics need, in shapes a DynamoDB table can hold.
//!
//! The trigger manager keeps two kinds of record; both are plain serde types here
//! and the runtime stores them as they are (one JSON document or one DynamoDB map
//! per item).
//!
//! **Run log** (central account; shared by every downstream pipeline):
//! - one item per status event, keyed by [`EventKey`]'s text
//!   (`account#name#execution#STATUS#redrive`), holding the [`StatusEvent`]. Writing
//!   it with `attribute_not_exists` on the key is the duplicate check: a failed write
//!   means "seen before, ignore". Write it *after* the downstream states below are
//!   updated (or mark it done then), so a Lambda that dies half-way is retried
//!   rather than losing the event: applying the same event to a [`ChildState`] twice
//!   changes nothing.
//! - one item per pipeline, keyed by its [`crate::PipelineId`], holding its latest
//!   [`StatusEvent`] (replaced when [`StatusEvent::becomes_latest`]). Only needed
//!   to seed the state of a pipeline registered later ([`ChildState::seed`]) and to
//!   show status; the decision itself reads the child's own copy.
//!
//! **Trigger state** (one item per downstream pipeline C, keyed by C's id): a
//! [`ChildState`], i.e. the latest event of each of C's parents and C's last
//! trigger time. Everything [`crate::evaluate`] reads is in this one item, so the
//! runtime can make "fire exactly once" atomic: read the item, call `evaluate`,
//! write the new state with a condition that the item has not changed since it was
//! read (e.g. a version attribute), and only then put the trigger event; on a
//! condition failure, read again and re-evaluate.
//!
//! [`RunLog`] is the in-memory form of the run log that `dpc simulate` uses.

use crate::{EventKey, ExecutionsTrigger, PipelineId, StatusEvent, Timestamp};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// What the trigger manager keeps per downstream pipeline C: the latest status
/// event of each upstream pipeline C's condition names, and C's last trigger time.
///
/// As a DynamoDB item (besides C's key):
///
/// ```json
/// { "parents": [ { "pipeline": {"account": "222222222222", "name": "listings"},
///                  "execution": "arn:aws:states:...", "status": "SUCCEEDED",
///                  "redriveCount": 0, "time": "2026-11-26T09:10:00Z" } ],
///   "lastTriggerTime": "2026-11-26T09:10:00Z" }
/// ```
///
/// `parents` holds at most one event per pipeline, ordered by pipeline; readers
/// tolerate more (the latest by SPEC's order wins) so that a hand-edited item cannot
/// break the decision.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ChildState {
    /// The latest status event of each upstream pipeline that has one.
    #[serde(default)]
    pub parents: Vec<StatusEvent>,
    /// The clock t at which dpc last triggered C (manual starts do not count);
    /// absent when dpc never has.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_trigger_time: Option<Timestamp>,
}

impl ChildState {
    /// The latest event of `pipeline` this state knows.
    pub fn latest(&self, pipeline: &PipelineId) -> Option<&StatusEvent> {
        self.parents
            .iter()
            .filter(|e| &e.pipeline == pipeline)
            .max_by(|a, b| a.precedence(b))
    }

    /// Every pipeline's latest event, as [`ChildState::latest`] would answer for each,
    /// built once: a decision asks for every item of a condition that may have
    /// hundreds, and one scan of `parents` per item would make it quadratic.
    pub fn latest_by_pipeline(&self) -> BTreeMap<&PipelineId, &StatusEvent> {
        let mut out: BTreeMap<&PipelineId, &StatusEvent> = BTreeMap::new();
        for event in &self.parents {
            // `max_by` keeps the last of equal maxima; so does replacing unless the
            // kept one is strictly greater.
            match out.get(&event.pipeline) {
                Some(kept) if kept.precedence(event) == std::cmp::Ordering::Greater => {}
                _ => {
                    out.insert(&event.pipeline, event);
                }
            }
        }
        out
    }

    /// The state of a pipeline that starts listening now: its parents' latest events
    /// from the run log (`latest`), and no trigger yet.
    pub fn seed(
        trigger: &ExecutionsTrigger,
        mut latest: impl FnMut(&PipelineId) -> Option<StatusEvent>,
    ) -> ChildState {
        let mut state = ChildState::default();
        for parent in trigger.condition.parents() {
            if let Some(event) = latest(parent) {
                state.put_latest(event);
            }
        }
        state
    }

    /// Makes `event` its pipeline's latest event, keeping `parents` sorted and unique.
    pub(crate) fn put_latest(&mut self, event: StatusEvent) {
        self.parents.retain(|e| e.pipeline != event.pipeline);
        let at = self
            .parents
            .partition_point(|e| e.pipeline < event.pipeline);
        self.parents.insert(at, event);
    }
}

/// How the run log took a status event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Recorded {
    /// It is now its pipeline's latest event.
    Latest,
    /// New, but an event later by SPEC's order is already known: it changes nothing.
    NotLatest,
    /// Seen before (same execution, status and redrive count): ignored.
    Duplicate,
}

/// The run log in memory: the keys of every status event seen, and each pipeline's
/// latest event. `dpc simulate` keeps one; the central Lambda keeps the same facts
/// in DynamoDB (see the module documentation).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RunLog {
    seen: BTreeSet<EventKey>,
    latest: BTreeMap<PipelineId, StatusEvent>,
}

impl RunLog {
    /// An empty run log.
    pub fn new() -> RunLog {
        RunLog::default()
    }

    /// Logs `event`: a duplicate is ignored; a new event replaces its pipeline's
    /// latest event when it is later by SPEC's order.
    pub fn record(&mut self, event: &StatusEvent) -> Recorded {
        if !self.seen.insert(event.key()) {
            return Recorded::Duplicate;
        }
        if event.becomes_latest(self.latest.get(&event.pipeline)) {
            self.latest.insert(event.pipeline.clone(), event.clone());
            Recorded::Latest
        } else {
            Recorded::NotLatest
        }
    }

    /// Whether an event with this key was seen.
    pub fn has_seen(&self, key: &EventKey) -> bool {
        self.seen.contains(key)
    }

    /// The latest event of `pipeline`, if any was logged.
    pub fn latest(&self, pipeline: &PipelineId) -> Option<&StatusEvent> {
        self.latest.get(pipeline)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{EventStatus, Status};

    fn ev(name: &str, exec: &str, status: Status, time: &str) -> StatusEvent {
        StatusEvent {
            pipeline: PipelineId::new("222222222222", name),
            execution: exec.to_string(),
            status: EventStatus::Known(status),
            redrive_count: 0,
            time: Timestamp::parse(time).unwrap(),
        }
    }

    #[test]
    fn run_log_ignores_duplicates_and_keeps_the_latest() {
        let mut log = RunLog::new();
        let failed = ev("listings", "r1", Status::Failed, "2026-11-26T03:40:00Z");
        let running = ev("listings", "r1", Status::Running, "2026-11-26T03:00:00Z");
        assert_eq!(log.record(&failed), Recorded::Latest);
        assert_eq!(log.record(&failed), Recorded::Duplicate);
        assert_eq!(log.record(&running), Recorded::NotLatest);
        assert_eq!(log.record(&running), Recorded::Duplicate);
        assert_eq!(log.latest(&failed.pipeline), Some(&failed));
        assert!(log.has_seen(&running.key()));
    }

    #[test]
    fn child_state_keeps_one_sorted_entry_per_parent_and_round_trips() {
        let mut state = ChildState::default();
        state.put_latest(ev(
            "searches",
            "s1",
            Status::Succeeded,
            "2026-11-26T05:50:00Z",
        ));
        state.put_latest(ev("listings", "r1", Status::Failed, "2026-11-26T03:40:00Z"));
        state.put_latest(ev(
            "listings",
            "r2",
            Status::Succeeded,
            "2026-11-26T09:10:00Z",
        ));
        let names: Vec<&str> = state
            .parents
            .iter()
            .map(|e| e.pipeline.name.as_str())
            .collect();
        assert_eq!(names, ["listings", "searches"]);
        let json = serde_json::to_string(&state).unwrap();
        assert!(!json.contains("lastTriggerTime"));
        let back: ChildState = serde_json::from_str(&json).unwrap();
        assert_eq!(back, state);
        assert_eq!(
            serde_json::from_str::<ChildState>("{}").unwrap(),
            ChildState::default()
        );
    }

    #[test]
    fn latest_tolerates_several_entries_for_one_parent() {
        let state = ChildState {
            parents: vec![
                ev("listings", "r2", Status::Succeeded, "2026-11-26T09:10:00Z"),
                ev("listings", "r1", Status::Failed, "2026-11-26T03:40:00Z"),
            ],
            last_trigger_time: None,
        };
        let latest = state.latest(&PipelineId::new("222222222222", "listings"));
        assert_eq!(latest.map(|e| e.execution.as_str()), Some("r2"));
    }

    proptest::proptest! {
        #[test]
        fn the_index_answers_as_latest_does_for_any_parents_list(
            entries in proptest::collection::vec((0usize..3, 0usize..3, 0usize..3, 0u32..3, 0usize..3), 0..12),
        ) {
            let names = ["listings", "searches", "clicks"];
            let statuses = [Status::Succeeded, Status::Failed, Status::Running];
            let times = ["2026-11-26T03:40:00Z", "2026-11-26T03:40:00Z", "2026-11-26T09:10:00Z"];
            let parents: Vec<StatusEvent> = entries
                .iter()
                .map(|&(n, e, s, r, t)| StatusEvent {
                    redrive_count: r,
                    ..ev(names[n], &format!("r{e}"), statuses[s], times[t])
                })
                .collect();
            let state = ChildState { parents, last_trigger_time: None };
            let index = state.latest_by_pipeline();
            for name in names {
                let id = PipelineId::new("222222222222", name);
                let by_scan = state.latest(&id);
                let by_index = index.get(&id).copied();
                let same = match (by_scan, by_index) {
                    (Some(a), Some(b)) => std::ptr::eq(a, b),
                    (None, None) => true,
                    _ => false,
                };
                proptest::prop_assert!(same, "{}", name);
            }
        }
    }
}
