//! The `executions` trigger rules, judged by an EventBridge pattern engine dpc did not
//! write (LocalStack's, pinned in tools/, through `scripts/eventbridge-match` and its
//! Python module): the rule starts the pipeline for the trigger events the central
//! trigger manager emits, and for nothing meant for another pipeline or account.

#[path = "pipeline_support.rs"]
mod support;

use dpc_constructs::pipeline::pattern::trigger_pattern;
use dpc_model::{
    ChildState, Condition, ConditionItem, ConditionNode, Duration, EventStatus, ExecutionsTrigger,
    Operator, PipelineId, Status, StatusEvent, Timestamp, evaluate,
};
use serde_json::{Value, json};
use std::io::Write;
use std::process::{Command, Stdio};
use support::{example, load, resources_of, synth_all};

/// An event as EventBridge delivers it: the envelope around `source`, `detail-type`
/// and `detail`.
fn envelope(event: Value, account: &str) -> Value {
    let mut out = json!({
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "account": account,
        "time": "2026-11-26T09:10:00Z",
        "region": "eu-west-1",
        "resources": [],
    });
    if let (Some(out), Some(event)) = (out.as_object_mut(), event.as_object()) {
        for (k, v) in event {
            out.insert(k.clone(), v.clone());
        }
    }
    out
}

