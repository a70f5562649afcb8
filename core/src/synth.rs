//! Synthesis: build → aspects → validate → render → lint, all in memory. Nothing is
//! written here; [`Assembly::write`](crate::Assembly::write) does that once every phase
//! has passed.

use crate::app::App;
use crate::aspect::{invoke_aspects, with_path};
use crate::assembly::Assembly;
use crate::asset::StagedAsset;
use crate::cache::CachedStack;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::lint;
use crate::resource::Resource;
use crate::tree::{NodeId, NodeKind, StackId, Tree};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde_json::{Map, Value, json};

/// One stack, rendered: its template's exact bytes and what the manifest and the lint
/// need to know about it. The template as a JSON value lives only while its stack is
/// rendered and linted: holding all of them at once doubled the peak memory at 700
/// pipelines.
pub(crate) struct RenderedStack {
    pub(crate) artifact_id: String,
    pub(crate) stack_name: String,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) tags: IndexMap<String, String>,
    pub(crate) termination_protection: bool,
    /// Artifact ids of the stacks this one deploys after.
    pub(crate) dependencies: Vec<String>,
    pub(crate) template_bytes: Vec<u8>,
    /// Logical id → construct path, to point lint findings at constructs.
    pub(crate) paths: IndexMap<String, String>,
    pub(crate) assets: Vec<StagedAsset>,
    /// What the lint found in this template alone.
    pub(crate) findings: Vec<lint::Finding>,
    /// `AWS::Events::Rule`s by event bus name, for the quota over one environment.
    pub(crate) rules_per_bus: IndexMap<String, usize>,
    /// The template's SHA-256, when known already (a stack reused from the cache).
    pub(crate) template_sha256: Option<String>,
    /// The unit key under which the next synth may reuse this stack.
    pub(crate) cache_key: Option<String>,
    /// The folder whose cache it was taken from (its template file there holds exactly
    /// `template_bytes`), rather than built.
    pub(crate) reused_from: Option<std::path::PathBuf>,
}

impl RenderedStack {
    /// A stack reused from the cache of the previous synth.
    pub(crate) fn from_cache(
        cached: CachedStack,
        template_bytes: Vec<u8>,
        assets: Vec<StagedAsset>,
        key: &str,
        dir: &std::path::Path,
    ) -> Self {
        RenderedStack {
            artifact_id: cached.artifact_id,
            stack_name: cached.stack_name,
            account: cached.account,
            region: cached.region,
            tags: cached.tags,
            termination_protection: cached.termination_protection,
            dependencies: cached.dependencies,
            template_bytes,
            paths: cached
                .logical_ids
                .into_iter()
                .map(|id| (id, String::new()))
                .collect(),
            assets,
            findings: Vec::new(),
            rules_per_bus: cached.rules_per_bus,
            template_sha256: Some(cached.template_sha256),
            cache_key: Some(key.to_owned()),
            reused_from: Some(dir.to_path_buf()),
        }
    }
}

/// A stack's elements, moved out of the tree so stacks render on several threads while
/// the tree (for construct paths) is shared read-only.
struct StackParts {
    stack: StackId,
    elements: Vec<(NodeId, NodeKind)>,
}

impl App {
    /// Synthesizes the app: runs aspects, then every validation, renders each stack to a
    /// template and lints the templates. Returns every problem found (errors and
    /// warnings) when there is at least one error; otherwise the assembly, in memory,
    /// carrying the warnings. Same app, same bytes, however many threads render.
    pub fn synth(self) -> Result<Assembly, Vec<Diagnostic>> {
        self.render()?.into_assembly()
    }

