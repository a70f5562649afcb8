//! Step types a library adds: one trait, [`StepType`], says everything about a new
//! `type:` — its fields and their JSON Schema, its checks, the EMR step it runs (its
//! part of the state machine), the scripts it ships and the IAM statements it needs —
//! and one call, [`StepTypes::register`], makes it known to both halves of dpc:
//!
//! - the loader ([`StepTypes::registry`]): `pipeline.yaml` files and pipelines built in
//!   code may name it, its fields are checked against its schema (and `dpc schema`'s
//!   JSON Schema gets them), then by [`StepType::validate`]; it resolves to
//!   [`StepConfig::Custom`];
//! - the constructs ([`StepTypes::renderers`]): each step of the type becomes an
//!   `addStep.sync` task running [`StepType::emr_step`] on the pipeline's cluster, inside
//!   the same retries, timeouts and cancellation as the built-in kinds; its scripts are
//!   shipped as assets the cluster may read; its statements join the cluster's or the
//!   state machine's role.
//!
//! The `dpc` CLI knows only the built-in `spark` and `shell`; a program that registers
//! more calls the same load → build → synth → write path (see [`crate::app::Dpc`]).
//!
//! ```
//! use dpc_constructs::prelude::*;
//! use serde_json::{Map, Value, json};
//!
//! /// `type: distcp`: copies S3 data with `s3-dist-cp`.
//! struct DistCp;
//!
//! impl StepType for DistCp {
//!     fn type_name(&self) -> &str { "distcp" }
//!     fn description(&self) -> &str { "copies `src` to `dest` with s3-dist-cp." }
//!     fn fields_schema(&self) -> Value {
//!         json!({
//!             "properties": {
//!                 "src": { "type": "string", "pattern": "^s3://" },
//!                 "dest": { "type": "string", "pattern": "^s3://" }
//!             },
//!             "required": ["src", "dest"]
//!         })
//!     }
//!     fn emr_step(&self, input: &StepInput<'_>) -> Result<HadoopJarStep, Diagnostic> {
//!         let (src, dest) = (input.text("src").unwrap_or(""), input.text("dest").unwrap_or(""));
//!         Ok(HadoopJarStep::command_runner([
//!             "s3-dist-cp".to_string(), format!("--src={src}"), format!("--dest={dest}"),
//!         ]))
//!     }
//! }
//!
//! let types = StepTypes::new().with(DistCp);
//! assert_eq!(types.registry().names(), ["spark", "shell", "distcp"]);
//! assert_eq!(types.renderers().len(), 1);
//! ```

use crate::pipeline::emr::{EmrStepRenderer, HadoopJarStep, StepInput, StepPermissions};
use dpc_core::Diagnostic;
use dpc_schema::local_file::check_local_file;
use dpc_schema::{Step, StepConfig, StepContext, StepKind, StepProblem, StepRegistry};
use serde_json::{Map, Value};
use std::sync::Arc;

/// A script a step runs, named by one of its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepScript {
    /// Where in the step the field is, as a JSON pointer relative to the step
    /// (`/script`): a missing file is reported there.
    pub pointer: String,
    /// The script as written: an `s3://` URL, or a path relative to the project folder.
    pub path: String,
}

impl StepScript {
    /// The script written in field `pointer` (`/script`).
    pub fn new(pointer: impl Into<String>, path: impl Into<String>) -> Self {
        StepScript {
            pointer: pointer.into(),
            path: path.into(),
        }
    }
}

/// A kind of step a library adds to dpc: implement it once, register it with
/// [`StepTypes::register`], and `type: <its name>` works in YAML and in code.
///
/// Every step of the type runs as one EMR step on the pipeline's cluster; the fields
/// every step has (`name`, `dependsOn`, `timeout`, `retries`) behave as for the built-in
/// kinds and are not the type's business.
pub trait StepType: Send + Sync {
    /// The `type` users write, e.g. `hive`: lowercase letters, digits and `-`.
    fn type_name(&self) -> &str;

    /// One sentence for the schema's documentation of this type.
    fn description(&self) -> &str;

    /// The JSON Schema (draft-07) of the type's own fields: an object with `properties`
    /// and optionally `required`. Any other field is rejected as unknown, with a
    /// suggestion, as in every `pipeline.yaml`.
    fn fields_schema(&self) -> Value;

    /// The EMR applications the cluster needs for this type, e.g. `Hive`.
    fn applications(&self) -> Vec<String> {
        Vec::new()
    }

    /// The scripts the step runs. Local ones must exist (checked for you, reported at
    /// their field) and are shipped with the deployment; the cluster may read them.
    fn scripts(&self, _fields: &Map<String, Value>) -> Vec<StepScript> {
        Vec::new()
    }

    /// The checks no schema can say, run on fields already valid against
    /// [`StepType::fields_schema`]; push problems at JSON pointers inside the step
    /// (`/variables/DATE`). [`dpc_schema::steps::push_macro_problems`] checks macros.
    fn validate(
        &self,
        _fields: &Map<String, Value>,
        _cx: &StepContext<'_>,
        _problems: &mut Vec<StepProblem>,
    ) {
    }

