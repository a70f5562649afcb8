//! The whole organisation as one app: which stacks exist, in which environment, in
//! which order they deploy, and the assembly they synthesize to.
//!
//! For an organisation folder: `dpc-central`, one `dpc-account-<alias>` per account
//! of platform.yaml, and one pipeline stack per pipeline. For one project: only that
//! pipeline's stack (SPEC, "Commands"). Account stacks deploy after the central stack
//! (they take its API URLs as parameters); pipeline stacks after their account's.
//! Stacks never reference each other: names come from [`dpc_model::naming`].
//!
//! [`build_app`] returns a [`BuiltApp`]: before it is synthesized, a program may add
//! constructs to any stack ([`BuiltApp::scope`], [`BuiltApp::pipeline_scope`]), override
//! properties of generated resources ([`BuiltApp::override_property`]) and add aspects
//! ([`BuiltApp::add_aspect`]). [`Dpc`] bundles what a custom dpc binary adds — step
//! types, pipelines built in code, aspects — around the same load → build → synth →
//! write path the `dpc` CLI takes.

use crate::aws::lambda::RuntimeAsset;
use crate::lineage::Lineage;
use crate::pipeline::emr::EmrStepRenderer;
use crate::pipeline::{self, BuildContext};
use crate::steps::{StepType, StepTypes};
use crate::{account, central};
use dpc_core::aspect::{NodeView, priority};
use dpc_core::diagnostic::Sources;
use dpc_core::{App, Aspect, Assembly, Diagnostic, NodeId, Scope, StackId, Tree};
use dpc_schema::{CodePipeline, LoadOptions, LoadScope, Organisation};
use rayon::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Diagnostic code: a resource or stack named through [`BuiltApp`] is not in the app.
pub const UNKNOWN_TARGET: &str = dpc_core::codes::UNKNOWN_RESOURCE;
/// Diagnostic code: a property override cannot be applied.
pub const INVALID_OVERRIDE: &str = dpc_core::codes::INVALID_PROPERTIES;

/// The file the dependency graph is written to inside the assembly.
pub const LINEAGE_FILE: &str = "lineage.json";

/// How to synthesize beyond what the organisation says.
pub struct SynthOptions {
    /// The Lambda bundle every function runs (by asset id; staged when built).
    pub runtime: RuntimeAsset,
    /// Renderers for step kinds a library added to the loader's registry.
    pub step_renderers: Vec<Box<dyn EmrStepRenderer>>,
    /// Aspects applied to the whole app before validation (organisation policies).
    pub aspects: Vec<Box<dyn Aspect>>,
    /// The folder the assembly will be written to: stacks whose inputs did not change
    /// since the synth that last wrote there are reused from it instead of being built
    /// again ([`dpc_core::cache`]). `None` builds everything.
    pub cache_dir: Option<PathBuf>,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            runtime: RuntimeAsset::new(default_runtime_asset_id()),
            step_renderers: Vec::new(),
            aspects: Vec::new(),
            cache_dir: None,
        }
    }
}