    /// The first half of [`App::synth`]: aspects, validations, and each stack rendered
    /// and linted on its own. Apps built apart (one per stack, say) render apart and
    /// [`Rendered::merge`] into one assembly; only the tree of the app being rendered is
    /// in memory at a time, and [`App::synth`] of the apps merged first gives the same
    /// bytes when no aspect or validation looks across apps.
    ///
    /// # Errors
    /// Every problem of the aspects and validations (errors and warnings), when there is
    /// at least one error. Lint findings wait for [`Rendered::into_assembly`], which can
    /// tell which other stack a dangling reference points into.
    pub fn render(mut self) -> Result<Rendered, Vec<Diagnostic>> {
        let mut diagnostics = invoke_aspects(&mut self.tree);
        diagnostics.extend(run_validations(&self.tree));
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(diagnostics);
        }
        let parts: Vec<StackParts> = deployment_order(&self.tree)
            .into_iter()
            .map(|stack| take_elements(&mut self.tree, stack))
            .collect();
        let tree = &self.tree;
        // Indexed parallel iterators keep the order: the output does not depend on
        // scheduling.
        let stacks: Vec<RenderedStack> = parts
            .into_par_iter()
            .map(|parts| {
                let (mut stack, template) = render_stack(tree, parts);
                stack.findings = lint::lint_stack(&stack, &template);
                stack.rules_per_bus = lint::rules_per_bus(&template);
                stack
            })
            .collect();
        Ok(Rendered {
            qualifier: self.tree.qualifier().to_owned(),
            stacks,
            diagnostics,
        })
    }
}

/// Stacks rendered to their final bytes, not yet put together: what [`App::render`]
/// returns. Merge the renderings of apps built apart, add the dependencies between their
/// stacks, then make the assembly.
pub struct Rendered {
    qualifier: String,
    stacks: Vec<RenderedStack>,
    diagnostics: Vec<Diagnostic>,
}

impl Rendered {
    /// Appends `other`'s stacks after these (deployment order is kept within each).
    ///
    /// # Errors
    /// A different bootstrap qualifier or a stack id used in both; nothing is merged.
    pub fn merge(&mut self, other: Rendered) -> Result<(), Diagnostic> {
        if other.qualifier != self.qualifier {
            return Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                format!(
                    "cannot merge stacks with bootstrap qualifier `{}` into stacks with `{}`",
                    other.qualifier, self.qualifier
                ),
            ));
        }
        if let Some(clash) = other
            .stacks
            .iter()
            .find(|o| self.stacks.iter().any(|s| s.artifact_id == o.artifact_id))
        {
            return Err(Diagnostic::error(
                codes::DUPLICATE_CONSTRUCT_ID,
                format!(
                    "there is already a construct with id `{}` in the app",
                    clash.artifact_id
                ),
            )
            .with_help("construct ids must be unique among siblings"));
        }
        self.stacks.extend(other.stacks);
        self.diagnostics.extend(other.diagnostics);
        Ok(())
    }

    /// Makes stack `stack` deploy after stack `on` (artifact ids). `on` must come first:
    /// stacks stay in the order they were merged.
    ///
    /// # Errors
    /// An unknown stack, or `on` not before `stack`.
    pub fn add_dependency(&mut self, stack: &str, on: &str) -> Result<(), Diagnostic> {
        let position = |id: &str| self.stacks.iter().position(|s| s.artifact_id == id);
        match (position(stack), position(on)) {
            (Some(s), Some(o)) if o < s => {
                let deps = &mut self.stacks[s].dependencies;
                if !deps.iter().any(|d| d == on) {
                    deps.push(on.to_owned());
                }
                Ok(())
            }
            _ => Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                format!(
                    "stack `{stack}` cannot depend on `{on}`: both must be rendered, `{on}` first"
                ),
            )),
        }
    }

    /// Stacks reused from a [`RenderCache`](crate::cache::RenderCache).
    pub(crate) fn from_cache(qualifier: &str, stacks: Vec<RenderedStack>) -> Rendered {
        Rendered {
            qualifier: qualifier.to_owned(),
            stacks,
            diagnostics: Vec::new(),
        }
    }

    /// Lets the next synth into the same folder reuse these stacks under `key`, which
    /// must change whenever anything they were built from changes (see
    /// [`crate::cache`]). Only a clean rendering is kept: no diagnostic, no lint
    /// finding, no zipped directory asset; otherwise this does nothing.
    pub fn cache_as(&mut self, key: &str) {
        let clean = self.diagnostics.is_empty()
            && self
                .stacks
                .iter()
                .all(|s| s.findings.is_empty() && s.assets.iter().all(crate::cache::is_recordable));
        if clean {
            for stack in &mut self.stacks {
                stack.cache_key = Some(key.to_owned());
            }
        }
    }

    /// The artifact ids of the stacks, in order.
    pub fn stack_ids(&self) -> impl Iterator<Item = &str> {
        self.stacks.iter().map(|s| s.artifact_id.as_str())
    }

    /// The lint findings that need every stack (which stack a dangling reference points
    /// into, rules per event bus over the stacks of one environment), then the assembly.
    ///
    /// # Errors
    /// Every problem found (errors and warnings), when there is at least one error.
    pub fn into_assembly(mut self) -> Result<Assembly, Vec<Diagnostic>> {
        let findings: Vec<Vec<lint::Finding>> = self
            .stacks
            .iter_mut()
            .map(|s| std::mem::take(&mut s.findings))
            .collect();
        let mut diagnostics = self.diagnostics;
        diagnostics.extend(lint::resolve(findings, &self.stacks));
        diagnostics.extend(lint::check_rules_per_bus(&self.stacks));
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(diagnostics);
        }
        Ok(Assembly::new(&self.qualifier, self.stacks, diagnostics))
    }
}

