//! Every physical name and cross-account ARN dpc computes: SPEC's "Names dpc gives
//! things", as functions.
//!
//! Stacks in different accounts cannot reference each other, so the templates and
//! the Lambda runtime compute the names they share from the same inputs here, and
//! get the same strings. Where an AWS limit is shorter than dpc's prefixed name,
//! [`fit_name`] shortens it deterministically with a hash, as the CDK does.
//!
//! ARN builders take the partition as a string, so a template can pass
//! `${AWS::Partition}` inside an `Fn::Sub` and the runtime a literal partition.

use md5::{Digest, Md5};
use std::fmt;

/// SPEC, central stack: `dpc-central`.
pub const CENTRAL_STACK_NAME: &str = "dpc-central";

/// SPEC, pipeline bus: `dpc-pipelines`, the bus in each user account that receives
/// trigger events from the central bus.
pub const PIPELINE_BUS_NAME: &str = "dpc-pipelines";

/// SPEC, `platform.yaml`: the central bus name when `central.busName` is not given.
pub const DEFAULT_CENTRAL_BUS_NAME: &str = "data-pipelines-central";

/// SPEC, user accounts: the rule on each account's default bus that forwards dpc
/// state machines' status changes to the central bus.
pub const FORWARDING_RULE_NAME: &str = "export-events-to-central-bus";

/// The prefix of every name dpc gives a pipeline's resources (`dpc-<name>`).
pub const PREFIX: &str = "dpc";

/// SPEC, central stack: `dpc-central`.
pub fn central_stack_name() -> &'static str {
    CENTRAL_STACK_NAME
}

/// SPEC, account setup stack: `dpc-account-<alias>`.
pub fn account_stack_name(alias: &str) -> String {
    NameKind::CloudFormationStack.fit(&format!("{PREFIX}-account-{alias}"))
}

/// SPEC, pipeline stack: `dpc-pipeline-<name>` (the stack's name in its account).
pub fn pipeline_stack_name(pipeline: &str) -> String {
    NameKind::CloudFormationStack.fit(&format!("{PREFIX}-pipeline-{pipeline}"))
}

/// SPEC, pipeline stack: artifact id in the assembly `dpc-pipeline-<alias>-<name>`
/// (unique across accounts, where two accounts may both have a pipeline `x`).
pub fn pipeline_artifact_id(alias: &str, pipeline: &str) -> String {
    format!("{PREFIX}-pipeline-{alias}-{pipeline}")
}

/// SPEC, state machine: `dpc-<name>` (at most 67 characters, within Step Functions'
/// 80).
pub fn state_machine_name(pipeline: &str) -> String {
    NameKind::StateMachine.fit(&format!("{PREFIX}-{pipeline}"))
}

/// SPEC, pipeline bus: `dpc-pipelines`.
pub fn pipeline_bus_name() -> &'static str {
    PIPELINE_BUS_NAME
}

/// SPEC, artifacts bucket: `dpc-artifacts-<account id>-<region>`, lower case, and
/// shortened with a hash should it exceed S3's 63 characters.
pub fn artifacts_bucket_name(account_id: &str, region: &str) -> String {
    NameKind::S3Bucket.fit(&format!("{PREFIX}-artifacts-{account_id}-{region}").to_lowercase())
}

/// SPEC, log group of a state machine: `/aws/vendedlogs/states/dpc-<name>`.
pub fn state_machine_log_group_name(pipeline: &str) -> String {
    NameKind::LogGroup.fit(&format!(
        "/aws/vendedlogs/states/{}",
        state_machine_name(pipeline)
    ))
}

/// A name for a resource of one pipeline: `dpc-<name>` or `dpc-<name>-<suffix>`,
/// fitted to `kind`'s limit. Pipeline names may be 63 characters, so `dpc-<name>`
/// may be 67, over the 64 of IAM roles, Lambda functions and EventBridge rules.
pub fn pipeline_resource_name(kind: NameKind, pipeline: &str, suffix: Option<&str>) -> String {
    match suffix {
        Some(suffix) => kind.fit(&format!("{PREFIX}-{pipeline}-{suffix}")),
        None => kind.fit(&format!("{PREFIX}-{pipeline}")),
    }
}