    /// The EMR step one step of this type runs: its part of the state machine. Its
    /// arguments may hold the run-time macros (`{{ds}}`, …).
    ///
    /// # Errors
    /// Why this step cannot run on EMR.
    fn emr_step(&self, input: &StepInput<'_>) -> Result<HadoopJarStep, Diagnostic>;

    /// The IAM statements the step needs beyond dpc's own grants (which cover the
    /// pipeline's `access` and running EMR steps): for the cluster's instance role, the
    /// state machine's role, or both. They must name resources; dpc refuses wildcards.
    ///
    /// # Errors
    /// Why the permissions cannot be given.
    fn permissions(&self, _input: &StepInput<'_>) -> Result<StepPermissions, Diagnostic> {
        Ok(StepPermissions::default())
    }
}

/// The step types a program adds to the built-in `spark` and `shell`, registered once
/// for the loader and the constructs alike.
#[derive(Clone, Default)]
pub struct StepTypes {
    types: Vec<Arc<dyn StepType>>,
}

impl std::fmt::Debug for StepTypes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl StepTypes {
    /// No types beyond the built-in ones.
    pub fn new() -> Self {
        StepTypes::default()
    }

    /// Adds a type; a type with the same name (even a built-in one) is replaced.
    pub fn register(&mut self, step_type: impl StepType + 'static) -> &mut Self {
        let step_type: Arc<dyn StepType> = Arc::new(step_type);
        self.types
            .retain(|t| t.type_name() != step_type.type_name());
        self.types.push(step_type);
        self
    }

    /// [`StepTypes::register`], by value.
    pub fn with(mut self, step_type: impl StepType + 'static) -> Self {
        self.register(step_type);
        self
    }

    /// The names of the registered types, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.types.iter().map(|t| t.type_name()).collect()
    }

    /// The type named `name`.
    pub fn get(&self, name: &str) -> Option<&dyn StepType> {
        self.types
            .iter()
            .find(|t| t.type_name() == name)
            .map(Arc::as_ref)
    }

    /// The loader's registry: the built-in kinds and these types. Pass it in
    /// [`dpc_schema::LoadOptions::registry`], or to [`dpc_schema::json_schema_with`] for
    /// a `pipeline.schema.json` that knows these types.
    pub fn registry(&self) -> StepRegistry {
        let mut registry = StepRegistry::builtin();
        for t in &self.types {
            registry.register(Box::new(AsKind(Arc::clone(t))));
        }
        registry
    }

    /// The constructs' side of these types, for
    /// [`BuildContext::step_renderers`](crate::pipeline::BuildContext) and
    /// [`SynthOptions::step_renderers`](crate::app::SynthOptions).
    pub fn renderers(&self) -> Vec<Box<dyn EmrStepRenderer>> {
        self.types
            .iter()
            .map(|t| Box::new(AsRenderer(Arc::clone(t))) as Box<dyn EmrStepRenderer>)
            .collect()
    }
}

/// A [`StepType`] as the loader sees it.
struct AsKind(Arc<dyn StepType>);

impl StepKind for AsKind {
    fn type_name(&self) -> &str {
        self.0.type_name()
    }

    fn description(&self) -> &str {
        self.0.description()
    }

    fn fields_schema(&self) -> Value {
        self.0.fields_schema()
    }

    fn applications(&self) -> Vec<String> {
        self.0.applications()
    }

    fn resolve(
        &self,
        fields: &Map<String, Value>,
        cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) -> Option<StepConfig> {
        let before = problems.len();
        for script in self.0.scripts(fields) {
            if script.path.starts_with("s3://") {
                continue;
            }
            if let Err(problem) = check_local_file(cx.project_dir, &script.path) {
                problems.push(StepProblem::new(
                    script.pointer,
                    problem.diagnostic(&format!("script `{}` of step `{}`", script.path, cx.step)),
                ));
            }
        }
        self.0.validate(fields, cx, problems);
        let failed = problems[before..].iter().any(|p| p.diagnostic.is_error());
        (!failed).then(|| StepConfig::Custom {
            type_name: self.0.type_name().to_owned(),
            fields: fields.clone(),
        })
    }
}

/// A [`StepType`] as the constructs see it.
struct AsRenderer(Arc<dyn StepType>);

impl EmrStepRenderer for AsRenderer {
    fn type_name(&self) -> &str {
        self.0.type_name()
    }

    fn render(&self, input: &StepInput<'_>) -> Result<HadoopJarStep, Diagnostic> {
        self.0.emr_step(input)
    }

    fn scripts(&self, _step: &Step, fields: &Map<String, Value>) -> Vec<String> {
        self.0.scripts(fields).into_iter().map(|s| s.path).collect()
    }

    fn permissions(&self, input: &StepInput<'_>) -> Result<StepPermissions, Diagnostic> {
        self.0.permissions(input)
    }
}
