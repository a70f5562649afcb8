//! `simulate` on the case study and on the execution-naming rules.

#![allow(clippy::unwrap_used)] // test helpers: a panic is a failed test

use dpc_model::{
    Condition, ConditionItem, ConditionNode, Duration, EventStatus, ExecutionsTrigger, Operator,
    PipelineId, Recorded, ScenarioEvent, Status, Timestamp, resolve_executions, simulate,
};

const CORE: &str = "222222222222";
const SEARCH: &str = "333333333333";
const RENT: &str = "444444444444";

fn at(hm: &str) -> Timestamp {
    Timestamp::parse(&format!("2026-11-26T{hm}:00Z")).unwrap()
}

fn listings() -> PipelineId {
    PipelineId::new(CORE, "listings")
}

fn searches() -> PipelineId {
    PipelineId::new(SEARCH, "searches")
}

fn pipeline_x() -> PipelineId {
    PipelineId::new(RENT, "pipeline-x")
}

fn succeeded(pipeline: PipelineId) -> ConditionNode {
    ConditionNode::Item(ConditionItem {
        pipeline,
        status: vec![Status::Succeeded],
    })
}

/// The case study's organisation: listings and searches (scheduled), pipeline-x
/// (allOf listings SUCCEEDED + searches SUCCEEDED, within 24h).
fn organisation() -> Vec<(PipelineId, Option<ExecutionsTrigger>)> {
    vec![
        (listings(), None),
        (searches(), None),
        (
            pipeline_x(),
            Some(ExecutionsTrigger {
                condition: Condition {
                    operator: Operator::And,
                    all_of: vec![succeeded(listings()), succeeded(searches())],
                    any_of: vec![],
                },
                within: Duration::parse("24h").unwrap(),
            }),
        ),
    ]
}

fn event(hm: &str, pipeline: PipelineId, status: Status) -> ScenarioEvent {
    ScenarioEvent {
        region: Some("eu-west-1".to_string()),
        ..ScenarioEvent::new(at(hm), pipeline, status)
    }
}

fn case_study() -> Vec<ScenarioEvent> {
    vec![
        event("03:00", listings(), Status::Running),
        event("03:40", listings(), Status::Failed),
        event("05:50", searches(), Status::Succeeded),
        event("09:10", listings(), Status::Succeeded),
    ]
}

#[test]
fn case_study_pipeline_x_fires_exactly_once_at_0910_caused_by_listings() {
    let timeline = simulate(&organisation(), &case_study());
    let lines = timeline.trigger_events();
    assert_eq!(lines.len(), 1);
    let line = serde_json::to_string(&lines[0]).unwrap();
    assert_eq!(
        line,
        r#"{"time":"2026-11-26T09:10:00Z","source":"dpc.orchestrator","detail-type":"Pipeline Trigger","detail":{"version":"1","pipeline":"pipeline-x","account":"444444444444","cause":{"pipeline":"listings","account":"222222222222","status":"SUCCEEDED","executionArn":"arn:aws:states:eu-west-1:222222222222:execution:dpc-listings:run-20261126T091000Z"},"upstream":{"222222222222":{"listings":"SUCCEEDED"},"333333333333":{"searches":"SUCCEEDED"}}}}"#
    );
    // Only the last step fires; before it, pipeline-x says what it waits for.
    let fired_at: Vec<usize> = timeline
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| !s.fired.is_empty())
        .map(|(i, _)| i)
        .collect();
    assert_eq!(fired_at, [3]);
    let waits: Vec<String> = timeline.steps[..3]
        .iter()
        .map(|s| {
            assert_eq!(s.waiting.len(), 1);
            assert_eq!(s.waiting[0].pipeline, pipeline_x());
            s.waiting[0].waiting.to_string()
        })
        .collect();
    assert_eq!(
        waits,
        [
            "listings@222222222222: latest RUNNING, needs SUCCEEDED; searches@333333333333: no event yet, needs SUCCEEDED",
            "listings@222222222222: latest FAILED, needs SUCCEEDED; searches@333333333333: no event yet, needs SUCCEEDED",
            "listings@222222222222: latest FAILED, needs SUCCEEDED",
        ]
    );
    assert!(timeline.steps[3].waiting.is_empty());
}

