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
