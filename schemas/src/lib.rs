//! The pipeline language: `platform.yaml` and `pipeline.yaml` (and `dpc simulate`'s
//! scenario files) as typed Rust, their JSON Schemas, the loader and its diagnostics.
//!
//! ```no_run
//! let (org, warnings) = dpc_schema::load_organisation(std::path::Path::new("examples/case-study"))
//!     .map_err(|errors| errors.len())
//!     .unwrap();
//! assert!(warnings.is_empty());
//! for pipeline in &org.pipelines {
//!     println!("{} in {}", pipeline.name, pipeline.account.id);
//! }
//! ```
//!
//! * [`model`]: the files as users write them (serde + schemars; the JSON Schemas come
//!   from these types).
//! * [`resolved`]: the checked organisation dpc builds from ([`Organisation`]).
//! * [`steps`]: step kinds, an open set ([`StepRegistry`]).
//! * [`code`]: pipelines built in code, loaded and checked as files are
//!   ([`CodePipeline`], [`check_pipeline`]).
//! * [`codes`]: every diagnostic code this crate emits.

pub mod code;
pub mod codes;
pub mod local_file;
pub mod model;
pub mod resolved;
pub mod steps;
pub mod suggest;

mod check;
mod discover;
mod load;
mod organisation;
mod scenario;
mod schema;
mod source;
mod tree;
mod validate;

pub use code::{CodePipeline, check_pipeline};
pub use discover::SKIPPED_DIRS;
pub use dpc_core::diagnostic::{Diagnostic, Location, Severity, Sources, render_json};
pub use organisation::{LoadOptions, load_organisation_with_options};
pub use resolved::*;
pub use scenario::{Scenario, ScenarioEvent, load_scenario};
pub use schema::{SchemaKind, json_schema, json_schema_with};
pub use steps::{StepContext, StepKind, StepProblem, StepRegistry};

use std::path::Path;

/// Loads the organisation at `path` with the built-in step kinds: `platform.yaml` and
/// every project below it, or one project with the `platform.yaml` of its folder or the
/// nearest folder above (SPEC, "Commands"). [`Organisation::scope`] says which.
///
/// # Errors
/// Every error of every file, each with its file, line and column. On success, the
/// warnings (which fail a run only with `--strict`).
pub fn load_organisation(path: &Path) -> Result<(Organisation, Vec<Diagnostic>), Vec<Diagnostic>> {
    load_organisation_with(path, &StepRegistry::builtin())
}

/// [`load_organisation`] with the step kinds of `registry`.
///
/// # Errors
/// As [`load_organisation`].
pub fn load_organisation_with(
    path: &Path,
    registry: &StepRegistry,
) -> Result<(Organisation, Vec<Diagnostic>), Vec<Diagnostic>> {
    organisation::load(path, registry, &[], &[])
}

/// Renders diagnostics for people, like rustc: each with its file, line and column, the
/// source line with a caret, notes and help; then a summary line such as `error: could
/// not load the organisation (3 errors, 1 warning)`. `color` adds ANSI colour: the caller
/// decides (a terminal, and `NO_COLOR` unset). The loader's locations carry their source
/// lines, so `sources` may be empty; it adds text for locations without one.
pub fn render_text(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    dpc_core::diagnostic::render_report(diagnostics, sources, color, "load the organisation")
}

/// Reads `bytes` as one file of `kind` (a `pipeline.yaml` is checked against an empty
/// platform), returning every diagnostic. For the fuzzer and its corpus replay test:
/// whatever the bytes, this returns; it never panics, hangs or grows without bound.
#[doc(hidden)]
pub fn check_bytes(kind: SchemaKind, bytes: &[u8]) -> Vec<Diagnostic> {
    organisation::check_bytes(kind, bytes)
}
