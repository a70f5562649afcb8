//! The organisation as dpc builds it: every file loaded, checked and resolved.
//!
//! Accounts are resolved to [`Account`]s with their 12-digit ids, defaults are merged,
//! durations parsed, step dependencies made explicit. Constructs consume these types
//! and never see YAML, aliases or missing values.

mod pipeline;
mod platform;
mod step;

pub use pipeline::{
    Access, BootstrapAction, Cluster, EmrConfiguration, HiveMetastore, InstanceGroup, Market,
    NotificationTarget, NotificationType, Notifications, Pipeline, Schedule, SourcePlaces, Target,
    Trigger, WeekDay, s3_locations_in,
};
pub use platform::{Account, Central, EmrDefaults, Network, Platform};
pub use step::{Script, ShellStep, SparkStep, Step, StepConfig};

use std::path::PathBuf;

/// Everything under a PATH given to `dpc`: the platform and the pipelines found.
#[derive(Clone, Debug, PartialEq)]
pub struct Organisation {
    /// `platform.yaml`, resolved.
    pub platform: Platform,
    /// Every pipeline found, ordered by the path of its `pipeline.yaml`.
    pub pipelines: Vec<Pipeline>,
    /// The folder that holds `platform.yaml`.
    pub root: PathBuf,
    /// Whether PATH was the whole organisation or one project.
    pub scope: LoadScope,
}

/// What PATH named: the organisation folder, or one project inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LoadScope {
    /// PATH held `platform.yaml`; every project below it was loaded. Synth writes every
    /// stack.
    Organisation,
    /// PATH was one project folder (with `pipeline.yaml`), and `platform.yaml` came from
    /// it or the nearest folder above. Only this project's pipeline is in
    /// [`Organisation::pipelines`]; synth writes only its stack.
    Project {
        /// The project folder.
        dir: PathBuf,
        /// The name of its pipeline.
        pipeline: String,
    },
}

impl Organisation {
    /// The pipeline with this account id and name.
    pub fn pipeline(&self, account_id: &str, name: &str) -> Option<&Pipeline> {
        self.pipelines
            .iter()
            .find(|p| p.account.id == account_id && p.name == name)
    }

    /// The pipelines that run in the account with this id, in load order.
    pub fn pipelines_in<'a>(&'a self, account_id: &'a str) -> impl Iterator<Item = &'a Pipeline> {
        self.pipelines
            .iter()
            .filter(move |p| p.account.id == account_id)
    }
}
