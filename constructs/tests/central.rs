//! The central stack, checked the way a platform engineer reviewing its template would.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_constructs::aws::codes;
use dpc_constructs::central::{self, tables};
use dpc_core::{App, Severity};
use fixtures::{find, load, resources_of, synth, template};
use serde_json::{Value, json};

fn central_template(example: &str) -> Value {
    template(&synth(example), "dpc-central").clone()
}

fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

#[test]
fn the_bus_accepts_events_from_the_organisation_only() {
    let t = central_template("case-study");
    let bus = find(
        &t,
        "AWS::Events::EventBus",
        "Name",
        &json!("data-pipelines-central"),
    );
    assert!(bus["Properties"]["Description"].is_string());
    let policies = resources_of(&t, "AWS::Events::EventBusPolicy");
    assert_eq!(
        policies.len(),
        1,
        "one statement, whatever the number of accounts"
    );
    let statement = &policies[0].1["Properties"]["Statement"];
    assert_eq!(statement["Principal"], json!("*"));
    assert_eq!(statement["Action"], json!("events:PutEvents"));
    assert_eq!(
        statement["Condition"],
        json!({"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}})
    );
}

#[test]
fn without_an_organisation_the_bus_policy_names_each_account_once() {
    let t = central_template("five-accounts");
    let policies = resources_of(&t, "AWS::Events::EventBusPolicy");
    assert_eq!(policies.len(), 1);
    let statement = &policies[0].1["Properties"]["Statement"];
    let expected: Vec<Value> = (1..=6)
        .map(|n| sub(&format!("arn:${{AWS::Partition}}:iam::10000000000{n}:root")))
        .collect();
    assert_eq!(statement["Principal"], json!({ "AWS": expected }));
    assert!(statement.get("Condition").is_none());
}

#[test]
fn a_bus_policy_over_eventbridges_limit_is_an_error() {
    let mut org = load("five-accounts");
    let template_account = org.platform.accounts[1].clone();
    org.platform.accounts = (0..300)
        .map(|n| {
            let mut a = template_account.clone();
            a.alias = format!("team-{n}");
            a.id = format!("{:012}", 200_000_000_000u64 + n);
            a
        })
        .collect();
    let mut app = App::new();
    let err = central::build(&mut app, &org, &fixtures::runtime()).expect_err("too large");
    assert_eq!(err.code, codes::POLICY_TOO_LARGE);
    assert!(err.message.contains("10240"), "{}", err.message);
    assert!(err.help.as_deref().unwrap_or("").contains("organizationId"));
}

#[test]
fn an_api_policy_over_api_gateways_limit_is_an_error() {
    // 240 accounts fit the bus policy (10,240 characters) but not an API's (8,192).
    let mut org = load("five-accounts");
    let template_account = org.platform.accounts[1].clone();
    org.platform.accounts = (0..240)
        .map(|n| {
            let mut a = template_account.clone();
            a.alias = format!("team-{n}");
            a.id = format!("{:012}", 200_000_000_000u64 + n);
            a
        })
        .collect();
    let mut app = App::new();
    let err = central::build(&mut app, &org, &fixtures::runtime()).expect_err("too large");
    assert_eq!(err.code, codes::POLICY_TOO_LARGE);
    assert!(
        err.message.contains("API `dpc-dependencies`"),
        "{}",
        err.message
    );
    assert!(err.message.contains("8192"), "{}", err.message);
}

#[test]
fn more_rules_than_eventbridges_default_quota_is_a_warning() {
    let mut org = load("case-study");
    let template_account = org.platform.accounts[0].clone();
    org.platform.accounts = (0..300)
        .map(|n| {
            let mut a = template_account.clone();
            a.alias = format!("team-{n}");
            a.id = format!("{:012}", 300_000_000_000u64 + n);
            a
        })
        .collect();
    let mut app = App::new();
    central::build(&mut app, &org, &fixtures::runtime()).expect("central stack");
    let assembly = app.synth().expect("warnings do not stop synthesis");
    let warnings: Vec<_> = assembly
        .warnings()
        .iter()
        .filter(|d| d.code == codes::TOO_MANY_RULES)
        .collect();
    assert_eq!(warnings.len(), 1, "{:#?}", assembly.warnings());
    assert_eq!(warnings[0].severity, Severity::Warning);
    assert!(
        warnings[0].message.contains("301 rules"),
        "{}",
        warnings[0].message
    );
    assert!(warnings[0].message.contains("300"));
    let t = &assembly.stacks()[0].template();
    assert_eq!(
        resources_of(t, "AWS::Events::Rule").len(),
        301,
        "still one rule per account"
    );
    // 300 bus ARNs do not fit one role's policy: the forwarding roles share them.
    let roles: Vec<_> = resources_of(t, "AWS::IAM::Role")
        .into_iter()
        .filter(|(id, _)| id.starts_with("ForwardRole"))
        .collect();
    assert_eq!(roles.len(), 3);
}

#[test]
fn the_trigger_manager_hears_both_reports_with_retries_and_a_dead_letter_queue() {
    let t = central_template("case-study");
    let rule = find(
        &t,
        "AWS::Events::Rule",
        "Name",
        &json!("dpc-trigger-manager"),
    );
    let props = &rule["Properties"];
    assert_eq!(
        props["EventBusName"]["Ref"]
            .as_str()
            .map(|s| s.starts_with("Bus")),
        Some(true)
    );
    assert_eq!(
        props["EventPattern"],
        json!({"$or": [
            {"source": ["aws.states"],
             "detail-type": ["Step Functions Execution Status Change"],
             "detail": {"stateMachineArn": [{"wildcard": "arn:*:states:*:*:stateMachine:dpc-*"}]}},
            {"source": ["dpc.pipeline"], "detail-type": ["Pipeline Status Change"]}
        ]})
    );
    let targets = props["Targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 1);
    let manager_id = resources_of(&t, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, f)| f["Properties"]["FunctionName"] == "dpc-trigger-manager")
        .map(|(id, _)| id.to_owned())
        .expect("trigger manager");
    assert_eq!(
        targets[0]["Arn"],
        json!({"Fn::GetAtt": [manager_id, "Arn"]})
    );
    assert_eq!(
        targets[0]["RetryPolicy"],
        json!({"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185})
    );
    let queue = find(
        &t,
        "AWS::SQS::Queue",
        "QueueName",
        &json!("dpc-central-dead-letters"),
    );
    assert!(
        queue["Properties"]["KmsMasterKeyId"].is_object(),
        "encrypted"
    );
    let queue_id = resources_of(&t, "AWS::SQS::Queue")[0].0;
    assert_eq!(
        targets[0]["DeadLetterConfig"]["Arn"],
        json!({"Fn::GetAtt": [queue_id, "Arn"]})
    );
    // Lambda's own retries of a failing invocation end in the same queue.
    let manager = &t["Resources"][&manager_id]["Properties"];
    assert_eq!(
        manager["DeadLetterConfig"]["TargetArn"],
        json!({"Fn::GetAtt": [queue_id, "Arn"]})
    );
    // EventBridge may invoke it for this rule only.
    let permissions: Vec<_> = resources_of(&t, "AWS::Lambda::Permission")
        .into_iter()
        .filter(|(_, p)| p["Properties"]["FunctionName"]["Fn::GetAtt"][0] == manager_id.as_str())
        .collect();
    assert_eq!(permissions.len(), 1);
    let rule_id = resources_of(&t, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"]["Name"] == "dpc-trigger-manager")
        .map(|(id, _)| id)
        .expect("rule");
    assert_eq!(
        permissions[0].1["Properties"]["SourceArn"],
        json!({"Fn::GetAtt": [rule_id, "Arn"]})
    );
    assert_eq!(
        permissions[0].1["Properties"]["Principal"],
        "events.amazonaws.com"
    );
}

#[test]
fn alarms_watch_the_managers_errors_and_the_dead_letters() {
    let t = central_template("case-study");
    let alarms = resources_of(&t, "AWS::CloudWatch::Alarm");
    let metrics: Vec<(&str, &str)> = alarms
        .iter()
        .map(|(_, a)| {
            (
                a["Properties"]["Namespace"].as_str().unwrap_or(""),
                a["Properties"]["MetricName"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        metrics,
        [
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Throttles"),
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Errors"),
            ("AWS/Lambda", "Errors"),
            ("AWS/ApiGateway", "5XXError"),
            ("AWS/ApiGateway", "5XXError"),
        ]
    );
    let topic_id = resources_of(&t, "AWS::SNS::Topic")[0].0;
    for (_, alarm) in alarms {
        assert_eq!(
            alarm["Properties"]["AlarmActions"],
            json!([{"Ref": topic_id}])
        );
        assert_eq!(alarm["Properties"]["Threshold"], json!(1.0));
    }
}

#[test]
fn tables_hold_the_state_model_and_outlive_the_stack() {
    let t = central_template("case-study");
    let all = resources_of(&t, "AWS::DynamoDB::Table");
    assert_eq!(all.len(), 5);
    for (id, table) in &all {
        let p = &table["Properties"];
        assert_eq!(p["BillingMode"], "PAY_PER_REQUEST", "{id}");
        assert_eq!(p["SSESpecification"]["SSEEnabled"], true, "{id}");
        assert_eq!(p["SSESpecification"]["SSEType"], "KMS", "{id}");
        assert!(p["SSESpecification"]["KMSMasterKeyId"].is_object(), "{id}");
        assert_eq!(
            p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"],
            true
        );
        assert_eq!(table["DeletionPolicy"], "Retain", "{id}");
        assert_eq!(table["UpdateReplacePolicy"], "Retain", "{id}");
    }
    let keys = |name: &str| {
        let p = &find(&t, "AWS::DynamoDB::Table", "TableName", &json!(name))["Properties"];
        (p["KeySchema"].clone(), p["TimeToLiveSpecification"].clone())
    };
    let (run_log, ttl) = keys(tables::run_log::NAME);
    assert_eq!(
        run_log,
        json!([{"AttributeName": "pipeline", "KeyType": "HASH"}, {"AttributeName": "event", "KeyType": "RANGE"}])
    );
    assert_eq!(ttl, json!({"AttributeName": "expiresAt", "Enabled": true}));
    let run_log_table = find(
        &t,
        "AWS::DynamoDB::Table",
        "TableName",
        &json!(tables::run_log::NAME),
    );
    assert_eq!(
        run_log_table["Properties"]["LocalSecondaryIndexes"][0]["KeySchema"],
        json!([{"AttributeName": "pipeline", "KeyType": "HASH"}, {"AttributeName": "eventTime", "KeyType": "RANGE"}]),
        "a pipeline's events ordered by event time"
    );
    let (deps, deps_ttl) = keys(tables::dependencies::NAME);
    assert_eq!(
        deps,
        json!([{"AttributeName": "parent", "KeyType": "HASH"}, {"AttributeName": "child", "KeyType": "RANGE"}]),
        "one query on a parent finds its children"
    );
    assert!(deps_ttl.is_null(), "dependencies never expire");
    let deps_table = find(
        &t,
        "AWS::DynamoDB::Table",
        "TableName",
        &json!(tables::dependencies::NAME),
    );
    assert_eq!(
        deps_table["Properties"]["GlobalSecondaryIndexes"][0]["IndexName"],
        tables::dependencies::BY_CHILD
    );
    let (triggers, triggers_ttl) = keys(tables::triggers::NAME);
    assert_eq!(triggers[1]["AttributeName"], "record");
    assert!(triggers_ttl.is_object());
    let (channels, channels_ttl) = keys(tables::slack_channels::NAME);
    assert_eq!(
        channels,
        json!([{"AttributeName": "pipeline", "KeyType": "HASH"}])
    );
    assert!(channels_ttl.is_null());
    let (threads, threads_ttl) = keys(tables::slack_threads::NAME);
    assert_eq!(
        threads,
        json!([{"AttributeName": "execution", "KeyType": "HASH"}])
    );
    assert!(threads_ttl.is_object());
}

#[test]
fn one_forwarding_rule_per_account_targets_its_pipeline_bus_through_a_role() {
    let org = load("case-study");
    let t = central_template("case-study");
    let rules: Vec<_> = resources_of(&t, "AWS::Events::Rule")
        .into_iter()
        .filter(|(_, r)| r["Properties"]["Name"] != "dpc-trigger-manager")
        .collect();
    assert_eq!(rules.len(), org.platform.accounts.len());
    let role_id = resources_of(&t, "AWS::IAM::Role")
        .into_iter()
        .find(|(id, _)| id.starts_with("ForwardRole"))
        .map(|(id, _)| id)
        .expect("forwarding role");
    let mut buses = Vec::new();
    for account in &org.platform.accounts {
        let rule = find(
            &t,
            "AWS::Events::Rule",
            "Name",
            &json!(format!("dpc-forward-{}", account.alias)),
        );
        let p = &rule["Properties"];
        assert_eq!(
            p["EventPattern"],
            json!({"source": ["dpc.orchestrator"], "detail-type": ["Pipeline Trigger"],
                   "detail": {"account": [account.id]}})
        );
        let bus = sub(&format!(
            "arn:${{AWS::Partition}}:events:{}:{}:event-bus/dpc-pipelines",
            account.region, account.id
        ));
        assert_eq!(p["Targets"][0]["Arn"], bus);
        assert_eq!(
            p["Targets"][0]["RoleArn"],
            json!({"Fn::GetAtt": [role_id, "Arn"]})
        );
        buses.push(bus);
    }
    let role = &t["Resources"][role_id]["Properties"];
    assert_eq!(
        role["Policies"][0]["PolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Action": "events:PutEvents", "Resource": buses}])
    );
    assert_eq!(
        role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "events.amazonaws.com"})
    );
}

#[test]
fn the_apis_take_iam_callers_of_the_organisation_log_and_throttle() {
    let t = central_template("case-study");
    let apis = resources_of(&t, "AWS::ApiGateway::RestApi");
    assert_eq!(apis.len(), 2);
    for (_, api) in &apis {
        assert_eq!(
            api["Properties"]["Policy"]["Statement"],
            json!([{"Sid": "OrganisationInvokes", "Effect": "Allow", "Principal": "*",
                    "Action": "execute-api:Invoke", "Resource": "execute-api:/*",
                    "Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-a1b2c3d4e5"}}}])
        );
    }
    let methods = resources_of(&t, "AWS::ApiGateway::Method");
    let routes: Vec<String> = methods
        .iter()
        .map(|(_, m)| {
            m["Properties"]["HttpMethod"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    assert_eq!(routes, ["GET", "PUT", "DELETE", "PUT", "DELETE", "POST"]);
    for (id, method) in &methods {
        assert_eq!(method["Properties"]["AuthorizationType"], "AWS_IAM", "{id}");
        assert_eq!(
            method["Properties"]["Integration"]["Type"], "AWS_PROXY",
            "{id}"
        );
    }
    let stages = resources_of(&t, "AWS::ApiGateway::Stage");
    assert_eq!(stages.len(), 2);
    let account_setting = resources_of(&t, "AWS::ApiGateway::Account");
    assert_eq!(account_setting.len(), 1, "one account-wide setting");
    assert_eq!(account_setting[0].1["DeletionPolicy"], "Retain");
    for (id, stage) in &stages {
        let p = &stage["Properties"];
        assert_eq!(p["StageName"], "v1");
        assert!(p["AccessLogSetting"]["DestinationArn"].is_object(), "{id}");
        assert!(
            p["AccessLogSetting"]["Format"]
                .as_str()
                .unwrap_or("")
                .contains("$context.identity.userArn")
        );
        assert_eq!(p["MethodSettings"][0]["ThrottlingRateLimit"], json!(20.0));
        assert_eq!(p["MethodSettings"][0]["ThrottlingBurstLimit"], json!(40));
        assert_eq!(
            p["MethodSettings"][0]["DataTraceEnabled"], false,
            "bodies are never logged"
        );
        assert_eq!(p["TracingEnabled"], true);
        let depends_on = stage["DependsOn"].as_array().expect("depends on");
        assert_eq!(
            depends_on[0], account_setting[0].0,
            "{id}: logging needs the account setting"
        );
        // API Gateway's own execution log group exists first, with retention and a key.
        let execution_logs = &t["Resources"][depends_on[1].as_str().unwrap_or("")];
        assert_eq!(execution_logs["Type"], "AWS::Logs::LogGroup", "{id}");
        assert_eq!(
            execution_logs["Properties"]["LogGroupName"]["Fn::Sub"][0],
            "API-Gateway-Execution-Logs_${Api}/v1"
        );
        assert_eq!(execution_logs["Properties"]["RetentionInDays"], 30);
    }
    for output in [
        central::OUTPUT_DEPENDENCY_API_URL,
        central::OUTPUT_SLACK_API_URL,
    ] {
        let value = &t["Outputs"][output]["Value"]["Fn::Sub"];
        assert_eq!(
            value[0], "https://${Api}.execute-api.${AWS::Region}.${AWS::URLSuffix}/v1",
            "{output}"
        );
    }
    let functions: Vec<&str> = resources_of(&t, "AWS::Lambda::Function")
        .iter()
        .filter_map(|(_, f)| f["Properties"]["FunctionName"].as_str())
        .collect();
    assert_eq!(
        functions,
        [
            "dpc-trigger-manager",
            "dpc-dependencies-writer",
            "dpc-slack-channel-writer",
            "dpc-slack-poster"
        ]
    );
}

#[test]
fn the_slack_token_is_read_by_name_at_run_time() {
    let t = central_template("case-study");
    let text = t.to_string();
    assert!(
        !text.contains("resolve:secretsmanager"),
        "no dynamic reference to the secret"
    );
    assert!(resources_of(&t, "AWS::SecretsManager::Secret").is_empty());
    let poster = find(
        &t,
        "AWS::Lambda::Function",
        "FunctionName",
        &json!("dpc-slack-poster"),
    );
    assert_eq!(
        poster["Properties"]["Environment"]["Variables"]["SLACK_TOKEN_SECRET_NAME"],
        "dpc/slack-token"
    );
    let role_id = poster["Properties"]["Role"]["Fn::GetAtt"][0]
        .as_str()
        .expect("role");
    let statements =
        &t["Resources"][role_id]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"];
    let secret = statements
        .as_array()
        .and_then(|s| {
            s.iter()
                .find(|s| s["Action"] == "secretsmanager:GetSecretValue")
        })
        .expect("secret statement");
    assert_eq!(
        secret["Resource"],
        sub(
            "arn:${AWS::Partition}:secretsmanager:${AWS::Region}:${AWS::AccountId}:secret:dpc/slack-token-??????"
        )
    );
}

#[test]
fn every_lambda_and_api_has_a_log_group_with_the_platforms_retention() {
    let t = central_template("five-accounts");
    let groups: Vec<String> = resources_of(&t, "AWS::Logs::LogGroup")
        .iter()
        .map(|(_, g)| {
            assert_eq!(g["Properties"]["RetentionInDays"], 90);
            assert!(g["Properties"]["KmsKeyId"].is_object());
            g["Properties"]["LogGroupName"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        })
        .collect();
    for function in resources_of(&t, "AWS::Lambda::Function") {
        let name = function.1["Properties"]["FunctionName"]
            .as_str()
            .expect("name");
        assert!(groups.contains(&format!("/aws/lambda/{name}")), "{name}");
    }
    assert!(groups.contains(&"/aws/apigateway/dpc-dependencies".to_owned()));
    assert!(groups.contains(&"/aws/apigateway/dpc-slack".to_owned()));
}

#[test]
fn patterns_match_the_events_they_are_for() {
    let Some(matcher) = fixtures::eventbridge_match() else {
        return;
    };
    let org = load("case-study");
    let manager = central::trigger_manager_pattern().to_json();
    let sfn = |arn: &str| {
        json!({"version": "0", "id": "1", "detail-type": "Step Functions Execution Status Change",
               "source": "aws.states", "account": "222222222222", "time": "2026-11-26T03:00:00Z",
               "region": "eu-west-1", "resources": [arn],
               "detail": {"stateMachineArn": arn, "status": "SUCCEEDED"}})
    };
    assert!(matcher(
        &manager,
        &sfn("arn:aws:states:eu-west-1:222222222222:stateMachine:dpc-listings")
    ));
    assert!(!matcher(
        &manager,
        &sfn("arn:aws:states:eu-west-1:222222222222:stateMachine:other")
    ));
    let report = json!({"version": "0", "id": "2", "detail-type": "Pipeline Status Change",
                        "source": "dpc.pipeline", "account": "222222222222",
                        "time": "2026-11-26T03:00:00Z", "region": "eu-west-1", "resources": [],
                        "detail": {"status": "FAILED"}});
    assert!(matcher(&manager, &report));

    let account = &org.platform.accounts[2];
    let forward = central::forward_pattern(account).to_json();
    let trigger = |to: &str| {
        json!({"version": "0", "id": "3", "detail-type": "Pipeline Trigger",
               "source": "dpc.orchestrator", "account": "111111111111",
               "time": "2026-11-26T09:10:00Z", "region": "eu-west-1", "resources": [],
               "detail": {"version": "1", "pipeline": "pipeline-x", "account": to}})
    };
    assert!(matcher(&forward, &trigger(&account.id)));
    assert!(!matcher(&forward, &trigger(&org.platform.accounts[0].id)));
}
