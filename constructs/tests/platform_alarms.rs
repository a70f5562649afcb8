//! The platform team hears about every failure of the platform itself: in the central
//! stack and in every account setup stack, each dead-letter queue and each dpc Lambda has
//! an alarm, every alarm notifies the stack's own topic, and platform.yaml's
//! `alerts.targets` subscribe to that topic, which no other account may publish to.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_model::contract::metrics;
use dpc_schema::Target;
use fixtures::{load, resources_of, synth};
use serde_json::{Value, json};

/// The stacks that alarm: the central stack and every account setup stack.
fn alarming_stacks(example: &str) -> Vec<(String, Value)> {
    synth(example)
        .stacks()
        .iter()
        .filter(|s| s.artifact_id == "dpc-central" || s.artifact_id.starts_with("dpc-account-"))
        .map(|s| (s.artifact_id.clone(), s.template()))
        .collect()
}

fn reference(id: &str) -> Value {
    json!({ "Ref": id })
}

/// Whether `value` is `{"Ref": id}` or `{"Fn::GetAtt": [id, _]}`.
fn names(value: &Value, id: &str) -> bool {
    *value == reference(id) || value["Fn::GetAtt"][0] == id
}

/// The alarms of `t` watching `metric` of the resource `id` (a `Ref` dimension).
fn alarms_on<'a>(t: &'a Value, metric: &str, id: &str) -> Vec<&'a Value> {
    resources_of(t, "AWS::CloudWatch::Alarm")
        .into_iter()
        .map(|(_, a)| a)
        .filter(|a| {
            a["Properties"]["MetricName"] == metric
                && a["Properties"]["Dimensions"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|d| names(&d["Value"], id)))
        })
        .collect()
}

/// What each stack's topic should have as subscriptions: (protocol, endpoint), sorted.
fn expected_subscriptions(targets: &[Target]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for target in targets {
        match target {
            Target::Email { addresses } => {
                out.extend(addresses.iter().map(|a| ("email".to_owned(), a.clone())));
            }
            Target::OpsGenie { secret_name } => out.push((
                "https".to_owned(),
                format!("{{{{resolve:secretsmanager:{secret_name}}}}}"),
            )),
            Target::Slack { .. } => panic!("platform alerts have no Slack target"),
        }
    }
    out.sort();
    out
}

#[test]
fn every_alarm_notifies_the_stacks_own_topic_and_the_targets_hear_it() {
    for example in ["case-study", "features", "five-accounts"] {
        let targets = load(example).platform.alert_targets;
        for (stack, t) in alarming_stacks(example) {
            let topics = resources_of(&t, "AWS::SNS::Topic");
            assert_eq!(topics.len(), 1, "{example}/{stack}: one alarm topic");
            let topic = topics[0].0;
            let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
            assert!(!alarms.is_empty(), "{example}/{stack} has alarms");
            for (id, alarm) in &alarms {
                let p = &alarm["Properties"];
                assert_eq!(p["AlarmActions"], json!([reference(topic)]), "{stack}/{id}");
                assert_eq!(p["OKActions"], json!([reference(topic)]), "{stack}/{id}");
                assert_eq!(p["Threshold"], json!(1.0), "{stack}/{id}");
                assert_eq!(p["ComparisonOperator"], "GreaterThanOrEqualToThreshold");
                assert_eq!(p["TreatMissingData"], "notBreaching");
                let description = p["AlarmDescription"].as_str().unwrap_or("");
                assert!(
                    !description.contains("${"),
                    "{stack}/{id}: a plain description has no substitutions: {description}"
                );
            }
            let mut subscriptions: Vec<(String, String)> =
                resources_of(&t, "AWS::SNS::Subscription")
                    .into_iter()
                    .map(|(id, s)| {
                        let p = &s["Properties"];
                        assert_eq!(p["TopicArn"], reference(topic), "{stack}/{id}");
                        // CloudWatch alarm messages carry no dpc attributes: any filter
                        // policy would drop every alarm.
                        assert!(p.get("FilterPolicy").is_none(), "{stack}/{id}");
                        (
                            p["Protocol"].as_str().unwrap_or("").to_owned(),
                            p["Endpoint"].as_str().unwrap_or("").to_owned(),
                        )
                    })
                    .collect();
            subscriptions.sort();
            assert_eq!(
                subscriptions,
                expected_subscriptions(&targets),
                "{example}/{stack}: alerts.targets subscribe"
            );
        }
    }
}

#[test]
fn the_examples_subscribe_someone() {
    // Otherwise the test above would pass with no subscription at all.
    for example in ["case-study", "features"] {
        assert!(
            !load(example).platform.alert_targets.is_empty(),
            "{example}"
        );
    }
    let features = load("features").platform.alert_targets;
    assert!(
        features
            .iter()
            .any(|t| matches!(t, Target::OpsGenie { .. })),
        "features has an OpsGenie target"
    );
}

