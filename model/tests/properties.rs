//! Properties of the trigger semantics, checked on random organisations and scenarios.
//!
//! The reference model below is written from SPEC's "Trigger semantics" sentence by
//! sentence, by brute force over every event delivered so far, and shares no code
//! with `evaluate` beyond the data types.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use dpc_model::{
    ChildState, Condition, ConditionItem, ConditionNode, Duration, EventStatus, ExecutionsTrigger,
    Operator, PipelineId, Recorded, ScenarioEvent, Status, StatusEvent, TimedTriggerEvent,
    Timestamp, TriggerEvent, Upstream, evaluate, explain, holds, simulate,
};
use proptest::prelude::*;
use proptest::sample::{select, subsequence};
use std::cmp::Ordering;

const POOL: [(&str, &str); 6] = [
    ("111111111111", "a"),
    ("111111111111", "b"),
    ("222222222222", "c"),
    ("222222222222", "x"),
    ("333333333333", "y"),
    ("333333333333", "z"),
];
/// x, y and z listen; they may listen to each other (they never run here).
const CHILDREN: [usize; 3] = [3, 4, 5];
const STATUS_TEXTS: [&str; 6] = [
    "RUNNING",
    "SUCCEEDED",
    "FAILED",
    "TIMED_OUT",
    "ABORTED",
    "PENDING_REDRIVE",
];

fn pid(i: usize) -> PipelineId {
    PipelineId::new(POOL[i].0, POOL[i].1)
}

fn base() -> Timestamp {
    Timestamp::parse("2026-11-26T00:00:00Z").unwrap()
}

type Org = Vec<(PipelineId, Option<ExecutionsTrigger>)>;

// ---------------------------------------------------------------- generators

fn statuses() -> impl Strategy<Value = Vec<Status>> {
    subsequence(Status::ALL.to_vec(), 1..=3)
}

fn leaf(allowed: Vec<PipelineId>) -> impl Strategy<Value = ConditionNode> {
    (select(allowed), statuses())
        .prop_map(|(pipeline, status)| ConditionNode::Item(ConditionItem { pipeline, status }))
}

fn group(node: BoxedStrategy<ConditionNode>) -> impl Strategy<Value = Condition> {
    (
        any::<bool>(),
        prop::collection::vec(node.clone(), 0..3),
        prop::collection::vec(node, 0..3),
    )
        .prop_filter("a group has allOf or anyOf", |(_, all, any)| {
            !all.is_empty() || !any.is_empty()
        })
        .prop_map(|(or, all_of, any_of)| Condition {
            operator: if or { Operator::Or } else { Operator::And },
            all_of,
            any_of,
        })
}

fn within() -> impl Strategy<Value = Duration> {
    select(vec![1_800u64, 7_200, 21_600, 86_400]).prop_map(Duration::from_secs)
}

fn trigger(child: usize) -> impl Strategy<Value = ExecutionsTrigger> {
    let allowed: Vec<PipelineId> = (0..POOL.len()).filter(|&i| i != child).map(pid).collect();
    let node = leaf(allowed)
        .prop_recursive(2, 10, 3, |inner| {
            group(inner).prop_map(ConditionNode::Group)
        })
        .boxed();
    (group(node), within()).prop_map(|(condition, within)| ExecutionsTrigger { condition, within })
}

fn all_of_trigger(child: usize) -> impl Strategy<Value = ExecutionsTrigger> {
    let allowed: Vec<PipelineId> = (0..POOL.len()).filter(|&i| i != child).map(pid).collect();
    (prop::collection::vec(leaf(allowed), 1..4), within()).prop_map(|(all_of, within)| {
        ExecutionsTrigger {
            condition: Condition {
                operator: Operator::And,
                all_of,
                any_of: vec![],
            },
            within,
        }
    })
}

fn org_from(triggers: Vec<ExecutionsTrigger>) -> Org {
    let mut org: Org = (0..3).map(|i| (pid(i), None)).collect();
    org.extend(
        CHILDREN
            .iter()
            .zip(triggers)
            .map(|(&i, t)| (pid(i), Some(t))),
    );
    org
}

