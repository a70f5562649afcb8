//! SPEC's "Trigger semantics" as one pure function, [`evaluate`].
//!
//! The central trigger manager, `dpc simulate` and the tests all call this code. It
//! does no I/O and has no clock of its own: the caller passes its clock t (the
//! Lambda's processing time; in a simulation the latest event time delivered so far)
//! and the state from [`crate::state`].
//!
//! The rules, in SPEC's words and where they live:
//! - an item `{name, account, status}` holds for C at t when the upstream pipeline's
//!   latest status event has a status in `status`, happened strictly after C's last
//!   trigger time, and is no older than `within` at t ([`check_item`]);
//! - `allOf` / `anyOf` / `operator` / nested groups ([`crate::Condition::eval`]);
//! - "latest" is by event time with SPEC's tie-break ([`StatusEvent::precedence`]);
//! - duplicates are (execution, status, redrive count) ([`crate::EventKey`], checked by
//!   the run log before `evaluate` is called);
//! - when C's condition becomes true, exactly one trigger event, whose `cause` is the
//!   delivered event and whose `upstream` is the latest status of every parent that
//!   has one ([`Firing`]); C's last trigger time becomes t, so the same upstream
//!   events cannot fire C again.

use crate::{
    ChildState, Condition, ConditionItem, ConditionNode, Duration, EventStatus, ExecutionsTrigger,
    Operator, PipelineId, Status, StatusEvent, TimedTriggerEvent, Timestamp, TriggerEvent,
    Upstream,
};
use serde::{Deserialize, Serialize};
use std::fmt;

/// C fires: the trigger event's `cause` and `upstream`, and the clock t it fired at.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Firing {
    /// The delivered status event that made the condition true.
    pub cause: StatusEvent,
    /// The latest status of every upstream pipeline the condition names that has one.
    pub upstream: Upstream,
    /// The clock t at which C fired; C's new last trigger time.
    pub time: Timestamp,
}

impl Firing {
    /// The trigger event that starts `pipeline` (C).
    pub fn trigger_event(&self, pipeline: &PipelineId) -> TriggerEvent {
        TriggerEvent::new(pipeline, &self.cause, self.upstream.clone())
    }

    /// The trigger event with its time, as `dpc simulate --json` prints it.
    pub fn timed_trigger_event(&self, pipeline: &PipelineId) -> TimedTriggerEvent {
        TimedTriggerEvent {
            time: self.time,
            event: self.trigger_event(pipeline),
        }
    }
}

/// What [`evaluate`] decided for one downstream pipeline and one status event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Decision {
    /// C's state after the event: store it (when `changed`) before emitting `firing`.
    pub state: ChildState,
    /// Whether `state` differs from the state passed in.
    pub changed: bool,
    /// Present when C's condition became true: emit exactly one trigger event.
    pub firing: Option<Firing>,
}

/// Applies one status event to downstream pipeline C and decides whether C fires.
///
/// - `trigger`: C's resolved `executions:` trigger;
/// - `state`: C's state before the event;
/// - `event`: the delivered status event, already known not to be a duplicate (the
///   run log checks that; an exact repeat is harmless here anyway);
/// - `clock`: the trigger manager's clock t.
///
/// The event changes C's state only when its pipeline is one of C's parents and it
/// becomes that parent's latest event; only then is the condition evaluated, so the
/// event is the `cause` of any firing. An event that changes nothing never fires.
///
/// t is `clock`, except that it never runs behind an event time C's state holds: a
/// Lambda's clock may lag an event's own time by a little skew, and the last trigger
/// time must not be before the events that fired C, or those same events would fire
/// C again. (`dpc simulate` models t as the latest event time delivered, so there it
/// is always `clock`.)
pub fn evaluate(
    trigger: &ExecutionsTrigger,
    state: &ChildState,
    event: &StatusEvent,
    clock: Timestamp,
) -> Decision {
    let unchanged = || Decision {
        state: state.clone(),
        changed: false,
        firing: None,
    };
    let names_it = trigger
        .condition
        .items()
        .iter()
        .any(|item| item.pipeline == event.pipeline);
    if !names_it {
        return unchanged();
    }
    if !event.becomes_latest(state.latest(&event.pipeline)) {
        return unchanged();
    }
    let mut next = state.clone();
    next.put_latest(event.clone());
    let now = effective_clock(trigger, &next, clock);
    let firing = if holds_at(trigger, &next, now) {
        next.last_trigger_time = Some(now);
        Some(Firing {
            cause: event.clone(),
            upstream: upstream(&trigger.condition, &next),
            time: now,
        })
    } else {
        None
    };
    Decision {
        state: next,
        changed: true,
        firing,
    }
}