#[test]
fn only_this_accounts_alarms_may_publish_to_its_topic() {
    for (stack, t) in alarming_stacks("case-study") {
        let policies = resources_of(&t, "AWS::SNS::TopicPolicy");
        assert_eq!(policies.len(), 1, "{stack}");
        let statements = policies[0].1["Properties"]["PolicyDocument"]["Statement"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let allows: Vec<&Value> = statements
            .iter()
            .filter(|s| s["Effect"] == "Allow")
            .collect();
        assert_eq!(allows.len(), 1, "{stack}: {allows:#?}");
        let allow = allows[0];
        assert_eq!(
            allow["Principal"],
            json!({"Service": "cloudwatch.amazonaws.com"})
        );
        assert_eq!(allow["Action"], "sns:Publish");
        assert_eq!(
            allow["Condition"]["ArnLike"]["aws:SourceArn"],
            json!({"Fn::Sub": "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*"})
        );
    }
}

#[test]
fn every_dead_letter_queue_alarms_as_soon_as_a_message_is_visible() {
    for example in ["case-study", "features", "five-accounts"] {
        for (stack, t) in alarming_stacks(example) {
            let queues = resources_of(&t, "AWS::SQS::Queue");
            assert!(!queues.is_empty(), "{stack} has a dead-letter queue");
            for (id, _) in queues {
                let alarms = alarms_on(&t, "ApproximateNumberOfMessagesVisible", id);
                assert_eq!(alarms.len(), 1, "{example}/{stack}: an alarm on queue {id}");
                assert_eq!(alarms[0]["Properties"]["Statistic"], "Maximum");
                assert_eq!(alarms[0]["Properties"]["Namespace"], "AWS/SQS");
            }
        }
    }
}

#[test]
fn every_dpc_lambda_alarms_on_its_errors() {
    for example in ["case-study", "five-accounts"] {
        for (stack, t) in alarming_stacks(example) {
            for (id, _) in resources_of(&t, "AWS::Lambda::Function") {
                assert_eq!(
                    alarms_on(&t, "Errors", id).len(),
                    1,
                    "{example}/{stack}: an Errors alarm on {id}"
                );
            }
        }
    }
}

#[test]
fn the_trigger_manager_alarms_on_throttles_and_the_apis_on_server_errors() {
    let stacks = alarming_stacks("case-study");
    let (_, central) = stacks
        .iter()
        .find(|(id, _)| id == "dpc-central")
        .expect("central");
    let manager = resources_of(central, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["FunctionName"] == "dpc-trigger-manager")
        .expect("the trigger manager")
        .0;
    assert_eq!(alarms_on(central, "Throttles", manager).len(), 1);
    let mut apis: Vec<String> = resources_of(central, "AWS::CloudWatch::Alarm")
        .into_iter()
        .filter(|(_, a)| a["Properties"]["MetricName"] == "5XXError")
        .map(|(_, a)| {
            a["Properties"]["Dimensions"][0]["Value"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    apis.sort();
    assert_eq!(apis, ["dpc-dependencies", "dpc-slack"]);
}

#[test]
fn failed_registrations_are_counted_from_the_registration_log_and_alarm() {
    for (stack, t) in alarming_stacks("case-study") {
        if stack == "dpc-central" {
            continue;
        }
        let filters = resources_of(&t, "AWS::Logs::MetricFilter");
        assert_eq!(filters.len(), 1, "{stack}");
        let filter = &filters[0].1["Properties"];
        // The filter reads the registration function's own log group.
        let group = filter["LogGroupName"]["Ref"].as_str().expect("a Ref");
        assert_eq!(
            t["Resources"][group]["Properties"]["LogGroupName"],
            "/aws/lambda/dpc-registration"
        );
        assert_eq!(
            filter["FilterPattern"],
            format!(
                "{{ $.message = \"{}\" }}",
                metrics::REGISTRATION_FAILED_MESSAGE
            )
        );
        let transformation = &filter["MetricTransformations"][0];
        assert_eq!(transformation["MetricNamespace"], metrics::NAMESPACE);
        assert_eq!(transformation["MetricName"], metrics::FAILED_REGISTRATIONS);
        let alarms: Vec<_> = resources_of(&t, "AWS::CloudWatch::Alarm")
            .into_iter()
            .filter(|(_, a)| {
                a["Properties"]["Namespace"] == metrics::NAMESPACE
                    && a["Properties"]["MetricName"] == metrics::FAILED_REGISTRATIONS
            })
            .collect();
        assert_eq!(alarms.len(), 1, "{stack}");
    }
}

#[test]
fn the_tracker_cannot_publish_to_the_alarm_topic() {
    // The execution tracker publishes to pipelines' topics `dpc-<name>-alerts`; a
    // `dpc-*` grant would also let it raise the platform's alarms.
    for (stack, t) in alarming_stacks("case-study") {
        if stack == "dpc-central" {
            continue;
        }
        let mut published = Vec::new();
        for (_, role) in resources_of(&t, "AWS::IAM::Role") {
            for policy in role["Properties"]["Policies"]
                .as_array()
                .into_iter()
                .flatten()
            {
                for statement in policy["PolicyDocument"]["Statement"]
                    .as_array()
                    .into_iter()
                    .flatten()
                {
                    if statement["Action"] == "sns:Publish"
                        || statement["Action"]
                            .as_array()
                            .is_some_and(|a| a.contains(&json!("sns:Publish")))
                    {
                        published.push(statement["Resource"].clone());
                    }
                }
            }
        }
        assert_eq!(
            published,
            [
                json!({"Fn::Sub": "arn:${AWS::Partition}:sns:${AWS::Region}:${AWS::AccountId}:dpc-*-alerts"})
            ],
            "{stack}: only the pipelines' alert topics"
        );
    }
}
