//! The pipeline stacks of the case study and of `examples/features`, as a user would
//! check them: with the validators others wrote, and resource by resource.

#[path = "pipeline_support.rs"]
mod support;

use serde_json::{Value, json};
use std::process::Command;
use support::{definition, example, load, resources_of, synth_all};

fn run_check_assembly(example_name: &str) {
    let check = format!("check-assembly {example_name}");
    if !support::tools_installed(&check) {
        return;
    }
    let org = load(&example(example_name));
    let assembly = support::synth_assembly(&org);
    let dir = support::scratch_dir(&format!("assembly-{example_name}"));
    assembly.write(&dir).expect("the assembly is written");
    let output = Command::new(support::repo_root().join("scripts/check-assembly"))
        .arg(&dir)
        .output()
        .expect("scripts/check-assembly runs");
    let report = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{check} failed:\n{report}");
    eprintln!("{report}");
}

/// cfn-lint (0 errors, 0 warnings), asl-validator, checkov (0 failed), EventBridge
/// pattern validation and `cdk ls`, through the CI's own script.
#[test]
fn case_study_passes_the_validators() {
    run_check_assembly("case-study");
}

/// The same for the feature examples.
#[test]
fn feature_examples_pass_the_validators() {
    run_check_assembly("features");
}

fn stacks(example_name: &str) -> Vec<(String, support::Synthesized)> {
    synth_all(&load(&example(example_name)))
}

fn stack<'a>(all: &'a [(String, support::Synthesized)], name: &str) -> &'a support::Synthesized {
    &all.iter().find(|(n, _)| n == name).expect("pipeline").1
}

fn state_machine_id(template: &Value) -> String {
    resources_of(template, "AWS::StepFunctions::StateMachine")[0]
        .0
        .to_owned()
}

#[test]
fn listings_runs_at_three_utc_on_the_default_bus() {
    let all = stacks("case-study");
    let listings = &stack(&all, "listings").template;
    let rules = resources_of(listings, "AWS::Events::Rule");
    let (_, rule) = rules
        .iter()
        .find(|(_, r)| r["Properties"].get("ScheduleExpression").is_some())
        .expect("a scheduled rule");
    let props = &rule["Properties"];
    assert_eq!(props["ScheduleExpression"], "cron(0 3 * * ? *)");
    assert_eq!(props["State"], "ENABLED");
    assert!(
        props.get("EventBusName").is_none(),
        "scheduled rules run on the default bus"
    );
    let targets = props["Targets"].as_array().expect("targets");
    assert_eq!(targets.len(), 1);
    assert_eq!(
        targets[0]["Arn"],
        json!({"Ref": state_machine_id(listings)})
    );
    assert!(
        targets[0]["RoleArn"]["Fn::GetAtt"].is_array(),
        "starts with its role"
    );
    // Starts EventBridge cannot make within a day go to the account's dead-letter queue.
    assert_eq!(
        targets[0]["DeadLetterConfig"]["Arn"],
        "{{resolve:ssm:/dpc/dead-letter-queue-arn}}"
    );
    assert_eq!(
        targets[0]["RetryPolicy"]["MaximumEventAgeInSeconds"],
        86_400
    );
}