fn org() -> impl Strategy<Value = Org> {
    (trigger(3), trigger(4), trigger(5)).prop_map(|(x, y, z)| org_from(vec![x, y, z]))
}

fn all_of_org() -> impl Strategy<Value = Org> {
    (all_of_trigger(3), all_of_trigger(4), all_of_trigger(5))
        .prop_map(|(x, y, z)| org_from(vec![x, y, z]))
}

/// Events on a 15-minute grid over 12 hours, some a second off, so that equal
/// times, `within` and the last trigger time all matter.
fn event() -> impl Strategy<Value = ScenarioEvent> {
    (
        0i64..48,
        0i64..2,
        0..POOL.len(),
        0..3usize,
        0..STATUS_TEXTS.len(),
        0u32..2,
    )
        .prop_map(|(slot, jitter, p, exec, status, redrive)| {
            let time = Timestamp::from_unix_seconds(base().as_unix_seconds() + slot * 900 + jitter)
                .unwrap();
            ScenarioEvent {
                execution: Some(format!("{}-e{exec}", POOL[p].1)),
                redrive_count: redrive,
                ..ScenarioEvent::new(time, pid(p), EventStatus::parse(STATUS_TEXTS[status]))
            }
        })
}

fn events() -> impl Strategy<Value = Vec<ScenarioEvent>> {
    prop::collection::vec(event(), 0..24)
}

fn in_time_order(mut events: Vec<ScenarioEvent>) -> Vec<ScenarioEvent> {
    events.sort_by_key(|e| e.time);
    events
}

// ----------------------------------------------------------- reference model

fn status_event(e: &ScenarioEvent) -> StatusEvent {
    StatusEvent {
        pipeline: e.pipeline.clone(),
        execution: e.execution.clone().unwrap_or_default(),
        status: e.status.clone(),
        redrive_count: e.redrive_count,
        time: e.time,
    }
}

/// "'Latest' is by the event's own time, not by arrival; ties go to a terminal
/// status over RUNNING, then to the higher redrive count, then to the greater
/// execution id." (dpc's documented additions: an unknown status ranks below
/// RUNNING, and the status text breaks the last possible tie.)
fn spec_order(a: &StatusEvent, b: &StatusEvent) -> Ordering {
    let class = |e: &StatusEvent| match e.status.known() {
        None => 0,
        Some(Status::Running) => 1,
        Some(_) => 2,
    };
    a.time
        .cmp(&b.time)
        .then(class(a).cmp(&class(b)))
        .then(a.redrive_count.cmp(&b.redrive_count))
        .then(a.execution.cmp(&b.execution))
        .then(a.status.as_str().cmp(b.status.as_str()))
}

fn latest<'a>(seen: &'a [StatusEvent], p: &PipelineId) -> Option<&'a StatusEvent> {
    seen.iter()
        .filter(|e| &e.pipeline == p)
        .max_by(|a, b| spec_order(a, b))
}

/// "A condition item holds for C at t when the upstream pipeline's latest status
/// event has a status in `status`, happened strictly after C's last trigger time,
/// and is no older than `within` at t."
fn item_holds(
    item: &ConditionItem,
    seen: &[StatusEvent],
    last: Option<Timestamp>,
    t: Timestamp,
    within: Duration,
) -> bool {
    let Some(e) = latest(seen, &item.pipeline) else {
        return false;
    };
    let status_ok = e.status.known().is_some_and(|s| item.status.contains(&s));
    let after_last = last.is_none_or(|l| e.time > l);
    let age = t.as_unix_seconds() - e.time.as_unix_seconds();
    status_ok && after_last && age <= within.as_secs() as i64
}

/// "`allOf` holds when all its items hold, `anyOf` when at least one does;
/// `operator` joins the two blocks. A group item nests."
fn group_holds(c: &Condition, f: &dyn Fn(&ConditionItem) -> bool) -> bool {
    let node = |n: &ConditionNode| match n {
        ConditionNode::Item(i) => f(i),
        ConditionNode::Group(g) => group_holds(g, f),
    };
    let all = (!c.all_of.is_empty()).then(|| c.all_of.iter().all(node));
    let any = (!c.any_of.is_empty()).then(|| c.any_of.iter().any(node));
    match (all, any) {
        (Some(a), Some(b)) if c.operator == Operator::And => a && b,
        (Some(a), Some(b)) => a || b,
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => false,
    }
}

