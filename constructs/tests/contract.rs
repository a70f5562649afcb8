//! The templates keep `dpc_model::contract`, the names the Lambda runtime relies on:
//! every function's environment, every table's keys, the SSM parameters pipeline stacks
//! resolve, the alert topics the execution tracker publishes to.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_model::contract::{env, params, tables};
use dpc_model::naming::{self, LambdaRole};
use fixtures::{find, resources_of, synth};
use serde_json::{Value, json};

const EXAMPLES: [&str; 3] = ["case-study", "features", "five-accounts"];

fn templates(example: &str) -> Vec<(String, Value)> {
    synth(example)
        .stacks()
        .iter()
        .map(|s| (s.artifact_id.clone(), s.template()))
        .collect()
}

#[test]
fn every_function_gets_exactly_the_variables_its_handler_reads() {
    for example in EXAMPLES {
        let mut seen = Vec::new();
        for (id, template) in templates(example) {
            for (logical_id, function) in resources_of(&template, "AWS::Lambda::Function") {
                let props = &function["Properties"];
                let name = props["FunctionName"].as_str().expect("a named function");
                let role = LambdaRole::ALL
                    .into_iter()
                    .find(|r| naming::lambda_function_name(*r) == name)
                    .unwrap_or_else(|| panic!("{id}/{logical_id}: `{name}` is no dpc role"));
                let variables = props["Environment"]["Variables"]
                    .as_object()
                    .unwrap_or_else(|| panic!("{id}/{name}: no environment"));
                let keys: Vec<&str> = variables.keys().map(String::as_str).collect();
                let mut expected = vec![env::HANDLER];
                expected.extend_from_slice(env::variables(role));
                assert_eq!(keys, expected, "{example}/{id}/{name}");
                assert_eq!(variables[env::HANDLER], role.as_str(), "{id}/{name}");
                seen.push(role);
            }
        }
        for role in LambdaRole::ALL {
            assert!(seen.contains(&role), "{example}: no `{role}` function");
        }
    }
}

/// `(name, [partition, sort?])` of every table the templates create.
fn expected_keys() -> Vec<(&'static str, Vec<&'static str>)> {
    vec![
        (
            tables::run_log::NAME,
            vec![tables::run_log::PARTITION, tables::run_log::SORT],
        ),
        (
            tables::dependencies::NAME,
            vec![tables::dependencies::PARTITION, tables::dependencies::SORT],
        ),
        (
            tables::triggers::NAME,
            vec![tables::triggers::PARTITION, tables::triggers::SORT],
        ),
        (
            tables::slack_channels::NAME,
            vec![tables::slack_channels::PARTITION],
        ),
        (
            tables::slack_threads::NAME,
            vec![tables::slack_threads::PARTITION],
        ),
        (tables::claims::NAME, vec![tables::claims::PARTITION]),
    ]
}

fn key_names(schema: &Value) -> Vec<&str> {
    schema
        .as_array()
        .map(|keys| {
            keys.iter()
                .filter_map(|k| k["AttributeName"].as_str())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn tables_have_the_keys_and_indexes_the_runtime_writes() {
    let all = templates("case-study");
    let mut found = Vec::new();
    for (_, template) in &all {
        for (_, table) in resources_of(template, "AWS::DynamoDB::Table") {
            let props = &table["Properties"];
            let name = props["TableName"].as_str().expect("a named table");
            let (_, keys) = expected_keys()
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap_or_else(|| panic!("table `{name}` is not in the contract"));
            assert_eq!(key_names(&props["KeySchema"]), keys, "{name}");
            // Every key is a string: the runtime writes `S` values.
            for attribute in props["AttributeDefinitions"]
                .as_array()
                .expect("attributes")
            {
                assert_eq!(attribute["AttributeType"], "S", "{name}: {attribute}");
            }
            if let Some(ttl) = props.get("TimeToLiveSpecification") {
                assert_eq!(ttl["AttributeName"], tables::TTL_ATTRIBUTE, "{name}");
            }
            if !found.contains(&name) {
                found.push(name);
            }
        }
    }
    assert_eq!(found.len(), expected_keys().len(), "{found:?}");

    let central = &all
        .iter()
        .find(|(id, _)| id == "dpc-central")
        .expect("central")
        .1;
    let run_log = find(
        central,
        "AWS::DynamoDB::Table",
        "TableName",
        &json!(tables::run_log::NAME),
    );
    let index = &run_log["Properties"]["LocalSecondaryIndexes"][0];
    assert_eq!(index["IndexName"], tables::run_log::BY_EVENT_TIME);
    assert_eq!(
        key_names(&index["KeySchema"]),
        [tables::run_log::PARTITION, tables::run_log::EVENT_TIME]
    );
    let dependencies = find(
        central,
        "AWS::DynamoDB::Table",
        "TableName",
        &json!(tables::dependencies::NAME),
    );
    let index = &dependencies["Properties"]["GlobalSecondaryIndexes"][0];
    assert_eq!(index["IndexName"], tables::dependencies::BY_CHILD);
    assert_eq!(
        key_names(&index["KeySchema"]),
        [tables::dependencies::SORT, tables::dependencies::PARTITION]
    );
}

/// Every `{{resolve:ssm:NAME}}` in `value`.
fn resolved_parameters(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => {
            let mut rest = s.as_str();
            while let Some(start) = rest.find("{{resolve:ssm:") {
                let after = &rest[start + "{{resolve:ssm:".len()..];
                let end = after.find("}}").unwrap_or(after.len());
                out.push(after[..end].to_owned());
                rest = &after[end..];
            }
        }
        Value::Array(items) => items.iter().for_each(|v| resolved_parameters(v, out)),
        Value::Object(map) => map.values().for_each(|v| resolved_parameters(v, out)),
        _ => {}
    }
}

#[test]
fn pipeline_stacks_resolve_only_parameters_their_account_stack_publishes() {
    for example in EXAMPLES {
        let all = templates(example);
        let mut published: Vec<String> = Vec::new();
        for (id, template) in all.iter().filter(|(id, _)| id.starts_with("dpc-account-")) {
            for (_, parameter) in resources_of(template, "AWS::SSM::Parameter") {
                let name = parameter["Properties"]["Name"]
                    .as_str()
                    .unwrap_or_else(|| panic!("{id}: a parameter without a literal name"));
                assert!(name.starts_with(params::PREFIX), "{id}: {name}");
                published.push(name.to_owned());
            }
        }
        for (id, template) in all.iter().filter(|(id, _)| id.starts_with("dpc-pipeline-")) {
            let mut used = Vec::new();
            resolved_parameters(template, &mut used);
            assert!(!used.is_empty(), "{id} resolves no parameter");
            for name in used {
                assert!(
                    published.contains(&name),
                    "{example}/{id} resolves `{name}`"
                );
            }
        }
    }
}

#[test]
fn alert_topics_are_where_the_execution_tracker_publishes() {
    let org = fixtures::load("features");
    let all = templates("features");
    let mut topics = 0;
    for pipeline in &org.pipelines {
        let id = naming::pipeline_artifact_id(&pipeline.account.alias, &pipeline.name);
        let template = &all.iter().find(|(i, _)| *i == id).expect("stack").1;
        for (_, topic) in resources_of(template, "AWS::SNS::Topic") {
            assert_eq!(
                topic["Properties"]["TopicName"],
                naming::alert_topic_name(&pipeline.name)
            );
            topics += 1;
        }
    }
    assert!(topics > 0, "the features example has alert topics");
}
