//! A resolved `pipeline.yaml`.

use super::platform::Account;
use super::step::Step;
use dpc_core::Location;
use dpc_model::{Duration, ExecutionsTrigger, PipelineId, Status};
use indexmap::IndexMap;
use std::collections::BTreeMap;
use std::path::PathBuf;

/// One pipeline, checked and resolved: its account, merged cluster, steps with explicit
/// dependencies, and notification defaults applied.
#[derive(Clone, Debug, PartialEq)]
pub struct Pipeline {
    /// The pipeline's name.
    pub name: String,
    /// The account it runs in.
    pub account: Account,
    /// What it produces.
    pub description: Option<String>,
    /// The team that owns it.
    pub owner: Option<String>,
    /// Tags for every resource of its stack, in the order written.
    pub tags: IndexMap<String, String>,
    /// `false`: deployed with its triggers disabled.
    pub enabled: bool,
    /// How long one run may take. Defaults to 12h.
    pub timeout: Duration,
    /// When it runs.
    pub trigger: Trigger,
    /// The EMR cluster, merged with platform.yaml's defaults.
    pub cluster: Cluster,
    /// What its jobs may touch.
    pub access: Access,
    /// The steps in the order written, each with its dependencies explicit.
    pub steps: Vec<Step>,
    /// Who hears about its runs.
    pub notifications: Notifications,
    /// The project folder: local script paths are relative to it.
    pub source_dir: PathBuf,
    /// The `pipeline.yaml` file.
    pub file: PathBuf,
    /// Where its keys are in that file, to place problems found after loading.
    pub places: SourcePlaces,
}

/// Where the top-level keys of a `pipeline.yaml` are (`steps`, `tags`, ...), so that a
/// problem found after loading (a state machine definition over Step Functions' limit,
/// a template over CloudFormation's) is reported at a line of the file the user wrote,
/// as `dpc validate` and `dpc synth` both do. Empty for a pipeline defined in code.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct SourcePlaces {
    keys: BTreeMap<String, Location>,
}

impl SourcePlaces {
    /// Records where top-level key `key` is.
    pub fn insert(&mut self, key: impl Into<String>, at: Location) {
        self.keys.insert(key.into(), at);
    }

    /// Where top-level key `key` is, when the file has it.
    pub fn key(&self, key: &str) -> Option<&Location> {
        self.keys.get(key)
    }

    /// Where the first of `keys` the file has is.
    pub fn first_of(&self, keys: &[&str]) -> Option<&Location> {
        keys.iter().find_map(|k| self.key(k))
    }
}

// The render cache keys a pipeline by its Debug text: moving a line (a comment added
// above it) must not make its stack look changed, so the places are left out.
impl std::fmt::Debug for SourcePlaces {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SourcePlaces { .. }")
    }
}

impl Pipeline {
    /// dpc's default run timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(12 * 3600);
    /// The longest run timeout dpc accepts (Step Functions standard workflows run up to a
    /// year).
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(365 * 86_400);

    /// The pipeline's identity: `(account id, name)`.
    pub fn id(&self) -> PipelineId {
        PipelineId::new(self.account.id.clone(), self.name.clone())
    }

    /// The step with this name.
    pub fn step(&self, name: &str) -> Option<&Step> {
        self.steps.iter().find(|s| s.name == name)
    }
}

/// When a pipeline runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Trigger {
    /// Only when started by hand.
    Manual,
    /// At a time of day (in a time zone), on some or all days of the week.
    Schedule(Schedule),
    /// On an EventBridge cron expression, already validated: the six fields (UTC) as
    /// written, without a `cron(...)` wrapper.
    Cron(String),
    /// When upstream pipelines reach statuses; accounts resolved to ids.
    Executions(ExecutionsTrigger),
}

