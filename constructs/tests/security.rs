//! Security properties of every template dpc synthesizes for the case study and for
//! `examples/five-accounts` (six accounts, no AWS Organization, a permissions boundary):
//! least-privilege IAM, encryption at rest, resource policies limited to the organisation
//! or named accounts, no security group open to the internet, and checkov's verdict.
//!
//! Each check is a function from a template to the problems it finds, so
//! `the_checks_catch_what_they_are_for` can prove on bad templates that they fail.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_constructs::security::{UNSCOPED_ACTIONS, unscoped};
use dpc_schema::Organisation;
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Mutex, OnceLock};

const EXAMPLES: [&str; 2] = ["case-study", "five-accounts"];

/// Who a resource policy may admit.
struct Audience {
    organization: Option<String>,
    accounts: Vec<String>,
}

impl Audience {
    fn of(org: &Organisation) -> Audience {
        let mut accounts: Vec<String> =
            org.platform.accounts.iter().map(|a| a.id.clone()).collect();
        accounts.push(org.platform.central.account.clone());
        Audience {
            organization: org.platform.central.organization_id.clone(),
            accounts,
        }
    }
}

/// Templates by `<example>/<artifact id>`.
type Templates = Vec<(String, Value)>;

/// Every template of `example`, by artifact id (synthesized once per test run).
fn templates(example: &str) -> Templates {
    static CACHE: OnceLock<Mutex<BTreeMap<String, Templates>>> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let mut cache = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry(example.to_owned())
        .or_insert_with(|| {
            fixtures::synth(example)
                .stacks()
                .iter()
                .map(|s| (format!("{example}/{}", s.artifact_id), s.template()))
                .collect()
        })
        .clone()
}

fn resources(template: &Value) -> Vec<(&str, &Value)> {
    template["Resources"]
        .as_object()
        .map(|r| r.iter().map(|(k, v)| (k.as_str(), v)).collect())
        .unwrap_or_default()
}

fn list(value: &Value) -> Vec<&Value> {
    match value {
        Value::Array(items) => items.iter().collect(),
        Value::Null => Vec::new(),
        one => vec![one],
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Kind {
    /// What a principal may do (role and managed policies).
    Identity,
    /// Who may assume a role.
    Trust,
    /// Who may use a resource (bus, API, queue, topic, bucket).
    Resource,
    /// A KMS key policy, where `Resource: "*"` is the key itself.
    Key,
}

/// Every policy statement of `template`, with its kind and where it is.
fn statements(template: &Value) -> Vec<(String, Kind, Value)> {
    let mut out = Vec::new();
    for (id, resource) in resources(template) {
        let p = &resource["Properties"];
        let mut push = |kind: Kind, doc: &Value| {
            for s in list(&doc["Statement"]) {
                out.push((id.to_owned(), kind, s.clone()));
            }
        };
        match resource["Type"].as_str().unwrap_or("") {
            "AWS::IAM::Role" => {
                push(Kind::Trust, &p["AssumeRolePolicyDocument"]);
                for policy in list(&p["Policies"]) {
                    push(Kind::Identity, &policy["PolicyDocument"]);
                }
            }
            "AWS::IAM::Policy" | "AWS::IAM::ManagedPolicy" => {
                push(Kind::Identity, &p["PolicyDocument"])
            }
            "AWS::SQS::QueuePolicy" | "AWS::SNS::TopicPolicy" | "AWS::S3::BucketPolicy" => {
                push(Kind::Resource, &p["PolicyDocument"]);
            }
            "AWS::ApiGateway::RestApi" => push(Kind::Resource, &p["Policy"]),
            "AWS::KMS::Key" => push(Kind::Key, &p["KeyPolicy"]),
            "AWS::Events::EventBusPolicy" => {
                out.push((id.to_owned(), Kind::Resource, p["Statement"].clone()));
            }
            _ => {}
        }
    }
    out
}

fn strings(value: &Value) -> Vec<String> {
    list(value)
        .into_iter()
        .map(|v| {
            v.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| v.to_string())
        })
        .collect()
}

/// No statement allows a wildcard action; none allows an action on `*` unless IAM cannot
/// scope it (`dpc_constructs::security`); no `NotAction`/`NotResource`/`NotPrincipal`.
fn iam_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, kind, s) in statements(template) {
        for not in ["NotAction", "NotResource", "NotPrincipal"] {
            if s.get(not).is_some() {
                problems.push(format!("{id}: statement uses {not}"));
            }
        }
        if s["Effect"] != "Allow" {
            continue;
        }
        let actions = strings(&s["Action"]);
        for action in &actions {
            if action.contains('*') {
                problems.push(format!("{id}: allows the wildcard action `{action}`"));
            }
        }
        let on_everything = strings(&s["Resource"]).iter().any(|r| r == "*");
        if kind == Kind::Identity && on_everything {
            for action in actions.iter().filter(|a| unscoped(a).is_none()) {
                problems.push(format!("{id}: allows `{action}` on every resource"));
            }
        }
        if kind == Kind::Identity && s.get("Resource").is_none() {
            problems.push(format!("{id}: an identity statement names no resource"));
        }
    }
    problems
}