/// The asset id templates use for the Lambda bundle when the caller names none: the
/// hash of the runtime's sources this dpc was built with (`dpc_bundle::asset_hash`,
/// computed by the build script), so templates change exactly when the code the
/// functions run changes. Outside the workspace, where the runtime's sources are not
/// at hand, the hash of dpc's version stands in.
pub fn default_runtime_asset_id() -> String {
    let built = env!("DPC_RUNTIME_ASSET_ID");
    if !built.is_empty() {
        return built.to_string();
    }
    let mut hash = Sha256::new();
    hash.update(b"dpc-runtime\0");
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What [`build_app`] made: the app and where each stack is.
pub struct BuiltApp {
    /// The app, ready for `synth()`.
    pub app: App,
    /// The central stack, when the whole organisation was built.
    pub central: Option<StackId>,
    /// The account setup stacks by account id.
    pub accounts: BTreeMap<String, account::AccountStack>,
    /// The pipeline stacks, in the organisation's order.
    pub pipelines: Vec<pipeline::PipelineStack>,
    /// The dependency graph written to `lineage.json`.
    pub lineage: Lineage,
    /// Each pipeline stack's pipeline: `(artifact id, account id, alias, name, where it
    /// is defined)`, to name it in diagnostics and find its stack.
    origins: Vec<PipelineOrigin>,
}

#[derive(Clone, Debug)]
pub(crate) struct PipelineOrigin {
    pub(crate) artifact_id: String,
    pub(crate) account_id: String,
    pub(crate) alias: String,
    pub(crate) name: String,
    pub(crate) defined_at: String,
    /// Where the pipeline's keys are in its file (empty for one defined in code).
    pub(crate) places: dpc_schema::SourcePlaces,
}

impl PipelineOrigin {
    /// Where pipeline `p`'s stack `artifact_id` comes from.
    pub(crate) fn of(artifact_id: &str, p: &dpc_schema::Pipeline) -> PipelineOrigin {
        PipelineOrigin {
            artifact_id: artifact_id.to_owned(),
            account_id: p.account.id.clone(),
            alias: p.account.alias.clone(),
            name: p.name.clone(),
            defined_at: format!("`{}`", p.file.display()),
            places: p.places.clone(),
        }
    }
}

/// Adds every stack the organisation needs to a new app (see the module docs).
///
/// # Errors
/// Every problem of every stack, not only the first.
pub fn build_app(org: &Organisation, options: SynthOptions) -> Result<BuiltApp, Vec<Diagnostic>> {
    let qualifier = &org.platform.cdk_qualifier;
    let mut app = App::with_qualifier(qualifier).map_err(|d| vec![d])?;
    let ctx = BuildContext {
        platform: &org.platform,
        step_renderers: &options.step_renderers,
    };
    let units = units(org);
    // Every stack is built in an app of its own, on as many threads as there are cores,
    // then merged in the organisation's order: the stacks never reference each other,
    // and the merged tree is the one a sequential build makes.
    let built: Vec<(App, Result<Built, Vec<Diagnostic>>)> = units
        .par_iter()
        .map(|unit| build_unit(unit, org, &options, &ctx))
        .collect();

    let mut errors = Vec::new();
    let mut central_stack = None;
    let mut accounts = BTreeMap::new();
    let mut pipelines = Vec::new();
    let mut origins = Vec::new();
    for (unit, (own, result)) in units.iter().zip(built) {
        let built = match result {
            Ok(built) => built,
            Err(ds) => {
                errors.extend(ds);
                continue;
            }
        };
        let grafted = match app.merge(own) {
            Ok(grafted) => grafted,
            Err(d) => {
                errors.push(d);
                continue;
            }
        };
        match (built, unit) {
            (Built::Central(stack), _) => central_stack = Some(grafted.stack(stack)),
            (Built::Account(mut built), Unit::Account(account)) => {
                built.stack = grafted.stack(built.stack);
                if let Some(central) = central_stack
                    && let Err(d) = app.add_dependency(built.stack, central)
                {
                    errors.push(d);
                }
                accounts.insert(account.id.clone(), built);
            }
            (Built::Pipeline(mut built), Unit::Pipeline(p)) => {
                built.stack = grafted.stack(built.stack);
                if let Some(setup) = accounts.get(&p.account.id)
                    && let Err(d) = app.add_dependency(built.stack, setup.stack)
                {
                    errors.push(d);
                }
                origins.push(PipelineOrigin::of(&built.artifact_id, p));
                pipelines.push(*built);
            }
            // Each unit builds its own kind of stack.
            _ => {}
        }
    }
    for aspect in options.aspects {
        app.add_boxed_aspect(aspect);
    }
    if errors.is_empty() {
        Ok(BuiltApp {
            app,
            central: central_stack,
            accounts,
            pipelines,
            lineage: Lineage::of(org),
            origins,
        })
    } else {
        // Placed in the pipeline.yaml they come from, as by-stack synthesis does.
        let all: Vec<PipelineOrigin> = org
            .pipelines
            .iter()
            .map(|p| {
                PipelineOrigin::of(
                    &dpc_model::naming::pipeline_artifact_id(&p.account.alias, &p.name),
                    p,
                )
            })
            .collect();
        Err(errors.into_iter().map(|d| noted(d, &all)).collect())
    }
}

/// One stack to build.
pub(crate) enum Unit<'o> {
    Central,
    Account(&'o dpc_schema::Account),
    Pipeline(&'o dpc_schema::Pipeline),
}

/// What building one unit returned.
pub(crate) enum Built {
    Central(StackId),
    Account(account::AccountStack),
    Pipeline(Box<pipeline::PipelineStack>),
}

/// The stacks of `org`, in order: central and accounts (whole organisation only), then
/// the pipelines.
pub(crate) fn units(org: &Organisation) -> Vec<Unit<'_>> {
    let mut units: Vec<Unit<'_>> = Vec::new();
    if org.scope == LoadScope::Organisation {
        units.push(Unit::Central);
        units.extend(org.platform.accounts.iter().map(Unit::Account));
    }
    units.extend(org.pipelines.iter().map(Unit::Pipeline));
    units
}

/// Builds one unit's stack into an app of its own.
pub(crate) fn build_unit(
    unit: &Unit<'_>,
    org: &Organisation,
    options: &SynthOptions,
    ctx: &BuildContext<'_>,
) -> (App, Result<Built, Vec<Diagnostic>>) {
    let mut own = match App::with_qualifier(&org.platform.cdk_qualifier) {
        Ok(own) => own,
        Err(d) => return (App::new(), Err(vec![d])),
    };
    let result = match unit {
        Unit::Central => central::build(&mut own, org, &options.runtime)
            .map(|c| Built::Central(c.stack))
            .map_err(|d| vec![d]),
        Unit::Account(account) => account::build(&mut own, org, account, &options.runtime)
            .map(Built::Account)
            .map_err(|d| vec![d]),
        Unit::Pipeline(p) => {
            pipeline::build(&mut own, p, ctx).map(|p| Built::Pipeline(Box::new(p)))
        }
    };
    (own, result)
}

/// `lineage.json`'s bytes.
pub(crate) fn lineage_bytes(lineage: &Lineage) -> Result<Vec<u8>, Vec<Diagnostic>> {
    let mut bytes = serde_json::to_vec_pretty(lineage).map_err(|e| {
        vec![Diagnostic::error(
            crate::aws::codes::LINEAGE_UNRENDERABLE,
            format!("cannot render {LINEAGE_FILE}: {e}"),
        )]
    })?;
    bytes.push(b'\n');
    Ok(bytes)
}

/// Builds and synthesizes the organisation into an assembly in memory, with
/// `lineage.json` beside the templates. Nothing is written.
///
/// # Errors
/// Every problem found while building, validating or linting.
///
/// Without aspects (which may look across stacks), each stack is built, rendered and
/// linted on its own, on every core, and only then put together: a 700-pipeline
/// organisation never holds more than a few construct trees at once. The assembly is the
/// one `build_app(org, options)?.synth()` makes (a test compares them).
pub fn synthesize(org: &Organisation, options: SynthOptions) -> Result<Assembly, Vec<Diagnostic>> {
    if !options.aspects.is_empty() {
        return build_app(org, options)?.synth();
    }
    crate::by_stack::synthesize(org, &options)
}

impl BuiltApp {
    /// Synthesizes the app into an assembly in memory, with `lineage.json` beside the
    /// templates: aspects (property overrides among them), validations, rendering and
    /// lint, as [`App::synth`]. A diagnostic about a construct of a pipeline stack gets
    /// a note naming the pipeline and where it is defined. Nothing is written; call
    /// [`Assembly::write`].
    ///
    /// # Errors
    /// Every problem found (errors and warnings), when there is at least one error.
    pub fn synth(self) -> Result<Assembly, Vec<Diagnostic>> {
        let origins = self.origins;
        let mut assembly = self.app.synth().map_err(|ds| {
            ds.into_iter()
                .map(|d| noted(d, &origins))
                .collect::<Vec<_>>()
        })?;
        let bytes = lineage_bytes(&self.lineage)?;
        assembly
            .add_file(LINEAGE_FILE, bytes)
            .map_err(|d| vec![d])?;
        Ok(assembly)
    }

    /// The stack of pipeline `name` in `account` (alias or 12-digit id).
    pub fn pipeline(&self, account: &str, name: &str) -> Option<&pipeline::PipelineStack> {
        let origin = self.origin(account, name)?;
        self.pipelines
            .iter()
            .find(|p| p.artifact_id == origin.artifact_id)
    }

    fn origin(&self, account: &str, name: &str) -> Option<&PipelineOrigin> {
        self.origins
            .iter()
            .find(|o| o.name == name && (o.alias == account || o.account_id == account))
    }

    /// The stack with artifact id `artifact_id` (`dpc-central`, `dpc-account-<alias>`,
    /// `dpc-pipeline-<alias>-<name>`).
    pub fn stack(&self, artifact_id: &str) -> Option<StackId> {
        self.app
            .tree()
            .stacks()
            .into_iter()
            .find(|s| self.app.tree().construct_id(s.node()) == artifact_id)
    }

    /// A scope at the top of `stack`, to add any construct or raw CloudFormation resource
    /// to it (`scope.add_resource("Queue", RawResource::new(...))`).
    ///
    /// # Errors
    /// A stack of another app.
    pub fn scope(&mut self, stack: StackId) -> Result<Scope<'_>, Diagnostic> {
        self.app.scope(stack)
    }

    /// A scope at the top of the stack of pipeline `name` in `account` (alias or id).
    ///
    /// # Errors
    /// No such pipeline in the app (`DM0395`), with the closest name as help.
    pub fn pipeline_scope(&mut self, account: &str, name: &str) -> Result<Scope<'_>, Diagnostic> {
        let Some(stack) = self.pipeline(account, name).map(|p| p.stack) else {
            let mut d = Diagnostic::error(
                UNKNOWN_TARGET,
                format!("there is no pipeline `{name}` in account `{account}` in this app"),
            );
            let names: Vec<&str> = self.origins.iter().map(|o| o.name.as_str()).collect();
            if let Some(close) = dpc_schema::suggest::closest(name, names) {
                d = d.with_help(format!("did you mean `{close}`?"));
            }
            return Err(d);
        };
        self.app.scope(stack)
    }

    /// Applies `aspect` to every node of the app at synthesis (after those of
    /// [`SynthOptions::aspects`]).
    pub fn add_aspect(&mut self, aspect: impl Aspect + 'static) {
        self.app.add_aspect(aspect);
    }

    /// The resource `target` names: a construct path (`dpc-central/Bus/Resource`, or
    /// `dpc-central/Bus` for the construct's `Resource` child, as the CDK's
    /// `defaultChild`), a logical id unique in the app (`BusEA82B648`), or a logical id in
    /// one stack (`dpc-central/BusEA82B648`).
    ///
    /// # Errors
    /// No such resource (`DM0395`), with the closest path as help; a logical id found in
    /// several stacks.
    pub fn resource_node(&self, target: &str) -> Result<NodeId, Diagnostic> {
        find_resource(self.app.tree(), target)
    }

    /// Replaces the value at property `path` (dotted: `LoggingConfiguration.Level`,
    /// `Tags.0.Value`; `\.` for a literal dot) of the generated resource `target` (see
    /// [`BuiltApp::resource_node`]): the CDK's `addPropertyOverride`, for a value that
    /// exists. Checked now: a missing resource or property is an error, with the keys
    /// that are there; applied at synthesis, before the aspects that only check.
    ///
    /// # Errors
    /// No such resource, or no value at `path` (`DM0396`).
    pub fn override_property(
        &mut self,
        target: &str,
        path: &str,
        value: Value,
    ) -> Result<(), Diagnostic> {
        self.add_override(target, Override::Replace(path.to_owned(), value))
    }

    /// Sets property `path` of resource `target`, creating missing objects on the way:
    /// the CDK's `addPropertyOverride` for a property the generator does not set.
    ///
    /// # Errors
    /// No such resource, or a path through a value that is neither object nor array.
    pub fn add_property(
        &mut self,
        target: &str,
        path: &str,
        value: Value,
    ) -> Result<(), Diagnostic> {
        self.add_override(target, Override::Set(path.to_owned(), value))
    }

    /// Removes property `path` of resource `target` (the CDK's
    /// `addPropertyDeletionOverride`).
    ///
    /// # Errors
    /// No such resource, or no value at `path`.
    pub fn delete_property(&mut self, target: &str, path: &str) -> Result<(), Diagnostic> {
        self.add_override(target, Override::Delete(path.to_owned()))
    }

    fn add_override(&mut self, target: &str, change: Override) -> Result<(), Diagnostic> {
        let node = self.resource_node(target)?;
        let tree = self.app.tree();
        let construct = tree.path(node);
        let mut trial = tree.resource_at(node).cloned().ok_or_else(|| {
            Diagnostic::error(UNKNOWN_TARGET, format!("`{target}` is not a resource"))
        })?;
        change
            .apply(&mut trial)
            .map_err(|d| d.in_construct(construct.clone()))?;
        self.app.add_aspect(OverrideAspect {
            node,
            construct,
            change,
        });
        Ok(())
    }
}