/// The alert topic of a pipeline: `dpc-<name>-alerts`. The execution tracker publishes
/// a pipeline's notifications to it; the pipeline stack creates it.
pub fn alert_topic_name(pipeline: &str) -> String {
    pipeline_resource_name(NameKind::SnsTopic, pipeline, Some(ALERT_TOPIC_SUFFIX))
}

/// The suffix of a pipeline's alert topic name ([`alert_topic_name`]).
pub const ALERT_TOPIC_SUFFIX: &str = "alerts";

/// The roles of dpc's Lambda functions (SPEC, Lambdas: `dpc-<role>`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LambdaRole {
    /// Central: logs each run and broadcasts trigger events.
    TriggerManager,
    /// Central: the dependency API's writer (pipeline → condition and parents).
    DependenciesWriter,
    /// Central: the Slack API's writer (pipeline → Slack channels).
    SlackChannelWriter,
    /// Central: posts to Slack (execution → Slack thread).
    SlackPoster,
    /// User account: tracks executions of the account's pipelines.
    ExecutionTracker,
    /// User account: calls the central Slack API.
    SlackCaller,
    /// User account: frees what a run leaves behind.
    Cleanup,
    /// User account: the custom-resource provider that registers pipelines.
    Registration,
}

impl LambdaRole {
    /// Every role, central ones first.
    pub const ALL: [LambdaRole; 8] = [
        LambdaRole::TriggerManager,
        LambdaRole::DependenciesWriter,
        LambdaRole::SlackChannelWriter,
        LambdaRole::SlackPoster,
        LambdaRole::ExecutionTracker,
        LambdaRole::SlackCaller,
        LambdaRole::Cleanup,
        LambdaRole::Registration,
    ];

    /// The role as it appears in the function name (`trigger-manager`).
    pub fn as_str(self) -> &'static str {
        match self {
            LambdaRole::TriggerManager => "trigger-manager",
            LambdaRole::DependenciesWriter => "dependencies-writer",
            LambdaRole::SlackChannelWriter => "slack-channel-writer",
            LambdaRole::SlackPoster => "slack-poster",
            LambdaRole::ExecutionTracker => "execution-tracker",
            LambdaRole::SlackCaller => "slack-caller",
            LambdaRole::Cleanup => "cleanup",
            LambdaRole::Registration => "registration",
        }
    }

    /// Whether the function lives in the central account (else in each user account).
    pub fn is_central(self) -> bool {
        matches!(
            self,
            LambdaRole::TriggerManager
                | LambdaRole::DependenciesWriter
                | LambdaRole::SlackChannelWriter
                | LambdaRole::SlackPoster
        )
    }
}

impl fmt::Display for LambdaRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// SPEC, Lambdas: `dpc-<role>`, e.g. `dpc-trigger-manager`.
pub fn lambda_function_name(role: LambdaRole) -> String {
    NameKind::LambdaFunction.fit(&format!("{PREFIX}-{role}"))
}

/// The kinds of AWS name dpc sets, each with its length limit.
///
/// Limits as the AWS API references state them: IAM `RoleName` 64,
/// `InstanceProfileName` 128, `PolicyName` 128; Lambda function name 64 (as a bare
/// name); EventBridge rule `Name` 64 and `EventBusName` 256; Step Functions state
/// machine `name` 80; SNS topic names 256; SQS queue names 80; CloudWatch Logs
/// `logGroupName` 512; DynamoDB `TableName` 255; S3 bucket names 63;
/// CloudFormation stack names 128.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// `AWS::IAM::Role` `RoleName`.
    IamRole,
    /// `AWS::IAM::InstanceProfile` `InstanceProfileName`.
    InstanceProfile,
    /// IAM policy names.
    IamPolicy,
    /// `AWS::Lambda::Function` `FunctionName`.
    LambdaFunction,
    /// `AWS::Events::Rule` `Name`.
    EventRule,
    /// `AWS::Events::EventBus` `Name`.
    EventBus,
    /// `AWS::StepFunctions::StateMachine` `StateMachineName`.
    StateMachine,
    /// `AWS::SNS::Topic` `TopicName`.
    SnsTopic,
    /// `AWS::SQS::Queue` `QueueName`.
    SqsQueue,
    /// `AWS::Logs::LogGroup` `LogGroupName`.
    LogGroup,
    /// `AWS::DynamoDB::Table` `TableName`.
    DynamoDbTable,
    /// `AWS::S3::Bucket` `BucketName`.
    S3Bucket,
    /// A CloudFormation stack name.
    CloudFormationStack,
}

