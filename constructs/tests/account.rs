//! The account setup stacks, checked the way a platform engineer reviewing them would.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_constructs::account::{self, names, params};
use dpc_constructs::central;
use dpc_core::App;
use fixtures::{find, load, resources_of, synth, template};
use serde_json::{Value, json};

fn sub(text: &str) -> Value {
    json!({ "Fn::Sub": text })
}

fn account_template(example: &str, alias: &str) -> Value {
    template(&synth(example), &format!("dpc-account-{alias}")).clone()
}

/// The statements of the inline policy of the role of `function`.
fn function_statements(t: &Value, function: &str) -> Vec<Value> {
    let f = find(t, "AWS::Lambda::Function", "FunctionName", &json!(function));
    let role = f["Properties"]["Role"]["Fn::GetAtt"][0]
        .as_str()
        .expect("role");
    t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

#[test]
fn the_pipeline_bus_takes_events_from_the_central_account_only() {
    let t = account_template("case-study", "core-data");
    find(&t, "AWS::Events::EventBus", "Name", &json!("dpc-pipelines"));
    let policies = resources_of(&t, "AWS::Events::EventBusPolicy");
    assert_eq!(policies.len(), 1);
    let statement = &policies[0].1["Properties"]["Statement"];
    assert_eq!(
        statement["Principal"],
        json!({"AWS": sub("arn:${AWS::Partition}:iam::111111111111:root")})
    );
    assert_eq!(statement["Action"], "events:PutEvents");
}

#[test]
fn status_changes_are_exported_to_the_central_bus_with_a_role_and_a_dead_letter_queue() {
    let t = account_template("case-study", "search");
    let rule = find(
        &t,
        "AWS::Events::Rule",
        "Name",
        &json!("export-events-to-central-bus"),
    );
    let p = &rule["Properties"];
    assert!(p.get("EventBusName").is_none(), "on the default bus");
    assert_eq!(
        p["EventPattern"]["$or"][0]["detail"]["stateMachineArn"],
        json!([{"prefix": "arn:aws:states:eu-west-1:333333333333:stateMachine:dpc-"}])
    );
    assert_eq!(
        p["EventPattern"]["$or"][1],
        json!({"source": ["dpc.pipeline"], "detail-type": ["Pipeline Status Change"]})
    );
    let target = &p["Targets"][0];
    assert_eq!(
        target["Arn"],
        sub("arn:${AWS::Partition}:events:eu-west-1:111111111111:event-bus/data-pipelines-central")
    );
    let role = target["RoleArn"]["Fn::GetAtt"][0].as_str().expect("role");
    assert_eq!(
        t["Resources"][role]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"],
        json!([{"Effect": "Allow", "Action": "events:PutEvents", "Resource": target["Arn"]}])
    );
    let queue = find(
        &t,
        "AWS::SQS::Queue",
        "QueueName",
        &json!(names::DEAD_LETTER_QUEUE),
    );
    assert!(queue["Properties"]["KmsMasterKeyId"].is_object());
    assert!(target["DeadLetterConfig"]["Arn"].is_object());
    assert_eq!(target["RetryPolicy"]["MaximumRetryAttempts"], 185);
}

#[test]
fn the_artifacts_bucket_is_private_encrypted_versioned_and_tls_only() {
    let t = account_template("case-study", "rent-journey");
    let bucket = find(
        &t,
        "AWS::S3::Bucket",
        "BucketName",
        &json!("dpc-artifacts-444444444444-eu-west-1"),
    );
    let p = &bucket["Properties"];
    let sse = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0];
    assert_eq!(
        sse["ServerSideEncryptionByDefault"]["SSEAlgorithm"],
        "aws:kms"
    );
    assert!(sse["ServerSideEncryptionByDefault"]["KMSMasterKeyID"].is_object());
    assert_eq!(
        p["PublicAccessBlockConfiguration"],
        json!({"BlockPublicAcls": true, "BlockPublicPolicy": true, "IgnorePublicAcls": true, "RestrictPublicBuckets": true})
    );
    assert_eq!(p["VersioningConfiguration"]["Status"], "Enabled");
    let rules = p["LifecycleConfiguration"]["Rules"]
        .as_array()
        .expect("rules");
    let logs = rules
        .iter()
        .find(|r| r["Prefix"] == "emr-logs/")
        .expect("a rule for EMR logs");
    assert_eq!(
        logs["ExpirationInDays"], 30,
        "platform.yaml's logRetentionDays"
    );
    assert_eq!(bucket["DeletionPolicy"], "Retain");
    let policy = &resources_of(&t, "AWS::S3::BucketPolicy")[0].1["Properties"]["PolicyDocument"];
    let deny = &policy["Statement"][0];
    assert_eq!(deny["Effect"], "Deny");
    assert_eq!(
        deny["Condition"],
        json!({"Bool": {"aws:SecureTransport": "false"}})
    );
}