pub(crate) fn noted(mut d: Diagnostic, origins: &[PipelineOrigin]) -> Diagnostic {
    if d.location.is_none()
        && let Some(path) = &d.construct_path
        && let Some(o) = origins
            .iter()
            .find(|o| path.split('/').next() == Some(o.artifact_id.as_str()))
    {
        d.notes.push(format!(
            "in the stack of pipeline `{}` (account `{}`), defined {}",
            o.name, o.alias, o.defined_at
        ));
        if let Some(keys) = keys_behind(&d.code) {
            d.location = o.places.first_of(keys).cloned();
        }
    }
    d
}

/// The keys of `pipeline.yaml` a limit found in its stack comes from, most likely first:
/// what grows a definition or a template is the steps. Other problems (a policy's
/// finding about one construct) keep their construct path, which says more.
fn keys_behind(code: &str) -> Option<&'static [&'static str]> {
    use crate::aws::codes::DEFINITION_TOO_LARGE;
    use dpc_core::codes::{
        TEMPLATE_TOO_LARGE, TOO_MANY_DYNAMIC_REFERENCES, TOO_MANY_OUTPUTS, TOO_MANY_PARAMETERS,
        TOO_MANY_RESOURCES,
    };
    const STEPS: &[&str] = &["steps", "name"];
    match code {
        c if c == DEFINITION_TOO_LARGE
            || c == TEMPLATE_TOO_LARGE
            || c == TOO_MANY_RESOURCES
            || c == TOO_MANY_OUTPUTS
            || c == TOO_MANY_PARAMETERS
            || c == TOO_MANY_DYNAMIC_REFERENCES =>
        {
            Some(STEPS)
        }
        _ => None,
    }
}