/// A time of day.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Schedule {
    /// 0–23.
    pub hour: u32,
    /// 0–59.
    pub minute: u32,
    /// The days to run on; empty means every day.
    pub week_days: Vec<WeekDay>,
    /// A valid IANA time zone name. Defaults to `UTC`.
    pub timezone: String,
}

impl Schedule {
    /// The schedule as the six fields of an EventBridge cron expression, in the
    /// schedule's own time zone: `0 3 * * ? *` every day, `30 6 ? * MON,FRI *` on some days.
    pub fn cron_expression(&self) -> String {
        if self.week_days.is_empty() {
            format!("{} {} * * ? *", self.minute, self.hour)
        } else {
            let days: Vec<&str> = self.week_days.iter().map(|d| d.as_str()).collect();
            format!("{} {} ? * {} *", self.minute, self.hour, days.join(","))
        }
    }

    /// Whether the time zone is UTC, so a plain EventBridge rule can run it.
    pub fn is_utc(&self) -> bool {
        matches!(
            self.timezone.as_str(),
            "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Zulu" | "Etc/Zulu"
        )
    }
}

/// A day of the week.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[allow(missing_docs)]
pub enum WeekDay {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl WeekDay {
    /// The day as cron spells it: `MON`.
    pub fn as_str(self) -> &'static str {
        match self {
            WeekDay::Mon => "MON",
            WeekDay::Tue => "TUE",
            WeekDay::Wed => "WED",
            WeekDay::Thu => "THU",
            WeekDay::Fri => "FRI",
            WeekDay::Sat => "SAT",
            WeekDay::Sun => "SUN",
        }
    }
}

/// The EMR cluster of a pipeline, with platform defaults merged in.
#[derive(Clone, Debug, PartialEq)]
pub struct Cluster {
    /// The EMR release, e.g. `emr-7.5.0`.
    pub release_label: String,
    /// The master node (one instance).
    pub master: InstanceGroup,
    /// The core nodes.
    pub core: InstanceGroup,
    /// The task nodes, when given.
    pub task: Option<InstanceGroup>,
    /// The EBS volume size per instance in GiB, when given.
    pub ebs_size_gb: Option<u32>,
    /// Configuration classifications, in the order written.
    pub configurations: Vec<EmrConfiguration>,
    /// Bootstrap actions, in the order written.
    pub bootstrap_actions: Vec<BootstrapAction>,
    /// The external Hive metastore, when given.
    pub hive_metastore: Option<HiveMetastore>,
    /// The EMR applications to install, derived from the steps and the metastore:
    /// `Spark` when a step needs it, `Hive` when `hive_metastore` is set. Sorted.
    pub applications: Vec<String>,
}

/// An instance group.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstanceGroup {
    /// The instance type, e.g. `m5.xlarge`.
    pub instance_type: String,
    /// How many instances (1 for the master).
    pub count: u32,
    /// How they are bought.
    pub market: Market,
}

/// How EMR buys instances.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Market {
    /// On-demand.
    #[default]
    OnDemand,
    /// Spot.
    Spot,
}

impl Market {
    /// EMR's spelling: `ON_DEMAND` or `SPOT`.
    pub fn as_str(self) -> &'static str {
        match self {
            Market::OnDemand => "ON_DEMAND",
            Market::Spot => "SPOT",
        }
    }
}

/// One EMR configuration classification.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmrConfiguration {
    /// The classification, e.g. `spark-defaults`.
    pub classification: String,
    /// Its properties, in the order written.
    pub properties: IndexMap<String, String>,
    /// Nested classifications.
    pub configurations: Vec<EmrConfiguration>,
}

/// A bootstrap action.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapAction {
    /// Its name.
    pub name: String,
    /// The script: in S3, or a local file shipped with the deployment.
    pub script: super::step::Script,
    /// Its arguments.
    pub args: Vec<String>,
}

/// An external Hive metastore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HiveMetastore {
    /// The Secrets Manager secret with the connection (RDS secret format).
    pub secret_name: String,
}

