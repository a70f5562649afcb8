//! Resolved steps.

use dpc_model::Duration;
use std::path::PathBuf;

/// One step of a pipeline, checked, with its dependencies explicit.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// The step's name, unique within its pipeline.
    pub name: String,
    /// The step's kind as written (`spark`, `shell`, or a kind a library registered).
    pub type_name: String,
    /// The steps that must succeed before this one starts. When no step of the pipeline
    /// has `dependsOn`, each step depends on the one written before it; otherwise this
    /// is what the user wrote, and an empty list makes the step a root.
    pub depends_on: Vec<String>,
    /// The step's own timeout, when given.
    pub timeout: Option<Duration>,
    /// How often a failed step is retried.
    pub retries: u32,
    /// What the step runs.
    pub config: StepConfig,
}

/// What a step runs: a built-in kind, or a kind a library added.
#[derive(Clone, Debug, PartialEq)]
pub enum StepConfig {
    /// A Spark job (`type: spark`).
    Spark(SparkStep),
    /// A shell command on the master node (`type: shell`).
    Shell(ShellStep),
    /// A kind registered by a library; its fields, checked by that kind, as written.
    Custom {
        /// The kind's `type`.
        type_name: String,
        /// The step's fields other than `name`, `type`, `dependsOn`, `timeout` and
        /// `retries`.
        fields: serde_json::Map<String, serde_json::Value>,
    },
}

/// A Spark job.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SparkStep {
    /// The job: a Python file or a jar, local or in S3.
    pub script: Script,
    /// The main class, for a jar.
    pub main_class: Option<String>,
    /// Arguments, with macros (`{{ds}}`, …) left for run time.
    pub args: Vec<String>,
    /// `--conf` settings, in the order written.
    pub spark_conf: indexmap::IndexMap<String, String>,
}

/// A shell command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShellStep {
    /// The command, with macros left for run time.
    pub command: String,
}

/// Where a script lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Script {
    /// In S3, used as is.
    S3(String),
    /// A file in the project, shipped with the deployment.
    Local {
        /// The path as written, relative to the project folder (`jobs/aggregate.py`).
        relative: String,
        /// The file on disk (the project folder joined with `relative`).
        path: PathBuf,
    },
}

impl Script {
    /// Reads a script reference as written: `s3://…` stays in S3, anything else is a
    /// path relative to `project_dir`.
    pub fn from_written(text: &str, project_dir: &std::path::Path) -> Script {
        if text.starts_with("s3://") {
            Script::S3(text.to_string())
        } else {
            Script::Local {
                relative: text.to_string(),
                path: project_dir.join(text),
            }
        }
    }

    /// The file name's extension (`py`, `jar`), lowercase.
    pub fn extension(&self) -> Option<String> {
        let text = match self {
            Script::S3(uri) => uri.as_str(),
            Script::Local { relative, .. } => relative.as_str(),
        };
        let file = text.rsplit('/').next()?;
        let (_, ext) = file.rsplit_once('.')?;
        Some(ext.to_ascii_lowercase())
    }
}
