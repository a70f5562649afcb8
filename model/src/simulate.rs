//! `dpc simulate`: replays timed status events through [`crate::evaluate`], the same
//! code the central trigger manager runs.
//!
//! The clock t is the latest event time delivered so far (SPEC). Events go through
//! a [`RunLog`] (duplicates are ignored) and then, for every pipeline whose
//! condition names the event's pipeline, through [`crate::evaluate`]. Triggered
//! pipelines do not run: they report no status events of their own.
//!
//! ## Executions the scenario does not name
//!
//! A scenario event may leave out `execution`. Such events are grouped into runs per
//! pipeline, by event time (not delivery order, so a late or repeated delivery lands
//! in the run it belongs to):
//! - events with the same time, status and redrive count are one event delivered
//!   more than once, and share a run;
//! - in time order (at equal times redrive count 0 first, and `RUNNING` before
//!   other statuses): a `RUNNING` starts a new run; any other known status ends the
//!   most recent run still open, or is a run of its own when none is open (a rerun
//!   whose `RUNNING` the scenario left out); an unknown status belongs to the most
//!   recent open run, else the most recent run; an event with a redrive count above
//!   0 belongs to the most recent run (a redrive continues it; `RUNNING` re-opens it);
//! - a run is named `run-<its first event time, compact UTC>`, e.g.
//!   `run-20261126T030000Z`, with `-2`, `-3`, ... when two runs of a pipeline start in
//!   the same second.
//!
//! So listings `RUNNING` 03:00, `FAILED` 03:40, `SUCCEEDED` 09:10 are two runs:
//! `run-20261126T030000Z` (03:00, 03:40) and `run-20261126T091000Z`. Name the
//! executions in the scenario when runs overlap.
//!
//! A name (given or derived) becomes the execution ARN
//! `arn:<partition>:states:<region>:<account>:execution:dpc-<pipeline>:<name>` when
//! the event carries its account's region; a given execution that already starts
//! with `arn:` is used as it is.

use crate::naming::AwsEnv;
use crate::{
    ChildState, EventStatus, ExecutionsTrigger, PipelineId, Recorded, RunLog, StatusEvent,
    TimedTriggerEvent, Timestamp, Waiting, evaluate, explain,
};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One status event of a scenario, in delivery order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioEvent {
    /// The event's own time (`at`).
    pub time: Timestamp,
    /// The pipeline that reports (account resolved to its id).
    pub pipeline: PipelineId,
    /// The status it reports.
    pub status: EventStatus,
    /// The execution's name or ARN; derived when absent (see the module docs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
    /// The execution's redrive count (default 0).
    #[serde(default)]
    pub redrive_count: u32,
    /// The region of the pipeline's account, to build execution ARNs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl ScenarioEvent {
    /// An event with a derived execution, redrive count 0 and no region.
    pub fn new(
        time: Timestamp,
        pipeline: PipelineId,
        status: impl Into<EventStatus>,
    ) -> ScenarioEvent {
        ScenarioEvent {
            time,
            pipeline,
            status: status.into(),
            execution: None,
            redrive_count: 0,
            region: None,
        }
    }
}

/// What happened at each delivered event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timeline {
    /// One step per scenario event, in delivery order.
    pub steps: Vec<Step>,
}

/// One delivered event and its consequences.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// The event as the trigger manager saw it (execution resolved).
    pub event: StatusEvent,
    /// The clock t: the latest event time delivered so far, this one included.
    pub clock: Timestamp,
    /// Whether the event was new and became its pipeline's latest.
    pub recorded: Recorded,
    /// The pipelines this event triggered, in the order the organisation lists them.
    pub fired: Vec<Fired>,
    /// Every other pipeline whose condition names the event's pipeline, and what it
    /// still waits for (those whose condition holds without firing are left out).
    pub waiting: Vec<Pending>,
}

/// A pipeline the event triggered.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fired {
    /// The triggered pipeline.
    pub pipeline: PipelineId,
    /// The trigger event, with the clock t it fired at.
    pub trigger: TimedTriggerEvent,
}

/// A dependent pipeline that did not fire, and what it waits for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Pending {
    /// The dependent pipeline.
    pub pipeline: PipelineId,
    /// The unmet part of its condition.
    pub waiting: Waiting,
}

impl Timeline {
    /// Every trigger event in the order emitted: the lines of `dpc simulate --json`.
    pub fn trigger_events(&self) -> Vec<TimedTriggerEvent> {
        self.fired().map(|f| f.trigger.clone()).collect()
    }

    /// Every firing, in order.
    pub fn fired(&self) -> impl Iterator<Item = &Fired> {
        self.steps.iter().flat_map(|s| s.fired.iter())
    }
}