/// What a pipeline's jobs may touch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    /// S3 locations to read.
    pub read: Vec<String>,
    /// S3 locations to write (and read).
    pub write: Vec<String>,
    /// Glue databases.
    pub glue_databases: Vec<String>,
    /// KMS key ARNs.
    pub kms_keys: Vec<String>,
}

/// Who hears about a pipeline's runs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notifications {
    /// Which events.
    pub kind: NotificationType,
    /// The statuses notified about with [`NotificationType::PipelineStatus`]. Defaults to
    /// `FAILED`, `TIMED_OUT`, `ABORTED`.
    pub on_status: Vec<Status>,
    /// Where they go, in the order written (empty: nobody).
    pub targets: Vec<NotificationTarget>,
}

impl Notifications {
    /// The statuses notified about when `onStatus` is not given.
    pub const DEFAULT_ON_STATUS: [Status; 3] = [Status::Failed, Status::TimedOut, Status::Aborted];

    /// Whether `target` gets only some of the messages the pipeline sends: a
    /// `PIPELINE_STATUS` target of a `FULL_EXECUTION` pipeline, which must not hear of
    /// every step (nor of every `RUNNING` and `SUCCEEDED`). Everything a `PIPELINE_STATUS`
    /// pipeline sends is already a status of `on_status`, so its targets get all of it.
    pub fn filters(&self, target: &NotificationTarget) -> bool {
        self.kind == NotificationType::FullExecution
            && target.events == NotificationType::PipelineStatus
    }
}

/// A target and the messages it gets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotificationTarget {
    /// Where.
    pub target: Target,
    /// Which messages: [`NotificationType::PipelineStatus`] the run's statuses of
    /// [`Notifications::on_status`] only, [`NotificationType::FullExecution`] every
    /// message the pipeline sends. Defaults by channel: Slack everything, email and
    /// OpsGenie the statuses.
    pub events: NotificationType,
}

impl NotificationTarget {
    /// The messages `target` gets when its `events` are not written: Slack everything
    /// (a thread per run), email and OpsGenie the run's statuses (people are paged).
    pub fn default_events(target: &Target) -> NotificationType {
        match target {
            Target::Slack { .. } => NotificationType::FullExecution,
            Target::Email { .. } | Target::OpsGenie { .. } => NotificationType::PipelineStatus,
        }
    }
}

/// Which events are notified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NotificationType {
    /// The pipeline's own status changes, filtered by `on_status`.
    #[default]
    PipelineStatus,
    /// Every status change of the pipeline and of its steps.
    FullExecution,
}

/// A notification target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    /// Slack channels as written: `#name`, `name` or a channel id `C…`.
    Slack {
        /// The channels.
        channels: Vec<String>,
    },
    /// Email addresses.
    Email {
        /// The addresses.
        addresses: Vec<String>,
    },
    /// OpsGenie through an endpoint kept in a secret.
    OpsGenie {
        /// The Secrets Manager secret holding the endpoint URL with its key.
        secret_name: String,
    },
}

/// The `s3://` locations in a text: a property value may list several, separated by
/// commas or spaces (`spark.jars: s3://a.jar,s3://b.jar`).
pub fn s3_locations_in(text: &str) -> impl Iterator<Item = &str> {
    text.split([',', ' '])
        .map(str::trim)
        .filter(|u| u.starts_with("s3://"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_become_cron_fields() {
        let mut s = Schedule {
            hour: 3,
            minute: 0,
            week_days: vec![],
            timezone: "UTC".into(),
        };
        assert_eq!(s.cron_expression(), "0 3 * * ? *");
        assert!(s.is_utc());
        s.week_days = vec![WeekDay::Mon, WeekDay::Fri];
        s.minute = 30;
        s.timezone = "Europe/Berlin".into();
        assert_eq!(s.cron_expression(), "30 3 ? * MON,FRI *");
        assert!(!s.is_utc());
    }
}