fn run_validations(tree: &Tree) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for node in tree.descendants(tree.root()) {
        let path = tree.path(node);
        for check in tree
            .get(node)
            .map(|n| n.validations.as_slice())
            .unwrap_or_default()
        {
            out.extend(check(tree).into_iter().map(|d| with_path(d, &path)));
        }
    }
    out
}

/// Stacks after the stacks they depend on; otherwise in the order they were added.
fn deployment_order(tree: &Tree) -> Vec<StackId> {
    let mut pending = tree.stacks();
    let mut ordered: Vec<StackId> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        // `add_dependency` rejects cycles, so some pending stack is always ready.
        let ready = pending.iter().position(|s| {
            tree.stack_data(*s)
                .is_none_or(|d| d.depends_on.iter().all(|dep| ordered.contains(dep)))
        });
        ordered.push(pending.remove(ready.unwrap_or(0)));
    }
    ordered
}

/// Moves the elements (resources, parameters, conditions, outputs) of `stack` out of the
/// tree: synthesis consumes the app, and a 700-pipeline organisation would otherwise hold
/// every property twice at its peak.
fn take_elements(tree: &mut Tree, stack: StackId) -> StackParts {
    let mut elements = Vec::new();
    for node in tree.descendants(stack.node()) {
        let Some(data) = tree.get_mut(node) else {
            continue;
        };
        if matches!(
            data.kind,
            NodeKind::Resource(_)
                | NodeKind::Parameter { .. }
                | NodeKind::Condition { .. }
                | NodeKind::Output { .. }
        ) {
            elements.push((node, std::mem::replace(&mut data.kind, NodeKind::Group)));
        }
    }
    StackParts { stack, elements }
}

