//! `dpc diff`'s engine: the difference of two cloud assemblies, stack by stack and
//! resource by resource, with the replacements and security changes a reviewer must see,
//! plus the dependency diff from `lineage.json` (which pipelines' triggers changed, what
//! runs downstream of them, and who starts or stops being triggered), and what
//! `cdk deploy` reads besides templates: each stack's manifest entry (tags, termination
//! protection, parameters, dependencies) and its assets (`diff/settings.rs`'s documentation
//! says what is left out, and why).
//!
//! ```text
//! AssemblySnapshot (a directory, or an Assembly in memory)  ×2
//!   └─ diff_assemblies ─▶ AssemblyDiff ─▶ render_text | render_markdown | serde_json
//! ```
//!
//! Everything is deterministic: stacks in the new assembly's order (removed stacks
//! after), resources in template order, pipelines by account id and name.

mod dependencies;
mod markdown;
pub mod replacement;
mod security;
mod settings;
mod snapshot;
mod template;
mod text;
mod value;

pub use dependencies::{
    DependencyDiff, FiringChange, PipelineChange, PipelineRef, TriggerChange, diff_lineage,
};
pub use markdown::render_markdown;
pub use security::{SecurityChange, SecurityKind};
pub use settings::{AssetDiff, diff_stack_settings};
pub use snapshot::{
    AssemblySnapshot, AssetManifestSnapshot, LINEAGE_FILE, StackSnapshot, UNREADABLE_ASSEMBLY,
};
pub use template::{EntryDiff, Replacement, ResourceDiff, TemplateDiff, diff_templates};
pub use text::render_text;
pub use value::{Path, PathSegment, PropertyChange, diff_values};

use serde::Serialize;
use serde_json::Value;

/// The version of `dpc diff --format json`'s shape.
pub const DIFF_FORMAT_VERSION: &str = "1";

/// Whether something is new, gone, or different.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Change {
    /// Only in the new assembly.
    Added,
    /// Only in the old assembly.
    Removed,
    /// In both, different.
    Changed,
}

/// The whole difference of two assemblies.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssemblyDiff {
    /// [`DIFF_FORMAT_VERSION`].
    pub version: String,
    /// Counts, for a headline and for CI.
    pub summary: Summary,
    /// Stacks that differ.
    pub stacks: Vec<StackDiff>,
    /// The dependency diff; `None` when either side has no `lineage.json`.
    pub dependencies: Option<DependencyDiff>,
    /// Changes of `manifest.json` outside every stack's entries (see
    /// [`AssemblySnapshot::manifest`]); dpc writes nothing there today.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifest: Vec<PropertyChange>,
}

impl AssemblyDiff {
    /// Whether the two assemblies are the same (stacks, templates, manifest entries,
    /// assets and dependency graph).
    pub fn is_empty(&self) -> bool {
        self.stacks.is_empty()
            && self.manifest.is_empty()
            && self
                .dependencies
                .as_ref()
                .is_none_or(DependencyDiff::is_empty)
    }
}

/// Counts of what differs.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// Stacks only in the new assembly.
    pub stacks_added: usize,
    /// Stacks only in the old assembly.
    pub stacks_removed: usize,
    /// Stacks in both whose templates differ.
    pub stacks_changed: usize,
    /// Resources added (in changed and added stacks).
    pub resources_added: usize,
    /// Resources removed (in changed and removed stacks).
    pub resources_removed: usize,
    /// Resources changed in place or replaced.
    pub resources_changed: usize,
    /// Resources CloudFormation replaces (a renamed logical id counts once).
    pub replacements: usize,
    /// Security items added or removed.
    pub security_changes: usize,
    /// Values of `manifest.json` that changed: stacks' entries (tags, termination
    /// protection, parameters, dependencies...) and the rest of the manifest.
    pub setting_changes: usize,
    /// Assets added, removed or changed.
    pub asset_changes: usize,
    /// Pipelines whose place in the dependency graph changed.
    pub pipelines_changed: usize,
    /// Pipelines that start or stop firing.
    pub firing_changes: usize,
}

