//! Pipelines in code: [`PipelineBuilder`] writes the same typed `pipeline.yaml`
//! ([`PipelineFile`]) a person writes, and the loader treats it as a file.
//!
//! A built pipeline ([`CodePipeline`]) goes through exactly the path a `pipeline.yaml`
//! goes through: the JSON Schema (with every registered step type), the language's rules
//! (unknown `dependsOn`, step and pipeline cycles, cron expressions, time zones, macros,
//! durations, accounts, …), the checks across the organisation, resolution against
//! `platform.yaml` (defaults merged), and then the same constructs
//! ([`crate::pipeline::build`]). So a pipeline and its YAML twin resolve to the same
//! [`dpc_schema::Pipeline`] and synthesize to the same bytes, and a mistake in code is
//! reported as the same [`Diagnostic`](dpc_core::Diagnostic), located in the pipeline's
//! YAML form ([`PipelineBuilder::to_yaml`]) with a note naming the line of the program
//! that called [`PipelineBuilder::new`].
//!
//! Values stay as a person writes them: durations are text (`"6h"`; a
//! [`dpc_model::Duration`] works too), cron expressions and time zones are text, accounts
//! are aliases or ids. The builder never checks anything itself, so there is one set of
//! rules and one set of messages.
//!
//! ```
//! use dpc_constructs::prelude::*;
//!
//! let pipeline = PipelineBuilder::new("daily-metrics", "rent-journey")
//!     .owner("rent-journey-team")
//!     .timeout("6h")
//!     .schedule(ScheduleBuilder::at(4, 30).timezone("Europe/Berlin"))
//!     .access(AccessBuilder::new().read(["s3://lake/listings/"]).write(["s3://lake/metrics/"]))
//!     .step(StepBuilder::spark("compute", "s3://jobs/compute.py").args(["--date", "{{ds}}"]))
//!     .step(StepBuilder::shell("publish", "echo done for {{ds}}"))
//!     .build();
//! assert!(pipeline.to_yaml().contains("timezone: \"Europe/Berlin\""));
//! ```

use dpc_schema::CodePipeline;
use dpc_schema::model::{
    AccessFile, BootstrapActionFile, ChannelName, ClusterFile, ConditionEntryFile, DurationText,
    EmrConfigurationFile, ExecutionsFile, HiveMetastoreFile, InstanceGroupFile, MarketName,
    MasterFile, NotificationTypeName, NotificationsFile, OperatorName, PipelineFile, ScheduleFile,
    StatusName, StepFile, TargetFile, TriggerFile, WeekDayName,
};
use indexmap::IndexMap;
use serde_json::Value;
use std::fmt::Display;
use std::path::PathBuf;

fn strings<I, S>(items: I) -> Vec<String>
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    items.into_iter().map(Into::into).collect()
}

fn duration(value: impl Display) -> DurationText {
    DurationText(value.to_string())
}

/// A pipeline built in code: the fields of `pipeline.yaml`, one method each.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineBuilder {
    file: PipelineFile,
    project_dir: PathBuf,
    origin: String,
}

impl PipelineBuilder {
    /// A pipeline `name` in `account` (an alias from platform.yaml, or a 12-digit id),
    /// with no steps yet. Where this is called is remembered and shown in diagnostics.
    #[track_caller]
    pub fn new(name: impl Into<String>, account: impl Into<String>) -> Self {
        let file = PipelineFile {
            name: name.into(),
            account: account.into(),
            description: None,
            owner: None,
            tags: None,
            enabled: None,
            timeout: None,
            trigger: None,
            cluster: None,
            access: None,
            steps: Vec::new(),
            notifications: None,
        };
        Self::from_file(file)
    }

    /// A builder around a whole [`PipelineFile`], e.g. one read or generated elsewhere.
    #[track_caller]
    pub fn from_file(file: PipelineFile) -> Self {
        let caller = std::panic::Location::caller();
        PipelineBuilder {
            file,
            project_dir: PathBuf::from("."),
            origin: format!("{}:{}:{}", caller.file(), caller.line(), caller.column()),
        }
    }