impl NameKind {
    /// The most characters AWS allows in such a name.
    pub const fn max_len(self) -> usize {
        match self {
            NameKind::IamRole | NameKind::LambdaFunction | NameKind::EventRule => 64,
            NameKind::StateMachine | NameKind::SqsQueue => 80,
            NameKind::S3Bucket => 63,
            NameKind::InstanceProfile | NameKind::IamPolicy | NameKind::CloudFormationStack => 128,
            NameKind::DynamoDbTable => 255,
            NameKind::EventBus | NameKind::SnsTopic => 256,
            NameKind::LogGroup => 512,
        }
    }

    /// `name` as is when it fits this kind's limit, else shortened by [`fit_name`].
    pub fn fit(self, name: &str) -> String {
        fit_name(name, self.max_len())
    }
}

/// Length of the hash [`fit_name`] appends, in hex digits.
pub const HASH_LEN: usize = 8;

/// `name` when it has at most `max_len` characters; otherwise a readable prefix of
/// it, a `-`, and the first 8 hex digits of the MD5 of the whole name.
///
/// This is the CDK's way with physical names that are too long (its
/// `makeUniqueResourceName` keeps a readable part and appends 8 hex digits of an MD5),
/// kept lower case so the result is also a valid bucket name: two long names that
/// share a prefix still differ, and the same name always gives the same result. The
/// prefix loses trailing `-`, `_`, `.` and `/` so the name never shows `--`.
/// Below 10 characters only the hash (cut to `max_len`) is left.
pub fn fit_name(name: &str, max_len: usize) -> String {
    if name.chars().count() <= max_len {
        return name.to_string();
    }
    let hash = short_hash(name);
    if max_len <= HASH_LEN + 1 {
        return hash.chars().take(max_len).collect();
    }
    let prefix: String = name.chars().take(max_len - HASH_LEN - 1).collect();
    let prefix = prefix.trim_end_matches(['-', '_', '.', '/']);
    if prefix.is_empty() {
        hash
    } else {
        format!("{prefix}-{hash}")
    }
}

fn short_hash(text: &str) -> String {
    let digest = Md5::digest(text.as_bytes());
    digest
        .iter()
        .take(HASH_LEN / 2)
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The AWS partition a region belongs to (`aws`, `aws-cn`, `aws-us-gov`, ...), for
/// the runtime and tests; templates use `${AWS::Partition}` instead.
pub fn partition_for_region(region: &str) -> &'static str {
    const PARTITIONS: [(&str, &str); 7] = [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-iso-", "aws-iso"),
        ("us-isob-", "aws-iso-b"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
        ("eusc-", "aws-eusc"),
    ];
    PARTITIONS
        .iter()
        .find(|(prefix, _)| region.starts_with(prefix))
        .map_or("aws", |(_, partition)| partition)
}

/// Where a resource lives: partition, region and account, the parts of its ARN.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct AwsEnv {
    /// `aws`, `aws-cn`, ... or `${AWS::Partition}` inside an `Fn::Sub`.
    pub partition: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The 12-digit account id.
    pub account: String,
}

impl AwsEnv {
    /// An account and region, in the region's partition.
    pub fn new(account: impl Into<String>, region: impl Into<String>) -> AwsEnv {
        let region = region.into();
        AwsEnv {
            partition: partition_for_region(&region).to_string(),
            region,
            account: account.into(),
        }
    }

    /// The same place with another partition string (e.g. `${AWS::Partition}`).
    pub fn with_partition(mut self, partition: impl Into<String>) -> AwsEnv {
        self.partition = partition.into();
        self
    }

    fn arn(&self, service: &str, resource: &str) -> String {
        format!(
            "arn:{}:{service}:{}:{}:{resource}",
            self.partition, self.region, self.account
        )
    }

    /// The ARN of the event bus `bus_name` here.
    pub fn event_bus_arn(&self, bus_name: &str) -> String {
        self.arn("events", &format!("event-bus/{bus_name}"))
    }

    /// The central bus's ARN (this env being the central account): every account's
    /// forwarding rule targets it.
    pub fn central_bus_arn(&self, bus_name: &str) -> String {
        self.event_bus_arn(bus_name)
    }