#[test]
fn time_zoned_schedules_use_eventbridge_scheduler() {
    let all = stacks("features");
    let diamond = &stack(&all, "diamond").template;
    let schedules = resources_of(diamond, "AWS::Scheduler::Schedule");
    assert_eq!(schedules.len(), 1);
    let props = &schedules[0].1["Properties"];
    assert_eq!(
        props["ScheduleExpression"],
        "cron(30 6 ? * MON,TUE,WED,THU,FRI *)"
    );
    assert_eq!(props["ScheduleExpressionTimezone"], "Europe/Berlin");
    assert_eq!(
        props["Target"]["Arn"],
        json!({"Ref": state_machine_id(diamond)})
    );
    assert!(
        props["Target"]["Input"]
            .as_str()
            .unwrap()
            .contains("<aws.scheduler.scheduled-time>")
    );
    assert!(resources_of(diamond, "AWS::Events::Rule").is_empty());

    // Starts Scheduler gives up on go to the account's dead-letter queue, by its literal
    // ARN (the queue `dpc-dead-letters` of the account setup stack)...
    let org = load(&example("features"));
    let account = org
        .platform
        .accounts
        .iter()
        .find(|a| a.alias == "analytics")
        .expect("analytics account");
    let queue_arn = format!(
        "arn:aws:sqs:{}:{}:{}",
        account.region,
        account.id,
        dpc_constructs::account::names::DEAD_LETTER_QUEUE
    );
    assert_eq!(props["Target"]["DeadLetterConfig"]["Arn"], queue_arn);
    assert_eq!(props["Target"]["RetryPolicy"]["MaximumRetryAttempts"], 185);
    // ...sent with the schedule's own role (Scheduler does not send as a service
    // principal), which may use the queue's key only through SQS.
    let role_id = props["Target"]["RoleArn"]["Fn::GetAtt"][0]
        .as_str()
        .expect("the role is in the stack");
    let role = &diamond["Resources"][role_id];
    let granted = statements(role);
    let send = granted
        .iter()
        .find(|s| s["Action"] == "sqs:SendMessage")
        .expect("the role sends dead letters");
    assert_eq!(send["Resource"], queue_arn);
    let key = granted
        .iter()
        .find(|s| as_list(&s["Action"]).contains(&json!("kms:GenerateDataKey")))
        .expect("the role may encrypt with the queue's key");
    assert_eq!(key["Resource"], "{{resolve:ssm:/dpc/kms/key-arn}}");
    assert_eq!(
        key["Condition"]["StringEquals"]["kms:ViaService"],
        format!("sqs.{}.amazonaws.com", account.region)
    );
}

#[test]
fn rule_triggers_leave_dead_letters_to_eventbridge() {
    // A rule's dead letters are sent by EventBridge under the queue's policy, so the role
    // that starts the state machine may do that and nothing else.
    let all = stacks("case-study");
    for name in ["listings", "pipeline-x"] {
        let template = &stack(&all, name).template;
        let rules = resources_of(template, "AWS::Events::Rule");
        let (_, rule) = rules
            .iter()
            .find(|(_, r)| r["Properties"]["Targets"][0]["Arn"]["Ref"].is_string())
            .expect("a trigger rule");
        let role_id = rule["Properties"]["Targets"][0]["RoleArn"]["Fn::GetAtt"][0]
            .as_str()
            .expect("the role is in the stack");
        let actions: Vec<Value> = statements(&template["Resources"][role_id])
            .iter()
            .flat_map(|s| as_list(&s["Action"]))
            .collect();
        assert_eq!(actions, [json!("states:StartExecution")], "{name}");
    }
}

#[test]
fn a_disabled_pipeline_deploys_its_trigger_disabled() {
    let all = stacks("features");
    let big = &stack(&all, "big-dag").template;
    let rules = resources_of(big, "AWS::Events::Rule");
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].1["Properties"]["State"], "DISABLED");
    assert_eq!(
        rules[0].1["Properties"]["ScheduleExpression"],
        "cron(45 2 * * ? *)"
    );
    let cron = stack(&all, "alerts");
    let rule = resources_of(&cron.template, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"].get("ScheduleExpression").is_some())
        .expect("cron rule");
    assert_eq!(
        rule.1["Properties"]["ScheduleExpression"],
        "cron(15 4 ? * MON *)"
    );
    assert_eq!(rule.1["Properties"]["State"], "ENABLED");
}

#[test]
fn every_rule_has_at_most_five_targets() {
    for example_name in ["case-study", "features"] {
        for (name, s) in stacks(example_name) {
            for (id, rule) in resources_of(&s.template, "AWS::Events::Rule") {
                let n = rule["Properties"]["Targets"].as_array().map_or(0, Vec::len);
                assert!((1..=5).contains(&n), "{name}/{id} has {n} targets");
            }
        }
    }
}