    /// The folder local paths (scripts, bootstrap actions) are relative to, as the
    /// folder of a `pipeline.yaml` is. Defaults to the working directory.
    pub fn project_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.project_dir = dir.into();
        self
    }

    /// `description`: what the pipeline produces.
    pub fn description(mut self, text: impl Into<String>) -> Self {
        self.file.description = Some(text.into());
        self
    }

    /// `owner`: the team that owns it.
    pub fn owner(mut self, team: impl Into<String>) -> Self {
        self.file.owner = Some(team.into());
        self
    }

    /// Adds a tag (`tags`), set on every resource of the pipeline's stack.
    pub fn tag(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.file
            .tags
            .get_or_insert_with(IndexMap::new)
            .insert(key.into(), value.into());
        self
    }

    /// `enabled`: `false` deploys the pipeline with its triggers disabled.
    pub fn enabled(mut self, enabled: bool) -> Self {
        self.file.enabled = Some(enabled);
        self
    }

    /// `timeout` of a whole run: `"6h"`, or a [`dpc_model::Duration`].
    pub fn timeout(mut self, timeout: impl Display) -> Self {
        self.file.timeout = Some(duration(timeout));
        self
    }

    fn trigger_mut(&mut self) -> &mut TriggerFile {
        self.file.trigger.get_or_insert_with(TriggerFile::default)
    }

    /// `trigger.schedule`. Setting more than one kind of trigger is reported by the
    /// checks, as in YAML.
    pub fn schedule(mut self, schedule: ScheduleBuilder) -> Self {
        self.trigger_mut().schedule = Some(schedule.0);
        self
    }

    /// `trigger.cron`: an EventBridge cron expression (six fields, UTC).
    pub fn cron(mut self, expression: impl Into<String>) -> Self {
        self.trigger_mut().cron = Some(expression.into());
        self
    }

    /// `trigger.executions`: run when upstream pipelines reach statuses.
    pub fn executions(mut self, executions: ExecutionsBuilder) -> Self {
        self.trigger_mut().executions = Some(executions.0);
        self
    }

    /// `cluster`: the EMR cluster; what is not set comes from platform.yaml's defaults.
    pub fn cluster(mut self, cluster: ClusterBuilder) -> Self {
        self.file.cluster = Some(cluster.0);
        self
    }

    /// `access`: what the jobs may read and write.
    pub fn access(mut self, access: AccessBuilder) -> Self {
        self.file.access = Some(access.0);
        self
    }

    /// Adds a step (`steps`), after those added before: a [`StepBuilder`], or a step
    /// type's own builder that converts into one.
    pub fn step(mut self, step: impl Into<StepBuilder>) -> Self {
        self.file.steps.push(step.into().0);
        self
    }

    /// `notifications`: who hears about the runs.
    pub fn notifications(mut self, notifications: NotificationsBuilder) -> Self {
        self.file.notifications = Some(notifications.0);
        self
    }

    /// The `pipeline.yaml` built so far.
    pub fn file(&self) -> &PipelineFile {
        &self.file
    }

    /// The `pipeline.yaml` built so far, to set what no method covers.
    pub fn file_mut(&mut self) -> &mut PipelineFile {
        &mut self.file
    }

    /// The pipeline as the `pipeline.yaml` a person would write.
    pub fn to_yaml(&self) -> String {
        self.clone().build().to_yaml()
    }

    /// The finished pipeline, for [`dpc_schema::LoadOptions::pipelines`],
    /// [`crate::app::Dpc::pipeline`] or [`dpc_schema::check_pipeline`].
    pub fn build(self) -> CodePipeline {
        CodePipeline::new(self.file, self.project_dir, self.origin)
    }
}

impl From<PipelineBuilder> for CodePipeline {
    fn from(builder: PipelineBuilder) -> CodePipeline {
        builder.build()
    }
}

/// One step: the fields every step has, and those of its type.
#[derive(Clone, Debug, PartialEq)]
pub struct StepBuilder(StepFile);

impl StepBuilder {
    /// A step `name` of any registered `type`, with no fields yet (add them with
    /// [`StepBuilder::field`]).
    pub fn of_type(name: impl Into<String>, type_name: impl Into<String>) -> Self {
        StepBuilder(StepFile {
            name: name.into(),
            kind: type_name.into(),
            depends_on: None,
            timeout: None,
            retries: None,
            fields: IndexMap::new(),
        })
    }

    /// `type: spark` running `script` (a `.py` or `.jar`, local or `s3://`).
    pub fn spark(name: impl Into<String>, script: impl Into<String>) -> Self {
        Self::of_type(name, "spark").field("script", script.into())
    }