/// `scripts/eventbridge-match PATTERN EVENT`: `Some(true)` match, `Some(false)` no
/// match, `None` when the tools are not installed (skipped outside CI).
fn eventbridge_match(pattern: &Value, event: &Value) -> Option<bool> {
    if !support::tools_installed("eventbridge-match") {
        return None;
    }
    let output = Command::new(support::repo_root().join("scripts/eventbridge-match"))
        .arg(pattern.to_string())
        .arg(event.to_string())
        .output()
        .expect("scripts/eventbridge-match runs");
    match output.status.code() {
        Some(0) => Some(true),
        Some(1) => Some(false),
        other => panic!(
            "eventbridge-match exited {other:?}: {}",
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}

fn pipeline_x_pattern() -> Value {
    let stacks = synth_all(&load(&example("case-study")));
    let (_, px) = stacks
        .iter()
        .find(|(n, _)| n == "pipeline-x")
        .expect("pipeline-x");
    let rules = resources_of(&px.template, "AWS::Events::Rule");
    let (_, rule) = rules
        .iter()
        .find(|(_, r)| r["Properties"]["EventBusName"] == "dpc-pipelines")
        .expect("the rule on the pipeline bus");
    assert_eq!(rule["Properties"]["State"], "ENABLED");
    rule["Properties"]["EventPattern"].clone()
}

/// SPEC's example trigger event.
fn spec_trigger_event() -> Value {
    json!({ "source": "dpc.orchestrator",
      "detail-type": "Pipeline Trigger",
      "detail": {
        "version": "1",
        "pipeline": "pipeline-x",
        "account": "444444444444",
        "cause": { "pipeline": "searches", "account": "333333333333",
                   "status": "SUCCEEDED", "executionArn": "arn:aws:states:eu-west-1:333333333333:execution:dpc-searches:r1" },
        "upstream": { "222222222222": { "listings": "SUCCEEDED" },
                      "333333333333": { "searches": "SUCCEEDED" } } } })
}

#[test]
fn pipeline_x_starts_on_spec_trigger_event_only() {
    let pattern = pipeline_x_pattern();
    let delivered = |event: Value| eventbridge_match(&pattern, &envelope(event, "111111111111"));
    let Some(matched) = delivered(spec_trigger_event()) else {
        return;
    };
    assert!(matched, "SPEC's trigger event must start pipeline-x");

    let mut failed = spec_trigger_event();
    failed["detail"]["upstream"]["333333333333"]["searches"] = json!("FAILED");
    assert_eq!(delivered(failed), Some(false), "searches FAILED");

    let mut other_pipeline = spec_trigger_event();
    other_pipeline["detail"]["pipeline"] = json!("pipeline-y");
    assert_eq!(delivered(other_pipeline), Some(false), "another pipeline");

    let mut other_account = spec_trigger_event();
    other_account["detail"]["account"] = json!("555555555555");
    assert_eq!(delivered(other_account), Some(false), "another account");

    let mut missing = spec_trigger_event();
    missing["detail"]["upstream"]
        .as_object_mut()
        .expect("upstream")
        .remove("222222222222");
    assert_eq!(delivered(missing), Some(false), "listings has no status");

    let mut other_source = spec_trigger_event();
    other_source["source"] = json!("somebody.else");
    assert_eq!(delivered(other_source), Some(false), "another source");
}

#[test]
fn the_fallback_starts_on_failure_and_not_on_success() {
    let stacks = synth_all(&load(&example("features")));
    let (_, fallback) = stacks
        .iter()
        .find(|(n, _)| n == "fallback")
        .expect("fallback");
    let rule = resources_of(&fallback.template, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"]["EventBusName"] == "dpc-pipelines")
        .expect("trigger rule")
        .1
        .clone();
    let pattern = &rule["Properties"]["EventPattern"];
    let event = |status: &str| {
        envelope(
            json!({"source": "dpc.orchestrator", "detail-type": "Pipeline Trigger",
                   "detail": {"version": "1", "pipeline": "fallback", "account": "555555555555",
                              "cause": {"pipeline": "diamond", "account": "555555555555", "status": status,
                                        "executionArn": "arn:aws:states:eu-west-1:555555555555:execution:dpc-diamond:r"},
                              "upstream": {"555555555555": {"diamond": status}}}}),
            "111111111111",
        )
    };
    let Some(on_failure) = eventbridge_match(pattern, &event("FAILED")) else {
        return;
    };
    assert!(on_failure);
    assert_eq!(eventbridge_match(pattern, &event("TIMED_OUT")), Some(true));
    assert_eq!(eventbridge_match(pattern, &event("SUCCEEDED")), Some(false));
}

// ---------------------------------------------------------------------------------
// Property: for random conditions and random status events, every trigger event the
// trigger semantics (`dpc_model::evaluate`) emits matches the rule dpc generates.

/// A small deterministic generator (no clock, no OS randomness): a 64-bit LCG.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

const PARENTS: [(&str, &str); 5] = [
    ("222222222222", "listings"),
    ("333333333333", "searches"),
    ("222222222222", "prices"),
    ("777777777777", "users"),
    ("333333333333", "clicks"),
];

fn random_statuses(rng: &mut Rng) -> Vec<Status> {
    let mut out: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|_| rng.below(3) == 0)
        .collect();
    if out.is_empty() {
        out.push(Status::ALL[rng.below(5)]);
    }
    out
}

fn random_condition(rng: &mut Rng, depth: usize) -> Condition {
    let node = |rng: &mut Rng| {
        if depth < 2 && rng.below(4) == 0 {
            ConditionNode::Group(random_condition(rng, depth + 1))
        } else {
            let (account, name) = PARENTS[rng.below(PARENTS.len())];
            ConditionNode::Item(ConditionItem {
                pipeline: PipelineId::new(account, name),
                status: random_statuses(rng),
            })
        }
    };
    let all_of = (0..rng.below(3)).map(|_| node(rng)).collect::<Vec<_>>();
    let mut any_of = (0..rng.below(3)).map(|_| node(rng)).collect::<Vec<_>>();
    if all_of.is_empty() && any_of.is_empty() {
        any_of.push(node(rng));
    }
    Condition {
        operator: if rng.below(2) == 0 {
            Operator::And
        } else {
            Operator::Or
        },
        all_of,
        any_of,
    }
}

/// Trigger events for `child` under `trigger`, from a random stream of status events.
fn trigger_events(rng: &mut Rng, child: &PipelineId, trigger: &ExecutionsTrigger) -> Vec<Value> {
    let mut state = ChildState::default();
    let mut out = Vec::new();
    let start = 1_795_000_000i64;
    for i in 0..40 {
        let (account, name) = PARENTS[rng.below(PARENTS.len())];
        let status = Status::ALL[rng.below(5)];
        let time = Timestamp::from_unix_seconds(start + i * 600).expect("time");
        let event = StatusEvent {
            pipeline: PipelineId::new(account, name),
            execution: format!("arn:aws:states:eu-west-1:{account}:execution:dpc-{name}:run-{i}"),
            status: EventStatus::Known(status),
            redrive_count: 0,
            time,
        };
        let decision = evaluate(trigger, &state, &event, time);
        if let Some(firing) = &decision.firing {
            out.push(serde_json::to_value(firing.trigger_event(child)).expect("json"));
        }
        state = decision.state;
    }
    out
}

/// Matches every `(pattern, event)` in one Python process with LocalStack's engine
/// (through `scripts/lib/eventbridge.py`). `None` when the tools are not installed.
fn match_batch(cases: &[(Value, Value)]) -> Option<Vec<bool>> {
    if !support::tools_installed("eventbridge batch match") {
        return None;
    }
    let python = support::repo_root().join(".tools/venv/bin/python");
    let lib = support::repo_root().join("scripts/lib");
    let program = "import json, sys\n\
        sys.path.insert(0, sys.argv[1])\n\
        import eventbridge\n\
        cases = json.load(sys.stdin)\n\
        print(json.dumps([eventbridge.matches(p, e) for p, e in cases]))\n";
    let mut child = Command::new(python)
        .arg("-c")
        .arg(program)
        .arg(lib)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python runs");
    let input = serde_json::to_vec(&cases.iter().map(|(p, e)| json!([p, e])).collect::<Vec<_>>())
        .expect("json");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&input)
        .expect("write cases");
    let output = child.wait_with_output().expect("python ends");
    assert!(
        output.status.success(),
        "the batch matcher failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).expect("a list of booleans"))
}

#[test]
fn every_trigger_event_the_semantics_emit_matches_the_generated_rule() {
    let mut rng = Rng(20_261_126);
    let child = PipelineId::new("444444444444", "child");
    let mut cases = Vec::new();
    let mut foreign = Vec::new();
    let mut conditions_with_events = 0;
    let mut dropped = 0;
    for _ in 0..300 {
        let trigger = ExecutionsTrigger {
            condition: random_condition(&mut rng, 0),
            within: Duration::from_secs(3600 * (1 + rng.below(24) as u64)),
        };
        let rule = trigger_pattern(&child, &trigger);
        if rule.statuses_dropped.is_some() {
            dropped += 1;
        }
        let pattern = rule.pattern.to_json();
        let events = trigger_events(&mut rng, &child, &trigger);
        if !events.is_empty() {
            conditions_with_events += 1;
        }
        for event in events {
            // The same event addressed to another pipeline must not start this one.
            let mut elsewhere = event.clone();
            elsewhere["detail"]["pipeline"] = json!("someone-else");
            foreign.push((pattern.clone(), envelope(elsewhere, "111111111111")));
            cases.push((pattern.clone(), envelope(event, "111111111111")));
        }
    }
    assert!(
        conditions_with_events >= 100 && cases.len() >= 300,
        "the generator must exercise the rules: {conditions_with_events} conditions fired, {} events",
        cases.len()
    );
    eprintln!(
        "{} trigger events from {conditions_with_events} conditions; {dropped} rules without statuses",
        cases.len()
    );
    let all: Vec<(Value, Value)> = cases.iter().chain(&foreign).cloned().collect();
    let Some(results) = match_batch(&all) else {
        return;
    };
    let (own, others) = results.split_at(cases.len());
    for (i, matched) in own.iter().enumerate() {
        assert!(
            matched,
            "the rule rejects a trigger event the semantics emitted:\npattern {}\nevent {}",
            cases[i].0, cases[i].1
        );
    }
    assert!(
        others.iter().all(|m| !m),
        "a rule accepts a trigger event for another pipeline"
    );
}

#[test]
fn rules_narrow_by_status_where_the_condition_does() {
    // The same generator, read the other way: when every parent status in an event
    // contradicts the condition, the rule (with statuses) rejects it.
    let mut rng = Rng(7);
    let child = PipelineId::new("444444444444", "child");
    let mut cases = Vec::new();
    for _ in 0..100 {
        let condition = Condition {
            operator: Operator::And,
            all_of: vec![ConditionNode::Item(ConditionItem {
                pipeline: PipelineId::new(PARENTS[0].0, PARENTS[0].1),
                status: random_statuses(&mut rng),
            })],
            any_of: vec![],
        };
        let wanted = match &condition.all_of[0] {
            ConditionNode::Item(item) => item.status.clone(),
            ConditionNode::Group(_) => unreachable!(),
        };
        let Some(other) = Status::ALL.into_iter().find(|s| !wanted.contains(s)) else {
            continue;
        };
        let trigger = ExecutionsTrigger {
            condition,
            within: Duration::from_secs(86_400),
        };
        let pattern = trigger_pattern(&child, &trigger).pattern.to_json();
        let event = json!({"source": "dpc.orchestrator", "detail-type": "Pipeline Trigger",
            "detail": {"version": "1", "pipeline": "child", "account": "444444444444",
                       "cause": {"pipeline": "listings", "account": "222222222222", "status": other.as_str(),
                                 "executionArn": "arn:aws:states:eu-west-1:222222222222:execution:dpc-listings:r"},
                       "upstream": {"222222222222": {"listings": other.as_str()}}}});
        cases.push((pattern, envelope(event, "111111111111")));
    }
    let Some(results) = match_batch(&cases) else {
        return;
    };
    assert!(
        results.iter().all(|m| !m),
        "a status the condition does not ask for matched"
    );
}