fn encryption_problems(template: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, resource) in resources(template) {
        let p = &resource["Properties"];
        let ok = match resource["Type"].as_str().unwrap_or("") {
            "AWS::S3::Bucket" => {
                let by_default = &p["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"];
                by_default["SSEAlgorithm"] == "aws:kms" && !by_default["KMSMasterKeyID"].is_null()
            }
            "AWS::DynamoDB::Table" => {
                p["SSESpecification"]["SSEEnabled"] == true
                    && !p["SSESpecification"]["KMSMasterKeyId"].is_null()
            }
            "AWS::SQS::Queue" => {
                !p["KmsMasterKeyId"].is_null() || p["SqsManagedSseEnabled"] == true
            }
            "AWS::SNS::Topic" => !p["KmsMasterKeyId"].is_null(),
            "AWS::SecretsManager::Secret" => !p["KmsKeyId"].is_null(),
            "AWS::Logs::LogGroup" => !p["KmsKeyId"].is_null(),
            _ => true,
        };
        if !ok {
            problems.push(format!("{id} ({}) is not encrypted", resource["Type"]));
        }
    }
    problems
}

/// An `{"AWS": ...}` principal admits only accounts of the platform (as roots or ids), or,
/// in a key policy, the key's own account.
fn admits_known_accounts(principal: &Value, audience: &Audience, kind: Kind) -> bool {
    list(&principal["AWS"]).into_iter().all(|p| {
        let text = p["Fn::Sub"].as_str().or(p.as_str()).unwrap_or("");
        let account = text
            .strip_prefix("arn:${AWS::Partition}:iam::")
            .and_then(|rest| rest.strip_suffix(":root"))
            .unwrap_or(text);
        audience.accounts.iter().any(|a| a == account)
            || (kind == Kind::Key && account == "${AWS::AccountId}")
    })
}

fn has_condition(statement: &Value, key: &str) -> bool {
    statement["Condition"]
        .as_object()
        .is_some_and(|ops| ops.values().any(|keys| keys.get(key).is_some()))
}

/// Every resource policy (bus, API, queue, topic, bucket, key) and every Lambda permission
/// admits only the organisation (`aws:PrincipalOrgID`), named accounts of the platform, or
/// an AWS service acting for a named source.
fn resource_policy_problems(template: &Value, audience: &Audience) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, kind, s) in statements(template) {
        if !matches!(kind, Kind::Resource | Kind::Key) || s["Effect"] != "Allow" {
            continue;
        }
        let principal = &s["Principal"];
        let ok = if principal == "*" {
            let org = &s["Condition"]["StringEquals"]["aws:PrincipalOrgID"];
            kind == Kind::Resource && audience.organization.as_deref().is_some_and(|o| org == o)
        } else if principal.get("AWS").is_some() {
            admits_known_accounts(principal, audience, kind)
        } else if principal.get("Service").is_some() {
            [
                "aws:SourceArn",
                "aws:SourceAccount",
                "kms:EncryptionContext:aws:logs:arn",
            ]
            .iter()
            .any(|key| has_condition(&s, key))
        } else {
            false
        };
        if !ok {
            problems.push(format!("{id}: admits {principal} beyond the organisation"));
        }
    }
    for (id, resource) in resources(template) {
        if resource["Type"] != "AWS::Lambda::Permission" {
            continue;
        }
        let p = &resource["Properties"];
        let principal = p["Principal"].as_str().unwrap_or("");
        let ok = if principal.ends_with(".amazonaws.com") {
            let source = &p["SourceArn"];
            !source.is_null()
                && (!source.to_string().contains('*') || !p["SourceAccount"].is_null())
        } else {
            audience.accounts.iter().any(|a| a == principal)
                || (principal == "*"
                    && audience.organization.is_some()
                    && p["PrincipalOrgID"].as_str() == audience.organization.as_deref())
        };
        if !ok {
            problems.push(format!(
                "{id}: Lambda permission for `{principal}` is not limited"
            ));
        }
    }
    problems
}