fn find_resource(tree: &Tree, target: &str) -> Result<NodeId, Diagnostic> {
    if let Some(node) = tree.find(target) {
        if tree.resource_at(node).is_some() {
            return Ok(node);
        }
        if let Some(child) = tree.find_child(node, "Resource")
            && tree.resource_at(child).is_some()
        {
            return Ok(child);
        }
        return Err(Diagnostic::error(
            UNKNOWN_TARGET,
            format!("`{target}` is a construct, not a resource, and has no `Resource` child"),
        )
        .with_help("name one of its resources by path or logical id"));
    }
    let (stacks, logical_id) = match target.split_once('/') {
        Some((stack, id)) => (
            tree.stacks()
                .into_iter()
                .filter(|s| tree.construct_id(s.node()) == stack)
                .collect::<Vec<_>>(),
            id,
        ),
        None => (tree.stacks(), target),
    };
    let found: Vec<NodeId> = stacks
        .iter()
        .flat_map(|s| tree.descendants(s.node()))
        .filter(|&n| {
            tree.resource_at(n)
                .is_some_and(|r| r.logical_id() == logical_id)
        })
        .collect();
    match found.as_slice() {
        [one] => Ok(*one),
        [] => {
            let paths: Vec<String> = tree
                .descendants(tree.root())
                .into_iter()
                .filter(|&n| tree.resource_at(n).is_some())
                .map(|n| tree.path(n))
                .collect();
            let mut d = Diagnostic::error(
                UNKNOWN_TARGET,
                format!("there is no resource `{target}` in this app"),
            )
            .with_note(
                "name a resource by its construct path (`dpc-central/Bus/Resource`) or logical id",
            );
            if let Some(close) =
                dpc_schema::suggest::closest(target, paths.iter().map(String::as_str))
            {
                d = d.with_help(format!("did you mean `{close}`?"));
            }
            Err(d)
        }
        several => {
            let stacks: Vec<String> = several
                .iter()
                .filter_map(|&n| tree.stack_of(n))
                .map(|s| format!("`{}/{logical_id}`", tree.construct_id(s.node())))
                .collect();
            Err(Diagnostic::error(
                UNKNOWN_TARGET,
                format!("logical id `{logical_id}` is in {} stacks", several.len()),
            )
            .with_help(format!("name the stack: {}", stacks.join(", "))))
        }
    }
}