#[test]
fn emr_security_groups_are_empty_tagged_and_published() {
    let t = account_template("case-study", "core-data");
    let groups = resources_of(&t, "AWS::EC2::SecurityGroup");
    let names: Vec<&str> = groups
        .iter()
        .filter_map(|(_, g)| g["Properties"]["GroupName"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            names::PRIMARY_SECURITY_GROUP,
            names::CORE_SECURITY_GROUP,
            names::SERVICE_ACCESS_SECURITY_GROUP
        ]
    );
    for (id, group) in &groups {
        let p = &group["Properties"];
        assert_eq!(p["VpcId"], "vpc-0a1b2c3d", "{id}");
        assert!(
            p.get("SecurityGroupIngress").is_none(),
            "{id}: EMR manages the rules"
        );
        assert_eq!(
            p["Tags"],
            json!([{"Key": "for-use-with-amazon-emr-managed-policies", "Value": "true"}])
        );
    }
    assert!(resources_of(&t, "AWS::EC2::SecurityGroupIngress").is_empty());
    // The custom resource that clears EMR's rules before the groups are deleted.
    let clear = resources_of(&t, account::EMR_SECURITY_GROUPS_RESOURCE);
    assert_eq!(clear.len(), 1);
    let ids = clear[0].1["Properties"]["SecurityGroupIds"]
        .as_array()
        .expect("ids");
    assert_eq!(ids.len(), 3);
    let cleanup = find(
        &t,
        "AWS::Lambda::Function",
        "FunctionName",
        &json!("dpc-cleanup"),
    );
    let cleanup_id = resources_of(&t, "AWS::Lambda::Function")
        .into_iter()
        .find(|(_, f)| *f == cleanup)
        .map(|(id, _)| id)
        .expect("cleanup");
    assert_eq!(
        clear[0].1["Properties"]["ServiceToken"],
        json!({"Fn::GetAtt": [cleanup_id, "Arn"]})
    );

    for (name, expected) in [
        (params::PRIMARY_SECURITY_GROUP_ID, "EmrPrimary"),
        (params::CORE_SECURITY_GROUP_ID, "EmrCore"),
        (params::SERVICE_ACCESS_SECURITY_GROUP_ID, "EmrServiceAccess"),
    ] {
        let parameter = find(&t, "AWS::SSM::Parameter", "Name", &json!(name));
        let value = parameter["Properties"]["Value"]["Fn::GetAtt"].clone();
        assert_eq!(value[1], "GroupId");
        assert!(
            value[0].as_str().unwrap_or("").starts_with(expected),
            "{name}"
        );
    }
}

#[test]
fn public_subnets_get_no_service_access_group() {
    let t = account_template("five-accounts", "marketing-analytics");
    let groups = resources_of(&t, "AWS::EC2::SecurityGroup");
    assert_eq!(groups.len(), 2);
    assert!(
        !t.to_string()
            .contains(params::SERVICE_ACCESS_SECURITY_GROUP_ID),
        "no parameter for a group that does not exist"
    );
}