    /// This account's pipeline bus ARN (`dpc-pipelines`): the central bus's rules
    /// target it.
    pub fn pipeline_bus_arn(&self) -> String {
        self.event_bus_arn(PIPELINE_BUS_NAME)
    }

    /// The ARN of the Lambda function named `function_name` here.
    pub fn lambda_arn(&self, function_name: &str) -> String {
        self.arn("lambda", &format!("function:{function_name}"))
    }

    /// The ARN of dpc's Lambda for `role` here (`dpc-<role>`).
    pub fn lambda_role_arn(&self, role: LambdaRole) -> String {
        self.lambda_arn(&lambda_function_name(role))
    }

    /// The ARN of pipeline `pipeline`'s state machine (`dpc-<name>`) here.
    pub fn state_machine_arn(&self, pipeline: &str) -> String {
        self.arn(
            "states",
            &format!("stateMachine:{}", state_machine_name(pipeline)),
        )
    }

    /// The ARN prefix every dpc state machine here shares (`...:stateMachine:dpc-`),
    /// for the forwarding rule's `prefix` match and IAM resource patterns.
    pub fn state_machine_arn_prefix(&self) -> String {
        self.arn("states", &format!("stateMachine:{PREFIX}-"))
    }

    /// The ARN of execution `execution_name` of pipeline `pipeline`'s state machine.
    pub fn execution_arn(&self, pipeline: &str, execution_name: &str) -> String {
        self.arn(
            "states",
            &format!(
                "execution:{}:{execution_name}",
                state_machine_name(pipeline)
            ),
        )
    }

    /// The ARN of pipeline `pipeline`'s alert topic ([`alert_topic_name`]) here.
    pub fn alert_topic_arn(&self, pipeline: &str) -> String {
        self.arn("sns", &alert_topic_name(pipeline))
    }

    /// The ARN of the SQS queue named `queue_name` here.
    pub fn sqs_queue_arn(&self, queue_name: &str) -> String {
        self.arn("sqs", queue_name)
    }