    /// `type: shell` running `command` on the master node.
    pub fn shell(name: impl Into<String>, command: impl Into<String>) -> Self {
        Self::of_type(name, "shell").field("command", command.into())
    }

    /// Sets a field of the step's type (`script`, `variables`, …) to a JSON value.
    pub fn field(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.0.fields.insert(key.into(), value.into());
        self
    }

    /// Appends to `args` (Spark: the job's arguments; macros such as `{{ds}}` allowed).
    pub fn args<I, S>(mut self, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let entry = self
            .0
            .fields
            .entry("args".to_owned())
            .or_insert_with(|| Value::Array(Vec::new()));
        if let Value::Array(list) = entry {
            list.extend(args.into_iter().map(|a| Value::String(a.into())));
        }
        self
    }

    /// Adds a Spark setting (`sparkConf`), passed as `--conf key=value`.
    pub fn spark_conf(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        let entry = self
            .0
            .fields
            .entry("sparkConf".to_owned())
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
        if let Value::Object(map) = entry {
            map.insert(key.into(), Value::String(value.into()));
        }
        self
    }

    /// `mainClass`, for a Spark jar.
    pub fn main_class(self, class: impl Into<String>) -> Self {
        self.field("mainClass", class.into())
    }

    /// `dependsOn`: steps (by name) that must succeed first. Once any step has it, the
    /// steps form a graph, as in YAML.
    pub fn depends_on<I, S>(mut self, steps: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0
            .depends_on
            .get_or_insert_with(Vec::new)
            .extend(strings(steps));
        self
    }

    /// The step's `timeout`: `"2h"`, or a [`dpc_model::Duration`].
    pub fn timeout(mut self, timeout: impl Display) -> Self {
        self.0.timeout = Some(duration(timeout));
        self
    }

    /// `retries`: how often a failed step is retried.
    pub fn retries(mut self, retries: u32) -> Self {
        self.0.retries = Some(retries);
        self
    }

    /// The step as written.
    pub fn build(self) -> StepFile {
        self.0
    }
}

/// `trigger.schedule`: a time of day, on some or all days.
#[derive(Clone, Debug, PartialEq)]
pub struct ScheduleBuilder(ScheduleFile);

impl ScheduleBuilder {
    /// Every day at `hour:minute` (UTC unless [`ScheduleBuilder::timezone`]).
    pub fn at(hour: u32, minute: u32) -> Self {
        ScheduleBuilder(ScheduleFile {
            hour,
            minute: Some(minute),
            week_days: None,
            timezone: None,
        })
    }

    /// Only on these days.
    pub fn on(mut self, days: impl IntoIterator<Item = WeekDayName>) -> Self {
        self.0.week_days = Some(days.into_iter().collect());
        self
    }

    /// The IANA time zone of the time, e.g. `Europe/Berlin`.
    pub fn timezone(mut self, timezone: impl Into<String>) -> Self {
        self.0.timezone = Some(timezone.into());
        self
    }
}

/// `trigger.executions`: run when upstream pipelines reach statuses.
#[derive(Clone, Debug, PartialEq)]
pub struct ExecutionsBuilder(ExecutionsFile);

impl Default for ExecutionsBuilder {
    fn default() -> Self {
        Self::new()
    }
}

impl ExecutionsBuilder {
    /// No conditions yet (at least one is required).
    pub fn new() -> Self {
        ExecutionsBuilder(ExecutionsFile {
            operator: None,
            within: None,
            all_of: None,
            any_of: None,
        })
    }

    /// `within`: upstream events older than this do not count (`"24h"` or a
    /// [`dpc_model::Duration`]).
    pub fn within(mut self, within: impl Display) -> Self {
        self.0.within = Some(duration(within));
        self
    }

    /// `operator`: how `allOf` and `anyOf` combine when both are given.
    pub fn operator(mut self, operator: OperatorName) -> Self {
        self.0.operator = Some(operator);
        self
    }

    /// Adds a condition that must hold (`allOf`).
    pub fn all_of(mut self, condition: ConditionBuilder) -> Self {
        self.0.all_of.get_or_insert_with(Vec::new).push(condition.0);
        self
    }

    /// Adds a condition of which one must hold (`anyOf`).
    pub fn any_of(mut self, condition: ConditionBuilder) -> Self {
        self.0.any_of.get_or_insert_with(Vec::new).push(condition.0);
        self
    }
}

