//! The execution tracker fed a real CloudWatch Logs payload (gzip + base64) and a
//! status event; it publishes to the pipeline's topic in moto (an SQS subscription
//! reads what was published), once per message.

use crate::support::aws::{drain, queue, settle, table};
use crate::support::moto::{config, unique};
use base64::Engine as _;
use dpc_runtime::tracker::Tracker;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write;

// moto's own account: the topic lives where the execution does.
const ACCOUNT: &str = "123456789012";

fn execution() -> String {
    execution_of("tracked")
}

fn execution_of(pipeline: &str) -> String {
    format!("arn:aws:states:eu-west-1:{ACCOUNT}:execution:dpc-{pipeline}:run-1")
}

/// What CloudWatch Logs sends a subscribed Lambda: `{"awslogs": {"data": base64(gzip(json))}}`.
fn logs_payload(lines: &[Value]) -> Value {
    logs_payload_of("tracked", lines)
}

fn logs_payload_of(pipeline: &str, lines: &[Value]) -> Value {
    let events: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| json!({"id": format!("3795{i:04}"), "timestamp": 1_795_684_200_000_i64 + i as i64, "message": line.to_string()}))
        .collect();
    let payload = json!({
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT,
        "logGroup": format!("/aws/vendedlogs/states/dpc-{pipeline}"),
        "logStream": format!("states/dpc-{pipeline}/2026-11-26-09-00/abc"),
        "subscriptionFilters": [format!("dpc-{pipeline}-steps")],
        "logEvents": events
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(payload.to_string().as_bytes()).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    json!({"awslogs": {"data": data}})
}

fn history(id: u32, kind: &str, details: Value) -> Value {
    history_of(&execution(), id, kind, details)
}

fn history_of(execution: &str, id: u32, kind: &str, details: Value) -> Value {
    json!({"id": id.to_string(), "type": kind, "details": details, "previous_event_id": (id - 1).to_string(),
           "event_timestamp": "1795684200000", "execution_arn": execution})
}

fn status_event(pipeline: &str, status: &str) -> Value {
    json!({
        "source": "aws.states", "detail-type": "Step Functions Execution Status Change",
        "time": "2026-11-26T09:20:00Z", "account": ACCOUNT, "region": "eu-west-1",
        "detail": {"executionArn": execution_of(pipeline), "stateMachineArn": format!("arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:dpc-{pipeline}"),
                   "name": "run-1", "status": status, "startDate": 1_795_683_600_000_i64, "stopDate": 1_795_684_800_000_i64,
                   "redriveCount": 0, "error": "States.TaskFailed", "cause": "Step failed"}
    })
}

/// `FULL_EXECUTION`: step events and every run status reach Slack (and a target that
/// asked for them); OpsGenie, subscribed with the filter policy the pipeline stack
/// gives a target with the default `events`, gets the run's failure only. SQS queues
/// stand in for the Slack caller and the OpsGenie endpoint: SNS filters the same way
/// for every protocol.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_events_reach_slack_but_not_opsgenie_unless_asked() {
    let config = config().await;
    let claims = unique("routing", "claims");
    table(&config, &claims, "triggerId", None).await;
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("dpc-routed-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let opsgenie_policy = dpc_model::contract::alerts::pipeline_status_filter(&[
        dpc_model::Status::Failed,
        dpc_model::Status::TimedOut,
        dpc_model::Status::Aborted,
    ]);
    let mut inboxes = Vec::new();
    for (name, policy) in [
        ("slack", None),
        ("opsgenie", Some(opsgenie_policy)),
        ("asked", None),
    ] {
        let (url, arn) = queue(&config, &unique("routing", name)).await;
        let mut subscribe = sns
            .subscribe()
            .topic_arn(&topic)
            .protocol("sqs")
            .endpoint(arn);
        if let Some(policy) = policy {
            subscribe = subscribe.attributes("FilterPolicy", policy.to_string());
        }
        subscribe.send().await.unwrap();
        inboxes.push(url);
    }
    let mut vars = BTreeMap::new();
    vars.insert("CLAIMS_TABLE".to_string(), claims);
    let tracker = Tracker::from_vars(&config, &vars).unwrap();

    let run = execution_of("routed");
    assert_eq!(
        tracker
            .handle(&status_event("routed", "RUNNING"))
            .await
            .unwrap()
            .published
            .len(),
        1
    );
    let steps = tracker
        .handle(&logs_payload_of(
            "routed",
            &[
                history_of(&run, 2, "TaskStateEntered", json!({"name": "aggregate"})),
                history_of(
                    &run,
                    3,
                    "TaskFailed",
                    json!({"error": "States.TaskFailed", "cause": "exit 1"}),
                ),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(steps.published.len(), 2);
    assert_eq!(
        tracker
            .handle(&status_event("routed", "FAILED"))
            .await
            .unwrap()
            .published
            .len(),
        1
    );

    settle().await;
    let texts = |inbox: Vec<Value>| -> Vec<String> {
        let mut t: Vec<String> = inbox
            .iter()
            .map(|m| {
                m["Message"]
                    .as_str()
                    .unwrap()
                    .lines()
                    .next()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        t.sort();
        t
    };
    let slack = texts(drain(&config, &inboxes[0]).await);
    let opsgenie = texts(drain(&config, &inboxes[1]).await);
    let asked = texts(drain(&config, &inboxes[2]).await);
    assert_eq!(slack.len(), 4, "every message: {slack:#?}");
    assert!(
        slack.iter().any(|t| t.contains("step `aggregate` started")),
        "{slack:#?}"
    );
    assert_eq!(
        asked, slack,
        "events: [FULL_EXECUTION] gets what Slack gets"
    );
    assert_eq!(opsgenie.len(), 1, "the run's failure only: {opsgenie:#?}");
    assert!(opsgenie[0].contains("routed FAILED"), "{opsgenie:#?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn steps_and_statuses_reach_the_topic_once() {
    let config = config().await;
    let claims = unique("tracker", "claims");
    table(&config, &claims, "triggerId", None).await;
    let sns = aws_sdk_sns::Client::new(&config);
    let topic = sns
        .create_topic()
        .name("dpc-tracked-alerts")
        .send()
        .await
        .unwrap()
        .topic_arn
        .unwrap();
    let (queue_url, queue_arn) = queue(&config, &unique("tracker", "inbox")).await;
    sns.subscribe()
        .topic_arn(&topic)
        .protocol("sqs")
        .endpoint(queue_arn)
        .send()
        .await
        .unwrap();
    let mut vars = BTreeMap::new();
    vars.insert("CLAIMS_TABLE".to_string(), claims);
    let tracker = Tracker::from_vars(&config, &vars).unwrap();

    let payload = logs_payload(&[
        history(
            2,
            "TaskStateEntered",
            json!({"name": "aggregate", "input": "{}"}),
        ),
        history(
            3,
            "TaskScheduled",
            json!({"resourceType": "elasticmapreduce", "resource": "addStep.sync"}),
        ),
        history(
            4,
            "TaskFailed",
            json!({"error": "States.TaskFailed", "cause": "Step failed: exit code 1"}),
        ),
        history(
            5,
            "PassStateEntered",
            json!({"name": "Stop cluster (run failed)"}),
        ),
    ]);
    let sent = tracker.handle(&payload).await.unwrap();
    let steps: Vec<(String, Option<String>)> = sent
        .published
        .iter()
        .map(|n| (n.status.clone(), n.step.clone()))
        .collect();
    assert_eq!(
        steps,
        [
            ("STARTED".to_string(), Some("aggregate".to_string())),
            ("FAILED".to_string(), Some("aggregate".to_string()))
        ]
    );
    // CloudWatch Logs may deliver a batch twice.
    let again = tracker.handle(&payload).await.unwrap();
    assert_eq!((again.published.len(), again.duplicates), (0, 2));

    let failed = json!({
        "source": "aws.states", "detail-type": "Step Functions Execution Status Change",
        "time": "2026-11-26T09:20:00Z", "account": ACCOUNT, "region": "eu-west-1",
        "detail": {"executionArn": execution(), "stateMachineArn": format!("arn:aws:states:eu-west-1:{ACCOUNT}:stateMachine:dpc-tracked"),
                   "name": "run-1", "status": "FAILED", "startDate": 1_795_683_600_000_i64, "stopDate": 1_795_684_800_000_i64,
                   "redriveCount": 0, "error": "States.TaskFailed", "cause": "Step failed"}
    });
    assert_eq!(tracker.handle(&failed).await.unwrap().published.len(), 1);
    assert_eq!(tracker.handle(&failed).await.unwrap().duplicates, 1);

    settle().await;
    let inbox = drain(&config, &queue_url).await;
    assert_eq!(inbox.len(), 3, "{inbox:#?}");
    let texts: Vec<&str> = inbox
        .iter()
        .map(|m| m["Message"].as_str().unwrap())
        .collect();
    assert!(
        texts.iter().any(|t| t.contains("step `aggregate` started")),
        "{texts:?}"
    );
    assert!(
        texts
            .iter()
            .any(|t| t.contains("step `aggregate` failed") && t.contains("exit code 1")),
        "{texts:?}"
    );
    let status = texts
        .iter()
        .find(|t| t.contains("tracked FAILED"))
        .expect("the run's status");
    assert!(status.contains("console.aws.amazon.com/states"), "{status}");
    let attribute = &inbox[0]["MessageAttributes"]["dpc.notification"]["Value"];
    let structured: Value = serde_json::from_str(attribute.as_str().unwrap()).unwrap();
    assert_eq!(structured["executionArn"], execution());
}
