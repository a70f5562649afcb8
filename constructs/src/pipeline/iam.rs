//! The pipeline's IAM: the EMR instance role (exactly `access`, plus what a cluster
//! needs), the state machine's role, and the role EventBridge and EventBridge Scheduler
//! start the state machine with.

use super::setup::{self, AccountSetup};
use crate::aws::iam::{Conditions, PolicyDocument, Principal, Statement};
use dpc_core::{Diagnostic, Expr, dynamic_ref};
use dpc_schema::{Access, Pipeline};

/// The S3 part of an `access` entry: a bucket and a key prefix (possibly empty).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix, `""` for the whole bucket.
    pub prefix: String,
}

impl S3Location {
    /// Reads `s3://bucket/prefix`; `None` for anything else (the loader validates
    /// `access` entries, so this does not happen).
    pub fn parse(url: &str) -> Option<S3Location> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| S3Location {
            bucket: bucket.to_owned(),
            prefix: prefix.to_owned(),
        })
    }

    fn bucket_arn(&self) -> Expr {
        Expr::sub(format!("arn:${{AWS::Partition}}:s3:::{}", self.bucket))
    }

    /// The object itself; a key with a `{{…}}` macro (filled in at run time) as the
    /// prefix before it, since IAM cannot know the rest; a folder (`…/`, or the bucket
    /// itself) as the objects under it.
    fn exact_or_templated_arn(&self) -> Expr {
        let (key, rest) = match self.prefix.find("{{") {
            Some(at) => (&self.prefix[..at], "*"),
            None if self.prefix.is_empty() || self.prefix.ends_with('/') => {
                (self.prefix.as_str(), "*")
            }
            None => (self.prefix.as_str(), ""),
        };
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:s3:::{}/{key}{rest}",
            self.bucket
        ))
    }

    fn objects_arn(&self) -> Expr {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:s3:::{}/{}*",
            self.bucket, self.prefix
        ))
    }
}

/// The statements of the EMR instance role.
///
/// `scripts` are the `(bucket, key)` of the job scripts shipped as assets (the instance
/// role reads exactly those objects of the bootstrap bucket); `s3_scripts` the `s3://`
/// URLs of steps' and bootstrap actions' scripts run where they are (read exactly, too);
/// `hive_secret_arn` is the metastore secret's ARN pattern when the cluster has one.
pub fn instance_role_policy(
    pipeline: &Pipeline,
    setup: &AccountSetup,
    scripts: &[(String, String)],
    s3_scripts: &[String],
    hive_secret_arn: Option<String>,
) -> PolicyDocument {
    let access = &pipeline.access;
    let mut doc = PolicyDocument::new();
    add_s3(&mut doc, access);
    if !access.glue_databases.is_empty() {
        let env = &setup.env;
        let mut resources = vec![Expr::sub(format!(
            "arn:${{AWS::Partition}}:glue:{}:{}:catalog",
            env.region, env.account
        ))];
        for db in &access.glue_databases {
            resources.push(Expr::sub(format!(
                "arn:${{AWS::Partition}}:glue:{}:{}:database/{db}",
                env.region, env.account
            )));
            resources.push(Expr::sub(format!(
                "arn:${{AWS::Partition}}:glue:{}:{}:table/{db}/*",
                env.region, env.account
            )));
        }
        doc.push(
            Statement::allow([
                "glue:GetDatabase",
                "glue:GetTable",
                "glue:GetTables",
                "glue:GetPartition",
                "glue:GetPartitions",
                "glue:BatchGetPartition",
                "glue:CreateTable",
                "glue:UpdateTable",
                "glue:DeleteTable",
                "glue:CreatePartition",
                "glue:BatchCreatePartition",
                "glue:UpdatePartition",
                "glue:DeletePartition",
                "glue:BatchDeletePartition",
            ])
            .sid("GlueDatabases")
            .on(resources),
        );
    }
    if !access.kms_keys.is_empty() {
        doc.push(
            Statement::allow([
                "kms:Decrypt",
                "kms:Encrypt",
                "kms:GenerateDataKey",
                "kms:DescribeKey",
            ])
            .sid("KmsKeys")
            .on(access.kms_keys.iter().map(Expr::from)),
        );
    }
    // What the cluster itself needs: its logs, its scripts, its own description.
    let logs = format!(
        "arn:{}:s3:::{}/{}/{}/*",
        setup.env.partition,
        setup.artifacts_bucket(),
        setup::EMR_LOG_PREFIX,
        dpc_model::naming::state_machine_name(&pipeline.name)
    );
    doc.push(
        Statement::allow(["s3:PutObject"])
            .sid("ClusterLogs")
            .on([logs]),
    );
    doc.push(
        Statement::allow(["kms:Encrypt", "kms:GenerateDataKey", "kms:Decrypt"])
            .sid("ArtifactsKey")
            .on([dynamic_ref::ssm(setup::SSM_KMS_KEY_ARN)]),
    );
    if !scripts.is_empty() {
        let objects = scripts
            .iter()
            .map(|(bucket, key)| format!("arn:{}:s3:::{bucket}/{key}", setup.env.partition));
        doc.push(
            Statement::allow(["s3:GetObject"])
                .sid("JobScripts")
                .on(objects),
        );
    }
    let in_s3: Vec<Expr> = s3_scripts
        .iter()
        .filter_map(|url| S3Location::parse(url))
        .map(|l| l.exact_or_templated_arn())
        .collect();
    if !in_s3.is_empty() {
        doc.push(
            Statement::allow(["s3:GetObject"])
                .sid("ScriptsInS3")
                .on(in_s3),
        );
    }
    if let Some(secret) = hive_secret_arn {
        doc.push(
            Statement::allow(["secretsmanager:GetSecretValue"])
                .sid("HiveMetastoreSecret")
                .on([secret]),
        );
    }
    doc.push(
        Statement::allow([
            "elasticmapreduce:DescribeCluster",
            "elasticmapreduce:ListBootstrapActions",
            "elasticmapreduce:ListInstanceGroups",
            "elasticmapreduce:ListInstances",
            "elasticmapreduce:ListSteps",
            "elasticmapreduce:DescribeStep",
        ])
        .sid("OwnCluster")
        .on([cluster_arns(setup)])
        .when(
            "StringEquals",
            &format!("aws:ResourceTag/{}", setup::PIPELINE_TAG),
            [pipeline.name.as_str()],
        ),
    );
    doc
}