/// What differs in one stack.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct StackDiff {
    /// The artifact id (what `cdk deploy` selects).
    pub id: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// `aws://<account>/<region>` (the new one when it changed).
    pub environment: String,
    /// The environment before, when the stack moved: CloudFormation sees a new stack
    /// there and leaves the old one where it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_environment: Option<String>,
    /// Added, removed or changed.
    pub change: Change,
    /// Its template's differences.
    #[serde(flatten)]
    pub template: TemplateDiff,
    /// Changes of its `manifest.json` entries, relative to the stack's artifact (an
    /// asset-manifest artifact's start with its id): `properties.tags.cost-center`,
    /// `properties.terminationProtection`, `dependencies[1]`...
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub settings: Vec<PropertyChange>,
    /// Its assets that were added, removed or changed (hash or entry).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub assets: Vec<AssetDiff>,
}

/// Compares two assemblies.
pub fn diff_assemblies(old: &AssemblySnapshot, new: &AssemblySnapshot) -> AssemblyDiff {
    let mut stacks = Vec::new();
    for after in &new.stacks {
        let before = old.stack(&after.id);
        let template = diff_templates(
            before.map_or(&Value::Null, |b| &b.template),
            &after.template,
        );
        let old_environment = before
            .filter(|b| b.environment != after.environment)
            .map(|b| b.environment.clone());
        let (settings, assets) = before
            .map(|b| diff_stack_settings(b, after, !template.is_empty()))
            .unwrap_or_default();
        if before.is_some()
            && template.is_empty()
            && old_environment.is_none()
            && settings.is_empty()
            && assets.is_empty()
        {
            continue;
        }
        let template = if before.is_some() {
            template
        } else {
            whole_stack(template)
        };
        stacks.push(StackDiff {
            id: after.id.clone(),
            stack_name: after.stack_name.clone(),
            environment: after.environment.clone(),
            old_environment,
            change: if before.is_some() {
                Change::Changed
            } else {
                Change::Added
            },
            template,
            settings,
            assets,
        });
    }
    for before in &old.stacks {
        if new.stack(&before.id).is_none() {
            stacks.push(StackDiff {
                id: before.id.clone(),
                stack_name: before.stack_name.clone(),
                environment: before.environment.clone(),
                old_environment: None,
                change: Change::Removed,
                template: whole_stack(diff_templates(&before.template, &Value::Null)),
                settings: Vec::new(),
                assets: Vec::new(),
            });
        }
    }
    let dependencies = match (&old.lineage, &new.lineage) {
        (Some(a), Some(b)) => Some(diff_lineage(a, b)),
        _ => None,
    };
    let manifest = diff_values(&old.manifest, &new.manifest);
    let mut summary = summarize(&stacks, dependencies.as_ref());
    summary.setting_changes += manifest.len();
    AssemblyDiff {
        version: DIFF_FORMAT_VERSION.to_owned(),
        summary,
        stacks,
        dependencies,
        manifest,
    }
}

/// A stack that appears or disappears whole: its description and format version say
/// nothing a reviewer needs; its parameters and outputs stay listed.
fn whole_stack(mut template: TemplateDiff) -> TemplateDiff {
    template.entries.retain(|e| e.name.is_some());
    template
}

