//! The generated state machines, read back from the templates as a user (or Step
//! Functions) would: dependencies are ordered, independent steps overlap, the cluster
//! is freed on every way out, timed-out steps are cancelled before anything else.

#[path = "pipeline_support.rs"]
mod support;

use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet};
use support::{definition, example, load, synth_all};

/// The internal step that waits for the Hive metastore: not one of the user's steps.
const METASTORE_STEP: &str = dpc_constructs::pipeline::definition::METASTORE_STEP_NAME;

/// Step name → the steps certain to have finished before it starts, read from the
/// steps branch of `Run steps`: a series orders, a `Parallel` waits for all branches.
fn completed_before(def: &Value) -> BTreeMap<String, BTreeSet<String>> {
    let run = &def["States"]["Run steps"];
    assert_eq!(run["Type"], "Parallel");
    let steps = &run["Branches"][0];
    let mut before = BTreeMap::new();
    walk(steps, &BTreeSet::new(), &mut before);
    before
}

fn walk(
    branch: &Value,
    done: &BTreeSet<String>,
    before: &mut BTreeMap<String, BTreeSet<String>>,
) -> BTreeSet<String> {
    let states = branch["States"].as_object().expect("states");
    let mut done = done.clone();
    let mut at = branch["StartAt"].as_str().map(str::to_owned);
    let mut guard = 0;
    while let Some(name) = at {
        guard += 1;
        assert!(guard < 10_000, "the main path loops");
        let state = &states[&name];
        match state["Type"].as_str() {
            Some("Task")
                if state["Resource"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("elasticmapreduce:addStep.sync")) =>
            {
                let step = state["Parameters"]["Step"]["Name"]
                    .as_str()
                    .expect("step name")
                    .to_owned();
                if step == METASTORE_STEP {
                    at = state["Next"].as_str().map(str::to_owned);
                    continue;
                }
                assert!(
                    before.insert(step.clone(), done.clone()).is_none(),
                    "step {step} runs twice"
                );
                done.insert(step);
            }
            Some("Parallel") => {
                let mut all = done.clone();
                for b in state["Branches"].as_array().expect("branches") {
                    all.extend(walk(b, &done, before));
                }
                done = all;
            }
            // `Cluster ready?`: the main path is its first rule (the cluster waits
            // for work); the others poll or fail.
            Some("Choice") => {
                at = state["Choices"][0]["Next"].as_str().map(str::to_owned);
                continue;
            }
            _ => {}
        }
        at = state["Next"].as_str().map(str::to_owned);
    }
    done
}

fn ancestors(deps: &BTreeMap<String, Vec<String>>, step: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut pending: Vec<&str> = deps[step].iter().map(String::as_str).collect();
    while let Some(d) = pending.pop() {
        if out.insert(d.to_owned()) {
            pending.extend(deps[d].iter().map(String::as_str));
        }
    }
    out
}

fn check_order(example_name: &str, pipeline: &str) -> (usize, usize) {
    let org = load(&example(example_name));
    let model = org
        .pipelines
        .iter()
        .find(|p| p.name == pipeline)
        .expect("pipeline");
    let deps: BTreeMap<String, Vec<String>> = model
        .steps
        .iter()
        .map(|s| (s.name.clone(), s.depends_on.clone()))
        .collect();
    let stacks = synth_all(&org);
    let (_, s) = stacks.iter().find(|(n, _)| n == pipeline).expect("stack");
    let before = completed_before(&definition(&s.template));
    assert_eq!(
        before.keys().collect::<BTreeSet<_>>(),
        deps.keys().collect::<BTreeSet<_>>(),
        "every step runs exactly once"
    );
    let mut dependencies = 0;
    let mut false_waits = 0;
    for (step, ds) in &deps {
        for d in ds {
            dependencies += 1;
            assert!(
                before[step].contains(d),
                "{pipeline}: step {step} may start before {d}, which it depends on"
            );
        }
        let needed = ancestors(&deps, step);
        false_waits += before[step].difference(&needed).count();
    }
    (dependencies, false_waits)
}

#[test]
fn every_dependency_of_the_20_step_dag_is_ordered() {
    let (dependencies, false_waits) = check_order("features", "big-dag");
    assert!(
        dependencies >= 20,
        "the example has {dependencies} dependencies"
    );
    // The DAG is not series-parallel, so some independent pairs must wait: the planner
    // keeps the plan as short as the longest dependency chain (tested on random DAGs in
    // `stepfunctions::dag`) and, within that, the waits few. Pinned so a regression shows.
    eprintln!("big-dag: {dependencies} dependencies ordered, {false_waits} extra waits");
    assert!(false_waits <= 60, "{false_waits} extra waits");
}

