//! Synthesis: build → aspects → validate → render → lint, all in memory. Nothing is
//! written here; [`Assembly::write`](crate::Assembly::write) does that once every phase
//! has passed.

use crate::app::App;
use crate::aspect::{invoke_aspects, with_path};
use crate::assembly::Assembly;
use crate::asset::StagedAsset;
use crate::diagnostic::Diagnostic;
use crate::lint;
use crate::resource::Resource;
use crate::tree::{NodeKind, StackId, Tree};
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

/// One stack, rendered: its template (as JSON and as the exact bytes written) and what
/// the manifest and the lint need to know about it.
pub(crate) struct RenderedStack {
    pub(crate) artifact_id: String,
    pub(crate) stack_name: String,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) tags: IndexMap<String, String>,
    pub(crate) termination_protection: bool,
    /// Artifact ids of the stacks this one deploys after.
    pub(crate) dependencies: Vec<String>,
    pub(crate) template: Value,
    pub(crate) template_bytes: Vec<u8>,
    /// Logical id → construct path, to point lint findings at constructs.
    pub(crate) paths: IndexMap<String, String>,
    pub(crate) assets: Vec<StagedAsset>,
}

impl App {
    /// Synthesizes the app: runs aspects, then every validation, renders each stack to a
    /// template and lints the templates. Returns every problem found (errors and
    /// warnings) when there is at least one error; otherwise the assembly, in memory,
    /// carrying the warnings. Same app, same bytes.
    pub fn synth(mut self) -> Result<Assembly, Vec<Diagnostic>> {
        let mut diagnostics = invoke_aspects(&mut self.tree);
        diagnostics.extend(run_validations(&self.tree));
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(diagnostics);
        }
        let stacks: Vec<RenderedStack> = deployment_order(&self.tree)
            .into_iter()
            .map(|s| render_stack(&mut self.tree, s))
            .collect();
        diagnostics.extend(lint::lint(&stacks));
        if diagnostics.iter().any(Diagnostic::is_error) {
            return Err(diagnostics);
        }
        Ok(Assembly::new(self.tree.qualifier(), stacks, diagnostics))
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

/// Renders one stack, moving each resource's properties and metadata out of the tree
/// (synthesis consumes the app, so nothing reads them again): a 700-pipeline organisation
/// would otherwise hold every property twice at its peak.
fn render_stack(tree: &mut Tree, stack: StackId) -> RenderedStack {
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
    let mut paths = IndexMap::new();
    for node in tree.descendants(stack.node()) {
        let path = tree.path(node);
        let Some(data) = tree.get_mut(node) else {
            continue;
        };
        let (logical_id, section, value) = match &mut data.kind {
            NodeKind::Resource(r) => {
                let value = render_resource(r);
                (r.logical_id(), &mut resources, value)
            }
            NodeKind::Parameter {
                logical_id,
                parameter,
            } => (logical_id.as_str(), &mut parameters, to_json(parameter)),
            NodeKind::Condition {
                logical_id,
                expression,
            } => (logical_id.as_str(), &mut conditions, expression.to_json()),
            NodeKind::Output { logical_id, output } => {
                (logical_id.as_str(), &mut outputs, to_json(output))
            }
            NodeKind::Root | NodeKind::Group | NodeKind::Stack(_) => continue,
        };
        section.insert(logical_id.to_owned(), value);
        paths.insert(logical_id.to_owned(), path);
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
    RenderedStack {
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
        template,
        template_bytes,
        paths,
        assets,
    }
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
    let mut bytes = serde_json::to_vec_pretty(value).unwrap_or_default();
    bytes.push(b'\n');
    bytes
}