    /// The ARN of this account's artifacts bucket (S3 ARNs have no region or account).
    pub fn artifacts_bucket_arn(&self) -> String {
        format!(
            "arn:{}:s3:::{}",
            self.partition,
            artifacts_bucket_name(&self.account, &self.region)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_table_names() {
        assert_eq!(central_stack_name(), "dpc-central");
        assert_eq!(account_stack_name("core-data"), "dpc-account-core-data");
        assert_eq!(pipeline_stack_name("pipeline-x"), "dpc-pipeline-pipeline-x");
        assert_eq!(
            pipeline_artifact_id("rent-journey", "pipeline-x"),
            "dpc-pipeline-rent-journey-pipeline-x"
        );
        assert_eq!(state_machine_name("listings"), "dpc-listings");
        assert_eq!(pipeline_bus_name(), "dpc-pipelines");
        assert_eq!(
            artifacts_bucket_name("222222222222", "eu-west-1"),
            "dpc-artifacts-222222222222-eu-west-1"
        );
        assert_eq!(
            state_machine_log_group_name("listings"),
            "/aws/vendedlogs/states/dpc-listings"
        );
        let names: Vec<String> = LambdaRole::ALL
            .into_iter()
            .map(lambda_function_name)
            .collect();
        assert_eq!(
            names,
            [
                "dpc-trigger-manager",
                "dpc-dependencies-writer",
                "dpc-slack-channel-writer",
                "dpc-slack-poster",
                "dpc-execution-tracker",
                "dpc-slack-caller",
                "dpc-cleanup",
                "dpc-registration"
            ]
        );
    }

    #[test]
    fn fit_name_keeps_short_names_and_hashes_long_ones_stably() {
        assert_eq!(fit_name("dpc-listings", 64), "dpc-listings");
        let longest = format!("a{}", "b".repeat(62));
        let name = format!("dpc-{longest}");
        assert_eq!(name.len(), 67);
        let fitted = fit_name(&name, 64);
        assert_eq!(fitted.len(), 64);
        assert!(fitted.starts_with("dpc-abbb"));
        assert_eq!(fitted, fit_name(&name, 64), "deterministic");
        // The hash is of the whole name: the first 8 hex digits of its MD5.
        let md5_hex: String = Md5::digest(name.as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(&fitted[56..], &md5_hex[..8]);
        assert_eq!(&fitted[55..56], "-");
        // Names that differ only past the cut still differ.
        let other = format!("dpc-{}c", &longest[..62]);
        assert_ne!(fit_name(&other, 64), fitted);
    }

    #[test]
    fn fit_name_never_doubles_a_hyphen_and_survives_tiny_limits() {
        let name = format!("{}-{}", "a".repeat(54), "b".repeat(20));
        let fitted = fit_name(&name, 64);
        assert!(!fitted.contains("--"), "{fitted}");
        assert!(fitted.len() <= 64);
        assert_eq!(fit_name("abcdefghijk", 4).len(), 4);
        assert_eq!(fit_name("abcdefghijk", 0), "");
        assert_eq!(fit_name("----------------", 12).len(), 8);
        assert_eq!(fit_name("ééééééééééééé", 12).chars().count(), 12);
    }

    #[test]
    fn pipeline_resource_names_fit_their_limits() {
        let long = format!("p{}", "x".repeat(62));
        for kind in [
            NameKind::IamRole,
            NameKind::LambdaFunction,
            NameKind::EventRule,
        ] {
            let name = pipeline_resource_name(kind, &long, Some("trigger"));
            assert!(name.len() <= 64, "{name}");
            assert!(name.starts_with("dpc-px"));
        }
        assert_eq!(
            pipeline_resource_name(NameKind::EventRule, "pipeline-x", Some("trigger")),
            "dpc-pipeline-x-trigger"
        );
        assert_eq!(state_machine_name(&long).len(), 67);
        assert_eq!(
            artifacts_bucket_name("222222222222", "EU-WEST-1"),
            "dpc-artifacts-222222222222-eu-west-1"
        );
        let bucket = artifacts_bucket_name("222222222222", &"r".repeat(60));
        assert_eq!(bucket.len(), 63);
        assert_eq!(bucket, bucket.to_lowercase());
    }

    #[test]
    fn arns_for_names_without_a_cloudformation_reference() {
        let central = AwsEnv::new("111111111111", "eu-west-1");
        assert_eq!(
            central.central_bus_arn(DEFAULT_CENTRAL_BUS_NAME),
            "arn:aws:events:eu-west-1:111111111111:event-bus/data-pipelines-central"
        );
        assert_eq!(
            central.lambda_role_arn(LambdaRole::TriggerManager),
            "arn:aws:lambda:eu-west-1:111111111111:function:dpc-trigger-manager"
        );
        let user = AwsEnv::new("444444444444", "eu-west-1");
        assert_eq!(
            user.pipeline_bus_arn(),
            "arn:aws:events:eu-west-1:444444444444:event-bus/dpc-pipelines"
        );
        assert_eq!(
            user.state_machine_arn("pipeline-x"),
            "arn:aws:states:eu-west-1:444444444444:stateMachine:dpc-pipeline-x"
        );
        assert_eq!(
            user.execution_arn("pipeline-x", "run-1"),
            "arn:aws:states:eu-west-1:444444444444:execution:dpc-pipeline-x:run-1"
        );
        assert_eq!(
            user.state_machine_arn_prefix(),
            "arn:aws:states:eu-west-1:444444444444:stateMachine:dpc-"
        );
        assert_eq!(alert_topic_name("pipeline-x"), "dpc-pipeline-x-alerts");
        assert_eq!(
            user.alert_topic_arn("pipeline-x"),
            "arn:aws:sns:eu-west-1:444444444444:dpc-pipeline-x-alerts"
        );
        assert_eq!(
            user.sqs_queue_arn("dpc-dead-letters"),
            "arn:aws:sqs:eu-west-1:444444444444:dpc-dead-letters"
        );
        assert_eq!(
            user.artifacts_bucket_arn(),
            "arn:aws:s3:::dpc-artifacts-444444444444-eu-west-1"
        );
        let templated = user.clone().with_partition("${AWS::Partition}");
        assert_eq!(
            templated.pipeline_bus_arn(),
            "arn:${AWS::Partition}:events:eu-west-1:444444444444:event-bus/dpc-pipelines"
        );
        assert_eq!(AwsEnv::new("1", "cn-north-1").partition, "aws-cn");
        assert_eq!(partition_for_region("us-gov-west-1"), "aws-us-gov");
        assert_eq!(partition_for_region("us-isob-east-1"), "aws-iso-b");
        assert_eq!(partition_for_region("eu-central-1"), "aws");
    }
}