#[test]
fn series_parallel_pipelines_wait_for_nothing_they_do_not_depend_on() {
    for (example_name, pipeline) in [
        ("features", "diamond"),
        ("case-study", "pipeline-x"),
        ("case-study", "listings"),
    ] {
        let (_, false_waits) = check_order(example_name, pipeline);
        assert_eq!(false_waits, 0, "{pipeline}");
    }
}

fn targets(state: &Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(n) = state["Next"].as_str() {
        out.push(n.to_owned());
    }
    if let Some(d) = state["Default"].as_str() {
        out.push(d.to_owned());
    }
    for list in ["Catch", "Choices"] {
        for c in state[list].as_array().into_iter().flatten() {
            if let Some(n) = c["Next"].as_str() {
                out.push(n.to_owned());
            }
        }
    }
    out
}

fn is_terminate(state: &Value) -> bool {
    state["Resource"]
        .as_str()
        .is_some_and(|r| r.contains("elasticmapreduce:terminateCluster"))
}

fn is_terminal(state: &Value) -> bool {
    matches!(state["Type"].as_str(), Some("Succeed" | "Fail")) || state["End"] == true
}

/// Every way from `from` to the end of the execution, with whether it passed a
/// `terminateCluster` task.
fn endings(states: &Map<String, Value>, from: &str) -> Vec<(Vec<String>, bool)> {
    let mut out = Vec::new();
    let mut pending = vec![(vec![from.to_owned()], false)];
    while let Some((path, terminated)) = pending.pop() {
        let name = path.last().expect("path").clone();
        let state = &states[&name];
        let terminated = terminated || is_terminate(state);
        if is_terminal(state) {
            out.push((path.clone(), terminated));
        }
        for next in targets(state) {
            if !path.contains(&next) {
                let mut longer = path.clone();
                longer.push(next);
                pending.push((longer, terminated));
            }
        }
    }
    out
}

#[test]
fn every_failure_and_timeout_path_reaches_terminate_cluster() {
    for example_name in ["case-study", "features"] {
        for (name, s) in synth_all(&load(&example(example_name))) {
            let def = definition(&s.template);
            let states = def["States"].as_object().expect("states");
            // Once the cluster exists, every error inside `Run steps` (a step's failure
            // or timeout, the run's deadline) is caught, and every way out terminates.
            let run = &states["Run steps"];
            let catches: Vec<&Value> = run["Catch"].as_array().expect("catch").iter().collect();
            assert!(
                catches
                    .iter()
                    .any(|c| c["ErrorEquals"] == serde_json::json!(["States.ALL"])),
                "{name}: Run steps must catch every error"
            );
            let ways = endings(states, "Run steps");
            assert!(ways.len() >= 3, "{name}: success, failure and timeout");
            for (path, terminated) in &ways {
                assert!(
                    terminated,
                    "{name}: {path:?} ends without terminating the cluster"
                );
            }
            // `createCluster` returns the id at once (not `.sync`), so a cluster EMR
            // loses while it starts is polled, and fails, inside `Run steps`, whose
            // catchers terminate it. A refused call has no cluster to stop.
            let start = &states["Start cluster"];
            assert!(
                start["Resource"]
                    .as_str()
                    .unwrap()
                    .ends_with("elasticmapreduce:createCluster"),
                "{name}: {}",
                start["Resource"]
            );
            assert_eq!(start["Next"], "Run steps");
            let steps = &run["Branches"][0];
            let first = &steps["States"][steps["StartAt"].as_str().unwrap()];
            assert!(
                first["Resource"]
                    .as_str()
                    .is_some_and(|r| r.ends_with("emr:describeCluster")),
                "{name}: the steps branch starts by checking the cluster"
            );
            for (path, terminated) in endings(states, "Start cluster") {
                if path.get(1).map(String::as_str) != Some("Run steps") {
                    assert!(!terminated, "{name}: {path:?}");
                    assert!(
                        path.iter().any(|s| s == "Cluster start failed"),
                        "{name}: {path:?} a refused start ends as dpc.ClusterStartFailed"
                    );
                }
            }
            // Each ending reports the status first (Step Functions' events are best effort).
            for (path, _) in &ways {
                assert!(
                    path.iter().any(|s| states[s]["Resource"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("events:putEvents"))),
                    "{name}: {path:?} does not report its status"
                );
            }
            // The machine's own timeout is the backstop, a little after the run's.
            let watchdog = &run["Branches"][1]["States"]["Wait for the run's deadline"];
            assert_eq!(watchdog["QueryLanguage"], "JSONata");
            assert!(def["TimeoutSeconds"].as_u64().unwrap() > 600);
        }
    }
}