#[test]
fn case_study_runs_share_an_execution_and_the_rerun_is_new() {
    let timeline = simulate(&organisation(), &case_study());
    let executions: Vec<&str> = timeline
        .steps
        .iter()
        .map(|s| s.event.execution.rsplit(':').next().unwrap())
        .collect();
    assert_eq!(
        executions,
        [
            "run-20261126T030000Z",
            "run-20261126T030000Z",
            "run-20261126T055000Z",
            "run-20261126T091000Z"
        ]
    );
}

#[test]
fn late_and_repeated_deliveries_do_not_fire_again() {
    let mut events = case_study();
    // EventBridge delivers the 09:10 success twice and the 03:40 failure late.
    events.push(event("09:10", listings(), Status::Succeeded));
    events.push(event("03:40", listings(), Status::Failed));
    events.push(event("05:50", searches(), Status::Succeeded));
    let timeline = simulate(&organisation(), &events);
    assert_eq!(timeline.trigger_events().len(), 1);
    let recorded: Vec<Recorded> = timeline.steps.iter().map(|s| s.recorded).collect();
    assert_eq!(
        recorded,
        [
            Recorded::Latest,
            Recorded::Latest,
            Recorded::Latest,
            Recorded::Latest,
            Recorded::Duplicate,
            Recorded::Duplicate,
            Recorded::Duplicate
        ]
    );
    // After the trigger, pipeline-x waits for new successes.
    assert!(
        timeline.steps[4].waiting[0]
            .waiting
            .to_string()
            .contains("is not after the last trigger at 2026-11-26T09:10:00Z")
    );
}

#[test]
fn out_of_order_delivery_fires_when_the_condition_becomes_true() {
    // The success of listings arrives before the one of searches; the clock is the
    // latest event time delivered (09:10), so pipeline-x fires at 09:10 caused by
    // the searches event.
    let events = vec![
        event("09:10", listings(), Status::Succeeded),
        event("05:50", searches(), Status::Succeeded),
    ];
    let timeline = simulate(&organisation(), &events);
    let lines = timeline.trigger_events();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].time, at("09:10"));
    assert_eq!(lines[0].event.detail.cause.pipeline, "searches");
}

#[test]
fn a_late_failure_older_than_the_success_does_not_block() {
    let events = vec![
        event("09:10", listings(), Status::Succeeded),
        event("03:40", listings(), Status::Failed),
        event("05:50", searches(), Status::Succeeded),
    ];
    let timeline = simulate(&organisation(), &events);
    assert_eq!(timeline.steps[1].recorded, Recorded::NotLatest);
    assert_eq!(timeline.trigger_events().len(), 1);
}

#[test]
fn next_day_reruns_fire_again_and_stale_parents_do_not() {
    let mut events = case_study();
    // The next day only listings succeeds: searches' success was used by the first
    // trigger (and is 27h old by now).
    events.push(ScenarioEvent {
        time: Timestamp::parse("2026-11-27T09:00:00Z").unwrap(),
        ..event("00:00", listings(), Status::Succeeded)
    });
    let timeline = simulate(&organisation(), &events);
    assert_eq!(timeline.trigger_events().len(), 1);
    assert_eq!(
        timeline.steps[4].waiting[0].waiting.to_string(),
        "searches@333333333333: latest SUCCEEDED at 2026-11-26T05:50:00Z is not after the last trigger at 2026-11-26T09:10:00Z, needs a new SUCCEEDED"
    );
    // And then searches succeeds too: it fires again.
    events.push(ScenarioEvent {
        time: Timestamp::parse("2026-11-27T09:30:00Z").unwrap(),
        ..event("00:00", searches(), Status::Succeeded)
    });
    let timeline = simulate(&organisation(), &events);
    let times: Vec<String> = timeline
        .trigger_events()
        .iter()
        .map(|l| l.time.to_string())
        .collect();
    assert_eq!(times, ["2026-11-26T09:10:00Z", "2026-11-27T09:30:00Z"]);
}

