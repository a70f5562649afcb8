//! The central account's trigger path against moto: dependency API → trigger manager
//! → central bus (a rule with an SQS target captures what is put on it).

use crate::support::aws::{bus_to_queue, dependencies_table, drain, settle, table};
use crate::support::moto::{config, unique};
use dpc_model::Timestamp;
use dpc_runtime::clock::FixedClock;
use dpc_runtime::dependencies::{DependenciesWriter, WriterNames};
use dpc_runtime::trigger_manager::{CentralNames, Hook, TriggerManager};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

pub const LISTINGS: &str = "222222222222";
pub const SEARCHES: &str = "333333333333";
pub const RENT: &str = "444444444444";

pub struct Central {
    pub config: aws_config::SdkConfig,
    pub names: CentralNames,
    pub writer: DependenciesWriter,
    pub queue: String,
    pub clock: Arc<FixedClock>,
}

impl Central {
    pub fn manager(&self) -> TriggerManager {
        TriggerManager::new(&self.config, self.names.clone(), self.clock.clone())
    }

    /// Delivers `event` at `now` (the manager's clock).
    pub async fn deliver(
        &self,
        manager: &TriggerManager,
        event: &Value,
        now: &str,
    ) -> dpc_runtime::trigger_manager::Outcome {
        self.clock.set(Timestamp::parse(now).unwrap());
        manager.handle(event).await.unwrap()
    }

    pub async fn trigger_events(&self) -> Vec<Value> {
        settle().await;
        drain(&self.config, &self.queue).await
    }
}

pub async fn central(test: &str) -> Central {
    let config = config().await;
    let names = CentralNames {
        run_log: unique(test, "run-log"),
        dependencies: unique(test, "dependencies"),
        triggers: unique(test, "triggers"),
        bus: unique(test, "bus"),
    };
    table(&config, &names.run_log, "pipeline", Some("event")).await;
    dependencies_table(&config, &names.dependencies).await;
    table(&config, &names.triggers, "pipeline", Some("record")).await;
    let queue = bus_to_queue(
        &config,
        &names.bus,
        "dpc.orchestrator",
        &unique(test, "triggers-q"),
    )
    .await;
    let writer = DependenciesWriter::new(
        &config,
        WriterNames {
            dependencies: names.dependencies.clone(),
            run_log: names.run_log.clone(),
            triggers: names.triggers.clone(),
        },
    );
    let central = Central {
        config,
        names,
        writer,
        queue,
        clock: Arc::new(FixedClock::new(
            Timestamp::parse("2026-11-26T00:00:00Z").unwrap(),
        )),
    };
    // pipeline-x waits for listings and searches, as examples/case-study says.
    let answer = central
        .writer
        .handle(&api_event(
            "PUT",
            &format!("/dependencies/{RENT}/pipeline-x"),
            Some(pipeline_x_body()),
            RENT,
        ))
        .await
        .unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    central
}

pub fn pipeline_x_body() -> Value {
    json!({
        "trigger": "executions",
        "withinSeconds": 86400,
        "condition": {"operator": "AND", "anyOf": [], "allOf": [
            {"item": {"pipeline": {"account": LISTINGS, "name": "listings"}, "status": ["SUCCEEDED"]}},
            {"item": {"pipeline": {"account": SEARCHES, "name": "searches"}, "status": ["SUCCEEDED"]}}
        ]},
        "parents": [{"account": LISTINGS, "name": "listings"}, {"account": SEARCHES, "name": "searches"}]
    })
}

/// An API Gateway proxy event as IAM auth delivers it.
pub fn api_event(method: &str, path: &str, body: Option<Value>, caller: &str) -> Value {
    json!({
        "resource": "/dependencies/{account}/{pipeline}",
        "httpMethod": method,
        "path": path,
        "body": body.map(|b| b.to_string()),
        "isBase64Encoded": false,
        "requestContext": {"accountId": "111111111111", "stage": "v1",
            "identity": {"accountId": caller, "userArn": format!("arn:aws:sts::{caller}:assumed-role/dpc-registration/x")}}
    })
}

pub fn arn(account: &str, pipeline: &str, run: &str) -> String {
    format!("arn:aws:states:eu-west-1:{account}:execution:dpc-{pipeline}:{run}")
}

