//! Real resources in moto, shaped as the templates create them.

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, Projection,
    ProjectionType, ScalarAttributeType,
};
use serde_json::Value;
use std::time::Duration;

fn attr(name: &str) -> AttributeDefinition {
    AttributeDefinition::builder()
        .attribute_name(name)
        .attribute_type(ScalarAttributeType::S)
        .build()
        .unwrap()
}

fn key(name: &str, kind: KeyType) -> KeySchemaElement {
    KeySchemaElement::builder()
        .attribute_name(name)
        .key_type(kind)
        .build()
        .unwrap()
}

/// A table with a string partition key and an optional string sort key.
pub async fn table(config: &aws_config::SdkConfig, name: &str, pk: &str, sk: Option<&str>) {
    let ddb = aws_sdk_dynamodb::Client::new(config);
    let mut create = ddb
        .create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr(pk))
        .key_schema(key(pk, KeyType::Hash));
    if let Some(sk) = sk {
        create = create
            .attribute_definitions(attr(sk))
            .key_schema(key(sk, KeyType::Range));
    }
    create.send().await.unwrap();
}

/// The dependencies table: partition `parent`, sort `child`, index `by-child`.
pub async fn dependencies_table(config: &aws_config::SdkConfig, name: &str) {
    let ddb = aws_sdk_dynamodb::Client::new(config);
    ddb.create_table()
        .table_name(name)
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(attr("parent"))
        .attribute_definitions(attr("child"))
        .key_schema(key("parent", KeyType::Hash))
        .key_schema(key("child", KeyType::Range))
        .global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name("by-child")
                .key_schema(key("child", KeyType::Hash))
                .key_schema(key("parent", KeyType::Range))
                .projection(
                    Projection::builder()
                        .projection_type(ProjectionType::All)
                        .build(),
                )
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
}

/// An SQS queue; returns (url, arn).
pub async fn queue(config: &aws_config::SdkConfig, name: &str) -> (String, String) {
    let sqs = aws_sdk_sqs::Client::new(config);
    let url = sqs
        .create_queue()
        .queue_name(name)
        .send()
        .await
        .unwrap()
        .queue_url
        .unwrap();
    let arn = sqs
        .get_queue_attributes()
        .queue_url(&url)
        .attribute_names(aws_sdk_sqs::types::QueueAttributeName::QueueArn)
        .send()
        .await
        .unwrap()
        .attributes
        .unwrap()[&aws_sdk_sqs::types::QueueAttributeName::QueueArn]
        .clone();
    (url, arn)
}

/// Every message in the queue now (bodies as JSON), deleting them.
pub async fn drain(config: &aws_config::SdkConfig, url: &str) -> Vec<Value> {
    let sqs = aws_sdk_sqs::Client::new(config);
    let mut out = Vec::new();
    let mut empty_polls = 0;
    while empty_polls < 2 {
        let got = sqs
            .receive_message()
            .queue_url(url)
            .max_number_of_messages(10)
            .wait_time_seconds(1)
            .send()
            .await
            .unwrap();
        let messages = got.messages.unwrap_or_default();
        if messages.is_empty() {
            empty_polls += 1;
            continue;
        }
        for m in messages {
            out.push(serde_json::from_str(m.body().unwrap()).unwrap());
            sqs.delete_message()
                .queue_url(url)
                .receipt_handle(m.receipt_handle().unwrap())
                .send()
                .await
                .unwrap();
        }
    }
    out
}

/// A bus whose events with `source` go to a new queue; returns the queue's URL.
pub async fn bus_to_queue(
    config: &aws_config::SdkConfig,
    bus: &str,
    source: &str,
    queue_name: &str,
) -> String {
    let events = aws_sdk_eventbridge::Client::new(config);
    events.create_event_bus().name(bus).send().await.unwrap();
    let (url, arn) = queue(config, queue_name).await;
    events
        .put_rule()
        .name(format!("{queue_name}-rule"))
        .event_bus_name(bus)
        .event_pattern(serde_json::json!({"source": [source]}).to_string())
        .send()
        .await
        .unwrap();
    events
        .put_targets()
        .rule(format!("{queue_name}-rule"))
        .event_bus_name(bus)
        .targets(
            aws_sdk_eventbridge::types::Target::builder()
                .id("q")
                .arn(arn)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    url
}

/// Waits a little for asynchronous deliveries inside moto.
pub async fn settle() {
    tokio::time::sleep(Duration::from_millis(200)).await;
}
