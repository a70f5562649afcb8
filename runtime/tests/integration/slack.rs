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

/// An SNS delivery of `message`, as a new SNS message (a fresh MessageId).
fn sns_event(message: &Notification) -> Value {
    static NEXT: AtomicU32 = AtomicU32::new(1);
    sns_event_with_id(
        message,
        &format!("m-{}", NEXT.fetch_add(1, Ordering::SeqCst)),
    )
}

/// An SNS delivery of `message` with SNS's `message_id` (the same on a redelivery).
fn sns_event_with_id(message: &Notification, message_id: &str) -> Value {
    json!({"Records": [{
        "EventSource": "aws:sns", "EventVersion": "1.0",
        "EventSubscriptionArn": "arn:aws:sns:eu-west-1:444444444444:dpc-pipeline-x-alerts:1",
        "Sns": {
            "Type": "Notification", "MessageId": message_id,
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
        id: None,
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

/// The central Slack API over moto (tables, token secret, channels registered) in
/// front of `slack`, and rent-journey's Slack caller of it.
struct Rig {
    caller: SlackCaller,
    threads_table: String,
    ddb: aws_sdk_dynamodb::Client,
    _api: FakeServer,
}

async fn rig(test: &str, channels: &[&str], slack: &FakeServer) -> Rig {
    let config = config().await;
    let channels_table = unique(test, "channels");
    let threads_table = unique(test, "threads");
    table(&config, &channels_table, "pipeline", None).await;
    table(&config, &threads_table, "execution", None).await;
    let secret = unique(test, "token");
    aws_sdk_secretsmanager::Client::new(&config)
        .create_secret()
        .name(&secret)
        .secret_string("xoxb-test")
        .send()
        .await
        .unwrap();
    let mut vars = BTreeMap::new();
    vars.insert("SLACK_CHANNELS_TABLE".to_string(), channels_table.clone());
    let writer = ChannelWriter::from_vars(&config, &vars).unwrap();
    let put = api_event(
        "PUT",
        &format!("/channels/{RENT}/pipeline-x"),
        Some(json!({ "channels": channels })),
        RENT,
    );
    assert_eq!(writer.handle(&put).await.unwrap()["statusCode"], 200);
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
    Rig {
        caller: SlackCaller::new(ApiCaller::new(
            &caller_config,
            HttpClient::new().unwrap(),
            apis,
        )),
        threads_table,
        ddb: aws_sdk_dynamodb::Client::new(&config),
        _api: api,
    }
}

/// The channels Slack was asked to post to, in order.
fn slack_channels_posted(slack: &FakeServer) -> Vec<String> {
    slack
        .requests()
        .iter()
        .map(|r| r.json()["channel"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_one_channel_failed_posts_to_that_channel_only() {
    // #two refuses the first message it is sent (a Slack outage for one workspace
    // channel); the others take everything. Replies name the channel as sent.
    let failed_once = Arc::new(AtomicU32::new(0));
    let counter = Arc::new(AtomicU32::new(0));
    let slack = FakeServer::start(move |request| {
        let failed_once = failed_once.clone();
        let counter = counter.clone();
        async move {
            let body = request.json();
            let channel = body["channel"].as_str().unwrap_or_default().to_string();
            if channel == "#two" && failed_once.fetch_add(1, Ordering::SeqCst) == 0 {
                return (200, json!({"ok": false, "error": "internal_error"}));
            }
            let n = counter.fetch_add(1, Ordering::SeqCst) + 1;
            (
                200,
                json!({"ok": true, "channel": channel, "ts": format!("1795684200.{n:06}")}),
            )
        }
    })
    .await;
    let rig = rig("slack-retry", &["one", "two", "three"], &slack).await;
    let message = note("retry-1", "FAILED", "pipeline-x failed");
    let delivery = sns_event_with_id(&message, "sns-retry-1");

    // The first delivery posts to #one and #three, then fails for #two: the
    // invocation errs, so SNS/Lambda deliver the same SNS message again.
    let first = rig.caller.handle(&delivery).await;
    assert!(first.is_err(), "a 502 must fail the invocation: {first:?}");
    assert_eq!(slack_channels_posted(&slack), ["#one", "#two", "#three"]);

    // The retry posts to #two only, and starts its thread there.
    let second = rig.caller.handle(&delivery).await.unwrap();
    assert_eq!((second.delivered, second.dropped), (1, 0));
    let posted = slack_channels_posted(&slack);
    assert_eq!(posted, ["#one", "#two", "#three", "#two"]);
    assert!(slack.requests()[3].json().get("thread_ts").is_none());

    // A third delivery of it (a duplicate from SNS) posts nothing anywhere.
    let third = rig.caller.handle(&delivery).await.unwrap();
    assert_eq!(third.delivered, 1, "the API took it: nothing left to post");
    assert_eq!(slack_channels_posted(&slack).len(), 4);

    // Another message of the same run is new: posted everywhere, in the threads.
    rig.caller
        .handle(&sns_event_with_id(
            &note("retry-1", "FAILED", "pipeline-x still failed"),
            "sns-retry-2",
        ))
        .await
        .unwrap();
    let requests = slack.requests();
    assert_eq!(requests.len(), 7);
    for request in &requests[4..] {
        let body = request.json();
        assert!(body["thread_ts"].as_str().is_some(), "a reply: {body}");
    }

    // The marker remembers the post, and expires (the table's TTL attribute).
    let marker = rig
        .ddb
        .get_item()
        .table_name(&rig.threads_table)
        .key(
            "execution",
            aws_sdk_dynamodb::types::AttributeValue::S(dpc_runtime::slack::sent_key(
                "sns-retry-1",
                "#two",
            )),
        )
        .consistent_read(true)
        .send()
        .await
        .unwrap()
        .item
        .expect("the marker of the message posted to #two");
    assert!(marker["sentTs"].as_s().is_ok());
    assert!(marker.contains_key("expiresAt"), "{marker:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_trackers_id_wins_over_the_sns_message_id() {
    // A tracker retry after a publish that timed out but went through is a second
    // SNS message (a new MessageId) with the same tracker id: posted once.
    let slack = FakeServer::start(move |request| async move {
        let body = request.json();
        (
            200,
            json!({"ok": true, "channel": body["channel"], "ts": "1795684200.000001"}),
        )
    })
    .await;
    let rig = rig("slack-tracker-id", &["alerts"], &slack).await;
    let mut message = note("retry-2", "SUCCEEDED", "pipeline-x succeeded");
    message.id = Some(format!("{RENT}#pipeline-x#retry-2#SUCCEEDED#0"));
    rig.caller
        .handle(&sns_event_with_id(&message, "sns-a"))
        .await
        .unwrap();
    rig.caller
        .handle(&sns_event_with_id(&message, "sns-b"))
        .await
        .unwrap();
    assert_eq!(slack_channels_posted(&slack), ["#alerts"]);
}
