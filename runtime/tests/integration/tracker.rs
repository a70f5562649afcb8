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
    format!("arn:aws:states:eu-west-1:{ACCOUNT}:execution:dpc-tracked:run-1")
}

/// What CloudWatch Logs sends a subscribed Lambda: `{"awslogs": {"data": base64(gzip(json))}}`.
fn logs_payload(lines: &[Value]) -> Value {
    let events: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, line)| json!({"id": format!("3795{i:04}"), "timestamp": 1_795_684_200_000_i64 + i as i64, "message": line.to_string()}))
        .collect();
    let payload = json!({
        "messageType": "DATA_MESSAGE", "owner": ACCOUNT,
        "logGroup": "/aws/vendedlogs/states/dpc-tracked",
        "logStream": "states/dpc-tracked/2026-11-26-09-00/abc",
        "subscriptionFilters": ["dpc-tracked-steps"],
        "logEvents": events
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(payload.to_string().as_bytes()).unwrap();
    let data = base64::engine::general_purpose::STANDARD.encode(gz.finish().unwrap());
    json!({"awslogs": {"data": data}})
}

fn history(id: u32, kind: &str, details: Value) -> Value {
    json!({"id": id.to_string(), "type": kind, "details": details, "previous_event_id": (id - 1).to_string(),
           "event_timestamp": "1795684200000", "execution_arn": execution()})
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
