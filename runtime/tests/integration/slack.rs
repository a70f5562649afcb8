//! The Slack path end to end: Slack caller (SNS event) → signed POST /messages →
//! API Gateway (a local fake in front of the real poster) → Slack poster → a fake
//! Slack; channels registered through the Slack channel writer; the token in moto's
//! Secrets Manager; threads in moto's DynamoDB.

use crate::central::{RENT, api_event, arn};
use crate::support::aws::table;
use crate::support::http::{FakeServer, proxy_answer, proxy_event};
use crate::support::moto::{config, config_as, unique};
use dpc_runtime::http::HttpClient;
use dpc_runtime::notification::{self, Kind, Notification};
use dpc_runtime::registration::{ApiCaller, CentralApis};
use dpc_runtime::slack::{ChannelWriter, Poster, PosterSettings};
use dpc_runtime::slack_caller::SlackCaller;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

fn sns_event(message: &Notification) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:444444444444:dpc-pipeline-x-alerts:1",
        "Sns": {
            "Type": "Notification", "MessageId": "m-1",
            "TopicArn": "arn:aws:sns:eu-west-1:444444444444:dpc-pipeline-x-alerts",
            "Subject": "dpc: pipeline-x", "Message": message.text,
            "Timestamp": "2026-11-26T09:10:00.000Z",
            "MessageAttributes": {notification::ATTRIBUTE: {"Type": "String", "Value": serde_json::to_string(message).unwrap()}}
        }
    }]})
}