/// Whether C's condition holds at `clock` given `state` (with t as in [`evaluate`]).
pub fn holds(trigger: &ExecutionsTrigger, state: &ChildState, clock: Timestamp) -> bool {
    holds_at(trigger, state, effective_clock(trigger, state, clock))
}

/// What C's condition still waits for at `clock`, or `None` when it holds.
///
/// Only the unmet parts of the tree are kept: an `allOf` lists its unmet entries, an
/// `anyOf` all of its entries (any one would do).
pub fn explain(
    trigger: &ExecutionsTrigger,
    state: &ChildState,
    clock: Timestamp,
) -> Option<Waiting> {
    let now = effective_clock(trigger, state, clock);
    let latest = state.latest_by_pipeline();
    let mut check = |item: &ConditionItem| {
        check_latest(
            item,
            latest.get(&item.pipeline).copied(),
            state.last_trigger_time,
            trigger.within,
            now,
        )
        .err()
    };
    pending(&trigger.condition, &mut check)
}

/// The `upstream` of a trigger event: account → pipeline → latest status, for every
/// parent `condition` names that has an event in `state`.
pub fn upstream(condition: &Condition, state: &ChildState) -> Upstream {
    let latest = state.latest_by_pipeline();
    let mut out = Upstream::new();
    for parent in condition.parents() {
        if let Some(event) = latest.get(parent) {
            out.entry(parent.account.clone())
                .or_default()
                .insert(parent.name.clone(), event.status.clone());
        }
    }
    out
}

/// Whether one condition item holds for C at t (`now`), and if not, why.
///
/// # Errors
/// The first reason in this order: no event yet, a status not asked for, not after
/// C's last trigger time, older than `within`.
pub fn check_item(
    item: &ConditionItem,
    state: &ChildState,
    within: Duration,
    now: Timestamp,
) -> Result<(), UnmetReason> {
    check_latest(
        item,
        state.latest(&item.pipeline),
        state.last_trigger_time,
        within,
        now,
    )
}

// `check_item` given the item's latest event (looked up once per decision, not once
// per item).
fn check_latest(
    item: &ConditionItem,
    latest: Option<&StatusEvent>,
    last_trigger_time: Option<Timestamp>,
    within: Duration,
    now: Timestamp,
) -> Result<(), UnmetReason> {
    let Some(latest) = latest else {
        return Err(UnmetReason::NoEvent);
    };
    if !latest.status.matches(&item.status) {
        return Err(UnmetReason::WrongStatus {
            latest: latest.status.clone(),
            time: latest.time,
        });
    }
    if let Some(last) = last_trigger_time
        && latest.time <= last
    {
        return Err(UnmetReason::NotAfterLastTrigger {
            latest: latest.status.clone(),
            time: latest.time,
            last_trigger: last,
        });
    }
    if latest.time.is_older_than(within, now) {
        return Err(UnmetReason::OlderThanWithin {
            latest: latest.status.clone(),
            time: latest.time,
            within,
        });
    }
    Ok(())
}