fn summarize(stacks: &[StackDiff], dependencies: Option<&DependencyDiff>) -> Summary {
    let mut s = Summary::default();
    for stack in stacks {
        match stack.change {
            Change::Added => s.stacks_added += 1,
            Change::Removed => s.stacks_removed += 1,
            Change::Changed => s.stacks_changed += 1,
        }
        for r in &stack.template.resources {
            match r.change {
                Change::Added => s.resources_added += 1,
                Change::Removed => s.resources_removed += 1,
                Change::Changed => s.resources_changed += 1,
            }
            // A renamed logical id is one replacement: count its removed half only.
            if matches!(
                r.replacement,
                Some(
                    Replacement::Properties { .. }
                        | Replacement::TypeChanged { .. }
                        | Replacement::ReplacedBy { .. }
                )
            ) {
                s.replacements += 1;
            }
        }
        s.security_changes += stack.template.security.len();
        s.setting_changes += stack.settings.len();
        s.asset_changes += stack.assets.len();
    }
    if let Some(d) = dependencies {
        s.pipelines_changed = d.pipelines.len();
        s.firing_changes = d.start_firing.len() + d.stop_firing.len();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stack(id: &str, env: &str, template: Value) -> StackSnapshot {
        StackSnapshot {
            id: id.to_owned(),
            stack_name: id.to_owned(),
            environment: env.to_owned(),
            template,
            ..StackSnapshot::default()
        }
    }

    #[test]
    fn stacks_added_removed_moved_and_unchanged() {
        let same = json!({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}});
        let old = AssemblySnapshot {
            stacks: vec![
                stack("keep", "aws://1/eu-west-1", same.clone()),
                stack("gone", "aws://1/eu-west-1", same.clone()),
                stack("moved", "aws://1/eu-west-1", same.clone()),
            ],
            lineage: None,
            manifest: Value::Null,
        };
        let new = AssemblySnapshot {
            stacks: vec![
                stack("keep", "aws://1/eu-west-1", same.clone()),
                stack("moved", "aws://2/eu-west-1", same.clone()),
                stack("fresh", "aws://1/eu-west-1", same.clone()),
            ],
            lineage: None,
            manifest: Value::Null,
        };
        let diff = diff_assemblies(&old, &new);
        let summary: Vec<(&str, Change)> = diff
            .stacks
            .iter()
            .map(|s| (s.id.as_str(), s.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("moved", Change::Changed),
                ("fresh", Change::Added),
                ("gone", Change::Removed)
            ]
        );
        assert_eq!(
            diff.stacks[0].old_environment.as_deref(),
            Some("aws://1/eu-west-1")
        );
        assert_eq!(diff.summary.resources_added, 1);
        assert_eq!(diff.summary.resources_removed, 1);
        assert!(diff.dependencies.is_none());
        assert!(!diff.is_empty());
        assert!(diff_assemblies(&old, &old).is_empty());
    }

    #[test]
    fn a_stack_whose_only_change_is_in_the_manifest_is_listed() {
        let template = json!({"Resources": {}});
        let with = |protected: bool| AssemblySnapshot {
            stacks: vec![StackSnapshot {
                artifact: json!({"properties": {"terminationProtection": protected}}),
                ..stack("s", "aws://1/r", template.clone())
            }],
            lineage: None,
            manifest: Value::Null,
        };
        let diff = diff_assemblies(&with(false), &with(true));
        assert!(!diff.is_empty());
        assert_eq!(diff.summary.stacks_changed, 1);
        assert_eq!(diff.summary.setting_changes, 1);
        assert_eq!(
            diff.stacks[0].settings[0].path.to_string(),
            "properties.terminationProtection"
        );
        let value = serde_json::to_value(&diff).expect("serializes");
        assert_eq!(value["summary"]["settingChanges"], 1);
        assert_eq!(value["stacks"][0]["settings"][0]["new"], true);
        assert!(diff_assemblies(&with(true), &with(true)).is_empty());
    }

    #[test]
    fn the_json_shape_is_camel_case_with_flattened_templates() {
        let old = AssemblySnapshot {
            stacks: vec![stack("s", "aws://1/r", json!({"Resources": {}}))],
            lineage: None,
            manifest: Value::Null,
        };
        let new = AssemblySnapshot {
            stacks: vec![stack(
                "s",
                "aws://1/r",
                json!({"Resources": {"B": {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "b"}}}}),
            )],
            lineage: None,
            manifest: Value::Null,
        };
        let value = serde_json::to_value(diff_assemblies(&old, &new)).expect("serializes");
        assert_eq!(value["version"], "1");
        assert_eq!(value["summary"]["resourcesAdded"], 1);
        assert_eq!(value["stacks"][0]["stackName"], "s");
        assert_eq!(value["stacks"][0]["resources"][0]["logicalId"], "B");
        assert_eq!(
            value["stacks"][0]["resources"][0]["type"],
            "AWS::S3::Bucket"
        );
        assert_eq!(value["stacks"][0]["resources"][0]["change"], "added");
        assert_eq!(value["dependencies"], Value::Null);
    }
}