#[test]
fn given_executions_are_used_and_turned_into_arns() {
    let mut named = event("03:00", listings(), Status::Running);
    named.execution = Some("nightly-1".into());
    let mut arn = event("03:00", searches(), Status::Running);
    arn.execution = Some("arn:aws:states:eu-west-1:333333333333:execution:x:y".into());
    let mut bare = ScenarioEvent::new(at("03:00"), pipeline_x(), Status::Running);
    bare.execution = Some("z".into());
    assert_eq!(
        resolve_executions(&[named, arn, bare]),
        [
            "arn:aws:states:eu-west-1:222222222222:execution:dpc-listings:nightly-1",
            "arn:aws:states:eu-west-1:333333333333:execution:x:y",
            "z",
        ]
    );
}

fn names(events: &[ScenarioEvent]) -> Vec<String> {
    resolve_executions(events)
}

fn bare(hm: &str, status: &str, redrive: u32) -> ScenarioEvent {
    ScenarioEvent {
        redrive_count: redrive,
        ..ScenarioEvent::new(at(hm), listings(), EventStatus::parse(status))
    }
}

#[test]
fn derived_runs_follow_event_time_not_delivery_order() {
    // The FAILED arrives before its RUNNING: both are still one run.
    assert_eq!(
        names(&[bare("03:40", "FAILED", 0), bare("03:00", "RUNNING", 0)]),
        ["run-20261126T030000Z", "run-20261126T030000Z"]
    );
    // RUNNING and SUCCEEDED in the same second are one run.
    assert_eq!(
        names(&[bare("03:00", "SUCCEEDED", 0), bare("03:00", "RUNNING", 0)]),
        ["run-20261126T030000Z", "run-20261126T030000Z"]
    );
    // A repeated delivery is the same execution.
    assert_eq!(
        names(&[bare("03:00", "RUNNING", 0), bare("03:00", "RUNNING", 0)]),
        ["run-20261126T030000Z", "run-20261126T030000Z"]
    );
    // Two RUNNINGs are two runs; the terminal closes the most recent.
    assert_eq!(
        names(&[
            bare("03:00", "RUNNING", 0),
            bare("03:05", "RUNNING", 0),
            bare("03:30", "SUCCEEDED", 0)
        ]),
        [
            "run-20261126T030000Z",
            "run-20261126T030500Z",
            "run-20261126T030500Z"
        ]
    );
    // Two terminal statuses without a RUNNING in one second: two runs, told apart.
    assert_eq!(
        names(&[bare("03:00", "FAILED", 0), bare("03:00", "SUCCEEDED", 0)]),
        ["run-20261126T030000Z", "run-20261126T030000Z-2"]
    );
}

#[test]
fn derived_runs_continue_on_redrive_and_keep_unknown_statuses() {
    assert_eq!(
        names(&[
            bare("03:00", "RUNNING", 0),
            bare("03:40", "FAILED", 0),
            bare("03:41", "PENDING_REDRIVE", 0),
            bare("04:00", "RUNNING", 1),
            bare("04:30", "SUCCEEDED", 1),
            bare("05:00", "SUCCEEDED", 0),
        ]),
        [
            "run-20261126T030000Z",
            "run-20261126T030000Z",
            "run-20261126T030000Z",
            "run-20261126T030000Z",
            "run-20261126T030000Z",
            "run-20261126T050000Z"
        ]
    );
}

#[test]
fn a_redriven_run_triggers_again_in_a_simulation() {
    let org = organisation();
    let events = vec![
        event("05:50", searches(), Status::Succeeded),
        event("06:00", listings(), Status::Running),
        event("06:30", listings(), Status::Failed),
        ScenarioEvent {
            redrive_count: 1,
            ..event("07:00", listings(), Status::Running)
        },
        ScenarioEvent {
            redrive_count: 1,
            ..event("07:30", listings(), Status::Succeeded)
        },
    ];
    let timeline = simulate(&org, &events);
    let lines = timeline.trigger_events();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].time, at("07:30"));
    assert!(
        lines[0]
            .event
            .detail
            .cause
            .execution_arn
            .ends_with(":dpc-listings:run-20261126T060000Z")
    );
}