/// An entry of `allOf` / `anyOf`: an upstream pipeline with statuses, or a group.
#[derive(Clone, Debug, PartialEq)]
pub struct ConditionBuilder(ConditionEntryFile);

impl ConditionBuilder {
    /// Upstream pipeline `name` in `account` (alias or id), whose latest run has one of
    /// `status`.
    pub fn upstream(
        name: impl Into<String>,
        account: impl Into<String>,
        status: impl IntoIterator<Item = StatusName>,
    ) -> Self {
        ConditionBuilder(ConditionEntryFile {
            name: Some(name.into()),
            account: Some(account.into()),
            status: Some(status.into_iter().collect()),
            operator: None,
            all_of: None,
            any_of: None,
        })
    }

    /// [`ConditionBuilder::upstream`] with `status: [SUCCEEDED]`.
    pub fn succeeded(name: impl Into<String>, account: impl Into<String>) -> Self {
        Self::upstream(name, account, [StatusName::Succeeded])
    }

    /// A nested group, its entries added with [`ConditionBuilder::all_of`] and
    /// [`ConditionBuilder::any_of`].
    pub fn group(operator: OperatorName) -> Self {
        ConditionBuilder(ConditionEntryFile {
            name: None,
            account: None,
            status: None,
            operator: Some(operator),
            all_of: None,
            any_of: None,
        })
    }

    /// Adds an entry the group needs all of.
    pub fn all_of(mut self, condition: ConditionBuilder) -> Self {
        self.0.all_of.get_or_insert_with(Vec::new).push(condition.0);
        self
    }

    /// Adds an entry the group needs one of.
    pub fn any_of(mut self, condition: ConditionBuilder) -> Self {
        self.0.any_of.get_or_insert_with(Vec::new).push(condition.0);
        self
    }
}

/// `cluster`: the EMR cluster the steps run on.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClusterBuilder(ClusterFile);

impl ClusterBuilder {
    /// Nothing set: platform.yaml's `defaults.emr`, then dpc's defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// `releaseLabel`, e.g. `emr-7.5.0`.
    pub fn release_label(mut self, label: impl Into<String>) -> Self {
        self.0.release_label = Some(label.into());
        self
    }

    /// `master.instanceType`.
    pub fn master(mut self, instance_type: impl Into<String>) -> Self {
        let market = self.0.master.take().and_then(|m| m.market);
        self.0.master = Some(MasterFile {
            instance_type: Some(instance_type.into()),
            market,
        });
        self
    }

    /// `master.market`.
    pub fn master_market(mut self, market: MarketName) -> Self {
        let instance_type = self.0.master.take().and_then(|m| m.instance_type);
        self.0.master = Some(MasterFile {
            instance_type,
            market: Some(market),
        });
        self
    }

    /// `core`: the core nodes.
    pub fn core(mut self, group: InstanceGroupBuilder) -> Self {
        self.0.core = Some(group.0);
        self
    }

    /// `task`: the task nodes.
    pub fn task(mut self, group: InstanceGroupBuilder) -> Self {
        self.0.task = Some(group.0);
        self
    }

    /// `ebsSizeGb`: the EBS volume of each instance, in GiB.
    pub fn ebs_size_gb(mut self, size: u32) -> Self {
        self.0.ebs_size_gb = Some(size);
        self
    }

    /// Adds a configuration classification (`configurations`), e.g. `spark-defaults`.
    pub fn configuration<I, K, V>(
        mut self,
        classification: impl Into<String>,
        properties: I,
    ) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        let properties: IndexMap<String, String> = properties
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        self.0
            .configurations
            .get_or_insert_with(Vec::new)
            .push(EmrConfigurationFile {
                classification: classification.into(),
                properties: (!properties.is_empty()).then_some(properties),
                configurations: None,
            });
        self
    }

    /// Adds a bootstrap action (`bootstrapActions`): `script` local or `s3://`.
    pub fn bootstrap_action<I, S>(
        mut self,
        name: impl Into<String>,
        script: impl Into<String>,
        args: I,
    ) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let args = strings(args);
        self.0
            .bootstrap_actions
            .get_or_insert_with(Vec::new)
            .push(BootstrapActionFile {
                name: name.into(),
                script: script.into(),
                args: (!args.is_empty()).then_some(args),
            });
        self
    }

    /// `hiveMetastore`: the secret holding an external Hive metastore's connection.
    pub fn hive_metastore(mut self, secret_name: impl Into<String>) -> Self {
        self.0.hive_metastore = Some(HiveMetastoreFile {
            secret_name: secret_name.into(),
        });
        self
    }
}