fn millis(t: &str) -> i64 {
    Timestamp::parse(t).unwrap().as_unix_seconds() * 1000
}

/// Step Functions' own status event.
pub fn sfn(
    account: &str,
    pipeline: &str,
    run: &str,
    status: &str,
    start: &str,
    stop: Option<&str>,
) -> Value {
    json!({
        "version": "0", "id": format!("{run}-{status}"), "detail-type": "Step Functions Execution Status Change",
        "source": "aws.states", "account": account, "time": stop.unwrap_or(start), "region": "eu-west-1",
        "resources": [arn(account, pipeline, run)],
        "detail": {
            "executionArn": arn(account, pipeline, run),
            "stateMachineArn": format!("arn:aws:states:eu-west-1:{account}:stateMachine:dpc-{pipeline}"),
            "name": run, "status": status, "startDate": millis(start),
            "stopDate": stop.map(millis), "input": "{}", "output": null, "redriveCount": 0
        }
    })
}

/// The state machine's own report (as constructs/src/pipeline/definition.rs sends it).
pub fn report(account: &str, pipeline: &str, run: &str, status: &str, at: &str) -> Value {
    json!({
        "version": "0", "id": format!("{run}-{status}-report"), "detail-type": "Pipeline Status Change",
        "source": "dpc.pipeline", "account": account, "time": at, "region": "eu-west-1", "resources": [],
        "detail": {"version": "1", "pipeline": pipeline, "account": account, "status": status,
            "executionArn": arn(account, pipeline, run),
            "stateMachineArn": format!("arn:aws:states:eu-west-1:{account}:stateMachine:dpc-{pipeline}"),
            "redriveCount": 0}
    })
}