fn open_security_group_problems(template: &Value) -> Vec<String> {
    let open = |rule: &Value| {
        rule["CidrIp"].as_str().is_some_and(|c| c.ends_with("/0"))
            || rule["CidrIpv6"].as_str().is_some_and(|c| c.ends_with("/0"))
    };
    let mut problems = Vec::new();
    for (id, resource) in resources(template) {
        let p = &resource["Properties"];
        let rules: Vec<&Value> = match resource["Type"].as_str().unwrap_or("") {
            "AWS::EC2::SecurityGroup" => list(&p["SecurityGroupIngress"]),
            "AWS::EC2::SecurityGroupIngress" => vec![p],
            _ => Vec::new(),
        };
        if rules.into_iter().any(open) {
            problems.push(format!("{id} lets the whole internet in"));
        }
    }
    problems
}

/// Runs `check` on every template of both examples and fails with everything it finds.
fn assert_clean(what: &str, check: impl Fn(&Value, &Audience) -> Vec<String>) {
    let mut problems = Vec::new();
    let mut stacks = 0;
    for example in EXAMPLES {
        let audience = Audience::of(&fixtures::load(example));
        for (name, template) in templates(example) {
            stacks += 1;
            problems.extend(
                check(&template, &audience)
                    .into_iter()
                    .map(|p| format!("{name}: {p}")),
            );
        }
    }
    assert!(
        stacks >= 15,
        "every stack of both examples is checked ({stacks})"
    );
    assert!(problems.is_empty(), "{what}:\n{}", problems.join("\n"));
}

#[test]
fn no_statement_grants_wildcard_actions_or_star_resources_it_could_scope() {
    assert_clean("IAM", |t, _| iam_problems(t));
}

#[test]
fn every_bucket_table_queue_topic_secret_and_log_group_is_encrypted() {
    assert_clean("encryption", |t, _| encryption_problems(t));
}

#[test]
fn resource_policies_admit_only_the_organisation_or_named_accounts() {
    assert_clean("resource policies", resource_policy_problems);
}

#[test]
fn no_security_group_is_open_to_the_internet() {
    assert_clean("security groups", |t, _| open_security_group_problems(t));
}

#[test]
fn every_star_resource_grant_is_for_a_listed_action_with_a_reason() {
    // The list is what reviewers read: each entry used somewhere has a real reason, and
    // the templates use nothing else on `*` (checked above).
    let mut used = Vec::new();
    for example in EXAMPLES {
        for (_, template) in templates(example) {
            for (_, kind, s) in statements(&template) {
                if kind == Kind::Identity && strings(&s["Resource"]).iter().any(|r| r == "*") {
                    used.extend(strings(&s["Action"]));
                }
            }
        }
    }
    assert!(!used.is_empty(), "some actions really cannot be scoped");
    for action in used {
        let entry = unscoped(&action).expect("listed");
        assert!(entry.reason.len() > 40, "{action}: {}", entry.reason);
    }
    assert!(
        UNSCOPED_ACTIONS.len() < 30,
        "the exception list stays short"
    );
}