/// A group of core or task nodes.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceGroupBuilder(InstanceGroupFile);

impl InstanceGroupBuilder {
    /// Nodes of `instance_type` (count and market from the defaults).
    pub fn new(instance_type: impl Into<String>) -> Self {
        InstanceGroupBuilder(InstanceGroupFile {
            instance_type: Some(instance_type.into()),
            count: None,
            market: None,
        })
    }

    /// `count`.
    pub fn count(mut self, count: u32) -> Self {
        self.0.count = Some(count);
        self
    }

    /// `market: SPOT`.
    pub fn spot(mut self) -> Self {
        self.0.market = Some(MarketName::Spot);
        self
    }

    /// `market: ON_DEMAND`.
    pub fn on_demand(mut self) -> Self {
        self.0.market = Some(MarketName::OnDemand);
        self
    }
}

/// `access`: what the pipeline's jobs may touch.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AccessBuilder(AccessFile);

impl AccessBuilder {
    /// No access.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds S3 locations to `read`.
    pub fn read<I, S>(mut self, locations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0
            .read
            .get_or_insert_with(Vec::new)
            .extend(strings(locations));
        self
    }

    /// Adds S3 locations to `write`.
    pub fn write<I, S>(mut self, locations: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0
            .write
            .get_or_insert_with(Vec::new)
            .extend(strings(locations));
        self
    }

    /// Adds Glue databases (`glueDatabases`).
    pub fn glue_databases<I, S>(mut self, databases: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0
            .glue_databases
            .get_or_insert_with(Vec::new)
            .extend(strings(databases));
        self
    }

    /// Adds KMS key ARNs (`kmsKeys`).
    pub fn kms_keys<I, S>(mut self, keys: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.0
            .kms_keys
            .get_or_insert_with(Vec::new)
            .extend(strings(keys));
        self
    }
}

/// `notifications`: who hears about the pipeline's runs.
#[derive(Clone, Debug, PartialEq)]
pub struct NotificationsBuilder(NotificationsFile);

impl NotificationsBuilder {
    fn of(kind: NotificationTypeName) -> Self {
        NotificationsBuilder(NotificationsFile {
            kind: Some(kind),
            on_status: None,
            targets: Vec::new(),
        })
    }

    /// `type: PIPELINE_STATUS`: the pipeline's own status changes.
    pub fn pipeline_status() -> Self {
        Self::of(NotificationTypeName::PipelineStatus)
    }

    /// `type: FULL_EXECUTION`: every status change of the pipeline and its steps.
    pub fn full_execution() -> Self {
        Self::of(NotificationTypeName::FullExecution)
    }

    /// `onStatus`: the statuses notified about (`PIPELINE_STATUS` only).
    pub fn on_status(mut self, statuses: impl IntoIterator<Item = StatusName>) -> Self {
        self.0.on_status = Some(statuses.into_iter().collect());
        self
    }

    fn target(mut self, channel: ChannelName, addresses: Option<Vec<String>>) -> Self {
        self.0.targets.push(TargetFile {
            channel,
            addresses,
            secret_name: None,
            events: None,
        });
        self
    }

    /// A Slack target: channels as `#name`, `name` or an id `C…`.
    pub fn slack<I, S>(self, channels: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.target(ChannelName::Slack, Some(strings(channels)))
    }

    /// An email target.
    pub fn email<I, S>(self, addresses: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.target(ChannelName::Email, Some(strings(addresses)))
    }

    /// `events` of the target added last: which of the pipeline's messages it gets.
    pub fn events(mut self, events: impl IntoIterator<Item = NotificationTypeName>) -> Self {
        if let Some(last) = self.0.targets.last_mut() {
            last.events = Some(events.into_iter().collect());
        }
        self
    }

    /// An OpsGenie target, its endpoint in the Secrets Manager secret `secret_name`.
    pub fn opsgenie(mut self, secret_name: impl Into<String>) -> Self {
        self.0.targets.push(TargetFile {
            channel: ChannelName::Opsgenie,
            addresses: None,
            secret_name: Some(secret_name.into()),
            events: None,
        });
        self
    }
}
