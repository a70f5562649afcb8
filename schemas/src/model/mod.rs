//! The files users write, exactly as they write them: `platform.yaml`, `pipeline.yaml`
//! and a `dpc simulate` scenario.
//!
//! These types are the source of the JSON Schemas in `schemas/*.schema.json`: their doc
//! comments become the descriptions editors show on hover, so they are written for
//! pipeline authors. Keys are camelCase and unknown keys are rejected. Values stay as
//! written (durations, cron expressions and time zones are text here); the loader checks
//! them and resolves the files into [`crate::resolved`], which is what dpc builds from.

mod common;
mod pipeline;
mod platform;
mod scenario;

pub use common::{
    ChannelName, DurationText, MarketName, NotificationTypeName, OperatorName, StatusName,
    WeekDayName, patterns,
};
pub use pipeline::{
    AccessFile, BootstrapActionFile, ClusterFile, ConditionEntryFile, EmrConfigurationFile,
    ExecutionsFile, HiveMetastoreFile, InstanceGroupFile, MasterFile, NotificationsFile,
    PipelineFile, ScheduleFile, StepFile, TargetFile, TriggerFile,
};
pub use platform::{
    AccountFile, AlertsFile, CdkFile, CentralFile, DefaultsFile, EmrDefaultsFile, IamFile,
    NetworkFile, PlatformFile, SlackFile,
};
pub use scenario::{ScenarioEventFile, ScenarioFile};