#[test]
fn every_alert_channel_is_subscribed() {
    let all = stacks("features");
    let alerts = &stack(&all, "alerts").template;
    let topics = resources_of(alerts, "AWS::SNS::Topic");
    assert_eq!(topics.len(), 1);
    assert_eq!(topics[0].1["Properties"]["TopicName"], "dpc-alerts-alerts");
    assert!(
        topics[0].1["Properties"]["KmsMasterKeyId"].is_string(),
        "encrypted"
    );
    let mut subs: Vec<(String, String)> = resources_of(alerts, "AWS::SNS::Subscription")
        .into_iter()
        .map(|(_, r)| {
            (
                r["Properties"]["Protocol"].as_str().unwrap().to_owned(),
                r["Properties"]["Endpoint"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    subs.sort();
    let expected: Vec<(String, String)> = [
        ("email", "marketing-team@example.com"),
        ("email", "oncall@example.com"),
        ("https", "{{resolve:secretsmanager:dpc/opsgenie-marketing}}"),
        (
            "lambda",
            "arn:aws:lambda:eu-central-1:666666666666:function:dpc-slack-caller",
        ),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(subs, expected);
    // FULL_EXECUTION routes per target: Slack and the target that asked for
    // `events: [FULL_EXECUTION]` get everything; on-call's email and OpsGenie only the
    // run's failures, filtered on the attributes the tracker sets.
    let mut filters: Vec<(String, Option<Value>)> = resources_of(alerts, "AWS::SNS::Subscription")
        .into_iter()
        .map(|(_, r)| {
            (
                r["Properties"]["Endpoint"].as_str().unwrap().to_owned(),
                r["Properties"].get("FilterPolicy").cloned(),
            )
        })
        .collect();
    filters.sort_by(|a, b| a.0.cmp(&b.0));
    let statuses = Some(dpc_model::contract::alerts::pipeline_status_filter(&[
        dpc_model::Status::Failed,
        dpc_model::Status::TimedOut,
        dpc_model::Status::Aborted,
    ]));
    assert_eq!(
        statuses,
        Some(json!({"dpc.kind": ["pipeline"], "dpc.status": ["FAILED", "TIMED_OUT", "ABORTED"]}))
    );
    let expected_filters: Vec<(String, Option<Value>)> = vec![
        (
            "arn:aws:lambda:eu-central-1:666666666666:function:dpc-slack-caller".into(),
            None,
        ),
        ("marketing-team@example.com".into(), None),
        ("oncall@example.com".into(), statuses.clone()),
        (
            "{{resolve:secretsmanager:dpc/opsgenie-marketing}}".into(),
            statuses,
        ),
    ];
    assert_eq!(filters, expected_filters);
    // FULL_EXECUTION: every status goes to the tracker, and the log events too.
    let rules = resources_of(alerts, "AWS::Events::Rule");
    let status = rules
        .iter()
        .find(|(_, r)| r["Properties"]["EventPattern"]["source"] == json!(["aws.states"]))
        .expect("status rule");
    let pattern = &status.1["Properties"]["EventPattern"];
    assert!(pattern["detail"].get("status").is_none());
    assert_eq!(
        pattern["detail"]["stateMachineArn"],
        json!(["arn:aws:states:eu-central-1:666666666666:stateMachine:dpc-alerts"])
    );
    assert_eq!(
        status.1["Properties"]["Targets"][0]["Arn"],
        "arn:aws:lambda:eu-central-1:666666666666:function:dpc-execution-tracker"
    );
    let filters = resources_of(alerts, "AWS::Logs::SubscriptionFilter");
    assert_eq!(filters.len(), 1);
    assert_eq!(
        filters[0].1["Properties"]["DestinationArn"],
        "arn:aws:lambda:eu-central-1:666666666666:function:dpc-execution-tracker"
    );
    let slack = resources_of(alerts, "Custom::DpcSlackChannels");
    assert_eq!(slack.len(), 1);
    assert_eq!(
        slack[0].1["Properties"]["Channels"],
        json!(["#marketing-alerts", "C0123456789"])
    );
    // FULL_EXECUTION logs everything, PIPELINE_STATUS errors only; never execution data.
    let machine = resources_of(alerts, "AWS::StepFunctions::StateMachine")[0].1;
    assert_eq!(
        machine["Properties"]["LoggingConfiguration"]["Level"],
        "ALL"
    );
    assert_eq!(
        machine["Properties"]["LoggingConfiguration"]["IncludeExecutionData"],
        false
    );
    assert_eq!(
        machine["Properties"]["TracingConfiguration"]["Enabled"],
        true
    );
    let case = stacks("case-study");
    let px = resources_of(
        &stack(&case, "pipeline-x").template,
        "AWS::StepFunctions::StateMachine",
    )[0]
    .1
    .clone();
    assert_eq!(px["Properties"]["LoggingConfiguration"]["Level"], "ERROR");
}

#[test]
fn pipeline_status_rules_ask_for_on_status_only() {
    let all = stacks("case-study");
    let px = &stack(&all, "pipeline-x").template;
    let status = resources_of(px, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"]["EventPattern"]["source"] == json!(["aws.states"]))
        .expect("status rule");
    assert_eq!(
        status.1["Properties"]["EventPattern"]["detail"]["status"],
        json!(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
    );
    let searches = &stack(&all, "searches").template;
    let status = resources_of(searches, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"]["EventPattern"]["source"] == json!(["aws.states"]))
        .expect("status rule");
    assert_eq!(
        status.1["Properties"]["EventPattern"]["detail"]["status"],
        json!(["FAILED", "TIMED_OUT", "ABORTED"])
    );
}

fn statements(role: &Value) -> Vec<Value> {
    role["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn as_list(v: &Value) -> Vec<Value> {
    match v {
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

#[test]
fn the_cluster_role_grants_exactly_access() {
    let all = stacks("features");
    let alerts = &stack(&all, "alerts").template;
    let roles = resources_of(alerts, "AWS::IAM::Role");
    let (_, cluster) = roles
        .iter()
        .find(|(id, _)| id.starts_with("ClusterRole"))
        .expect("cluster role");
    let by_sid = |sid: &str| {
        statements(cluster)
            .into_iter()
            .find(|s| s["Sid"] == sid)
            .unwrap_or_else(|| panic!("statement {sid}"))
    };
    let read = by_sid("ReadData");
    assert_eq!(
        as_list(&read["Resource"]),
        [
            json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::marketing-raw/campaigns/*"}),
            json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::shared-reference/*"}),
            json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::marketing-lake/campaigns/*"}),
        ]
    );
    let write = by_sid("WriteData");
    assert_eq!(
        as_list(&write["Resource"]),
        [json!({"Fn::Sub": "arn:${AWS::Partition}:s3:::marketing-lake/campaigns/*"})]
    );
    // A whole bucket is listed without a prefix condition; prefixes are narrowed.
    let list0 = by_sid("ListData0");
    assert_eq!(
        list0["Condition"]["StringLike"]["s3:prefix"],
        json!(["campaigns/", "campaigns/*"])
    );
    let list1 = by_sid("ListData1");
    assert!(list1.get("Condition").is_none());
    let glue = by_sid("GlueDatabases");
    assert_eq!(
        as_list(&glue["Resource"]).len(),
        5,
        "catalog + 2 databases + their tables"
    );
    let kms = by_sid("KmsKeys");
    assert_eq!(
        as_list(&kms["Resource"]),
        [json!(
            "arn:aws:kms:eu-central-1:666666666666:key/0b1c2d3e-4f5a-6b7c-8d9e-0f1a2b3c4d5e"
        )]
    );
    let secret = by_sid("HiveMetastoreSecret");
    assert_eq!(
        secret["Resource"],
        "arn:aws:secretsmanager:eu-central-1:666666666666:secret:dpc/hive-metastore-??????"
    );
    // Scripts: exactly the staged objects of the bootstrap bucket.
    let scripts = by_sid("JobScripts");
    for object in as_list(&scripts["Resource"]) {
        let text = object.as_str().expect("literal ARN");
        assert!(
            text.starts_with("arn:aws:s3:::cdk-hnb659fds-assets-666666666666-eu-central-1/")
                && !text.ends_with('*'),
            "{text}"
        );
    }
    // Nothing else touches data.
    for statement in statements(cluster) {
        for action in as_list(&statement["Action"]) {
            let action = action.as_str().unwrap();
            assert!(!action.contains('*'), "{action}");
        }
    }
    // Boundaries from platform.yaml on every role.
    for (id, role) in roles {
        assert_eq!(
            role["Properties"]["PermissionsBoundary"], "arn:aws:iam::aws:policy/PowerUserAccess",
            "{id}"
        );
    }
}

#[test]
fn the_state_machine_role_is_least_privilege() {
    let all = stacks("case-study");
    let px = &stack(&all, "pipeline-x").template;
    let roles = resources_of(px, "AWS::IAM::Role");
    let (_, role) = roles
        .iter()
        .find(|(id, _)| id.starts_with("Role"))
        .expect("role");
    let all_statements = statements(role);
    let pass = all_statements
        .iter()
        .find(|s| s["Action"] == "iam:PassRole")
        .expect("PassRole");
    let passed = as_list(&pass["Resource"]);
    assert_eq!(passed.len(), 2, "exactly the cluster's two roles");
    assert_eq!(passed[0], "arn:aws:iam::444444444444:role/dpc-emr-service");
    let rules = all_statements
        .iter()
        .find(|s| s["Sid"] == "SyncEmrTasks")
        .expect("managed rules");
    assert_eq!(
        as_list(&rules["Resource"])
            .iter()
            .map(|r| r.as_str().unwrap().rsplit('/').next().unwrap().to_owned())
            .collect::<Vec<_>>(),
        [
            "StepFunctionsGetEventForEMRRunJobFlowRule",
            "StepFunctionsGetEventForEMRAddJobFlowStepsRule",
            "StepFunctionsGetEventForEMRTerminateJobFlowsRule"
        ]
    );
    for s in &all_statements {
        if s["Resource"] == "*" {
            for a in as_list(&s["Action"]) {
                let a = a.as_str().unwrap();
                assert!(
                    dpc_constructs::security::unscoped(a).is_some(),
                    "{a} on * is not in the security list"
                );
            }
        }
    }
    let clusters = all_statements
        .iter()
        .find(|s| s["Sid"] == "OwnClusters")
        .expect("EMR");
    assert_eq!(
        clusters["Condition"]["StringEquals"]["aws:ResourceTag/dpc:pipeline"],
        "pipeline-x"
    );
}

#[test]
fn the_registration_has_a_stable_physical_id_and_the_condition() {
    let all = stacks("case-study");
    let px = &stack(&all, "pipeline-x").template;
    let reg = resources_of(px, "Custom::DpcPipeline");
    assert_eq!(reg.len(), 1);
    let props = &reg[0].1["Properties"];
    assert_eq!(
        props["ServiceToken"],
        "arn:aws:lambda:eu-west-1:444444444444:function:dpc-registration"
    );
    assert_eq!(props["PhysicalId"], "444444444444/pipeline-x");
    assert_eq!(props["ServiceTimeout"], 300);
    assert_eq!(
        props["Parents"],
        json!([
            {"account": "222222222222", "name": "listings"},
            {"account": "333333333333", "name": "searches"}
        ])
    );
    assert_eq!(
        props["Condition"]["allOf"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(props["WithinSeconds"], "86400");
}

#[test]
fn no_template_holds_a_secret_value() {
    for example_name in ["case-study", "features"] {
        for (name, s) in stacks(example_name) {
            let def = definition(&s.template).to_string().to_lowercase();
            assert!(
                !def.contains("password"),
                "{name}: the definition mentions a password"
            );
            assert!(
                !def.contains("{{resolve:secretsmanager"),
                "{name}: a secret in the definition"
            );
            // Secrets appear only as dynamic references CloudFormation resolves, and only
            // where a secret is the value (the OpsGenie endpoint).
            let template = &s.template;
            for (id, resource) in template["Resources"].as_object().unwrap() {
                let text = resource.to_string();
                if text.contains("{{resolve:secretsmanager") {
                    assert_eq!(resource["Type"], "AWS::SNS::Subscription", "{name}/{id}");
                    assert!(
                        resource["Properties"]["Endpoint"]
                            .as_str()
                            .unwrap()
                            .starts_with("{{resolve:secretsmanager:")
                    );
                }
            }
        }
    }
    // The metastore's secret is read by the cluster: only its name is passed on.
    let all = stacks("features");
    let def = definition(&stack(&all, "alerts").template);
    let actions = def["States"]["Start cluster"]["Parameters"]["BootstrapActions"].clone();
    let hive = as_list(&actions)
        .into_iter()
        .find(|a| a["Name"] == "dpc-hive-metastore")
        .expect("hive bootstrap action");
    assert_eq!(
        hive["ScriptBootstrapAction"]["Args"],
        json!(["dpc/hive-metastore", "eu-central-1"])
    );
}

#[test]
fn the_cluster_request_follows_the_merged_spec() {
    let all = stacks("features");
    let def = definition(&stack(&all, "alerts").template);
    let start = &def["States"]["Start cluster"];
    assert_eq!(
        start["Resource"],
        "arn:aws:states:::elasticmapreduce:createCluster"
    );
    let p = &start["Parameters"];
    assert_eq!(p["ReleaseLabel"], "emr-7.5.0");
    assert_eq!(
        p["Applications"],
        json!([{"Name": "Hive"}, {"Name": "Spark"}])
    );
    assert_eq!(p["ServiceRole"], "dpc-emr-service");
    assert_eq!(p["JobFlowRole"], "${InstanceProfile}");
    assert_eq!(p["SecurityConfiguration"], "${SecurityConfiguration}");
    assert_eq!(p["Instances"]["KeepJobFlowAliveWhenNoSteps"], true);
    assert_eq!(p["Instances"]["Ec2SubnetId"], "subnet-0e1f2a3b");
    assert!(
        p["Instances"].get("ServiceAccessSecurityGroup").is_none(),
        "public subnet"
    );
    let groups = p["Instances"]["InstanceGroups"].as_array().unwrap();
    assert_eq!(groups.len(), 3);
    assert_eq!(groups[1]["Market"], "SPOT");
    assert_eq!(groups[2]["InstanceRole"], "TASK");
    assert_eq!(
        groups[0]["EbsConfiguration"]["EbsBlockDeviceConfigs"][0]["VolumeSpecification"]["SizeInGB"],
        128
    );
    assert_eq!(p["AutoTerminationPolicy"]["IdleTimeout"], 3600);
    assert_eq!(
        p["LogUri"],
        "s3://dpc-artifacts-666666666666-eu-central-1/emr-logs/dpc-alerts/"
    );
    assert_eq!(p["StepConcurrencyLevel"], 1, "two steps in a row");
    // A `${...}` in a user's setting never reaches CloudFormation as a placeholder.
    let core_site = &p["Configurations"][1]["Properties"];
    assert_eq!(
        core_site["hadoop.tmp.dir.$"],
        "States.Format('{}', '/mnt/tmp/$\\{user.name\\}')"
    );
    assert_eq!(
        p["Tags"],
        json!([
            {"Key": "dpc:pipeline", "Value": "alerts"},
            {"Key": "dpc:owner", "Value": "marketing-team"},
            {"Key": "dpc:execution", "Value.$": "$$.Execution.Id"}
        ])
    );
    // Private subnets: the service access group; several subnets: the first.
    let diamond = definition(&stack(&all, "diamond").template);
    let instances = &diamond["States"]["Start cluster"]["Parameters"]["Instances"];
    assert_eq!(instances["Ec2SubnetId"], "subnet-0d1e2f3a");
    assert_eq!(
        instances["ServiceAccessSecurityGroup"],
        "${ServiceAccessSecurityGroup}"
    );
    assert_eq!(
        diamond["States"]["Start cluster"]["Parameters"]["StepConcurrencyLevel"],
        2
    );
}

#[test]
fn steps_run_through_command_runner_with_macros_at_run_time() {
    let all = stacks("features");
    let def = definition(&stack(&all, "diamond").template);
    let text = def.to_string();
    let find = |name: &str| -> Value {
        fn walk(v: &Value, name: &str) -> Option<Value> {
            match v {
                Value::Object(m) => {
                    if let Some(s) = m.get("States").and_then(|s| s.get(name)) {
                        return Some(s.clone());
                    }
                    m.values().find_map(|x| walk(x, name))
                }
                Value::Array(a) => a.iter().find_map(|x| walk(x, name)),
                _ => None,
            }
        }
        walk(&def, name).unwrap_or_else(|| panic!("state {name}"))
    };
    let left = find("left");
    assert_eq!(
        left["Resource"],
        "arn:aws:states:::elasticmapreduce:addStep.sync"
    );
    let step = &left["Parameters"]["Step"];
    assert_eq!(step["ActionOnFailure"], "CONTINUE");
    assert_eq!(step["HadoopJarStep"]["Jar"], "command-runner.jar");
    let args = step["HadoopJarStep"]["Args.$"]
        .as_str()
        .expect("computed args");
    assert!(args.starts_with("States.Array('spark-submit', '--deploy-mode', 'cluster', 's3://cdk-hnb659fds-assets-555555555555-eu-west-1/"), "{args}");
    assert!(
        args.ends_with(
            "'--date', States.Format('{}', $ds), '--run', States.Format('{}', $$.Execution.Name))"
        ),
        "{args}"
    );
    let prepare = find("prepare");
    let args = prepare["Parameters"]["Step"]["HadoopJarStep"]["Args.$"]
        .as_str()
        .unwrap();
    assert_eq!(
        args,
        "States.Array('bash', '-c', States.Format('echo \"preparing {} for diamond in $HOME and $\\{HOME\\}\"', $ds))"
    );
    // ds, ds_nodash and ts are computed once, at the start.
    assert!(
        text.contains("\"ds.$\":\"States.ArrayGetItem(States.StringSplit($.input.time, 'T'), 0)\"")
    );
    assert!(text.contains("ds_nodash.$"));
    // A step with a timeout carries it; retries loop back to the step.
    assert_eq!(find("right")["TimeoutSeconds"], 3600);
    assert_eq!(find("join: wait before retry")["Next"], "join");
    // No `${` reaches CloudFormation except whole-string substitutions.
    let mut placeholders = dpc_constructs::stepfunctions::state_machine::placeholders(&text);
    placeholders.sort();
    assert_eq!(
        placeholders,
        [
            "CoreSecurityGroup",
            "InstanceProfile",
            "PrimarySecurityGroup",
            "SecurityConfiguration",
            "ServiceAccessSecurityGroup"
        ]
    );
}

#[test]
fn synthesis_is_deterministic() {
    let a = stacks("features");
    let b = stacks("features");
    for ((na, sa), (nb, sb)) in a.iter().zip(&b) {
        assert_eq!(na, nb);
        assert_eq!(sa.template.to_string(), sb.template.to_string(), "{na}");
    }
}

/// The longest names the language allows (63 characters for pipelines and steps) still
/// fit every AWS limit: state names (80), rule names (64), state machine (80).
#[test]
fn the_longest_names_fit_every_limit() {
    let org = load(&example("case-study"));
    let mut pipeline = org
        .pipelines
        .iter()
        .find(|p| p.name == "pipeline-x")
        .expect("pipeline-x")
        .clone();
    let long = |prefix: &str| format!("{prefix}{}", "x".repeat(63 - prefix.len()));
    pipeline.name = long("p");
    let first = long("a");
    let second = long("b");
    pipeline.steps[0].name = first.clone();
    pipeline.steps[0].timeout = Some(dpc_model::Duration::from_secs(600));
    pipeline.steps[0].retries = 3;
    pipeline.steps[1].name = second;
    pipeline.steps[1].depends_on = vec![first];
    let mut app = dpc_core::App::new();
    let ctx = dpc_constructs::pipeline::BuildContext {
        platform: &org.platform,
        step_renderers: &[],
    };
    let built = dpc_constructs::pipeline::build(&mut app, &pipeline, &ctx).expect("builds");
    let assembly = app.synth().expect("synthesizes");
    let template = &assembly.stacks()[0].template();
    fn state_names(v: &Value, out: &mut Vec<String>) {
        match v {
            Value::Object(m) => {
                if let Some(Value::Object(states)) = m.get("States") {
                    out.extend(states.keys().cloned());
                }
                m.values().for_each(|x| state_names(x, out));
            }
            Value::Array(a) => a.iter().for_each(|x| state_names(x, out)),
            _ => {}
        }
    }
    let mut names = Vec::new();
    state_names(&definition(template), &mut names);
    assert!(names.len() > 20);
    for name in &names {
        assert!(name.chars().count() <= 80, "state name {name}");
    }
    let unique: std::collections::BTreeSet<&String> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "state names are unique");
    for (_, rule) in resources_of(template, "AWS::Events::Rule") {
        assert!(rule["Properties"]["Name"].as_str().unwrap().len() <= 64);
    }
    let machine = resources_of(template, "AWS::StepFunctions::StateMachine")[0].1;
    assert!(
        machine["Properties"]["StateMachineName"]
            .as_str()
            .unwrap()
            .len()
            <= 80
    );
    assert!(built.stack_name.len() <= 128);
    if support::tools_installed("check-assembly long names") {
        let dir = support::scratch_dir("assembly-long-names");
        assembly.write(&dir).expect("written");
        let output = Command::new(support::repo_root().join("scripts/check-assembly"))
            .arg(&dir)
            .output()
            .expect("scripts/check-assembly runs");
        assert!(
            output.status.success(),
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Synth-time limits with AWS's figures: a definition over 1 MB is refused, a trigger
/// pattern over 2,048 characters falls back to pipeline and account with a warning.
#[test]
fn limits_are_checked_at_synth_with_the_aws_figures() {
    let org = load(&example("case-study"));
    let base = org
        .pipelines
        .iter()
        .find(|p| p.name == "pipeline-x")
        .expect("pipeline-x")
        .clone();
    let ctx = dpc_constructs::pipeline::BuildContext {
        platform: &org.platform,
        step_renderers: &[],
    };

    let mut huge = base.clone();
    let template_step = huge.steps[1].clone();
    huge.steps = (0..120)
        .map(|i| {
            let mut step = template_step.clone();
            step.name = format!("s{i}");
            step.depends_on = if i == 0 {
                vec![]
            } else {
                vec![format!("s{}", i - 1)]
            };
            step.config = dpc_schema::StepConfig::Shell(dpc_schema::ShellStep {
                command: format!("echo {}", "y".repeat(10_000)),
            });
            step
        })
        .collect();
    let mut app = dpc_core::App::new();
    let errors = dpc_constructs::pipeline::build(&mut app, &huge, &ctx).expect_err("too large");
    assert!(
        errors
            .iter()
            .any(|e| e.code == "DM0311" && e.message.contains("1048576 bytes")),
        "{errors:#?}"
    );

    let mut wide = base.clone();
    let items: Vec<dpc_model::ConditionNode> = (0..60)
        .map(|i| {
            dpc_model::ConditionNode::Item(dpc_model::ConditionItem {
                pipeline: dpc_model::PipelineId::new(
                    "222222222222",
                    format!("upstream-number-{i}"),
                ),
                status: vec![dpc_model::Status::Succeeded],
            })
        })
        .collect();
    wide.trigger = dpc_schema::Trigger::Executions(dpc_model::ExecutionsTrigger {
        condition: dpc_model::Condition {
            operator: dpc_model::Operator::And,
            all_of: items,
            any_of: vec![],
        },
        within: dpc_model::Duration::from_secs(86_400),
    });
    let mut app = dpc_core::App::new();
    dpc_constructs::pipeline::build(&mut app, &wide, &ctx).expect("builds");
    let assembly = app.synth().expect("synthesizes with a warning");
    let warning = assembly
        .warnings()
        .iter()
        .find(|w| w.code == "DM0313")
        .expect("a warning about the pattern");
    assert!(warning.message.contains("2048"), "{}", warning.message);
    let template = &assembly.stacks()[0].template();
    let rule = resources_of(template, "AWS::Events::Rule")
        .into_iter()
        .find(|(_, r)| r["Properties"]["EventBusName"] == "dpc-pipelines")
        .expect("trigger rule")
        .1
        .clone();
    assert_eq!(
        rule["Properties"]["EventPattern"]["detail"],
        json!({"pipeline": ["pipeline-x"], "account": ["444444444444"]})
    );
}

/// Pipelines too large for a template are refused at their `steps`, before their states
/// are built when the step count or the plan's nesting already says so: 10,000 steps,
/// 600 steps nested 200 `Parallel` states deep, and 385 nested 128 deep, the deepest the
/// planner lets through (which fits every count but not the template, indented; built
/// whole on a test thread's stack, so the deepest definition dpc builds does not
/// overflow it).
#[test]
fn steps_that_cannot_fit_a_template_are_refused_at_steps() {
    let org = load(&example("case-study"));
    let base = org
        .pipelines
        .iter()
        .find(|p| p.name == "pipeline-x")
        .expect("pipeline-x")
        .clone();
    let steps_at = base
        .places
        .key("steps")
        .cloned()
        .expect("loaded from a file");
    let ctx = dpc_constructs::pipeline::BuildContext {
        platform: &org.platform,
        step_renderers: &[],
    };
    let template_step = base.steps[0].clone();
    // Rungs of a ladder: before(j), then rung j + 1 beside side(j), then after(j).
    let ladder = |rungs: usize| -> Vec<Vec<usize>> {
        let mut deps: Vec<Vec<usize>> = Vec::new();
        for j in 0..rungs {
            deps.push(if j == 0 { vec![] } else { vec![j - 1] });
        }
        for j in 0..rungs {
            deps.push(vec![j]);
        }
        deps.push(vec![rungs - 1]);
        let mut inner = 2 * rungs;
        for j in (0..rungs).rev() {
            deps.push(vec![inner, rungs + j]);
            inner = deps.len() - 1;
        }
        deps
    };
    let chain = |n: usize| -> Vec<Vec<usize>> {
        (0..n)
            .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
            .collect()
    };
    for (deps, expected) in [
        (chain(10_000), "10000 steps"),
        (ladder(200), "more than 128 deep"),
        (ladder(128), "bytes of its stack's template"),
    ] {
        let mut big = base.clone();
        big.steps = deps
            .iter()
            .enumerate()
            .map(|(i, ds)| {
                let mut step = template_step.clone();
                step.name = format!("s{i}");
                step.depends_on = ds.iter().map(|d| format!("s{d}")).collect();
                step
            })
            .collect();
        let mut app = dpc_core::App::new();
        let errors = dpc_constructs::pipeline::build(&mut app, &big, &ctx).expect_err("too large");
        let found = errors
            .iter()
            .find(|e| e.code == "DM0311" && e.message.contains(expected))
            .unwrap_or_else(|| panic!("{expected}: {errors:#?}"));
        assert_eq!(found.location.as_ref(), Some(&steps_at), "{expected}");
    }
}