#[test]
fn the_checks_catch_what_they_are_for() {
    let audience = Audience {
        organization: None,
        accounts: vec!["222222222222".into()],
    };
    let role = |statement: Value| {
        json!({"Resources": {"R": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
            "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}]}}}})
    };
    assert_eq!(
        iam_problems(&role(
            json!({"Effect": "Allow", "Action": "s3:*", "Resource": "arn:aws:s3:::b"})
        ))
        .len(),
        1
    );
    assert_eq!(
        iam_problems(&role(
            json!({"Effect": "Allow", "Action": ["s3:GetObject", "ec2:DescribeSubnets"], "Resource": "*"})
        )),
        ["R: allows `s3:GetObject` on every resource"]
    );
    assert!(
        iam_problems(&role(
            json!({"Effect": "Allow", "Action": "ec2:DescribeSubnets", "Resource": "*"})
        ))
        .is_empty()
    );
    assert!(
        iam_problems(&role(
            json!({"Effect": "Deny", "Action": "s3:*", "Resource": "*"})
        ))
        .is_empty()
    );

    let unencrypted = json!({"Resources": {
        "T": {"Type": "AWS::SNS::Topic", "Properties": {}},
        "L": {"Type": "AWS::Logs::LogGroup", "Properties": {"RetentionInDays": 30}},
        "B": {"Type": "AWS::S3::Bucket", "Properties": {}}}});
    assert_eq!(encryption_problems(&unencrypted).len(), 3);

    let bus = |statement: Value| json!({"Resources": {"P": {"Type": "AWS::Events::EventBusPolicy", "Properties": {"Statement": statement}}}});
    let open = bus(
        json!({"Effect": "Allow", "Principal": "*", "Action": "events:PutEvents", "Resource": "x"}),
    );
    assert_eq!(resource_policy_problems(&open, &audience).len(), 1);
    let stranger = bus(
        json!({"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::999999999999:root"}},
                              "Action": "events:PutEvents", "Resource": "x"}),
    );
    assert_eq!(resource_policy_problems(&stranger, &audience).len(), 1);
    let member = bus(
        json!({"Effect": "Allow", "Principal": {"AWS": {"Fn::Sub": "arn:${AWS::Partition}:iam::222222222222:root"}},
                            "Action": "events:PutEvents", "Resource": "x"}),
    );
    assert!(resource_policy_problems(&member, &audience).is_empty());
    let any_rule = json!({"Resources": {"P": {"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "FunctionName": "f", "Principal": "events.amazonaws.com",
        "SourceArn": "arn:aws:events:eu-west-1:*:rule/*"}}}});
    assert_eq!(resource_policy_problems(&any_rule, &audience).len(), 1);

    let sg = json!({"Resources": {"G": {"Type": "AWS::EC2::SecurityGroup", "Properties": {
        "SecurityGroupIngress": [{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}}}});
    assert_eq!(open_security_group_problems(&sg).len(), 1);
}

#[test]
fn checkov_reports_no_failed_check() {
    // Only the pinned checkov judges: another version on PATH has other checks.
    let checkov = Some(fixtures::root().join(".tools/venv/bin/checkov")).filter(|c| {
        std::process::Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    });
    let Some(checkov) = checkov else {
        assert!(
            !fixtures::is_ci(),
            "checkov must run in CI (scripts/install-tools)"
        );
        eprintln!("skipped: checkov is not installed");
        return;
    };
    for example in EXAMPLES {
        let dir =
            std::env::temp_dir().join(format!("dpc-security-{example}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        fixtures::synth(example)
            .write(&dir)
            .expect("write assembly");
        let files: Vec<String> = std::fs::read_dir(&dir)
            .expect("assembly dir")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.to_string_lossy().ends_with(".template.json"))
            .map(|p| p.to_string_lossy().into_owned())
            .collect();
        let out = std::process::Command::new(&checkov)
            .args([
                "--framework",
                "cloudformation",
                "--skip-download",
                "--quiet",
                "-o",
                "json",
                "-f",
            ])
            .args(&files)
            .env("CKV_SKIP_PACKAGE_UPDATE_CHECK", "true")
            .env("BC_SKIP_MAPPING", "TRUE")
            .output()
            .expect("run checkov");
        let _ = std::fs::remove_dir_all(&dir);
        let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "checkov printed no JSON ({e}): {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        let reports = match report {
            Value::Array(items) => items,
            one => vec![one],
        };
        let mut failed = Vec::new();
        let mut passed = 0;
        for r in &reports {
            passed += r["summary"]["passed"].as_u64().unwrap_or(0);
            for f in r["results"]["failed_checks"]
                .as_array()
                .into_iter()
                .flatten()
            {
                failed.push(format!(
                    "{} {} {}",
                    f["check_id"], f["resource"], f["file_path"]
                ));
            }
        }
        assert!(passed > 100, "{example}: checkov checked the templates");
        assert!(
            failed.is_empty(),
            "{example}: checkov failed:\n{}",
            failed.join("\n")
        );
    }
}