/// Renders one stack: its summary and bytes, and its template as JSON for the lint.
fn render_stack(tree: &Tree, parts: StackParts) -> (RenderedStack, Value) {
    let StackParts { stack, elements } = parts;
    let artifact_id = tree.construct_id(stack.node()).to_owned();
    let (props, dependencies, assets) = match tree.stack_data(stack) {
        Some(data) => (
            data.props.clone(),
            data.depends_on
                .iter()
                .map(|s| tree.construct_id(s.node()).to_owned())
                .collect(),
            data.assets.clone(),
        ),
        None => Default::default(),
    };

    let mut parameters = Map::new();
    let mut conditions = Map::new();
    let mut resources = Map::new();
    let mut outputs = Map::new();
    let mut paths = IndexMap::with_capacity(elements.len());
    for (node, kind) in elements {
        let (logical_id, section, value) = match kind {
            NodeKind::Resource(r) => {
                let mut r = *r;
                let value = render_resource(&mut r);
                (r.logical_id().to_owned(), &mut resources, value)
            }
            NodeKind::Parameter {
                logical_id,
                parameter,
            } => (logical_id, &mut parameters, to_json(&parameter)),
            NodeKind::Condition {
                logical_id,
                expression,
            } => (logical_id, &mut conditions, expression.to_json()),
            NodeKind::Output { logical_id, output } => (logical_id, &mut outputs, to_json(&output)),
            NodeKind::Root | NodeKind::Group | NodeKind::Stack(_) => continue,
        };
        section.insert(logical_id.clone(), value);
        paths.insert(logical_id, tree.path(node));
    }

    let mut template = Map::new();
    template.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
    if let Some(description) = &props.description {
        template.insert("Description".into(), json!(description));
    }
    for (name, section) in [
        ("Parameters", parameters),
        ("Conditions", conditions),
        ("Resources", resources),
        ("Outputs", outputs),
    ] {
        if !section.is_empty() {
            template.insert(name.into(), Value::Object(section));
        }
    }
    let template = Value::Object(template);
    let template_bytes = to_pretty_bytes(&template);
    let rendered = RenderedStack {
        stack_name: props
            .stack_name
            .clone()
            .unwrap_or_else(|| artifact_id.clone()),
        artifact_id,
        account: props.account,
        region: props.region,
        tags: props.tags,
        termination_protection: props.termination_protection,
        dependencies,
        template_bytes,
        paths,
        assets,
        findings: Vec::new(),
        rules_per_bus: IndexMap::new(),
        template_sha256: None,
        cache_key: None,
        reused_from: None,
    };
    (rendered, template)
}

fn render_resource(resource: &mut Resource) -> Value {
    let properties = std::mem::take(&mut resource.properties);
    let metadata = std::mem::take(&mut resource.options.metadata);
    let options = &resource.options;
    let mut out = Map::new();
    out.insert("Type".into(), json!(resource.type_name));
    if !properties.is_empty() {
        out.insert("Properties".into(), Value::Object(properties));
    }
    if !options.depends_on.is_empty() {
        out.insert("DependsOn".into(), json!(options.depends_on));
    }
    if let Some(policy) = options.update_replace_policy {
        out.insert("UpdateReplacePolicy".into(), json!(policy.as_str()));
    }
    if let Some(policy) = options.deletion_policy {
        out.insert("DeletionPolicy".into(), json!(policy.as_str()));
    }
    if !metadata.is_empty() {
        out.insert("Metadata".into(), Value::Object(metadata));
    }
    if let Some(condition) = &options.condition {
        out.insert("Condition".into(), json!(condition));
    }
    Value::Object(out)
}

fn to_json(value: &impl serde::Serialize) -> Value {
    // Parameters and outputs hold only strings, JSON values and expressions, which
    // always serialise.
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// JSON with 2-space indentation and a trailing newline: the one format dpc writes.
pub(crate) fn to_pretty_bytes(value: &Value) -> Vec<u8> {
    thread_local! {
        // One growing buffer per thread: printing a 60 KB template into a fresh vector
        // reallocates (and copies) it a dozen times, which showed in the profile.
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        // Writing JSON into a vector cannot fail.
        let _ = serde_json::to_writer_pretty(&mut *buffer, value);
        buffer.push(b'\n');
        let bytes = buffer.clone();
        // Keep the buffer from growing without bound after an exceptionally large value.
        buffer.shrink_to(1 << 22);
        bytes
    })
}