/// Replays `events` (in delivery order) against the organisation's `pipelines`
/// (each with its resolved `executions:` trigger, or `None` for schedule, cron or
/// manual pipelines). A pipeline listed twice counts once.
pub fn simulate(
    pipelines: &[(PipelineId, Option<ExecutionsTrigger>)],
    events: &[ScenarioEvent],
) -> Timeline {
    let mut children: Vec<(&PipelineId, &ExecutionsTrigger)> = Vec::new();
    let mut listed: std::collections::BTreeSet<&PipelineId> = std::collections::BTreeSet::new();
    for (id, trigger) in pipelines {
        if let Some(trigger) = trigger
            && listed.insert(id)
        {
            children.push((id, trigger));
        }
    }
    // Each child's parents, once, rather than collected again for every event.
    let parents: Vec<std::collections::BTreeSet<&PipelineId>> = children
        .iter()
        .map(|(_, trigger)| trigger.condition.parents().into_iter().collect())
        .collect();
    let mut states = vec![ChildState::default(); children.len()];
    let executions = resolve_executions(events);
    let mut log = RunLog::new();
    let mut clock: Option<Timestamp> = None;
    let mut steps = Vec::with_capacity(events.len());

    for (scenario, execution) in events.iter().zip(executions) {
        let event = StatusEvent {
            pipeline: scenario.pipeline.clone(),
            execution,
            status: scenario.status.clone(),
            redrive_count: scenario.redrive_count,
            time: scenario.time,
        };
        let now = clock.map_or(event.time, |c| c.max(event.time));
        clock = Some(now);
        let recorded = log.record(&event);
        let mut fired = Vec::new();
        let mut waiting = Vec::new();
        for (((id, trigger), state), parents) in
            children.iter().zip(states.iter_mut()).zip(&parents)
        {
            if !parents.contains(&event.pipeline) {
                continue;
            }
            if recorded != Recorded::Duplicate {
                let decision = evaluate(trigger, state, &event, now);
                *state = decision.state;
                if let Some(firing) = decision.firing {
                    fired.push(Fired {
                        pipeline: (*id).clone(),
                        trigger: firing.timed_trigger_event(id),
                    });
                    continue;
                }
            }
            if let Some(w) = explain(trigger, state, now) {
                waiting.push(Pending {
                    pipeline: (*id).clone(),
                    waiting: w,
                });
            }
        }
        steps.push(Step {
            event,
            clock: now,
            recorded,
            fired,
            waiting,
        });
    }
    Timeline { steps }
}

/// The execution each scenario event reports, by the rule in the module docs.
pub fn resolve_executions(events: &[ScenarioEvent]) -> Vec<String> {
    let mut names: Vec<Option<String>> = events.iter().map(|e| e.execution.clone()).collect();
    let mut unnamed: BTreeMap<&PipelineId, Vec<usize>> = BTreeMap::new();
    for (i, e) in events.iter().enumerate() {
        if e.execution.is_none() {
            unnamed.entry(&e.pipeline).or_default().push(i);
        }
    }
    for indices in unnamed.into_values() {
        for (i, name) in derive_runs(events, indices) {
            names[i] = Some(name);
        }
    }
    events
        .iter()
        .zip(names)
        .map(|(e, name)| {
            let name = name.unwrap_or_default();
            match &e.region {
                Some(region) if !name.starts_with("arn:") => {
                    AwsEnv::new(&e.pipeline.account, region).execution_arn(&e.pipeline.name, &name)
                }
                _ => name,
            }
        })
        .collect()
}

struct Run {
    start: Timestamp,
    open: bool,
}

// Runs of one pipeline's unnamed events; returns (event index, run name).
fn derive_runs(events: &[ScenarioEvent], mut indices: Vec<usize>) -> Vec<(usize, String)> {
    let class = |s: &EventStatus| match s {
        EventStatus::Known(crate::Status::Running) => 0u8,
        EventStatus::Known(_) => 1,
        EventStatus::Unknown(_) => 2,
    };
    indices.sort_by(|&a, &b| {
        let (x, y) = (&events[a], &events[b]);
        (
            x.time,
            x.redrive_count,
            class(&x.status),
            x.status.as_str(),
            a,
        )
            .cmp(&(
                y.time,
                y.redrive_count,
                class(&y.status),
                y.status.as_str(),
                b,
            ))
    });
    let mut runs: Vec<Run> = Vec::new();
    let mut same_event: BTreeMap<(Timestamp, &str, u32), usize> = BTreeMap::new();
    let mut run_of = Vec::with_capacity(indices.len());
    for &i in &indices {
        let e = &events[i];
        let key = (e.time, e.status.as_str(), e.redrive_count);
        let run = match same_event.get(&key) {
            Some(&run) => run,
            None => {
                let run = place(&mut runs, e, class(&e.status));
                same_event.insert(key, run);
                run
            }
        };
        run_of.push((i, run));
    }
    let names = run_names(&runs);
    run_of
        .into_iter()
        .map(|(i, run)| (i, names[run].clone()))
        .collect()
}

fn place(runs: &mut Vec<Run>, e: &ScenarioEvent, class: u8) -> usize {
    let last = runs.len().checked_sub(1);
    let last_open = runs.iter().rposition(|r| r.open);
    let target = if e.redrive_count > 0 {
        last
    } else {
        match class {
            0 => None,
            1 => last_open,
            _ => last_open.or(last),
        }
    };
    match target {
        Some(r) => {
            match class {
                0 => runs[r].open = true,
                1 => runs[r].open = false,
                _ => {}
            }
            r
        }
        None => {
            runs.push(Run {
                start: e.time,
                open: class == 0,
            });
            runs.len() - 1
        }
    }
}

fn run_names(runs: &[Run]) -> Vec<String> {
    let mut used: BTreeMap<String, u32> = BTreeMap::new();
    runs.iter()
        .map(|run| {
            let base = format!("run-{}", run.start.compact());
            let n = used.entry(base.clone()).or_insert(0);
            *n += 1;
            if *n == 1 { base } else { format!("{base}-{n}") }
        })
        .collect()
}
