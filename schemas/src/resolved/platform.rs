//! The resolved `platform.yaml`.

use std::path::PathBuf;

/// The organisation's platform settings, with every default applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Platform {
    /// The central account.
    pub central: Central,
    /// The user accounts, in the order platform.yaml lists them.
    pub accounts: Vec<Account>,
    /// EMR defaults (already merged into each pipeline's cluster; kept for reference).
    pub emr_defaults: EmrDefaults,
    /// CloudWatch Logs retention of every log group dpc makes, in days. Defaults to 30.
    pub log_retention_days: u32,
    /// The managed policy ARN set as permissions boundary on every role dpc makes.
    pub permissions_boundary: Option<String>,
    /// The CDK bootstrap qualifier of every account. Defaults to `hnb659fds`.
    pub cdk_qualifier: String,
    /// Who hears the platform's own alarms (platform.yaml's `alerts.targets`): email
    /// addresses and OpsGenie endpoints, never Slack. Empty: the alarms exist, and notify
    /// topics nobody is subscribed to.
    pub alert_targets: Vec<crate::resolved::Target>,
    /// The `platform.yaml` file.
    pub file: PathBuf,
}

impl Platform {
    /// The account with this alias or 12-digit id.
    pub fn account(&self, alias_or_id: &str) -> Option<&Account> {
        self.accounts
            .iter()
            .find(|a| a.alias == alias_or_id || a.id == alias_or_id)
    }

    /// The account with this 12-digit id.
    pub fn account_by_id(&self, id: &str) -> Option<&Account> {
        self.accounts.iter().find(|a| a.id == id)
    }
}

/// The central account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Central {
    /// The 12-digit account id.
    pub account: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The central event bus's name. Defaults to `data-pipelines-central`.
    pub bus_name: String,
    /// The AWS Organizations id, when given: policies then use `aws:PrincipalOrgID`.
    pub organization_id: Option<String>,
    /// The Secrets Manager secret (in the central account) holding the Slack bot token.
    /// Defaults to `dpc/slack-token`.
    pub slack_token_secret_name: String,
    /// The alias of the user account with the central account's id, when the central
    /// account is also a user account.
    pub alias: Option<String>,
}

/// A user account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The alias platform.yaml gives it.
    pub alias: String,
    /// The 12-digit id.
    pub id: String,
    /// The region, e.g. `eu-west-1`.
    pub region: String,
    /// The VPC its EMR clusters run in.
    pub network: Network,
}

/// The VPC an account's EMR clusters run in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Network {
    /// The VPC id.
    pub vpc_id: String,
    /// The subnets (at least one).
    pub subnet_ids: Vec<String>,
    /// Whether the subnets are private. Defaults to `true`.
    pub private: bool,
}

/// The EMR defaults from platform.yaml, with dpc's own defaults filled in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmrDefaults {
    /// The release label, when platform.yaml gives one.
    pub release_label: Option<String>,
    /// The instance type of master and core nodes. dpc's default: `m5.xlarge`.
    pub instance_type: String,
    /// The number of core nodes. dpc's default: 2.
    pub core_instances: u32,
}

impl EmrDefaults {
    /// dpc's own default instance type.
    pub const INSTANCE_TYPE: &'static str = "m5.xlarge";
    /// dpc's own default number of core nodes.
    pub const CORE_INSTANCES: u32 = 2;
}

impl Central {
    /// dpc's default name of the central bus.
    pub const DEFAULT_BUS_NAME: &'static str = "data-pipelines-central";
    /// dpc's default name of the Slack token secret.
    pub const DEFAULT_SLACK_TOKEN_SECRET: &'static str = "dpc/slack-token";
}

impl Platform {
    /// dpc's default log retention in days.
    pub const DEFAULT_LOG_RETENTION_DAYS: u32 = 30;
    /// The CDK's default bootstrap qualifier.
    pub const DEFAULT_CDK_QUALIFIER: &'static str = "hnb659fds";
    /// The retention periods CloudWatch Logs accepts, in days.
    pub const LOG_RETENTION_VALUES: [u32; 22] = [
        1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557,
        2922, 3288, 3653,
    ];
}