#[test]
fn emr_roles_instance_profile_and_security_configuration() {
    let t = account_template("case-study", "core-data");
    let service = find(
        &t,
        "AWS::IAM::Role",
        "RoleName",
        &json!(names::EMR_SERVICE_ROLE),
    );
    let p = &service["Properties"];
    assert_eq!(
        p["ManagedPolicyArns"],
        json!([sub(
            "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2"
        )])
    );
    assert_eq!(
        p["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "elasticmapreduce.amazonaws.com"})
    );
    let pass = &p["Policies"][0]["PolicyDocument"]["Statement"][0];
    assert_eq!(pass["Action"], "iam:PassRole");
    assert_eq!(
        pass["Condition"],
        json!({"StringEquals": {"iam:PassedToService": "ec2.amazonaws.com"}})
    );
    assert_eq!(
        pass["Resource"],
        json!([
            sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/dpc-emr-ec2"),
            sub("arn:${AWS::Partition}:iam::${AWS::AccountId}:role/dpc-pipeline-*")
        ])
    );
    let ec2 = find(
        &t,
        "AWS::IAM::Role",
        "RoleName",
        &json!(names::EMR_EC2_ROLE),
    );
    assert_eq!(
        ec2["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"],
        json!({"Service": "ec2.amazonaws.com"})
    );
    find(
        &t,
        "AWS::IAM::InstanceProfile",
        "InstanceProfileName",
        &json!(names::EMR_EC2_ROLE),
    );
    let configuration = find(
        &t,
        "AWS::EMR::SecurityConfiguration",
        "Name",
        &json!(names::SECURITY_CONFIGURATION),
    );
    let encryption =
        &configuration["Properties"]["SecurityConfiguration"]["EncryptionConfiguration"];
    assert_eq!(encryption["EnableAtRestEncryption"], true);
    let at_rest = &encryption["AtRestEncryptionConfiguration"];
    assert_eq!(
        at_rest["S3EncryptionConfiguration"]["EncryptionMode"],
        "SSE-KMS"
    );
    assert_eq!(
        at_rest["LocalDiskEncryptionConfiguration"]["EnableEbsEncryption"],
        true
    );
    assert_eq!(
        at_rest["LocalDiskEncryptionConfiguration"]["EncryptionKeyProviderType"],
        "AwsKms"
    );
}

#[test]
fn dpc_lambdas_run_the_runtime_bundle_by_handler() {
    let t = account_template("case-study", "core-data");
    let functions = resources_of(&t, "AWS::Lambda::Function");
    let names: Vec<&str> = functions
        .iter()
        .filter_map(|(_, f)| f["Properties"]["FunctionName"].as_str())
        .collect();
    assert_eq!(
        names,
        [
            "dpc-execution-tracker",
            "dpc-slack-caller",
            "dpc-cleanup",
            "dpc-registration"
        ]
    );
    for (_, f) in &functions {
        let p = &f["Properties"];
        assert_eq!(p["Runtime"], "provided.al2023");
        assert_eq!(p["Architectures"], json!(["x86_64"]));
        assert_eq!(
            p["Code"],
            json!({"S3Bucket": "cdk-hnb659fds-assets-222222222222-eu-west-1",
                   "S3Key": format!("{}.zip", fixtures::runtime().id)})
        );
        let name = p["FunctionName"].as_str().unwrap_or("");
        assert_eq!(
            p["Environment"]["Variables"]["DPC_HANDLER"],
            name.trim_start_matches("dpc-")
        );
        assert!(p["KmsKeyArn"].is_object());
    }
    let assets = String::from_utf8_lossy(
        synth("case-study")
            .file("dpc-account-core-data.assets.json")
            .expect("asset manifest"),
    )
    .into_owned();
    assert!(assets.contains(&fixtures::runtime().id));
}

#[test]
fn lambdas_have_one_permission_per_invoking_service_for_every_pipeline() {
    let t = account_template("case-study", "core-data");
    let function_ids: Vec<(String, String)> = resources_of(&t, "AWS::Lambda::Function")
        .into_iter()
        .map(|(id, f)| {
            (
                id.to_owned(),
                f["Properties"]["FunctionName"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
            )
        })
        .collect();
    let mut granted: Vec<(String, String, Value)> = resources_of(&t, "AWS::Lambda::Permission")
        .into_iter()
        .map(|(_, permission)| {
            let p = &permission["Properties"];
            assert_eq!(p["SourceAccount"], json!({"Ref": "AWS::AccountId"}));
            let id = p["FunctionName"]["Fn::GetAtt"][0].as_str().unwrap_or("");
            let name = function_ids
                .iter()
                .find(|(fid, _)| fid == id)
                .map(|(_, n)| n.clone())
                .unwrap_or_default();
            (
                name,
                p["Principal"].as_str().unwrap_or("").to_owned(),
                p["SourceArn"].clone(),
            )
        })
        .collect();
    granted.sort_by(|a, b| (&a.0, &a.1).cmp(&(&b.0, &b.1)));
    let arn = |service: &str, resource: &str| {
        sub(&format!(
            "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
        ))
    };
    assert_eq!(
        granted,
        [
            (
                "dpc-cleanup".to_owned(),
                "events.amazonaws.com".to_owned(),
                arn("events", "rule/dpc-*")
            ),
            (
                "dpc-execution-tracker".to_owned(),
                "events.amazonaws.com".to_owned(),
                arn("events", "rule/dpc-*")
            ),
            (
                "dpc-execution-tracker".to_owned(),
                "logs.amazonaws.com".to_owned(),
                arn("logs", "log-group:/aws/vendedlogs/states/dpc-*")
            ),
            (
                "dpc-slack-caller".to_owned(),
                "sns.amazonaws.com".to_owned(),
                arn("sns", "dpc-*")
            ),
        ],
        "never one per pipeline; the registration provider is called by CloudFormation with the deployer's credentials"
    );
    let cleanup = find(&t, "AWS::Events::Rule", "Name", &json!(names::CLEANUP_RULE));
    // Every final status: a failed or even a successful run may have failed to
    // terminate its cluster, or lost the id of one EMR created.
    assert_eq!(
        cleanup["Properties"]["EventPattern"]["detail"]["status"],
        json!(["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"])
    );
}

#[test]
fn each_lambda_may_do_what_its_job_needs() {
    let t = account_template("case-study", "core-data");
    let actions = |function: &str| -> Vec<String> {
        function_statements(&t, function)
            .iter()
            .flat_map(|s| match &s["Action"] {
                Value::String(a) => vec![a.clone()],
                Value::Array(list) => list
                    .iter()
                    .filter_map(|a| a.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            })
            .collect()
    };
    assert!(actions("dpc-slack-caller").contains(&"execute-api:Invoke".to_owned()));
    assert!(
        !actions("dpc-slack-caller")
            .iter()
            .any(|a| a.starts_with("dynamodb:"))
    );
    assert!(actions("dpc-execution-tracker").contains(&"dynamodb:PutItem".to_owned()));
    assert!(actions("dpc-cleanup").contains(&"elasticmapreduce:TerminateJobFlows".to_owned()));
    let terminate = function_statements(&t, "dpc-cleanup")
        .into_iter()
        .find(|s| s["Action"] == "elasticmapreduce:TerminateJobFlows")
        .expect("terminate");
    assert_eq!(
        terminate["Condition"],
        json!({"Null": {"aws:ResourceTag/dpc:execution": "false"}}),
        "only clusters dpc tagged"
    );
    let registration = function_statements(&t, "dpc-registration");
    assert_eq!(
        registration[0]["Resource"][1],
        sub("arn:${AWS::Partition}:execute-api:eu-west-1:111111111111:*/v1/PUT/dependencies/*")
    );
}

#[test]
fn values_aws_makes_up_are_published_under_dpc() {
    let t = account_template("case-study", "core-data");
    let names: Vec<&str> = resources_of(&t, "AWS::SSM::Parameter")
        .iter()
        .filter_map(|(_, p)| p["Properties"]["Name"].as_str())
        .collect();
    for name in [
        params::KEY_ARN,
        params::DEAD_LETTER_QUEUE_ARN,
        params::PRIMARY_SECURITY_GROUP_ID,
        params::CORE_SECURITY_GROUP_ID,
        params::SERVICE_ACCESS_SECURITY_GROUP_ID,
        params::SECURITY_CONFIGURATION_NAME,
    ] {
        assert!(names.contains(&name), "{name} in {names:?}");
        assert!(name.starts_with("/dpc/"));
    }
}

#[test]
fn the_claims_table_makes_a_trigger_start_one_run() {
    let t = account_template("case-study", "core-data");
    let table = find(
        &t,
        "AWS::DynamoDB::Table",
        "TableName",
        &json!(dpc_model::contract::tables::claims::NAME),
    );
    let p = &table["Properties"];
    assert_eq!(
        p["KeySchema"],
        json!([{"AttributeName": "triggerId", "KeyType": "HASH"}])
    );
    assert_eq!(p["TimeToLiveSpecification"]["AttributeName"], "expiresAt");
    assert_eq!(p["BillingMode"], "PAY_PER_REQUEST");
}

#[test]
fn every_role_has_the_permissions_boundary_when_one_is_set() {
    let assembly = synth("five-accounts");
    for stack in assembly.stacks() {
        let template = stack.template();
        let roles = resources_of(&template, "AWS::IAM::Role");
        assert!(!roles.is_empty());
        for (id, role) in roles {
            assert_eq!(
                role["Properties"]["PermissionsBoundary"],
                "arn:aws:iam::100000000001:policy/dpc-boundary",
                "{} {id}",
                stack.artifact_id
            );
        }
    }
    let case_study = synth("case-study");
    for stack in case_study.stacks() {
        assert!(!stack.template().to_string().contains("PermissionsBoundary"));
    }
}

#[test]
fn the_central_urls_are_parameters_dpc_deploy_fills() {
    let org = load("case-study");
    let mut app = App::new();
    let built = account::build(
        &mut app,
        &org,
        &org.platform.accounts[0],
        &fixtures::runtime(),
    )
    .expect("account stack");
    assert_eq!(
        built.parameters,
        [
            (
                central::OUTPUT_DEPENDENCY_API_URL.to_owned(),
                central::OUTPUT_DEPENDENCY_API_URL.to_owned()
            ),
            (
                central::OUTPUT_SLACK_API_URL.to_owned(),
                central::OUTPUT_SLACK_API_URL.to_owned()
            ),
        ]
    );
    let t = account_template("case-study", "core-data");
    assert_eq!(t["Parameters"]["DependencyApiUrl"]["Type"], "String");
    let registration = find(
        &t,
        "AWS::Lambda::Function",
        "FunctionName",
        &json!("dpc-registration"),
    );
    assert_eq!(
        registration["Properties"]["Environment"]["Variables"]["DEPENDENCY_API_URL"],
        json!({"Ref": "DependencyApiUrl"})
    );
}

#[test]
fn an_account_that_is_also_central_gets_both_stacks_without_name_clashes() {
    let assembly = synth("five-accounts");
    let central = template(&assembly, "dpc-central");
    let own = template(&assembly, "dpc-account-platform");
    let names = |t: &Value| -> Vec<String> {
        t["Resources"]
            .as_object()
            .into_iter()
            .flat_map(|r| r.values())
            .filter_map(|r| {
                let p = &r["Properties"];
                [
                    "FunctionName",
                    "TableName",
                    "QueueName",
                    "TopicName",
                    "RoleName",
                    "LogGroupName",
                    "AliasName",
                    "Name",
                ]
                .iter()
                .find_map(|k| p[*k].as_str().map(|v| format!("{}:{v}", r["Type"])))
            })
            .collect()
    };
    let central_names = names(&central);
    for name in names(&own) {
        assert!(!central_names.contains(&name), "{name} is in both stacks");
    }
}

#[test]
fn patterns_match_the_events_they_are_for() {
    let Some(matcher) = fixtures::eventbridge_match() else {
        return;
    };
    let env = dpc_model::naming::AwsEnv::new("333333333333", "eu-west-1");
    let export = account::export_pattern(&env).to_json();
    let sfn = |machine: &str, status: &str| {
        let arn = format!("arn:aws:states:eu-west-1:333333333333:stateMachine:{machine}");
        json!({"version": "0", "id": "1", "detail-type": "Step Functions Execution Status Change",
               "source": "aws.states", "account": "333333333333", "time": "2026-11-26T05:50:00Z",
               "region": "eu-west-1", "resources": [arn.clone()],
               "detail": {"stateMachineArn": arn, "status": status}})
    };
    assert!(matcher(&export, &sfn("dpc-searches", "SUCCEEDED")));
    assert!(matcher(&export, &sfn("dpc-searches", "RUNNING")));
    assert!(!matcher(
        &export,
        &sfn("someone-elses-machine", "SUCCEEDED")
    ));
    let report = json!({"version": "0", "id": "2", "detail-type": "Pipeline Status Change",
                        "source": "dpc.pipeline", "account": "333333333333",
                        "time": "2026-11-26T05:50:00Z", "region": "eu-west-1", "resources": [],
                        "detail": {"status": "SUCCEEDED"}});
    assert!(matcher(&export, &report));

    let t = account_template("case-study", "search");
    let cleanup = &find(&t, "AWS::Events::Rule", "Name", &json!(names::CLEANUP_RULE))["Properties"]
        ["EventPattern"];
    assert!(matcher(cleanup, &sfn("dpc-searches", "ABORTED")));
    assert!(matcher(cleanup, &sfn("dpc-searches", "TIMED_OUT")));
    // A failed start or terminate ends FAILED with a cluster perhaps alive.
    assert!(matcher(cleanup, &sfn("dpc-searches", "FAILED")));
    assert!(matcher(cleanup, &sfn("dpc-searches", "SUCCEEDED")));
    assert!(!matcher(cleanup, &sfn("dpc-searches", "RUNNING")));
    assert!(!matcher(cleanup, &sfn("other", "ABORTED")));
}

#[test]
fn an_account_outgrowing_eventbridges_rule_quota_is_told_so() {
    let org = fixtures::crowded_account(150);
    let options = dpc_constructs::app::SynthOptions {
        runtime: fixtures::runtime(),
        ..Default::default()
    };
    let assembly = dpc_constructs::app::synthesize(&org, options).expect("warnings only");
    let warnings: Vec<&str> = assembly
        .warnings()
        .iter()
        .filter(|d| d.code == dpc_constructs::aws::codes::TOO_MANY_RULES)
        .map(|d| d.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].starts_with("event bus `default` of account 222222222222 (eu-west-1) needs"),
        "{}",
        warnings[0]
    );
    // The export and cleanup rules plus what the 150 pipeline stacks add there.
    let counted: usize = warnings[0]
        .split("needs ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|n| n.parse().ok())
        .expect("a count");
    assert!(counted > 300, "{counted}");
}
