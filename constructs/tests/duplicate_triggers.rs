//! A trigger delivered or put twice starts one run, and the run that does nothing
//! changes nothing downstream: the claim key is the firing time (the same in every
//! delivery and re-put), and RUNNING is reported by the machine itself after the claim.

#[path = "pipeline_support.rs"]
mod support;

use dpc_model::contract::events::{DUPLICATE_OUTPUT_KEY, PIPELINE_STATUS_SOURCE};
use dpc_model::contract::tables::claims;
use serde_json::{Value, json};
use support::{definition, example, load, synth_all};

fn pipeline_x() -> Value {
    let stacks = synth_all(&load(&example("case-study")));
    let (_, px) = stacks
        .iter()
        .find(|(n, _)| n == "pipeline-x")
        .expect("pipeline-x");
    definition(&px.template)
}

#[test]
fn a_trigger_is_claimed_by_its_firing_time_not_its_event_id() {
    let def = pipeline_x();
    let choice = &def["States"]["Trigger event?"]["Choices"][0];
    let tested: Vec<&str> = choice["And"]
        .as_array()
        .expect("an And")
        .iter()
        .filter_map(|c| c["Variable"].as_str())
        .collect();
    assert!(tested.contains(&"$.input.time"), "{choice}");
    assert!(
        !tested.contains(&"$.input.id"),
        "EventBridge's id differs per put: {choice}"
    );
    assert!(
        choice["And"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["Variable"] == "$.input.time" && c["IsTimestamp"] == true)
    );
    let key = def["States"]["Claim trigger event"]["Arguments"]["Item"][claims::PARTITION]["S"]
        .as_str()
        .expect("a key expression");
    assert_eq!(
        key,
        "{% 'pipeline-x#trigger#' & $states.input.input.time %}"
    );
    // The same key the runtime's contract gives for the event's time.
    let literal = claims::trigger_key("pipeline-x", "");
    assert!(key.contains(&format!("'{literal}'")), "{key} vs {literal}");
    assert!(!key.contains(".id"), "{key}");
}

#[test]
fn running_is_reported_after_the_claim_with_the_start_time() {
    let def = pipeline_x();
    let states = &def["States"];
    for claim in ["Claim trigger event", "Claim execution"] {
        assert_eq!(states[claim]["Next"], "Report running", "{claim}");
    }
    let report = &states["Report running"];
    assert_eq!(report["Resource"], "arn:aws:states:::events:putEvents");
    let entry = &report["Parameters"]["Entries"][0];
    assert_eq!(entry["Source"], PIPELINE_STATUS_SOURCE);
    assert_eq!(entry["DetailType"], "Pipeline Status Change");
    let detail = &entry["Detail"];
    assert_eq!(detail["status"], "RUNNING");
    assert_eq!(detail["pipeline"], "pipeline-x");
    assert_eq!(detail["account"], "444444444444");
    assert_eq!(detail["executionArn.$"], "$$.Execution.Id");
    assert_eq!(detail["redriveCount.$"], "$$.Execution.RedriveCount");
    assert_eq!(
        detail["startDate.$"], "$$.Execution.StartTime",
        "the status's time is the execution's start"
    );
    // The input passes on; a failed report never stops the run.
    assert_eq!(report["ResultPath"], Value::Null);
    assert_eq!(report["Next"], "Run date");
    assert_eq!(report["Catch"][0]["ErrorEquals"], json!(["States.ALL"]));
    assert_eq!(report["Catch"][0]["Next"], "Run date");
    // The duplicate path reports nothing and says what it was.
    let mark = &states["Mark as duplicate"];
    assert_eq!(mark["Result"], json!({DUPLICATE_OUTPUT_KEY: true}));
    assert_eq!(mark["Next"], "Duplicate trigger: already started");
}
