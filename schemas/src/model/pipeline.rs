//! `pipeline.yaml`: one per pipeline project.

use super::common::patterns;
use super::common::{
    ChannelName, DurationText, MarketName, NotificationTypeName, OperatorName, StatusName,
    WeekDayName,
};
use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// `pipeline.yaml`: one data pipeline: when it runs, the EMR cluster it runs on, what its
/// jobs may touch, its steps and who hears about it. Required: `name`, `account`, `steps`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "dpc pipeline.yaml")]
pub struct PipelineFile {
    /// The pipeline's name: lowercase letters, digits and `-`, starting with a letter, at
    /// most 63 characters; unique within its account.
    #[schemars(pattern(patterns::NAME))]
    pub name: String,
    /// The account the pipeline runs in: an alias from platform.yaml, or a 12-digit id
    /// listed there.
    #[schemars(pattern(patterns::ACCOUNT_REF))]
    pub account: String,
    /// What the pipeline produces, for people reading the graph and the alerts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The team that owns the pipeline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<String>,
    /// Tags set on every resource of the pipeline's stack. Keys may not start with `aws:`;
    /// values are text (quote numbers: `cost-center: "4711"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<IndexMap<String, String>>,
    /// `false` deploys everything but disables the pipeline's triggers. Defaults to `true`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// How long one run may take, e.g. `6h`; at most `365d`. Defaults to `12h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
    /// When the pipeline runs: exactly one of `schedule` (or its short form `hour:`),
    /// `cron` and `executions`. Without a trigger the pipeline runs only when started
    /// by hand.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trigger: Option<TriggerFile>,
    /// The EMR cluster the steps run on: provisioned before the first step and always
    /// terminated after the last. Missing fields come from platform.yaml's
    /// `defaults.emr`, then from dpc's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterFile>,
    /// What the pipeline's jobs may read and write; the cluster gets a role with exactly
    /// this access.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access: Option<AccessFile>,
    /// The steps. Without any `dependsOn` they run one after the other, in the order
    /// written; once a step has `dependsOn`, the steps form a graph, a step without
    /// `dependsOn` starts at once, and independent steps run at the same time.
    #[schemars(length(min = 1))]
    pub steps: Vec<StepFile>,
    /// Who hears about the pipeline's runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notifications: Option<NotificationsFile>,
}

/// When the pipeline runs: exactly one of `schedule` (or the short form: `hour`,
/// `minute`, `weekDays`, `timezone` directly here), `cron` and `executions`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TriggerFile {
    /// Short form of `schedule: { hour: … }`: the hour of day, 0–23.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 23))]
    pub hour: Option<u32>,
    /// Short form of `schedule: { minute: … }`: the minute, 0–59. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 59))]
    pub minute: Option<u32>,
    /// Short form of `schedule: { weekDays: … }`: the days to run on. Defaults to every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub week_days: Option<Vec<WeekDayName>>,
    /// Short form of `schedule: { timezone: … }`: an IANA time zone. Defaults to `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
    /// Run every day (or on `weekDays`) at a time of day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<ScheduleFile>,
    /// Run on an EventBridge cron expression (six fields, UTC), e.g. `0 3 * * ? *`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<String>,
    /// Run when upstream pipelines, in any account, reach the given statuses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub executions: Option<ExecutionsFile>,
}

/// A daily (or weekly) time of day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScheduleFile {
    /// The hour of day, 0–23.
    #[schemars(range(min = 0, max = 23))]
    pub hour: u32,
    /// The minute, 0–59. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 59))]
    pub minute: Option<u32>,
    /// The days to run on. Defaults to every day.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub week_days: Option<Vec<WeekDayName>>,
    /// The IANA time zone the time is in, e.g. `Europe/Berlin`. Defaults to `UTC`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timezone: Option<String>,
}

/// Run when upstream pipelines reach statuses: the `allOf` items must all hold, one of
/// the `anyOf` items must hold, and `operator` joins the two blocks when both are given.
/// An item holds when the upstream pipeline's latest run has one of the statuses and
/// happened after this pipeline was last triggered, within `within`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ExecutionsFile {
    /// How `allOf` and `anyOf` combine when both are given. Defaults to `AND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorName>,
    /// Upstream events older than this do not count, e.g. `24h`. Defaults to `24h`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within: Option<DurationText>,
    /// Conditions that must all hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all_of: Option<Vec<ConditionEntryFile>>,
    /// Conditions of which at least one must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub any_of: Option<Vec<ConditionEntryFile>>,
}