fn add_s3(doc: &mut PolicyDocument, access: &Access) {
    let read: Vec<S3Location> = access
        .read
        .iter()
        .filter_map(|u| S3Location::parse(u))
        .collect();
    let write: Vec<S3Location> = access
        .write
        .iter()
        .filter_map(|u| S3Location::parse(u))
        .collect();
    let all: Vec<&S3Location> = read.iter().chain(&write).collect();
    if all.is_empty() {
        return;
    }
    doc.push(
        Statement::allow(["s3:GetObject"])
            .sid("ReadData")
            .on(all.iter().map(|l| l.objects_arn())),
    );
    if !write.is_empty() {
        doc.push(
            Statement::allow([
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ])
            .sid("WriteData")
            .on(write.iter().map(S3Location::objects_arn)),
        );
    }
    // Listing is granted per bucket, narrowed to the prefixes by `s3:prefix`.
    let mut buckets: Vec<&str> = Vec::new();
    for location in &all {
        if !buckets.contains(&location.bucket.as_str()) {
            buckets.push(&location.bucket);
        }
    }
    for (i, bucket) in buckets.iter().enumerate() {
        let prefixes: Vec<&S3Location> = all
            .iter()
            .copied()
            .filter(|l| l.bucket == *bucket)
            .collect();
        let mut statement = Statement::allow(["s3:ListBucket"])
            .sid(format!("ListData{i}"))
            .on([prefixes[0].bucket_arn()]);
        if prefixes.iter().all(|l| !l.prefix.is_empty()) {
            let mut patterns = Vec::new();
            for l in &prefixes {
                patterns.push(l.prefix.clone());
                patterns.push(format!("{}*", l.prefix));
            }
            statement = statement.when("StringLike", "s3:prefix", patterns);
        }
        doc.push(statement);
    }
}

fn cluster_arns(setup: &AccountSetup) -> String {
    format!(
        "arn:{}:elasticmapreduce:{}:{}:cluster/*",
        setup.env.partition, setup.env.region, setup.env.account
    )
}