fn holds_at(trigger: &ExecutionsTrigger, state: &ChildState, now: Timestamp) -> bool {
    let latest = state.latest_by_pipeline();
    trigger.condition.eval(&mut |item| {
        check_latest(
            item,
            latest.get(&item.pipeline).copied(),
            state.last_trigger_time,
            trigger.within,
            now,
        )
        .is_ok()
    })
}

fn effective_clock(trigger: &ExecutionsTrigger, state: &ChildState, clock: Timestamp) -> Timestamp {
    let latest = state.latest_by_pipeline();
    trigger
        .condition
        .parents()
        .into_iter()
        .filter_map(|p| latest.get(p).map(|e| e.time))
        .fold(clock, Timestamp::max)
}

/// Why a condition item does not hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", tag = "reason")]
pub enum UnmetReason {
    /// The upstream pipeline has no status event yet.
    NoEvent,
    /// Its latest event has a status the item does not ask for.
    WrongStatus {
        /// The latest status.
        latest: EventStatus,
        /// The latest event's time.
        time: Timestamp,
    },
    /// Its latest event is not strictly after C's last trigger time: it was used up.
    NotAfterLastTrigger {
        /// The latest status.
        latest: EventStatus,
        /// The latest event's time.
        time: Timestamp,
        /// C's last trigger time.
        last_trigger: Timestamp,
    },
    /// Its latest event is older than `within` at t.
    OlderThanWithin {
        /// The latest status.
        latest: EventStatus,
        /// The latest event's time.
        time: Timestamp,
        /// The condition's `within`.
        within: Duration,
    },
}

/// One condition item that does not hold, and why.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Unmet {
    /// The upstream pipeline.
    pub pipeline: PipelineId,
    /// The statuses the item asks for.
    pub needs: Vec<Status>,
    /// Why it does not hold.
    #[serde(flatten)]
    pub reason: UnmetReason,
}

impl fmt::Display for Unmet {
    /// `listings@222222222222: latest FAILED, needs SUCCEEDED`, and the like.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let needs = self
            .needs
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join(" or ");
        write!(f, "{}: ", self.pipeline)?;
        match &self.reason {
            UnmetReason::NoEvent => write!(f, "no event yet, needs {needs}"),
            UnmetReason::WrongStatus { latest, .. } => {
                write!(f, "latest {latest}, needs {needs}")
            }
            UnmetReason::NotAfterLastTrigger {
                latest,
                time,
                last_trigger,
            } => write!(
                f,
                "latest {latest} at {time} is not after the last trigger at {last_trigger}, needs a new {needs}"
            ),
            UnmetReason::OlderThanWithin {
                latest,
                time,
                within,
            } => write!(
                f,
                "latest {latest} at {time} is older than within ({within}), needs a new {needs}"
            ),
        }
    }
}

/// What a condition still waits for: the unmet part of its tree.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Waiting {
    /// One item that does not hold.
    Item(Unmet),
    /// All of these are still needed.
    AllOf(Vec<Waiting>),
    /// Any one of these would do (empty: nothing can make it hold).
    AnyOf(Vec<Waiting>),
}

impl Waiting {
    /// Every unmet item in the tree, in condition order.
    pub fn unmet(&self) -> Vec<&Unmet> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect<'a>(&'a self, out: &mut Vec<&'a Unmet>) {
        match self {
            Waiting::Item(unmet) => out.push(unmet),
            Waiting::AllOf(parts) | Waiting::AnyOf(parts) => {
                parts.iter().for_each(|p| p.collect(out))
            }
        }
    }

    fn all(parts: Vec<Waiting>) -> Waiting {
        Waiting::join(parts, true)
    }

    fn any(parts: Vec<Waiting>) -> Waiting {
        Waiting::join(parts, false)
    }

    // One part stands for itself; nested blocks of the same kind flatten, as
    // `a and (b and c)` reads the same as `a and b and c`.
    fn join(parts: Vec<Waiting>, all: bool) -> Waiting {
        let mut flat = Vec::new();
        for part in parts {
            match part {
                Waiting::AllOf(inner) if all => flat.extend(inner),
                Waiting::AnyOf(inner) if !all && !inner.is_empty() => flat.extend(inner),
                other => flat.push(other),
            }
        }
        if flat.len() == 1 {
            flat.remove(0)
        } else if all {
            Waiting::AllOf(flat)
        } else {
            Waiting::AnyOf(flat)
        }
    }
}