/// An upstream pipeline with the statuses it must reach (`name`, `account`, `status`), or
/// a nested group (`operator`, `allOf`, `anyOf`; no `name`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConditionEntryFile {
    /// The upstream pipeline's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::NAME))]
    pub name: Option<String>,
    /// The upstream pipeline's account: an alias from platform.yaml or a 12-digit id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::ACCOUNT_REF))]
    pub account: Option<String>,
    /// The statuses of the upstream pipeline's latest run that satisfy this item.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub status: Option<Vec<StatusName>>,
    /// A group's operator: how its `allOf` and `anyOf` combine. Defaults to `AND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub operator: Option<OperatorName>,
    /// A group's conditions that must all hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub all_of: Option<Vec<ConditionEntryFile>>,
    /// A group's conditions of which at least one must hold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub any_of: Option<Vec<ConditionEntryFile>>,
}

/// The EMR cluster.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClusterFile {
    /// The EMR release, e.g. `emr-7.5.0`. Required here or in platform.yaml's
    /// `defaults.emr`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::RELEASE_LABEL))]
    pub release_label: Option<String>,
    /// The master node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub master: Option<MasterFile>,
    /// The core nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub core: Option<InstanceGroupFile>,
    /// Optional task nodes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task: Option<InstanceGroupFile>,
    /// The EBS volume size of each instance in GiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1, max = 16384))]
    pub ebs_size_gb: Option<u32>,
    /// EMR configuration classifications, e.g. `spark-defaults`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations: Option<Vec<EmrConfigurationFile>>,
    /// Scripts EMR runs on every node before the steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bootstrap_actions: Option<Vec<BootstrapActionFile>>,
    /// An external Hive metastore; adds Hive to the cluster's applications.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hive_metastore: Option<HiveMetastoreFile>,
}

/// The master node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MasterFile {
    /// The instance type, e.g. `m5.xlarge`. Defaults to platform.yaml's
    /// `defaults.emr.instanceType`, else `m5.xlarge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::INSTANCE_TYPE))]
    pub instance_type: Option<String>,
    /// `ON_DEMAND` or `SPOT`. Defaults to `ON_DEMAND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketName>,
}

/// A group of core or task nodes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InstanceGroupFile {
    /// The instance type, e.g. `r5.2xlarge`. Defaults to platform.yaml's
    /// `defaults.emr.instanceType`, else `m5.xlarge`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::INSTANCE_TYPE))]
    pub instance_type: Option<String>,
    /// How many nodes. Core nodes default to platform.yaml's `defaults.emr.coreInstances`,
    /// else 2; task nodes default to 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 0, max = 500))]
    pub count: Option<u32>,
    /// `ON_DEMAND` or `SPOT`. Defaults to `ON_DEMAND`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<MarketName>,
}

/// One EMR configuration classification.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EmrConfigurationFile {
    /// The classification, e.g. `spark-defaults` or `spark-env`.
    pub classification: String,
    /// Its properties; values are text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub properties: Option<IndexMap<String, String>>,
    /// Nested classifications (e.g. `export` under `spark-env`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub configurations: Option<Vec<EmrConfigurationFile>>,
}

/// A script EMR runs on every node when the cluster starts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BootstrapActionFile {
    /// A name for the action.
    pub name: String,
    /// The script: `s3://…`, or a path relative to the project folder (shipped with the
    /// deployment).
    pub script: String,
    /// Arguments to the script.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Vec<String>>,
}

/// An external Hive metastore.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HiveMetastoreFile {
    /// The Secrets Manager secret holding the metastore connection as JSON in the RDS
    /// secret format (host, port, dbname, username, password); the cluster reads it
    /// itself at run time.
    #[schemars(pattern(patterns::SECRET_NAME))]
    pub secret_name: String,
}

/// What the pipeline's jobs may touch.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccessFile {
    /// S3 locations the jobs may read, e.g. `s3://lake/listings/`: a bucket, or a bucket
    /// and an exact key prefix (no `*`, `?` or `${`); the role may read `<prefix>*`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(pattern(patterns::S3_URI)))]
    pub read: Option<Vec<String>>,
    /// S3 locations the jobs may write (and read).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(pattern(patterns::S3_URI)))]
    pub write: Option<Vec<String>>,
    /// Glue Data Catalog databases the jobs may use.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glue_databases: Option<Vec<String>>,
    /// ARNs of KMS keys the jobs may use to decrypt and encrypt data: key ARNs
    /// (`arn:aws:kms:<region>:<account>:key/<key id>`), not alias ARNs, which IAM does not
    /// grant a key's use by.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(inner(pattern(patterns::KMS_KEY_ARN)))]
    pub kms_keys: Option<Vec<String>>,
}