/// The statements of the state machine's role. `instance_role_arn` is the EMR instance
/// role of this pipeline (a `GetAtt` in the same stack).
///
/// # Errors
/// Only if [`crate::security`] stopped allowing `elasticmapreduce:RunJobFlow` on `*`.
pub fn state_machine_policy(
    pipeline: &Pipeline,
    setup: &AccountSetup,
    instance_role_arn: Expr,
) -> Result<PolicyDocument, Diagnostic> {
    let env = &setup.env;
    let tag_key = format!("aws:ResourceTag/{}", setup::PIPELINE_TAG);
    let request_tag = format!("aws:RequestTag/{}", setup::PIPELINE_TAG);
    let mut doc = PolicyDocument::new();
    doc.push(
        Statement::allow(["dynamodb:PutItem"])
            .sid("ClaimTrigger")
            .on([setup.claim_table_arn()]),
    );
    // The claims table is encrypted with the account's key, whose policy delegates to IAM.
    doc.push(
        Statement::allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"])
            .sid("ClaimTableKey")
            .on([dynamic_ref::ssm(setup::SSM_KMS_KEY_ARN)])
            .when(
                "StringEquals",
                "kms:ViaService",
                [format!("dynamodb.{}.amazonaws.com", env.region)],
            ),
    );
    // Creating a cluster has no cluster ARN yet: narrowed to clusters tagged with this
    // pipeline, and by PassRole below to this pipeline's roles.
    doc.push(
        Statement::allow_unscoped(&["elasticmapreduce:RunJobFlow"])?
            .sid("CreateCluster")
            .when("StringEquals", &request_tag, [pipeline.name.as_str()]),
    );
    doc.push(
        Statement::allow(["elasticmapreduce:AddTags"])
            .sid("TagCluster")
            .on([cluster_arns(setup)])
            .when("StringEquals", &request_tag, [pipeline.name.as_str()]),
    );
    doc.push(
        Statement::allow([
            "elasticmapreduce:DescribeCluster",
            "elasticmapreduce:TerminateJobFlows",
            "elasticmapreduce:AddJobFlowSteps",
            "elasticmapreduce:DescribeStep",
            "elasticmapreduce:CancelSteps",
            "elasticmapreduce:ListSteps",
        ])
        .sid("OwnClusters")
        .on([cluster_arns(setup)])
        .when("StringEquals", &tag_key, [pipeline.name.as_str()]),
    );
    // The managed rules Step Functions uses to learn when `.sync` EMR tasks end (Step
    // Functions developer guide, "IAM policies for Amazon EMR").
    let rules = [
        "StepFunctionsGetEventForEMRRunJobFlowRule",
        "StepFunctionsGetEventForEMRAddJobFlowStepsRule",
        "StepFunctionsGetEventForEMRTerminateJobFlowsRule",
    ]
    .map(|rule| {
        format!(
            "arn:{}:events:{}:{}:rule/{rule}",
            env.partition, env.region, env.account
        )
    });
    doc.push(
        Statement::allow(["events:PutTargets", "events:PutRule", "events:DescribeRule"])
            .sid("SyncEmrTasks")
            .on(rules),
    );
    doc.push(
        Statement::allow(["iam:PassRole"])
            .sid("PassClusterRoles")
            .on([Expr::from(setup.emr_service_role_arn()), instance_role_arn]),
    );
    doc.push(
        Statement::allow(["events:PutEvents"])
            .sid("ReportStatus")
            .on([setup.default_bus_arn()]),
    );
    for statement in crate::stepfunctions::StateMachine::logging_and_tracing_statements()? {
        doc.push(statement);
    }
    Ok(doc)
}

/// The statement of the role EventBridge rules and schedules start the state machine
/// with.
pub fn start_execution_policy(state_machine_arn: Expr) -> PolicyDocument {
    PolicyDocument::with([Statement::allow(["states:StartExecution"])
        .sid("StartPipeline")
        .on([state_machine_arn])])
}

/// The policy of the role `pipeline`'s trigger starts the state machine with: start it
/// ([`start_execution_policy`]) and, for an EventBridge Scheduler schedule, send the
/// starts Scheduler gave up on to the account's dead-letter queue. Scheduler delivers
/// dead letters with the schedule's role, not as a service principal (EventBridge
/// Scheduler user guide, "Configuring a dead-letter queue"), and the queue is encrypted
/// with the account's key, whose policy delegates to IAM.
pub fn trigger_role_policy(
    pipeline: &Pipeline,
    setup: &AccountSetup,
    state_machine_arn: Expr,
) -> PolicyDocument {
    let mut doc = start_execution_policy(state_machine_arn);
    if super::triggers::uses_scheduler(pipeline) {
        doc.push(
            Statement::allow(["sqs:SendMessage"])
                .sid("ScheduleDeadLetters")
                .on([setup.dead_letter_queue_arn()]),
        );
        doc.push(
            Statement::allow(["kms:Decrypt", "kms:GenerateDataKey"])
                .sid("ScheduleDeadLettersKey")
                .on([dynamic_ref::ssm(setup::SSM_KMS_KEY_ARN)])
                .when(
                    "StringEquals",
                    "kms:ViaService",
                    [format!("sqs.{}.amazonaws.com", setup.env.region)],
                ),
        );
    }
    doc
}

/// Trust conditions that keep a service role from being used for another account
/// (confused deputy).
pub fn same_account(account: &str) -> Conditions {
    let mut conditions = Conditions::new();
    conditions
        .entry("StringEquals".into())
        .or_default()
        .insert("aws:SourceAccount".into(), vec![Expr::from(account)]);
    conditions
}

/// The principals that start the state machine: EventBridge rules and schedules.
pub fn trigger_principals() -> Principal {
    Principal::Service(vec![
        "events.amazonaws.com".into(),
        "scheduler.amazonaws.com".into(),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_locations() {
        assert_eq!(
            S3Location::parse("s3://lake/metric-x/"),
            Some(S3Location {
                bucket: "lake".into(),
                prefix: "metric-x/".into()
            })
        );
        assert_eq!(
            S3Location::parse("s3://lake"),
            Some(S3Location {
                bucket: "lake".into(),
                prefix: String::new()
            })
        );
        assert_eq!(S3Location::parse("https://x"), None);
    }
}