#[test]
fn a_timed_out_step_is_cancelled_before_it_is_retried_or_fails() {
    let stacks = synth_all(&load(&example("features")));
    let mut checked = 0;
    for (name, s) in &stacks {
        let def = definition(&s.template);
        let steps = def["States"]["Run steps"]["Branches"][0].clone();
        let mut branches = vec![steps];
        while let Some(branch) = branches.pop() {
            let states = branch["States"].as_object().expect("states").clone();
            for (state_name, state) in &states {
                if let Some(inner) = state["Branches"].as_array() {
                    branches.extend(inner.iter().cloned());
                }
                if state["TimeoutSeconds"].is_null()
                    || state["Parameters"]["Step"]["Name"] == METASTORE_STEP
                    || !state["Resource"]
                        .as_str()
                        .is_some_and(|r| r.ends_with("addStep.sync"))
                {
                    continue;
                }
                checked += 1;
                let on_timeout = state["Catch"]
                    .as_array()
                    .expect("a step with a timeout catches it")
                    .iter()
                    .find(|c| c["ErrorEquals"] == serde_json::json!(["States.Timeout"]))
                    .expect("a States.Timeout catcher")["Next"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                // Every way from the timeout back to the step or to a failure passes
                // the cancel, unless EMR no longer runs the step (the `still running?`
                // choice's default).
                let mut pending = vec![(on_timeout, false, false)];
                let mut seen = BTreeSet::new();
                while let Some((at, cancelled, skipped)) = pending.pop() {
                    if !seen.insert((at.clone(), cancelled, skipped)) {
                        continue;
                    }
                    let s = &states[&at];
                    let cancelled = cancelled
                        || s["Resource"]
                            .as_str()
                            .is_some_and(|r| r.ends_with("elasticmapreduce:cancelStep"));
                    if at == *state_name || s["Type"] == "Fail" {
                        assert!(
                            cancelled || skipped,
                            "{name}: {state_name} reaches {at} without cancelling the timed-out step"
                        );
                        continue;
                    }
                    for next in targets(s) {
                        let is_default = s["Default"].as_str() == Some(next.as_str())
                            && s["Type"] == "Choice"
                            && at.ends_with("still running?");
                        let via_failed_lookup = s["Resource"]
                            .as_str()
                            .is_some_and(|r| r.ends_with("listSteps"))
                            && s["Next"].as_str() != Some(next.as_str());
                        pending.push((next, cancelled, skipped || is_default || via_failed_lookup));
                    }
                }
            }
        }
    }
    assert!(
        checked >= 3,
        "the examples have steps with timeouts ({checked})"
    );
}

#[test]
fn a_duplicate_trigger_ends_at_once() {
    let stacks = synth_all(&load(&example("case-study")));
    let (_, px) = stacks
        .iter()
        .find(|(n, _)| n == "pipeline-x")
        .expect("pipeline-x");
    let def = definition(&px.template);
    let claim = &def["States"]["Claim trigger event"];
    assert_eq!(claim["Resource"], "arn:aws:states:::dynamodb:putItem");
    assert_eq!(claim["QueryLanguage"], "JSONata");
    let args = &claim["Arguments"];
    assert_eq!(args["TableName"], "dpc-trigger-claims");
    assert_eq!(
        args["ConditionExpression"],
        "attribute_not_exists(triggerId)"
    );
    assert_eq!(
        args["Item"]["triggerId"]["S"],
        "{% 'pipeline-x#trigger#' & $states.input.input.time %}"
    );
    assert!(
        args["Item"]["expiresAt"]["N"]
            .as_str()
            .unwrap()
            .contains("2592000")
    );
    assert_eq!(
        claim["Output"], "{% $states.input %}",
        "the input passes on"
    );
    let caught = &claim["Catch"][0];
    assert_eq!(
        caught["ErrorEquals"],
        serde_json::json!(["DynamoDB.ConditionalCheckFailedException"])
    );
    let mark = &def["States"][caught["Next"].as_str().unwrap()];
    assert_eq!(mark["Result"], serde_json::json!({"dpcDuplicate": true}));
    let end = &def["States"][mark["Next"].as_str().unwrap()];
    assert_eq!(end["Type"], "Succeed");
    assert_eq!(mark["Next"], "Duplicate trigger: already started");
    // The claim comes before anything that costs money.
    let first_task = def["States"]["Trigger event?"]["Choices"][0]["Next"]
        .as_str()
        .unwrap();
    assert_eq!(first_task, "Claim trigger event");
    assert_eq!(def["States"]["Claim execution"]["Next"], "Report running");
}

#[test]
fn step_concurrency_matches_the_widest_point_of_the_plan() {
    let stacks = synth_all(&load(&example("features")));
    for (name, s) in &stacks {
        let def = definition(&s.template);
        let level = def["States"]["Start cluster"]["Parameters"]["StepConcurrencyLevel"]
            .as_u64()
            .unwrap();
        assert_eq!(
            level as usize,
            s.stack.plan.concurrency().clamp(1, 256),
            "{name}"
        );
    }
    let (_, big) = stacks.iter().find(|(n, _)| n == "big-dag").unwrap();
    assert!(
        big.stack.plan.concurrency() >= 4,
        "the 20-step DAG runs several steps at once"
    );
}