/// A change to one property of one resource.
#[derive(Clone, Debug)]
enum Override {
    Replace(String, Value),
    Set(String, Value),
    Delete(String),
}

impl Override {
    fn apply(&self, resource: &mut dpc_core::Resource) -> Result<(), Diagnostic> {
        match self {
            Override::Replace(path, value) => {
                require(resource, path)?;
                resource.override_property(path, value.clone()).map(|_| ())
            }
            Override::Set(path, value) => {
                resource.override_property(path, value.clone()).map(|_| ())
            }
            Override::Delete(path) => {
                require(resource, path)?;
                resource.delete_property(path).map(|_| ())
            }
        }
    }
}

/// Checks that `path` names a value of the resource's properties.
fn require(resource: &dpc_core::Resource, path: &str) -> Result<(), Diagnostic> {
    let mut cursor = Value::Object(resource.properties.clone());
    let mut walked: Vec<String> = Vec::new();
    let mut key = String::new();
    let mut keys = Vec::new();
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => key.extend(chars.next()),
            '.' => keys.push(std::mem::take(&mut key)),
            c => key.push(c),
        }
    }
    keys.push(key);
    for key in keys {
        let next = match &cursor {
            Value::Object(map) => map.get(&key).cloned(),
            Value::Array(items) => key
                .parse::<usize>()
                .ok()
                .and_then(|i| items.get(i).cloned()),
            _ => None,
        };
        let Some(next) = next else {
            let place = if walked.is_empty() {
                "the properties".to_owned()
            } else {
                format!("`{}`", walked.join("."))
            };
            let mut d = Diagnostic::error(
                INVALID_OVERRIDE,
                format!(
                    "cannot override `{path}` of `{}`: {place} has no `{key}`",
                    resource.logical_id()
                ),
            );
            if let Value::Object(map) = &cursor {
                let keys: Vec<&str> = map.keys().map(String::as_str).collect();
                if let Some(close) = dpc_schema::suggest::closest(&key, keys.iter().copied()) {
                    d = d.with_help(format!("did you mean `{close}`?"));
                }
                d = d.with_note(format!(
                    "it has {}",
                    keys.iter()
                        .map(|k| format!("`{k}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            } else {
                d = d.with_help("use `add_property` to set a property the resource does not have");
            }
            return Err(d);
        };
        walked.push(key);
        cursor = next;
    }
    Ok(())
}

/// Applies one property override at synthesis, before the aspects that only check.
struct OverrideAspect {
    node: NodeId,
    construct: String,
    change: Override,
}

impl Aspect for OverrideAspect {
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic> {
        if node.node() != self.node {
            return Vec::new();
        }
        match node.resource_mut() {
            Some(resource) => match self.change.apply(resource) {
                Ok(()) => Vec::new(),
                Err(d) => vec![d.in_construct(self.construct.clone())],
            },
            None => vec![Diagnostic::error(
                UNKNOWN_TARGET,
                format!("`{}` is no longer a resource", self.construct),
            )],
        }
    }

    fn priority(&self) -> i32 {
        priority::MUTATING
    }
}

/// An aspect shared between builds: [`Dpc`] keeps its aspects to build more than once.
struct SharedAspect(Arc<dyn Aspect>);

impl Aspect for SharedAspect {
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic> {
        self.0.visit(node)
    }

    fn priority(&self) -> i32 {
        self.0.priority()
    }
}

/// dpc as a library: what a custom binary adds to the `dpc` CLI — step types, pipelines
/// built in code, aspects — around the same path the CLI takes: [`Dpc::load`] (the
/// loader, with the types and the code pipelines), [`Dpc::build`] (the stacks, with the
/// aspects), [`BuiltApp::synth`], [`Assembly::write`].
///
/// ```no_run
/// use dpc_constructs::prelude::*;
/// # fn main() -> Result<(), Vec<Diagnostic>> {
/// let dpc = Dpc::new().pipeline(
///     PipelineBuilder::new("nightly", "core-data")
///         .cron("0 2 * * ? *")
///         .step(StepBuilder::shell("hello", "echo {{ds}}")),
/// );
/// let (org, _warnings) = dpc.load(std::path::Path::new("examples/case-study"))?;
/// let assembly = dpc.build(&org)?.synth()?;
/// assembly.write(std::path::Path::new("cdk.out")).map_err(|d| vec![d])?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Default)]
pub struct Dpc {
    steps: StepTypes,
    pipelines: Vec<CodePipeline>,
    aspects: Vec<Arc<dyn Aspect>>,
    runtime: Option<RuntimeAsset>,
    exclude: Vec<PathBuf>,
}

impl std::fmt::Debug for Dpc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dpc")
            .field("steps", &self.steps)
            .field(
                "pipelines",
                &self
                    .pipelines
                    .iter()
                    .map(|p| &p.file.name)
                    .collect::<Vec<_>>(),
            )
            .field("aspects", &self.aspects.len())
            .field("runtime", &self.runtime)
            .finish()
    }
}

impl Dpc {
    /// The `dpc` CLI's behaviour: built-in step types, no code pipelines, no aspects.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers a step type for the loader and the constructs at once.
    pub fn step_type(mut self, step_type: impl StepType + 'static) -> Self {
        self.steps.register(step_type);
        self
    }

    /// The registered step types.
    pub fn step_types(&self) -> &StepTypes {
        &self.steps
    }

    /// Adds a pipeline built in code; [`Dpc::load`] loads it with the files.
    pub fn pipeline(mut self, pipeline: impl Into<CodePipeline>) -> Self {
        self.pipelines.push(pipeline.into());
        self
    }

    /// The pipelines built in code.
    pub fn pipelines(&self) -> &[CodePipeline] {
        &self.pipelines
    }

    /// Adds an aspect applied to the whole app at synthesis, e.g. an organisation policy
    /// that reports an error for every state machine without an `owner` tag.
    pub fn aspect(mut self, aspect: impl Aspect + 'static) -> Self {
        self.aspects.push(Arc::new(aspect));
        self
    }

    /// The Lambda bundle the functions run (default: by id only, as `dpc synth`).
    pub fn runtime(mut self, runtime: RuntimeAsset) -> Self {
        self.runtime = Some(runtime);
        self
    }

    /// A folder not searched for projects, e.g. the output folder.
    pub fn exclude(mut self, dir: impl Into<PathBuf>) -> Self {
        self.exclude.push(dir.into());
        self
    }

    /// The loader's options: the step types, the code pipelines, the excluded folders.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            registry: self.steps.registry(),
            exclude: self.exclude.clone(),
            pipelines: self.pipelines.clone(),
        }
    }

    /// Loads the organisation (or project) at `path` with the code pipelines, checking
    /// everything as `dpc validate` does.
    ///
    /// # Errors
    /// Every error of every file and code pipeline; on success, the warnings.
    pub fn load(&self, path: &Path) -> Result<(Organisation, Vec<Diagnostic>), Vec<Diagnostic>> {
        dpc_schema::load_organisation_with_options(path, &self.load_options())
    }

    /// The synthesis options: the runtime, the step types' renderers, the aspects.
    pub fn synth_options(&self) -> SynthOptions {
        let mut options = SynthOptions {
            step_renderers: self.steps.renderers(),
            aspects: self
                .aspects
                .iter()
                .map(|a| Box::new(SharedAspect(Arc::clone(a))) as Box<dyn Aspect>)
                .collect(),
            ..SynthOptions::default()
        };
        if let Some(runtime) = &self.runtime {
            options.runtime = runtime.clone();
        }
        options
    }

    /// Builds every stack of `org` ([`build_app`]): the app to change further, then
    /// [`BuiltApp::synth`].
    ///
    /// # Errors
    /// Every problem of every stack.
    pub fn build(&self, org: &Organisation) -> Result<BuiltApp, Vec<Diagnostic>> {
        let mut built = build_app(org, self.synth_options())?;
        for origin in &mut built.origins {
            if let Some(code) = self.pipelines.iter().find(|c| {
                c.file.name == origin.name
                    && (c.file.account == origin.alias || c.file.account == origin.account_id)
            }) {
                origin.defined_at = format!("in code at {}", code.origin);
            }
        }
        Ok(built)
    }

    /// The YAML form of the code pipelines, for [`dpc_core::diagnostic::render_report`]
    /// (the locations of loaded files carry their own lines).
    pub fn sources(&self) -> Sources {
        let mut sources = Sources::new();
        for p in &self.pipelines {
            sources.insert(p.display(), p.to_yaml());
        }
        sources
    }

    /// `diagnostics` as the `dpc` CLI prints them (rustc-like, source lines shown, a
    /// summary line `error: could not {action} (…)`).
    pub fn render(&self, diagnostics: &[Diagnostic], action: &str, color: bool) -> String {
        dpc_core::diagnostic::render_report(diagnostics, &self.sources(), color, action)
    }
}
