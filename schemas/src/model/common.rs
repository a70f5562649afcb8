//! Small value types shared by the files: names of enums as users spell them, and the
//! patterns the schema enforces.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The patterns the JSON Schema gives for names and ids, shared with the checks that
/// explain a mismatch in words.
pub mod patterns {
    /// A pipeline or step name: lowercase letters, digits and `-`, starting with a letter.
    pub const NAME: &str = "^[a-z][a-z0-9-]{0,62}$";
    /// An account alias in `platform.yaml`.
    pub const ALIAS: &str = "^[a-z][a-z0-9-]{0,39}$";
    /// A 12-digit AWS account id.
    pub const ACCOUNT_ID: &str = "^[0-9]{12}$";
    /// An account as a pipeline names it: an alias or a 12-digit id.
    pub const ACCOUNT_REF: &str = "^([a-z][a-z0-9-]{0,39}|[0-9]{12})$";
    /// An AWS region such as `eu-west-1`.
    pub const REGION: &str = "^[a-z]{2}(-[a-z]+)+-[0-9]$";
    /// A duration such as `30m`, `6h`, `2d` or `1h30m`.
    pub const DURATION: &str = "^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$";
    /// An S3 location.
    pub const S3_URI: &str = "^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?$";
    /// An AWS Organizations id.
    pub const ORGANIZATION_ID: &str = "^o-[a-z0-9]{10,32}$";
    /// A CDK bootstrap qualifier.
    pub const CDK_QUALIFIER: &str = "^[A-Za-z0-9_-]{1,10}$";
    /// An EMR release label such as `emr-7.5.0`.
    pub const RELEASE_LABEL: &str = "^emr-[0-9]+\\.[0-9]+\\.[0-9]+$";
    /// A Secrets Manager secret name.
    pub const SECRET_NAME: &str = "^[A-Za-z0-9/_+=.@-]{1,512}$";
    /// An EC2 instance type such as `m5.xlarge`.
    pub const INSTANCE_TYPE: &str = "^[a-z][a-z0-9-]*\\.[a-z0-9]+$";
    /// A VPC id: `vpc-` and 8 (older VPCs) or 17 lowercase hex digits.
    pub const VPC_ID: &str = "^vpc-([0-9a-f]{8}|[0-9a-f]{17})$";
    /// A subnet id: `subnet-` and 8 (older subnets) or 17 lowercase hex digits.
    pub const SUBNET_ID: &str = "^subnet-([0-9a-f]{8}|[0-9a-f]{17})$";
    /// A KMS key ARN: the key id is a lowercase UUID, or `mrk-` and 32 hex digits for a
    /// multi-Region key. Not an alias ARN: IAM decides on a key's use by the key's ARN,
    /// so a grant on an alias ARN would allow nothing.
    pub const KMS_KEY_ARN: &str = "^arn:aws(-[a-z]+)*:kms:[a-z]{2}(-[a-z]+)+-[0-9]:[0-9]{12}:key/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$";
    /// An IAM managed policy ARN: AWS's (`iam::aws:`) or an account's, with an optional
    /// path; names of letters, digits and `+=,.@_-`, at most 128 characters.
    pub const POLICY_ARN: &str = "^arn:aws(-[a-z]+)*:iam::([0-9]{12}|aws):policy/([A-Za-z0-9+=,.@_-]+/)*[A-Za-z0-9+=,.@_-]{1,128}$";
    /// A Java class name.
    pub const JAVA_CLASS: &str = "^[A-Za-z_$][A-Za-z0-9_$]*(\\.[A-Za-z_$][A-Za-z0-9_$]*)*$";
    /// An EventBridge bus name.
    pub const BUS_NAME: &str = "^[A-Za-z0-9._-]{1,256}$";
}

/// A duration such as `30m`, `6h`, `2d` or `1h30m` (units d, h, m, s, largest first);
/// always greater than zero.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(transparent)]
#[schemars(transparent)]
pub struct DurationText(
    #[schemars(
        pattern(r"^([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"),
        length(min = 2)
    )]
    pub String,
);

/// The status of a pipeline run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum StatusName {
    /// The run started and has not finished.
    Running,
    /// The run finished successfully.
    Succeeded,
    /// The run failed.
    Failed,
    /// The run took longer than its timeout.
    TimedOut,
    /// The run was stopped by hand.
    Aborted,
}

/// How `allOf` and `anyOf` combine when both are given.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum OperatorName {
    /// Both blocks must hold (the default).
    And,
    /// Either block may hold.
    Or,
}

/// A day of the week.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum WeekDayName {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

/// How EMR buys an instance group's machines.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum MarketName {
    /// Regular on-demand instances (the default).
    OnDemand,
    /// Spot instances: cheaper, and may be taken back by AWS.
    Spot,
}

/// Which events notifications are sent for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum NotificationTypeName {
    /// The pipeline's own status changes, filtered by `onStatus` (the default).
    PipelineStatus,
    /// Every status change of the pipeline and of each of its steps.
    FullExecution,
}

/// Where a notification goes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
pub enum ChannelName {
    /// Slack channels, through the platform's Slack app.
    Slack,
    /// Email addresses; each recipient confirms the subscription once.
    Email,
    /// OpsGenie, through an endpoint kept in a Secrets Manager secret.
    Opsgenie,
}