/// One step: the fields every step has, and those of its `type`.
///
/// The kind-specific fields are kept as JSON here; the step registry checks them and
/// turns them into a typed config (`spark`, `shell`, or a kind a library adds).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepFile {
    /// The step's name, unique within the pipeline.
    pub name: String,
    /// The step's kind: `spark`, `shell`, or a kind a library adds.
    #[serde(rename = "type")]
    pub kind: String,
    /// Steps that must succeed before this one starts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub depends_on: Option<Vec<String>>,
    /// How long the step may take, e.g. `2h`; at most the pipeline's timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<DurationText>,
    /// How often a failed step is retried. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retries: Option<u32>,
    /// The fields of the step's kind.
    #[serde(flatten)]
    pub fields: IndexMap<String, serde_json::Value>,
}

/// The highest `retries` a step may have.
pub const MAX_STEP_RETRIES: u32 = 10;

impl JsonSchema for StepFile {
    fn schema_name() -> Cow<'static, str> {
        Cow::Borrowed("Step")
    }

    // The fields of each kind are added by the step registry (`StepRegistry::patch_schema`):
    // the kinds are an open set, so this base schema only knows what every step has.
    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        let duration = generator.subschema_for::<DurationText>();
        json_schema!({
            "description": "One step: `name`, `type`, optional `dependsOn`, `timeout` and `retries`, and the fields of its type.",
            "type": "object",
            "required": ["name", "type"],
            "properties": {
                "name": {
                    "description": "The step's name: lowercase letters, digits and `-`, starting with a letter; unique within the pipeline.",
                    "type": "string",
                    "pattern": patterns::NAME
                },
                "type": {
                    "description": "The step's kind.",
                    "type": "string"
                },
                "dependsOn": {
                    "description": "Steps (by name) that must succeed before this one starts.",
                    "type": "array",
                    "items": { "type": "string" }
                },
                "timeout": duration,
                "retries": {
                    "description": "How often a failed step is retried. Defaults to 0.",
                    "type": "integer",
                    "minimum": 0,
                    "maximum": MAX_STEP_RETRIES
                }
            }
        })
    }
}

/// Who hears about the pipeline's runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NotificationsFile {
    /// `PIPELINE_STATUS` (the default): the pipeline's own status changes, filtered by
    /// `onStatus`. `FULL_EXECUTION`: every status change of the pipeline and its steps.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<NotificationTypeName>,
    /// The statuses to notify about (with `PIPELINE_STATUS` only). Defaults to `FAILED`,
    /// `TIMED_OUT` and `ABORTED`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub on_status: Option<Vec<StatusName>>,
    /// Where notifications go.
    #[schemars(length(min = 1))]
    pub targets: Vec<TargetFile>,
}

/// A notification target: Slack channels and email addresses are listed in `addresses`;
/// OpsGenie is reached only through a secret (`secretName`).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TargetFile {
    /// `SLACK`, `EMAIL` or `OPSGENIE`.
    pub channel: ChannelName,
    /// Slack: `#name`, `name` or a channel id `C…`. Email: addresses; each recipient
    /// confirms once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub addresses: Option<Vec<String>>,
    /// OpsGenie: the Secrets Manager secret holding the endpoint URL with its key.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(pattern(patterns::SECRET_NAME))]
    pub secret_name: Option<String>,
    /// Which of the pipeline's messages this target gets. `PIPELINE_STATUS`: the run's
    /// own status changes, those of `onStatus` (with `type: FULL_EXECUTION`, `FAILED`,
    /// `TIMED_OUT` and `ABORTED`). `FULL_EXECUTION`: every message the pipeline sends,
    /// step events too. Default: `FULL_EXECUTION` for `SLACK`, `PIPELINE_STATUS` for
    /// `EMAIL` and `OPSGENIE`, so that a pipeline's step events do not page on-call once
    /// per step. The Slack targets of a pipeline share one subscription and take the same
    /// `events`. Pipelines only: platform.yaml's `alerts.targets` receive alarms, and
    /// refuse it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(length(min = 1))]
    pub events: Option<Vec<NotificationTypeName>>,
}
