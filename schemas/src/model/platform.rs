//! `platform.yaml`: one per organisation.

use super::common::patterns;
use super::pipeline::TargetFile;
use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `platform.yaml`: the organisation's central account, its user accounts, defaults for
/// every pipeline, and how dpc deploys. One per organisation, in the folder that holds
/// the pipeline projects (or above them).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "dpc platform.yaml")]
pub struct PlatformFile {
    /// The central account run by the data platform team: the central event bus, the
    /// trigger manager, the dependency and Slack APIs.
    pub central: CentralFile,
    /// The user accounts, by alias (lowercase letters, digits and `-`, starting with a
    /// letter, at most 40 characters). Every account a pipeline names must be here; the
    /// central account may be listed too. Ids are unique across aliases.
    pub accounts: IndexMap<String, AccountFile>,
    /// Defaults for every pipeline; a pipeline's own values win, field by field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub defaults: Option<DefaultsFile>,
    /// IAM settings for every role dpc makes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iam: Option<IamFile>,
    /// How the accounts were bootstrapped for the AWS CDK.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdk: Option<CdkFile>,
    /// The platform team's own alerts: who hears when the platform itself needs a person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alerts: Option<AlertsFile>,
}

/// The central account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CentralFile {
    /// The central account's 12-digit id, quoted: `"111111111111"`.
    #[schemars(pattern(patterns::ACCOUNT_ID))]
    pub account: String,
    /// The central account's region, e.g. `eu-west-1`.
    #[schemars(pattern(patterns::REGION))]
    pub region: String,
    /// The name of the central event bus. Defaults to `data-pipelines-central`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::BUS_NAME))]
    pub bus_name: Option<String>,
    /// The AWS Organizations id (`o-…`). When set, resource policies admit the whole
    /// organisation (`aws:PrincipalOrgID`) instead of listing every account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::ORGANIZATION_ID))]
    pub organization_id: Option<String>,
    /// The Slack integration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slack: Option<SlackFile>,
}

/// The Slack integration of the central account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SlackFile {
    /// The name of the Secrets Manager secret in the central account that holds the Slack
    /// bot token. The token itself never appears in a template. Defaults to
    /// `dpc/slack-token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::SECRET_NAME))]
    pub token_secret_name: Option<String>,
}

/// One user account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountFile {
    /// The account's 12-digit id, quoted: `"222222222222"`.
    #[schemars(pattern(patterns::ACCOUNT_ID))]
    pub id: String,
    /// The account's region, e.g. `eu-west-1`.
    #[schemars(pattern(patterns::REGION))]
    pub region: String,
    /// Where the account's EMR clusters run.
    pub network: NetworkFile,
}

/// The VPC an account's EMR clusters run in.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkFile {
    /// The VPC id: `vpc-` and 8 or 17 lowercase hex digits, e.g. `vpc-0a1b2c3d`.
    #[schemars(pattern(patterns::VPC_ID))]
    pub vpc_id: String,
    /// The subnets clusters may use (at least one), each `subnet-` and 8 or 17 lowercase
    /// hex digits.
    #[schemars(length(min = 1), inner(pattern(patterns::SUBNET_ID)))]
    pub subnet_ids: Vec<String>,
    /// Whether the subnets are private (no public IPs on cluster nodes). Defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub private: Option<bool>,
}

/// Defaults for every pipeline of the organisation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DefaultsFile {
    /// EMR defaults; a pipeline's `cluster` wins, field by field.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emr: Option<EmrDefaultsFile>,
    /// How long CloudWatch keeps the logs of dpc's state machines and Lambdas, in days:
    /// one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827,
    /// 2192, 2557, 2922, 3288, 3653. Defaults to 30.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 3653))]
    pub log_retention_days: Option<u32>,
}

/// EMR defaults for every pipeline's cluster.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmrDefaultsFile {
    /// The EMR release, e.g. `emr-7.5.0`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::RELEASE_LABEL))]
    pub release_label: Option<String>,
    /// The instance type of the master and core nodes, e.g. `m5.xlarge`. Defaults to
    /// `m5.xlarge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::INSTANCE_TYPE))]
    pub instance_type: Option<String>,
    /// How many core nodes a cluster has. Defaults to 2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 500))]
    pub core_instances: Option<u32>,
}

/// IAM settings.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IamFile {
    /// The ARN of a managed policy set as the permissions boundary of every role dpc makes,
    /// e.g. `arn:aws:iam::111111111111:policy/dpc-boundary`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::POLICY_ARN))]
    pub permissions_boundary: Option<String>,
}

/// How the accounts were bootstrapped for the AWS CDK.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CdkFile {
    /// The bootstrap qualifier of every account (`cdk bootstrap --qualifier`). Defaults
    /// to `hnb659fds`, the CDK's own default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::CDK_QUALIFIER))]
    pub qualifier: Option<String>,
}

/// The platform team's own alerts. Every alarm dpc makes notifies these targets: in the
/// central account, the trigger manager's errors and throttles, failed registrations (the
/// dependency and Slack APIs' errors), every central Lambda's errors and the central
/// dead-letter queue; in every user account, through that account's own topic
/// `dpc-platform-alarms` (alarms publish only within their account), the account's
/// dead-letter queue and the errors of its dpc Lambdas (execution tracker, Slack caller,
/// cleanup, registration). An email address therefore confirms one subscription per
/// account, and once for the central account.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertsFile {
    /// Where the alarms go: `EMAIL` (`addresses`) or `OPSGENIE` (`secretName`, a secret in
    /// every account that alarms). Slack is not a target of platform alarms: a CloudWatch
    /// alarm cannot reach the central Slack API; forward an email target to Slack instead.
    #[schemars(length(min = 1))]
    pub targets: Vec<TargetFile>,
}