fn note(run: &str, status: &str, text: &str) -> Notification {
    Notification {
        version: "1".into(),
        pipeline: "pipeline-x".into(),
        account: RENT.into(),
        execution_arn: arn(RENT, "pipeline-x", run),
        kind: Kind::Pipeline,
        status: status.into(),
        step: None,
        text: text.into(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_messages_of_one_execution_share_a_thread_per_channel() {
    let config = config().await;
    let channels_table = unique("slack", "channels");
    let threads_table = unique("slack", "threads");
    table(&config, &channels_table, "pipeline", None).await;
    table(&config, &threads_table, "execution", None).await;
    let secret = unique("slack", "token");
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret)
        .secret_string(r#"{"token": "xoxb-test"}"#)
        .send()
        .await
        .unwrap();

    // The channels, registered as the registration provider would.
    let mut vars = BTreeMap::new();
    vars.insert("SLACK_CHANNELS_TABLE".to_string(), channels_table.clone());
    let writer = ChannelWriter::from_vars(&config, &vars).unwrap();
    let put = api_event(
        "PUT",
        &format!("/channels/{RENT}/pipeline-x"),
        Some(json!({"channels": ["data-pipeline-alerts", "C0123456789", "#data-pipeline-alerts"]})),
        RENT,
    );
    let answer = writer.handle(&put).await.unwrap();
    assert_eq!(answer["statusCode"], 200, "{answer}");
    let bad = api_event(
        "PUT",
        &format!("/channels/{RENT}/pipeline-x"),
        Some(json!({"channels": ["Not A Channel"]})),
        RENT,
    );
    assert_eq!(writer.handle(&bad).await.unwrap()["statusCode"], 400);

    // A fake Slack that numbers its messages.
    let counter = Arc::new(AtomicU32::new(0));
    let slack = FakeServer::start(move |request| {
        let counter = counter.clone();
        async move {
            if request.header("authorization") != Some("Bearer xoxb-test") {
                return (200, json!({"ok": false, "error": "invalid_auth"}));
            }
            let body = request.json();
            let channel = body["channel"].as_str().unwrap_or_default();
            let id = if channel.starts_with('#') {
                "CALERTS0001".to_string()
            } else {
                channel.to_string()
            };
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            (
                200,
                json!({"ok": true, "channel": id, "ts": format!("1795684200.{n:06}")}),
            )
        }
    })
    .await;
    let poster = Arc::new(Poster::new(
        &config,
        HttpClient::new().unwrap(),
        PosterSettings {
            channels_table,
            threads_table: threads_table.clone(),
            token_secret: secret,
            slack_api: slack.url.clone(),
            thread_wait: (10, Duration::from_millis(100)),
        },
    ));
    // API Gateway: IAM auth, then the poster.
    let api = FakeServer::start(move |request| {
        let poster = poster.clone();
        async move {
            match proxy_event(&request) {
                Ok(event) => proxy_answer(&poster.handle(&event).await.unwrap()),
                Err(denied) => denied,
            }
        }
    })
    .await;

    let caller_config = config_as(&format!("AKID{RENT}")).await;
    let mut apis = CentralApis::from_vars(&BTreeMap::<String, String>::new());
    apis.slack_api = Some(format!("{}/v1", api.url));
    apis.region = Some("eu-west-1".into());
    let caller = SlackCaller::new(ApiCaller::new(
        &caller_config,
        HttpClient::new().unwrap(),
        apis.clone(),
    ));

    let first = caller
        .handle(&sns_event(&note(
            "slack-1",
            "RUNNING",
            "pipeline-x started",
        )))
        .await
        .unwrap();
    let second = caller
        .handle(&sns_event(&note("slack-1", "FAILED", "pipeline-x failed")))
        .await
        .unwrap();
    assert_eq!((first.delivered, second.delivered), (1, 1));

    let posts: Vec<Value> = slack.requests().iter().map(|r| r.json()).collect();
    assert_eq!(posts.len(), 4, "two channels, two messages: {posts:#?}");
    let by_channel = |c: &str| {
        posts
            .iter()
            .filter(|p| p["channel"] == c)
            .cloned()
            .collect::<Vec<_>>()
    };
    let named = by_channel("#data-pipeline-alerts");
    assert_eq!(
        named.len(),
        1,
        "the first message goes to the channel by name"
    );
    assert!(named[0].get("thread_ts").is_none());
    let replies_named = by_channel("CALERTS0001");
    assert_eq!(
        replies_named.len(),
        1,
        "the reply goes to the id Slack answered with"
    );
    assert_eq!(replies_named[0]["text"], "pipeline-x failed");
    let root_named = slack
        .requests()
        .iter()
        .position(|r| r.json()["channel"] == "#data-pipeline-alerts")
        .unwrap() as u32
        + 1;
    assert_eq!(
        replies_named[0]["thread_ts"],
        format!("1795684200.{root_named:06}")
    );
    let by_id = by_channel("C0123456789");
    assert_eq!(by_id.len(), 2);
    assert!(by_id[0].get("thread_ts").is_none());
    assert!(by_id[1]["thread_ts"].as_str().is_some());

    // The thread ids are kept, per execution and channel.
    let ddb = aws_sdk_dynamodb::Client::new(&config);
    let item = ddb
        .get_item()
        .table_name(&threads_table)
        .key(
            "execution",
            aws_sdk_dynamodb::types::AttributeValue::S(format!(
                "{}##data-pipeline-alerts",
                arn(RENT, "pipeline-x", "slack-1")
            )),
        )
        .send()
        .await
        .unwrap()
        .item
        .unwrap();
    assert_eq!(item["channel"].as_s().unwrap(), "CALERTS0001");
    assert_eq!(
        item["rootMessageTs"].as_s().unwrap(),
        &format!("1795684200.{root_named:06}")
    );

    // Another account may not post pipeline-x's messages: refused for good, dropped.
    let intruder_config = config_as("AKID222222222222").await;
    let intruder = SlackCaller::new(ApiCaller::new(
        &intruder_config,
        HttpClient::new().unwrap(),
        apis,
    ));
    let refused = intruder
        .handle(&sns_event(&note("slack-1", "FAILED", "spoofed")))
        .await
        .unwrap();
    assert_eq!((refused.delivered, refused.dropped), (0, 1));
    assert_eq!(slack.requests().len(), 4);
}
