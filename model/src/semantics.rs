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
    let parents = trigger.condition.parents();
    if !parents.contains(&&event.pipeline) {
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
    let mut check = |item: &ConditionItem| check_item(item, state, trigger.within, now).err();
    pending(&trigger.condition, &mut check)
}

/// The `upstream` of a trigger event: account → pipeline → latest status, for every
/// parent `condition` names that has an event in `state`.
pub fn upstream(condition: &Condition, state: &ChildState) -> Upstream {
    let mut out = Upstream::new();
    for parent in condition.parents() {
        if let Some(event) = state.latest(parent) {
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
    let Some(latest) = state.latest(&item.pipeline) else {
        return Err(UnmetReason::NoEvent);
    };
    if !latest.status.matches(&item.status) {
        return Err(UnmetReason::WrongStatus {
            latest: latest.status.clone(),
            time: latest.time,
        });
    }
    if let Some(last) = state.last_trigger_time
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
    trigger
        .condition
        .eval(&mut |item| check_item(item, state, trigger.within, now).is_ok())
}

fn effective_clock(trigger: &ExecutionsTrigger, state: &ChildState, clock: Timestamp) -> Timestamp {
    trigger
        .condition
        .parents()
        .into_iter()
        .filter_map(|p| state.latest(p).map(|e| e.time))
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