impl fmt::Display for Waiting {
    /// Items joined by `; ` (all needed) or ` | ` inside `one of (...)` (any would do).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Waiting::Item(unmet) => write!(f, "{unmet}"),
            Waiting::AllOf(parts) => {
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    match part {
                        Waiting::AllOf(_) => write!(f, "({part})")?,
                        _ => write!(f, "{part}")?,
                    }
                }
                Ok(())
            }
            Waiting::AnyOf(parts) if parts.is_empty() => {
                f.write_str("an empty condition, which never holds")
            }
            Waiting::AnyOf(parts) => {
                f.write_str("one of (")?;
                for (i, part) in parts.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" | ")?;
                    }
                    write!(f, "{part}")?;
                }
                f.write_str(")")
            }
        }
    }
}

type Check<'a> = dyn FnMut(&ConditionItem) -> Option<UnmetReason> + 'a;

// Mirrors `Condition::eval`: `None` exactly when the group holds.
fn pending(group: &Condition, check: &mut Check<'_>) -> Option<Waiting> {
    let all = (!group.all_of.is_empty()).then(|| {
        let unmet: Vec<Waiting> = group
            .all_of
            .iter()
            .filter_map(|node| pending_node(node, check))
            .collect();
        (!unmet.is_empty()).then(|| Waiting::all(unmet))
    });
    let any = (!group.any_of.is_empty()).then(|| {
        let mut unmet = Vec::new();
        let mut held = false;
        for node in &group.any_of {
            match pending_node(node, check) {
                Some(w) => unmet.push(w),
                None => held = true,
            }
        }
        (!held).then(|| Waiting::any(unmet))
    });
    match (all, any) {
        (Some(a), Some(b)) => match (group.operator, a, b) {
            (Operator::And, None, None) => None,
            (Operator::And, Some(w), None) | (Operator::And, None, Some(w)) => Some(w),
            (Operator::And, Some(a), Some(b)) => Some(Waiting::all(vec![a, b])),
            (Operator::Or, Some(a), Some(b)) => Some(Waiting::any(vec![a, b])),
            (Operator::Or, _, _) => None,
        },
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => Some(Waiting::AnyOf(Vec::new())),
    }
}

