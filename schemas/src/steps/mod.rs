//! Step kinds: an open set. `spark` and `shell` are built in; a library registers more
//! with [`StepRegistry::register`] without touching the loader.
//!
//! Each kind contributes the JSON Schema of its own fields (merged into
//! `pipeline.schema.json`), the checks no schema can say, and its typed config.

mod macros;
mod shell;
mod spark;

pub use macros::{MACROS, check_macros};
pub use shell::ShellKind;
pub use spark::SparkKind;

use crate::resolved::StepConfig;
use dpc_core::Diagnostic;
use serde_json::{Map, Value, json};
use std::path::Path;

/// One kind of step, selected by the `type` a step names.
pub trait StepKind: Send + Sync {
    /// The `type` users write, e.g. `spark`.
    fn type_name(&self) -> &str;

    /// One sentence for the schema's documentation of this kind.
    fn description(&self) -> &str;

    /// The JSON Schema (draft-07) of the kind's own fields, as an object with
    /// `properties` and optionally `required`. The fields every step has (`name`,
    /// `type`, `dependsOn`, `timeout`, `retries`) must not be repeated here; any other
    /// field is rejected as unknown.
    fn fields_schema(&self) -> Value;

    /// The EMR applications a cluster needs for this kind, e.g. `Spark`.
    fn applications(&self) -> Vec<String> {
        Vec::new()
    }

    /// Checks the fields (already valid against [`StepKind::fields_schema`]) and returns
    /// the typed config, or `None` when an error was pushed to `problems`. Warnings may
    /// be pushed alongside a config.
    fn resolve(
        &self,
        fields: &Map<String, Value>,
        cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) -> Option<StepConfig>;
}

/// What a step kind knows about the step it resolves.
#[derive(Clone, Copy, Debug)]
pub struct StepContext<'a> {
    /// The project folder, to which local paths are relative.
    pub project_dir: &'a Path,
    /// The pipeline's name.
    pub pipeline: &'a str,
    /// The step's name.
    pub step: &'a str,
}

/// A problem a step kind found in one of its fields.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepProblem {
    /// Where inside the step, as a JSON pointer relative to the step: `/script`,
    /// `/args/1`. The loader turns it into a file position.
    pub pointer: String,
    /// The problem, without a location.
    pub diagnostic: Diagnostic,
}

impl StepProblem {
    /// A problem at `pointer` inside the step.
    pub fn new(pointer: impl Into<String>, diagnostic: Diagnostic) -> Self {
        StepProblem {
            pointer: pointer.into(),
            diagnostic,
        }
    }
}

/// The step kinds a loader knows.
pub struct StepRegistry {
    kinds: Vec<Box<dyn StepKind>>,
}

impl std::fmt::Debug for StepRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.names()).finish()
    }
}

impl Default for StepRegistry {
    fn default() -> Self {
        Self::builtin()
    }
}

/// The fields every step has, whatever its kind.
pub const COMMON_STEP_FIELDS: [&str; 5] = ["name", "type", "dependsOn", "timeout", "retries"];

impl StepRegistry {
    /// A registry with no kinds at all.
    pub fn empty() -> Self {
        StepRegistry { kinds: Vec::new() }
    }

    /// The built-in kinds: `spark` and `shell`.
    pub fn builtin() -> Self {
        let mut registry = Self::empty();
        registry.register(Box::new(SparkKind));
        registry.register(Box::new(ShellKind));
        registry
    }

    /// Adds a kind; a kind with the same `type` is replaced.
    pub fn register(&mut self, kind: Box<dyn StepKind>) -> &mut Self {
        self.kinds.retain(|k| k.type_name() != kind.type_name());
        self.kinds.push(kind);
        self
    }

    /// The kind for a `type`.
    pub fn get(&self, type_name: &str) -> Option<&dyn StepKind> {
        self.kinds
            .iter()
            .find(|k| k.type_name() == type_name)
            .map(|k| k.as_ref())
    }

    /// Every registered `type`, in registration order.
    pub fn names(&self) -> Vec<&str> {
        self.kinds.iter().map(|k| k.type_name()).collect()
    }

    /// Completes the `Step` definition of a generated pipeline schema: `type` becomes an
    /// enum of the registered kinds, and each kind adds its fields under an
    /// `if type == … then …` branch that also rejects unknown fields.
    pub fn patch_schema(&self, schema: &mut Value) {
        let Some(step) = schema
            .get_mut("definitions")
            .and_then(|d| d.get_mut("Step"))
            .and_then(Value::as_object_mut)
        else {
            return;
        };
        // The common fields are checked once, by the base schema; a branch only lists
        // them (as `{}`) so that its `additionalProperties: false` lets them through.
        let common: Map<String, Value> = step
            .get("properties")
            .and_then(Value::as_object)
            .map(|p| p.keys().map(|k| (k.clone(), json!({}))).collect())
            .unwrap_or_default();
        if let Some(ty) = step
            .get_mut("properties")
            .and_then(|p| p.get_mut("type"))
            .and_then(Value::as_object_mut)
        {
            ty.insert("enum".into(), json!(self.names()));
            let kinds: Vec<String> = self
                .kinds
                .iter()
                .map(|k| format!("`{}`: {}", k.type_name(), k.description()))
                .collect();
            ty.insert(
                "description".into(),
                Value::String(format!("The step's kind. {}", kinds.join(" "))),
            );
        }
        let mut branches = Vec::new();
        for kind in &self.kinds {
            let fields = kind.fields_schema();
            let mut properties = common.clone();
            if let Some(own) = fields.get("properties").and_then(Value::as_object) {
                for (key, value) in own {
                    properties.insert(key.clone(), value.clone());
                }
            }
            let mut then = Map::new();
            then.insert("properties".into(), Value::Object(properties));
            if let Some(required) = fields.get("required") {
                then.insert("required".into(), required.clone());
            }
            then.insert("additionalProperties".into(), Value::Bool(false));
            branches.push(json!({
                "if": { "properties": { "type": { "const": kind.type_name() } }, "required": ["type"] },
                "then": Value::Object(then),
            }));
        }
        step.insert("allOf".into(), Value::Array(branches));
    }
}

/// Pushes an `unknown macro` problem for each bad `{{…}}` in `text`, found at `pointer`.
pub fn push_macro_problems(text: &str, pointer: &str, problems: &mut Vec<StepProblem>) {
    for found in check_macros(text) {
        let diagnostic = match &found.name {
            Some(name) => {
                let mut d = Diagnostic::error(
                    crate::codes::UNKNOWN_MACRO,
                    format!("unknown macro `{}`", found.text),
                )
                .with_label("dpc does not fill this in")
                .with_note(
                    "macros: `{{ds}}`, `{{ds_nodash}}`, `{{ts}}`, `{{pipeline}}`, `{{execution}}`",
                );
                if let Some(close) = crate::suggest::closest(name, MACROS.iter().copied()) {
                    d = d.with_help(format!("did you mean `{{{{{close}}}}}`?"));
                }
                d
            }
            None => Diagnostic::error(
                crate::codes::UNKNOWN_MACRO,
                format!("`{{{{` is never closed in `{}`", found.text),
            )
            .with_label("expected `}}`"),
        };
        problems.push(StepProblem::new(pointer, diagnostic));
    }
}