fn names(c: &Condition) -> Vec<PipelineId> {
    let mut out = Vec::new();
    fn walk(c: &Condition, out: &mut Vec<PipelineId>) {
        for n in c.all_of.iter().chain(&c.any_of) {
            match n {
                ConditionNode::Item(i) => {
                    if !out.contains(&i.pipeline) {
                        out.push(i.pipeline.clone())
                    }
                }
                ConditionNode::Group(g) => walk(g, out),
            }
        }
    }
    walk(c, &mut out);
    out
}

/// The trigger events SPEC's words call for: t is the latest event time delivered;
/// a duplicate (execution, status, redrive count seen before) is ignored; "when C's
/// condition becomes true" it fires once, with the delivered event as `cause` and
/// the latest status of each named parent as `upstream`; its last trigger time is t.
fn reference(org: &Org, events: &[ScenarioEvent]) -> Vec<TimedTriggerEvent> {
    let mut seen: Vec<StatusEvent> = Vec::new();
    let mut last: Vec<Option<Timestamp>> = vec![None; org.len()];
    let mut clock: Option<Timestamp> = None;
    let mut out = Vec::new();
    for scenario in events {
        let e = status_event(scenario);
        let t = clock.map_or(e.time, |c| c.max(e.time));
        clock = Some(t);
        let duplicate = seen.iter().any(|s| {
            s.pipeline == e.pipeline
                && s.execution == e.execution
                && s.status == e.status
                && s.redrive_count == e.redrive_count
        });
        if duplicate {
            continue;
        }
        let before = seen.clone();
        seen.push(e.clone());
        for (i, (child, trigger)) in org.iter().enumerate() {
            let Some(trigger) = trigger else { continue };
            if !names(&trigger.condition).contains(&e.pipeline) {
                continue;
            }
            let holds_with = |evs: &[StatusEvent]| {
                group_holds(&trigger.condition, &|item| {
                    item_holds(item, evs, last[i], t, trigger.within)
                })
            };
            if holds_with(&seen) && !holds_with(&before) {
                last[i] = Some(t);
                let mut upstream = Upstream::new();
                for p in names(&trigger.condition) {
                    if let Some(l) = latest(&seen, &p) {
                        upstream
                            .entry(p.account.clone())
                            .or_default()
                            .insert(p.name.clone(), l.status.clone());
                    }
                }
                out.push(TimedTriggerEvent {
                    time: t,
                    event: TriggerEvent::new(child, &e, upstream),
                });
            }
        }
    }
    out
}

fn upstream_satisfies(condition: &Condition, upstream: &Upstream) -> bool {
    group_holds(condition, &|item| {
        upstream
            .get(&item.pipeline.account)
            .and_then(|m| m.get(&item.pipeline.name))
            .is_some_and(|s| s.matches(&item.status))
    })
}

fn trigger_of<'a>(org: &'a Org, p: &PipelineId) -> &'a ExecutionsTrigger {
    org.iter()
        .find(|(id, _)| id == p)
        .and_then(|(_, t)| t.as_ref())
        .expect("only pipelines with a trigger fire")
}