fn expected_detail(cause_run: &str) -> Value {
    json!({
        "version": "1", "pipeline": "pipeline-x", "account": RENT,
        "cause": {"pipeline": "listings", "account": LISTINGS, "status": "SUCCEEDED",
                  "executionArn": arn(LISTINGS, "listings", cause_run)},
        "upstream": {LISTINGS: {"listings": "SUCCEEDED"}, SEARCHES: {"searches": "SUCCEEDED"}}
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_study_fires_pipeline_x_once_whatever_the_delivery() {
    let c = central("case-study").await;
    let manager = c.manager();
    // Out of order: searches' end before its start; both reports of every end; repeats.
    let deliveries = [
        (
            sfn(
                SEARCHES,
                "searches",
                "s1",
                "SUCCEEDED",
                "2026-11-26T05:00:00Z",
                Some("2026-11-26T05:50:00Z"),
            ),
            "2026-11-26T05:50:02Z",
        ),
        (
            sfn(
                SEARCHES,
                "searches",
                "s1",
                "RUNNING",
                "2026-11-26T05:00:00Z",
                None,
            ),
            "2026-11-26T05:50:03Z",
        ),
        (
            sfn(
                LISTINGS,
                "listings",
                "r1",
                "RUNNING",
                "2026-11-26T03:00:00Z",
                None,
            ),
            "2026-11-26T05:50:04Z",
        ),
        (
            report(LISTINGS, "listings", "r1", "FAILED", "2026-11-26T03:40:00Z"),
            "2026-11-26T05:50:05Z",
        ),
        (
            sfn(
                LISTINGS,
                "listings",
                "r1",
                "FAILED",
                "2026-11-26T03:00:00Z",
                Some("2026-11-26T03:40:01Z"),
            ),
            "2026-11-26T05:50:06Z",
        ),
        (
            report(
                SEARCHES,
                "searches",
                "s1",
                "SUCCEEDED",
                "2026-11-26T05:49:59Z",
            ),
            "2026-11-26T05:50:07Z",
        ),
        (
            sfn(
                SEARCHES,
                "searches",
                "s1",
                "SUCCEEDED",
                "2026-11-26T05:00:00Z",
                Some("2026-11-26T05:50:00Z"),
            ),
            "2026-11-26T05:50:08Z",
        ),
    ];
    for (event, now) in &deliveries {
        let outcome = c.deliver(&manager, event, now).await;
        assert!(
            outcome.fired.is_empty(),
            "nothing may fire before listings succeeds: {outcome:?}"
        );
    }
    assert!(c.trigger_events().await.is_empty());

    // listings reruns and succeeds. Its own report arrives first; while that invocation
    // sits between reading pipeline-x's state and writing it, Step Functions' event
    // for the same status is handled completely by a second invocation.
    let own = sfn(
        LISTINGS,
        "listings",
        "r2",
        "SUCCEEDED",
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    let fired_inside = Arc::new(AtomicBool::new(false));
    let hook: Hook = {
        let other = c.manager();
        let own = own.clone();
        let once = Arc::new(AtomicBool::new(false));
        let fired_inside = fired_inside.clone();
        Arc::new(move |_child| {
            let other = other.clone();
            let own = own.clone();
            let once = once.clone();
            let fired_inside = fired_inside.clone();
            Box::pin(async move {
                if !once.swap(true, Ordering::SeqCst) {
                    let outcome = other.handle(&own).await.unwrap();
                    fired_inside.store(outcome.fired.len() == 1, Ordering::SeqCst);
                }
            })
        })
    };
    let racing = c.manager().with_hook(hook);
    let first = c
        .deliver(
            &racing,
            &report(
                LISTINGS,
                "listings",
                "r2",
                "SUCCEEDED",
                "2026-11-26T09:09:59Z",
            ),
            "2026-11-26T09:10:02Z",
        )
        .await;
    assert!(
        fired_inside.load(Ordering::SeqCst),
        "the inner invocation fires pipeline-x"
    );
    assert!(
        first.fired.is_empty(),
        "the outer one loses the race and fires nothing: {first:?}"
    );
    // Delivered twice more, and a late RUNNING.
    for (event, now) in [
        (own.clone(), "2026-11-26T09:10:03Z"),
        (
            report(
                LISTINGS,
                "listings",
                "r2",
                "SUCCEEDED",
                "2026-11-26T09:09:59Z",
            ),
            "2026-11-26T09:10:04Z",
        ),
        (
            sfn(
                LISTINGS,
                "listings",
                "r2",
                "RUNNING",
                "2026-11-26T09:00:00Z",
                None,
            ),
            "2026-11-26T09:10:05Z",
        ),
    ] {
        let outcome = c.deliver(&manager, &event, now).await;
        assert!(
            outcome.fired.is_empty() && outcome.sent.is_empty(),
            "{outcome:?}"
        );
    }

    let events = c.trigger_events().await;
    assert_eq!(events.len(), 1, "exactly one trigger event: {events:#?}");
    let event = &events[0];
    assert_eq!(event["source"], "dpc.orchestrator");
    assert_eq!(event["detail-type"], "Pipeline Trigger");
    assert_eq!(event["detail"], expected_detail("r2"));
    // SPEC's shape, key for key.
    let keys: Vec<&String> = event["detail"].as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        ["version", "pipeline", "account", "cause", "upstream"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listings_fails_then_reruns_and_pipeline_x_runs_without_anyone_touching_it() {
    let c = central("story").await;
    let m = c.manager();
    c.deliver(
        &m,
        &sfn(
            LISTINGS,
            "listings",
            "r1",
            "RUNNING",
            "2026-11-26T03:00:00Z",
            None,
        ),
        "2026-11-26T03:00:01Z",
    )
    .await;
    c.deliver(
        &m,
        &sfn(
            LISTINGS,
            "listings",
            "r1",
            "FAILED",
            "2026-11-26T03:00:00Z",
            Some("2026-11-26T03:40:00Z"),
        ),
        "2026-11-26T03:40:01Z",
    )
    .await;
    let searches = c
        .deliver(
            &m,
            &sfn(
                SEARCHES,
                "searches",
                "s1",
                "SUCCEEDED",
                "2026-11-26T05:00:00Z",
                Some("2026-11-26T05:50:00Z"),
            ),
            "2026-11-26T05:50:01Z",
        )
        .await;
    assert!(searches.fired.is_empty());
    assert!(
        c.trigger_events().await.is_empty(),
        "listings failed: pipeline-x does not run"
    );

    let rerun = c
        .deliver(
            &m,
            &sfn(
                LISTINGS,
                "listings",
                "r2",
                "SUCCEEDED",
                "2026-11-26T09:00:00Z",
                Some("2026-11-26T09:10:00Z"),
            ),
            "2026-11-26T09:10:01Z",
        )
        .await;
    assert_eq!(rerun.fired.len(), 1);
    let events = c.trigger_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"], expected_detail("r2"));
    assert_eq!(
        events[0]["time"], "2026-11-26T09:10:01Z",
        "the trigger event carries the time it fired"
    );

    // The same upstream runs cannot fire it again; a new day's runs can.
    let again = c
        .deliver(
            &m,
            &sfn(
                LISTINGS,
                "listings",
                "r3",
                "SUCCEEDED",
                "2026-11-27T03:00:00Z",
                Some("2026-11-27T03:30:00Z"),
            ),
            "2026-11-27T03:30:01Z",
        )
        .await;
    assert!(
        again.fired.is_empty(),
        "searches' success was used up by the trigger at 09:10"
    );
    let next = c
        .deliver(
            &m,
            &sfn(
                SEARCHES,
                "searches",
                "s2",
                "SUCCEEDED",
                "2026-11-27T05:00:00Z",
                Some("2026-11-27T05:45:00Z"),
            ),
            "2026-11-27T05:45:01Z",
        )
        .await;
    assert_eq!(next.fired.len(), 1);
    assert_eq!(c.trigger_events().await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_trigger_the_bus_refused_is_sent_by_the_redrive() {
    let c = central("redrive").await;
    let good = c.manager();
    c.deliver(
        &good,
        &sfn(
            SEARCHES,
            "searches",
            "s1",
            "SUCCEEDED",
            "2026-11-26T05:00:00Z",
            Some("2026-11-26T05:50:00Z"),
        ),
        "2026-11-26T05:50:01Z",
    )
    .await;
    // The bus cannot be reached (no such bus): the put fails after its retries.
    let mut broken_names = c.names.clone();
    broken_names.bus = "no-such-bus".into();
    let broken = TriggerManager::new(&c.config, broken_names, c.clock.clone())
        .with_put_retries(2, std::time::Duration::from_millis(10));
    let success = sfn(
        LISTINGS,
        "listings",
        "r2",
        "SUCCEEDED",
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    c.clock
        .set(Timestamp::parse("2026-11-26T09:10:01Z").unwrap());
    let failed = broken.handle(&success).await;
    assert!(failed.is_err(), "the invocation fails so Lambda retries it");
    assert!(c.trigger_events().await.is_empty());
    let records = pending_records(&c).await;
    assert_eq!(
        records.len(),
        1,
        "the trigger is recorded, not lost: {records:?}"
    );
    assert_eq!(records[0].1, "PENDING");

    // The dead-letter redrive delivers the same event again: it is a duplicate for the
    // run log, and completes the pending trigger.
    let redriven = c.deliver(&good, &success, "2026-11-26T09:30:00Z").await;
    assert!(redriven.duplicate);
    assert_eq!(redriven.sent.len(), 1);
    let events = c.trigger_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"], expected_detail("r2"));
    assert_eq!(pending_records(&c).await[0].1, "SENT");
    let third = c.deliver(&good, &success, "2026-11-26T09:31:00Z").await;
    assert!(third.sent.is_empty());
    assert!(c.trigger_events().await.is_empty());
}

async fn pending_records(c: &Central) -> Vec<(String, String)> {
    let ddb = aws_sdk_dynamodb::Client::new(&c.config);
    let items = ddb
        .query()
        .table_name(&c.names.triggers)
        .key_condition_expression("pipeline = :p AND begins_with(#r, :t)")
        .expression_attribute_names("#r", "record")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{RENT}#pipeline-x")),
        )
        .expression_attribute_values(
            ":t",
            aws_sdk_dynamodb::types::AttributeValue::S("TRIGGER#".into()),
        )
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default();
    items
        .iter()
        .map(|i| {
            (
                i["record"].as_s().unwrap().clone(),
                i["status"].as_s().unwrap().clone(),
            )
        })
        .collect()
}

/// The state machine's RUNNING report, sent once its claim holds (as
/// constructs/src/pipeline/definition.rs sends it): `startDate` is the execution's start.
pub fn running_report(account: &str, pipeline: &str, run: &str, start: &str, at: &str) -> Value {
    let mut event = report(account, pipeline, run, "RUNNING", at);
    event["detail"]["startDate"] = json!(start);
    event
}

async fn latest_of(c: &Central, account: &str, pipeline: &str) -> Option<(String, String, String)> {
    let ddb = aws_sdk_dynamodb::Client::new(&c.config);
    let got = ddb
        .get_item()
        .table_name(&c.names.run_log)
        .key(
            "pipeline",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{account}#{pipeline}")),
        )
        .key(
            "event",
            aws_sdk_dynamodb::types::AttributeValue::S("LATEST".into()),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap();
    got.item().map(|i| {
        (
            i["execution"].as_s().unwrap().clone(),
            i["status"].as_s().unwrap().clone(),
            i[dpc_model::contract::tables::run_log::EVENT_TIME]
                .as_s()
                .unwrap()
                .clone(),
        )
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_duplicate_execution_changes_nothing_and_triggers_nothing() {
    let c = central("duplicate-run").await;
    let m = c.manager();
    c.deliver(
        &m,
        &sfn(
            SEARCHES,
            "searches",
            "s1",
            "SUCCEEDED",
            "2026-11-26T05:00:00Z",
            Some("2026-11-26T05:50:00Z"),
        ),
        "2026-11-26T05:50:01Z",
    )
    .await;
    // listings r2 claims its trigger and runs: its own RUNNING report is its latest
    // status, at the execution's start.
    let running = c
        .deliver(
            &m,
            &running_report(
                LISTINGS,
                "listings",
                "r2",
                "2026-11-26T09:00:00.250Z",
                "2026-11-26T09:00:02Z",
            ),
            "2026-11-26T09:00:02Z",
        )
        .await;
    assert!(running.ignored.is_none(), "{running:?}");
    assert_eq!(
        latest_of(&c, LISTINGS, "listings").await,
        Some((
            arn(LISTINGS, "listings", "r2"),
            "RUNNING".into(),
            "2026-11-26T09:00:00Z".into()
        ))
    );
    // Step Functions' RUNNING of the same run is the same event (and ignored anyway).
    let sfn_running = c
        .deliver(
            &m,
            &sfn(
                LISTINGS,
                "listings",
                "r2",
                "RUNNING",
                "2026-11-26T09:00:00Z",
                None,
            ),
            "2026-11-26T09:00:03Z",
        )
        .await;
    assert!(sfn_running.ignored.is_some() && sfn_running.fired.is_empty());

    // The trigger was delivered twice: execution dup started a little later, found its
    // claim taken and ended SUCCEEDED with {"dpcDuplicate": true}. Step Functions
    // reports its RUNNING and its SUCCEEDED, each twice.
    let mut dup_succeeded = sfn(
        LISTINGS,
        "listings",
        "dup",
        "SUCCEEDED",
        "2026-11-26T09:00:01Z",
        Some("2026-11-26T09:00:02Z"),
    );
    dup_succeeded["detail"]["output"] = json!("{\"dpcDuplicate\":true}");
    let dup_running = sfn(
        LISTINGS,
        "listings",
        "dup",
        "RUNNING",
        "2026-11-26T09:00:01Z",
        None,
    );
    for (event, now) in [
        (&dup_running, "2026-11-26T09:00:04Z"),
        (&dup_succeeded, "2026-11-26T09:00:05Z"),
        (&dup_succeeded, "2026-11-26T09:00:06Z"),
        (&dup_running, "2026-11-26T09:00:07Z"),
    ] {
        let outcome = c.deliver(&m, event, now).await;
        assert!(
            outcome.ignored.is_some() && outcome.fired.is_empty() && outcome.sent.is_empty(),
            "a duplicate execution's event changes nothing: {outcome:?}"
        );
    }
    assert!(
        c.trigger_events().await.is_empty(),
        "the duplicate's SUCCEEDED is no success of listings"
    );
    assert_eq!(
        latest_of(&c, LISTINGS, "listings").await.map(|l| l.1),
        Some("RUNNING".into()),
        "listings' latest status is still r2's RUNNING"
    );
    // Nothing of the duplicate is in the run log.
    let ddb = aws_sdk_dynamodb::Client::new(&c.config);
    let logged = ddb
        .query()
        .table_name(&c.names.run_log)
        .key_condition_expression("pipeline = :p AND begins_with(#e, :d)")
        .expression_attribute_names("#e", "event")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{LISTINGS}#listings")),
        )
        .expression_attribute_values(
            ":d",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "EVENT#{}",
                arn(LISTINGS, "listings", "dup")
            )),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(logged.count(), 0);

    // r2's real success fires pipeline-x once (both reports).
    let done = c
        .deliver(
            &m,
            &report(
                LISTINGS,
                "listings",
                "r2",
                "SUCCEEDED",
                "2026-11-26T09:10:00Z",
            ),
            "2026-11-26T09:10:01Z",
        )
        .await;
    assert_eq!(done.fired.len(), 1);
    let again = c
        .deliver(
            &m,
            &sfn(
                LISTINGS,
                "listings",
                "r2",
                "SUCCEEDED",
                "2026-11-26T09:00:00Z",
                Some("2026-11-26T09:10:00Z"),
            ),
            "2026-11-26T09:10:02Z",
        )
        .await;
    assert!(again.duplicate && again.fired.is_empty());
    let events = c.trigger_events().await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["detail"], expected_detail("r2"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_re_put_trigger_claims_the_same_key() {
    let c = central("re-put").await;
    let m = c.manager();
    c.deliver(
        &m,
        &sfn(
            SEARCHES,
            "searches",
            "s1",
            "SUCCEEDED",
            "2026-11-26T05:00:00Z",
            Some("2026-11-26T05:50:00Z"),
        ),
        "2026-11-26T05:50:01Z",
    )
    .await;
    let success = sfn(
        LISTINGS,
        "listings",
        "r2",
        "SUCCEEDED",
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    let first = c.deliver(&m, &success, "2026-11-26T09:10:01Z").await;
    assert_eq!(first.sent.len(), 1);
    // PutEvents answered ambiguously (it was put, but the invocation did not learn it):
    // the record is sent again by a later invocation, much later.
    let ddb = aws_sdk_dynamodb::Client::new(&c.config);
    let records = pending_records(&c).await;
    assert_eq!(records.len(), 1);
    ddb.update_item()
        .table_name(&c.names.triggers)
        .key(
            "pipeline",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{RENT}#pipeline-x")),
        )
        .key(
            "record",
            aws_sdk_dynamodb::types::AttributeValue::S(records[0].0.clone()),
        )
        .update_expression("SET #s = :p")
        .expression_attribute_names("#s", "status")
        .expression_attribute_values(
            ":p",
            aws_sdk_dynamodb::types::AttributeValue::S("PENDING".into()),
        )
        .send()
        .await
        .unwrap();
    ddb.update_item()
        .table_name(&c.names.triggers)
        .key(
            "pipeline",
            aws_sdk_dynamodb::types::AttributeValue::S(format!("{RENT}#pipeline-x")),
        )
        .key(
            "record",
            aws_sdk_dynamodb::types::AttributeValue::S("STATE".into()),
        )
        .update_expression("ADD pending :r")
        .expression_attribute_values(
            ":r",
            aws_sdk_dynamodb::types::AttributeValue::Ss(vec![records[0].0.clone()]),
        )
        .send()
        .await
        .unwrap();
    let redriven = c.deliver(&m, &success, "2026-11-26T11:00:00Z").await;
    assert!(redriven.duplicate);
    assert_eq!(redriven.sent.len(), 1, "the trigger is put a second time");
    let events = c.trigger_events().await;
    assert_eq!(events.len(), 2, "{events:#?}");
    assert_ne!(events[0]["id"], events[1]["id"], "EventBridge ids differ");
    // What the state machine claims (dpc_model::contract::tables::claims::trigger_key
    // of the pipeline and the event's time) is the same for both.
    let key = |e: &Value| {
        dpc_model::contract::tables::claims::trigger_key(
            e["detail"]["pipeline"].as_str().unwrap(),
            e["time"].as_str().unwrap(),
        )
    };
    assert_eq!(key(&events[0]), key(&events[1]));
    assert_eq!(key(&events[0]), "pipeline-x#trigger#2026-11-26T09:10:01Z");
}