fn pending_node(node: &ConditionNode, check: &mut Check<'_>) -> Option<Waiting> {
    match node {
        ConditionNode::Item(item) => check(item).map(|reason| {
            Waiting::Item(Unmet {
                pipeline: item.pipeline.clone(),
                needs: item.status.clone(),
                reason,
            })
        }),
        ConditionNode::Group(group) => pending(group, check),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CORE: &str = "222222222222";
    const SEARCH: &str = "333333333333";

    fn t(hm: &str) -> Timestamp {
        Timestamp::parse(&format!("2026-11-26T{hm}:00Z")).unwrap()
    }

    fn id(name: &str) -> PipelineId {
        let account = if name == "searches" { SEARCH } else { CORE };
        PipelineId::new(account, name)
    }

    fn item(name: &str, status: &[Status]) -> ConditionNode {
        ConditionNode::Item(ConditionItem {
            pipeline: id(name),
            status: status.to_vec(),
        })
    }

    fn all_of(nodes: Vec<ConditionNode>, within: &str) -> ExecutionsTrigger {
        ExecutionsTrigger {
            condition: Condition {
                operator: Operator::And,
                all_of: nodes,
                any_of: vec![],
            },
            within: Duration::parse(within).unwrap(),
        }
    }

    fn any_of(nodes: Vec<ConditionNode>, within: &str) -> ExecutionsTrigger {
        ExecutionsTrigger {
            condition: Condition {
                operator: Operator::And,
                all_of: vec![],
                any_of: nodes,
            },
            within: Duration::parse(within).unwrap(),
        }
    }

    fn ev(name: &str, exec: &str, status: &str, redrive: u32, at: &str) -> StatusEvent {
        StatusEvent {
            pipeline: id(name),
            execution: exec.to_string(),
            status: EventStatus::parse(status),
            redrive_count: redrive,
            time: t(at),
        }
    }

    /// Delivers events in order with the clock at the latest time so far; returns
    /// the final state and the times at which C fired.
    fn run(trigger: &ExecutionsTrigger, events: &[StatusEvent]) -> (ChildState, Vec<Firing>) {
        let mut state = ChildState::default();
        let mut clock = events[0].time;
        let mut fired = Vec::new();
        for e in events {
            clock = clock.max(e.time);
            let d = evaluate(trigger, &state, e, clock);
            state = d.state;
            fired.extend(d.firing);
        }
        (state, fired)
    }

    const OK: &[Status] = &[Status::Succeeded];

    #[test]
    fn an_item_holds_only_for_the_statuses_it_names() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        let (_, fired) = run(&trig, &[ev("listings", "r1", "FAILED", 0, "03:40")]);
        assert!(fired.is_empty());
        let (_, fired) = run(&trig, &[ev("listings", "r1", "SUCCEEDED", 0, "03:40")]);
        assert_eq!(fired.len(), 1);
    }

    #[test]
    fn an_unknown_status_matches_nothing_but_is_still_the_latest() {
        let any_status = all_of(vec![item("listings", &Status::ALL)], "24h");
        let (state, fired) = run(
            &any_status,
            &[ev("listings", "r1", "PENDING_REDRIVE", 0, "03:40")],
        );
        assert!(fired.is_empty());
        assert_eq!(
            state.latest(&id("listings")).map(|e| e.status.as_str()),
            Some("PENDING_REDRIVE")
        );
        // A FAILED fallback no longer holds once a later unknown status is the latest.
        let fallback = all_of(vec![item("listings", &[Status::Failed])], "24h");
        let failed = ChildState {
            parents: vec![ev("listings", "r1", "FAILED", 0, "03:40")],
            last_trigger_time: None,
        };
        assert!(holds(&fallback, &failed, t("03:40")));
        let d = evaluate(
            &fallback,
            &failed,
            &ev("listings", "r1", "PENDING_REDRIVE", 0, "03:41"),
            t("03:41"),
        );
        assert!(d.firing.is_none());
        assert!(!holds(&fallback, &d.state, t("03:41")));
    }

    #[test]
    fn latest_is_by_event_time_not_by_arrival() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        // The 06:00 failure arrives first; the 05:00 success arrives late and is older.
        let (state, fired) = run(
            &trig,
            &[
                ev("listings", "r2", "FAILED", 0, "06:00"),
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
            ],
        );
        assert!(fired.is_empty());
        assert_eq!(state.latest(&id("listings")).unwrap().execution, "r2");
    }

    #[test]
    fn at_equal_times_terminal_beats_running_whatever_the_order() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        for order in [[0, 1], [1, 0]] {
            let events = [
                ev("listings", "r1", "RUNNING", 0, "05:00"),
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
            ];
            let ordered: Vec<StatusEvent> = order.iter().map(|&i| events[i].clone()).collect();
            let (state, fired) = run(&trig, &ordered);
            assert_eq!(fired.len(), 1, "order {order:?}");
            assert_eq!(
                state.latest(&id("listings")).unwrap().status.as_str(),
                "SUCCEEDED"
            );
        }
    }

    #[test]
    fn at_equal_times_higher_redrive_then_greater_execution_wins() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        let (_, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 1, "05:00"),
                ev("listings", "r9", "FAILED", 0, "05:00"),
            ],
        );
        assert_eq!(
            fired.len(),
            1,
            "redrive 1 beats redrive 0 at the same second"
        );
        let (state, _) = run(
            &trig,
            &[
                ev("listings", "r9", "FAILED", 0, "05:00"),
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
            ],
        );
        assert_eq!(state.latest(&id("listings")).unwrap().execution, "r9");
    }

    #[test]
    fn a_running_event_older_than_its_terminal_event_changes_nothing() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        let (state, fired) = run(&trig, &[ev("listings", "r1", "SUCCEEDED", 0, "05:00")]);
        assert_eq!(fired.len(), 1);
        let d = evaluate(
            &trig,
            &state,
            &ev("listings", "r1", "RUNNING", 0, "04:00"),
            t("05:00"),
        );
        assert!(!d.changed);
        assert_eq!(d.state, state);
        assert!(d.firing.is_none());
    }

    #[test]
    fn only_events_strictly_after_the_last_trigger_count() {
        let trig = any_of(vec![item("listings", OK), item("searches", OK)], "24h");
        let (state, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
                // Same second as the trigger: not strictly after it.
                ev("searches", "s1", "SUCCEEDED", 0, "05:00"),
            ],
        );
        assert_eq!(fired.len(), 1);
        assert_eq!(state.last_trigger_time, Some(t("05:00")));
        let w = explain(&trig, &state, t("05:00")).unwrap();
        assert_eq!(
            w.to_string(),
            "one of (listings@222222222222: latest SUCCEEDED at 2026-11-26T05:00:00Z is not after the last trigger at 2026-11-26T05:00:00Z, needs a new SUCCEEDED | searches@333333333333: latest SUCCEEDED at 2026-11-26T05:00:00Z is not after the last trigger at 2026-11-26T05:00:00Z, needs a new SUCCEEDED)"
        );
    }

    #[test]
    fn the_same_upstream_events_cannot_fire_twice() {
        // anyOf: after firing on listings, a RUNNING of searches must not re-fire on
        // the old listings success.
        let trig = any_of(vec![item("listings", OK), item("searches", OK)], "24h");
        let (_, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
                ev("searches", "s1", "RUNNING", 0, "06:00"),
                ev("searches", "s1", "FAILED", 0, "07:00"),
            ],
        );
        assert_eq!(fired.len(), 1);
    }

    #[test]
    fn events_older_than_within_do_not_count_and_the_boundary_does() {
        let trig = all_of(vec![item("listings", OK), item("searches", OK)], "2h");
        let (state, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 0, "03:00"),
                ev("searches", "s1", "SUCCEEDED", 0, "05:01"),
            ],
        );
        assert!(fired.is_empty());
        assert_eq!(
            explain(&trig, &state, t("05:01")).unwrap().to_string(),
            "listings@222222222222: latest SUCCEEDED at 2026-11-26T03:00:00Z is older than within (2h), needs a new SUCCEEDED"
        );
        let (_, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 0, "03:00"),
                ev("searches", "s1", "SUCCEEDED", 0, "05:00"),
            ],
        );
        assert_eq!(fired.len(), 1, "exactly `within` old still counts");
    }

    #[test]
    fn a_redriven_execution_is_new() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        let (_, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
                ev("listings", "r1", "SUCCEEDED", 1, "06:00"),
            ],
        );
        assert_eq!(fired.len(), 2);
        // The same report with another time is the same event.
        let (_, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
                ev("listings", "r1", "SUCCEEDED", 0, "05:01"),
            ],
        );
        assert_eq!(fired.len(), 1);
    }

    #[test]
    fn a_failed_parent_can_run_a_fallback() {
        let trig = all_of(
            vec![item("listings", &[Status::Failed, Status::TimedOut])],
            "24h",
        );
        let (_, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "RUNNING", 0, "03:00"),
                ev("listings", "r1", "TIMED_OUT", 0, "04:00"),
            ],
        );
        assert_eq!(fired.len(), 1);
        assert_eq!(fired[0].cause.status.as_str(), "TIMED_OUT");
    }

    #[test]
    fn cause_is_the_delivered_event_and_upstream_every_parent_with_an_event() {
        let trig = ExecutionsTrigger {
            condition: Condition {
                operator: Operator::Or,
                all_of: vec![item("listings", OK), item("searches", OK)],
                any_of: vec![item("ads", OK)],
            },
            within: Duration::parse("24h").unwrap(),
        };
        let (state, fired) = run(
            &trig,
            &[
                ev("listings", "r1", "FAILED", 0, "03:00"),
                ev("unrelated", "u1", "SUCCEEDED", 0, "03:30"),
                ev("ads", "a1", "SUCCEEDED", 0, "04:00"),
            ],
        );
        assert_eq!(fired.len(), 1);
        let firing = &fired[0];
        assert_eq!(firing.cause.pipeline, id("ads"));
        assert_eq!(firing.time, t("04:00"));
        let json = serde_json::to_value(&firing.upstream).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"222222222222": {"ads": "SUCCEEDED", "listings": "FAILED"}})
        );
        assert!(
            state.latest(&id("unrelated")).is_none(),
            "non-parents are not kept"
        );
    }

    #[test]
    fn a_clock_behind_the_event_time_never_makes_the_trigger_time_earlier() {
        let trig = any_of(vec![item("listings", OK), item("searches", OK)], "24h");
        let state = ChildState::default();
        let d = evaluate(
            &trig,
            &state,
            &ev("listings", "r1", "SUCCEEDED", 0, "05:00"),
            t("04:59"),
        );
        assert_eq!(d.firing.as_ref().unwrap().time, t("05:00"));
        let d2 = evaluate(
            &trig,
            &d.state,
            &ev("searches", "s1", "RUNNING", 0, "04:00"),
            t("05:00"),
        );
        assert!(d2.firing.is_none());
    }

    #[test]
    fn explain_names_what_each_unmet_item_lacks() {
        let trig = all_of(
            vec![
                item("listings", OK),
                item("searches", OK),
                ConditionNode::Group(Condition {
                    operator: Operator::And,
                    all_of: vec![],
                    any_of: vec![
                        item("ads", OK),
                        item("clicks", &[Status::Succeeded, Status::Failed]),
                    ],
                }),
            ],
            "24h",
        );
        let (state, fired) = run(&trig, &[ev("listings", "r1", "FAILED", 0, "03:40")]);
        assert!(fired.is_empty());
        let w = explain(&trig, &state, t("03:40")).unwrap();
        assert_eq!(
            w.to_string(),
            "listings@222222222222: latest FAILED, needs SUCCEEDED; \
             searches@333333333333: no event yet, needs SUCCEEDED; \
             one of (ads@222222222222: no event yet, needs SUCCEEDED | \
             clicks@222222222222: no event yet, needs SUCCEEDED or FAILED)"
        );
        let names: Vec<&str> = w.unmet().iter().map(|u| u.pipeline.name.as_str()).collect();
        assert_eq!(names, ["listings", "searches", "ads", "clicks"]);
        let json = serde_json::to_value(&w).unwrap();
        assert_eq!(
            json["allOf"][0],
            serde_json::json!({"item": {
                "pipeline": {"account": CORE, "name": "listings"},
                "needs": ["SUCCEEDED"],
                "reason": "wrongStatus", "latest": "FAILED", "time": "2026-11-26T03:40:00Z"
            }})
        );
        let back: Waiting = serde_json::from_value(json).unwrap();
        assert_eq!(back, w);
    }

    #[test]
    fn explain_is_none_exactly_when_the_condition_holds() {
        let trig = all_of(vec![item("listings", OK)], "24h");
        let state = ChildState {
            parents: vec![ev("listings", "r1", "SUCCEEDED", 0, "03:00")],
            last_trigger_time: None,
        };
        assert!(holds(&trig, &state, t("04:00")));
        assert_eq!(explain(&trig, &state, t("04:00")), None);
    }
}