// ---------------------------------------------------------------- properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn in_time_order_triggers_equal_the_reference(org in org(), events in events()) {
        let events = in_time_order(events);
        let got = simulate(&org, &events).trigger_events();
        prop_assert_eq!(got, reference(&org, &events));
    }

    #[test]
    fn delivering_an_event_twice_never_adds_a_trigger(
        org in org(),
        events in events(),
        pick in any::<prop::sample::Index>(),
        place in any::<prop::sample::Index>(),
    ) {
        prop_assume!(!events.is_empty());
        let i = pick.index(events.len());
        let j = i + 1 + place.index(events.len() - i);
        let mut twice = events.clone();
        twice.insert(j, events[i].clone());
        let once = simulate(&org, &events);
        let again = simulate(&org, &twice);
        prop_assert_eq!(again.steps[j].recorded, Recorded::Duplicate);
        prop_assert!(again.steps[j].fired.is_empty());
        prop_assert_eq!(again.trigger_events(), once.trigger_events());
    }

    #[test]
    fn a_running_event_older_than_its_terminal_event_changes_nothing(
        org in org(),
        events in events(),
        pick in any::<prop::sample::Index>(),
        place in any::<prop::sample::Index>(),
        earlier in 1i64..7_200,
    ) {
        // The execution's terminal event is its first delivery: a later copy with
        // another time is a duplicate, and its time is not the event's.
        let first_delivery = |k: usize| {
            !events[..k].iter().any(|e| {
                e.pipeline == events[k].pipeline
                    && e.execution == events[k].execution
                    && e.status == events[k].status
                    && e.redrive_count == events[k].redrive_count
            })
        };
        let terminals: Vec<usize> = (0..events.len())
            .filter(|&k| events[k].status.is_terminal() && first_delivery(k))
            .collect();
        prop_assume!(!terminals.is_empty());
        let i = terminals[pick.index(terminals.len())];
        let j = i + 1 + place.index(events.len() - i);
        let terminal = &events[i];
        let running = ScenarioEvent {
            time: Timestamp::from_unix_seconds(terminal.time.as_unix_seconds() - earlier).unwrap(),
            status: EventStatus::Known(Status::Running),
            ..terminal.clone()
        };
        // Were the same RUNNING delivered again later, the inserted one would make
        // that later one a duplicate: a different scenario, not this property.
        let same_key = |e: &ScenarioEvent| {
            e.pipeline == running.pipeline
                && e.execution == running.execution
                && e.status == running.status
                && e.redrive_count == running.redrive_count
        };
        if events[j..].iter().any(same_key) {
            return Ok(());
        }
        let mut with_running = events.clone();
        with_running.insert(j, running);
        let before = simulate(&org, &events);
        let after = simulate(&org, &with_running);
        prop_assert_ne!(after.steps[j].recorded, Recorded::Latest);
        prop_assert!(after.steps[j].fired.is_empty());
        prop_assert_eq!(after.trigger_events(), before.trigger_events());
    }

    #[test]
    fn an_all_of_condition_never_fires_before_each_parent_has_a_qualifying_event(
        org in all_of_org(),
        events in events(),
    ) {
        let timeline = simulate(&org, &events);
        for (k, step) in timeline.steps.iter().enumerate() {
            for fired in &step.fired {
                let trigger = trigger_of(&org, &fired.pipeline);
                for node in &trigger.condition.all_of {
                    let ConditionNode::Item(item) = node else { unreachable!() };
                    let qualified = events[..=k].iter().any(|e| {
                        e.pipeline == item.pipeline && e.status.matches(&item.status)
                    });
                    prop_assert!(qualified, "{} fired at step {k} without {}", fired.pipeline, item.pipeline);
                }
            }
        }
    }

    #[test]
    fn every_trigger_s_upstream_satisfies_its_condition(org in org(), events in events()) {
        let timeline = simulate(&org, &events);
        for step in &timeline.steps {
            for fired in &step.fired {
                let trigger = trigger_of(&org, &fired.pipeline);
                let detail = &fired.trigger.event.detail;
                prop_assert!(upstream_satisfies(&trigger.condition, &detail.upstream));
                prop_assert_eq!(&detail.cause.execution_arn, &step.event.execution);
                prop_assert_eq!(fired.trigger.time, step.clock);
            }
        }
    }

    #[test]
    fn explain_is_silent_exactly_when_the_condition_holds(
        trigger in trigger(3),
        events in events(),
        last in prop::option::of(0i64..48),
    ) {
        let mut state = ChildState {
            parents: Vec::new(),
            last_trigger_time: last.map(|slot| {
                Timestamp::from_unix_seconds(base().as_unix_seconds() + slot * 900).unwrap()
            }),
        };
        let mut clock = base();
        for e in &events {
            clock = clock.max(e.time);
            // Fold events in without firing, to reach states a firing would leave.
            let d = evaluate(&trigger, &state, &status_event(e), clock);
            state.parents = d.state.parents;
            prop_assert_eq!(explain(&trigger, &state, clock).is_none(), holds(&trigger, &state, clock));
        }
    }
}
