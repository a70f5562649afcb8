//! What `cdk deploy` reads about a stack besides its template: the stack's artifact in
//! `manifest.json` (tags, termination protection, parameters, dependencies, roles) and
//! its asset manifests (which files and images are published, under which hash).
//!
//! Left out on purpose, because they change nothing in any account: the `version` of
//! `manifest.json` and of each asset manifest (the file format's version, which only a
//! different dpc writes), `cdk.out`, `tree.json` (and its `cdk:tree` artifact), dpc's
//! own `.dpc-assembly` and cache files, and the stack's `environment` (shown as a move
//! instead). `lineage.json` is compared as the dependency graph, and the rest of
//! `manifest.json` as the assembly's `manifest`, not here.
//!
//! The template's own asset is named by the template's hash, so every template change
//! also changes that hash, in the asset manifest and in the stack's
//! `stackTemplateAssetObjectUrl`. When the template differs, the old hash is read as the
//! new one before comparing: the template diff already says what changed, and anything
//! else that differs is still shown. Likewise an asset's destination ids are derived
//! from the destination (which holds the hash): when the hash moved, an old destination
//! equal to a new one under another id is read as that one.

use serde::Serialize;
use serde_json::{Map, Value};

use super::Change;
use super::snapshot::StackSnapshot;
use super::value::{Path, PathSegment, PropertyChange, diff_values};

/// One asset of a stack (a file or an image) that was added, removed, or changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AssetDiff {
    /// The asset manifest's section: `files` or `dockerImages`.
    pub section: String,
    /// Its `displayName` (else its source path, else its hash): what matches an asset
    /// across the two assemblies, since the hash is what changes.
    pub name: String,
    /// Added, removed or changed.
    pub change: Change,
    /// Its hash before (absent when added).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_hash: Option<String>,
    /// Its hash after (absent when removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_hash: Option<String>,
    /// Differences of its entry (source, destinations), the hash read as unchanged.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<PropertyChange>,
}

/// The stack-level differences of two versions of one stack: the changes of its
/// manifest entries (paths from the stack's artifact; an asset-manifest artifact's
/// paths start with its id), and its asset changes.
pub fn diff_stack_settings(
    old: &StackSnapshot,
    new: &StackSnapshot,
    template_changed: bool,
) -> (Vec<PropertyChange>, Vec<AssetDiff>) {
    let rename = if template_changed {
        match (template_hash(old), template_hash(new)) {
            (Some(a), Some(b)) if a != b => Some((a, b)),
            _ => None,
        }
    } else {
        None
    };
    let read_as_new = |v: &Value| match &rename {
        Some((a, b)) => replace_in(v, a, b),
        None => v.clone(),
    };

    let mut settings: Vec<PropertyChange> = diff_values(&read_as_new(&old.artifact), &new.artifact)
        .into_iter()
        .filter(|c| c.path.0.first() != Some(&PathSegment::Key("environment".to_owned())))
        .collect();
    let mut assets = Vec::new();
    for after in &new.asset_manifests {
        let before = old.asset_manifests.iter().find(|m| m.id == after.id);
        let prefix = |changes: Vec<PropertyChange>| {
            changes.into_iter().map(|mut c| {
                c.path.0.insert(0, PathSegment::Key(after.id.clone()));
                c
            })
        };
        match before {
            Some(before) => {
                settings.extend(prefix(diff_values(
                    &read_as_new(&before.artifact),
                    &after.artifact,
                )));
                let moved = rename.as_ref().map(|(_, b)| b.as_str());
                assets.extend(diff_asset_manifest(
                    &read_as_new(&before.contents),
                    &after.contents,
                    moved,
                ));
            }
            None => {
                settings.push(PropertyChange {
                    path: Path(vec![PathSegment::Key(after.id.clone())]),
                    old: None,
                    new: Some(after.artifact.clone()),
                });
                assets.extend(diff_asset_manifest(&Value::Null, &after.contents, None));
            }
        }
    }
    for before in &old.asset_manifests {
        if !new.asset_manifests.iter().any(|m| m.id == before.id) {
            settings.push(PropertyChange {
                path: Path(vec![PathSegment::Key(before.id.clone())]),
                old: Some(before.artifact.clone()),
                new: None,
            });
            assets.extend(diff_asset_manifest(&before.contents, &Value::Null, None));
        }
    }
    (settings, assets)
}

/// The hash of the stack's template asset: the key of the asset whose source is the
/// stack's template file.
fn template_hash(stack: &StackSnapshot) -> Option<String> {
    let file = stack
        .artifact
        .get("properties")?
        .get("templateFile")?
        .as_str()?;
    stack.asset_manifests.iter().find_map(|m| {
        m.contents
            .get("files")?
            .as_object()?
            .iter()
            .find(|(_, e)| {
                e.get("source")
                    .and_then(|s| s.get("path"))
                    .and_then(Value::as_str)
                    == Some(file)
            })
            .map(|(hash, _)| hash.clone())
    })
}

/// `value` with every occurrence of `from` in its strings and keys replaced by `to`.
fn replace_in(value: &Value, from: &str, to: &str) -> Value {
    match value {
        Value::String(s) => Value::String(s.replace(from, to)),
        Value::Array(items) => {
            Value::Array(items.iter().map(|v| replace_in(v, from, to)).collect())
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.replace(from, to), replace_in(v, from, to)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// One asset as read from a manifest: (hash, name, entry).
type Asset<'a> = (&'a str, String, &'a Value);

/// The assets of two versions of one asset manifest (`Null` when absent), section by
/// section; any other top-level value but `version` is compared whole. `moved` is the
/// template asset's new hash when the old one was already read as it.
fn diff_asset_manifest(old: &Value, new: &Value, moved: Option<&str>) -> Vec<AssetDiff> {
    let mut out = Vec::new();
    let mut sections: Vec<&String> = Vec::new();
    for m in [new, old] {
        for key in m.as_object().into_iter().flat_map(Map::keys) {
            if key != "version" && !sections.contains(&key) {
                sections.push(key);
            }
        }
    }
    for section in sections {
        let (a, b) = (old.get(section.as_str()), new.get(section.as_str()));
        if a == b {
            continue;
        }
        // An empty section on one side only lists no asset: say so of the section (unless
        // the whole asset manifest is new or gone, which the settings already say).
        let empty_on_one_side = old.is_object()
            && new.is_object()
            && a.is_none() != b.is_none()
            && a.or(b)
                .and_then(Value::as_object)
                .is_some_and(Map::is_empty);
        match (
            a.map_or(Some(&Map::new()), Value::as_object).cloned(),
            b.map_or(Some(&Map::new()), Value::as_object).cloned(),
        ) {
            (Some(a), Some(b)) if !empty_on_one_side => {
                diff_assets(section, &assets(&a), &assets(&b), moved, &mut out);
            }
            // Not a map of assets (or an empty one on one side only): the section itself
            // is what changed.
            _ => out.push(AssetDiff {
                section: section.clone(),
                name: section.clone(),
                change: match (a, b) {
                    (None, _) => Change::Added,
                    (_, None) => Change::Removed,
                    _ => Change::Changed,
                },
                old_hash: None,
                new_hash: None,
                changes: diff_values(a.unwrap_or(&Value::Null), b.unwrap_or(&Value::Null)),
            }),
        }
    }
    out
}

fn assets(section: &Map<String, Value>) -> Vec<Asset<'_>> {
    section
        .iter()
        .map(|(hash, entry)| {
            let name = entry
                .get("displayName")
                .and_then(Value::as_str)
                .or_else(|| {
                    entry
                        .get("source")
                        .and_then(|s| s.get("path"))
                        .and_then(Value::as_str)
                })
                .unwrap_or(hash);
            (hash.as_str(), name.to_owned(), entry)
        })
        .collect()
}

fn diff_assets(
    section: &str,
    old: &[Asset<'_>],
    new: &[Asset<'_>],
    moved: Option<&str>,
    out: &mut Vec<AssetDiff>,
) {
    let mut taken = vec![false; old.len()];
    for (hash, name, entry) in new {
        let found = old
            .iter()
            .enumerate()
            .find(|(i, (_, n, _))| !taken[*i] && n == name);
        let Some((i, (old_hash, _, old_entry))) = found else {
            out.push(asset(
                section,
                name,
                Change::Added,
                None,
                Some(hash),
                Vec::new(),
            ));
            continue;
        };
        taken[i] = true;
        // The hash is in the entry's object key and paths: read it as unchanged there.
        let mut before = replace_in(old_entry, old_hash, hash);
        if old_hash != hash || moved == Some(*hash) {
            rekey_destinations(&mut before, entry);
        }
        let changes = diff_values(&before, entry);
        if old_hash != hash || !changes.is_empty() {
            out.push(asset(
                section,
                name,
                Change::Changed,
                Some(old_hash),
                Some(hash),
                changes,
            ));
        }
    }
    for (i, (hash, name, _)) in old.iter().enumerate() {
        if !taken[i] {
            out.push(asset(
                section,
                name,
                Change::Removed,
                Some(hash),
                None,
                Vec::new(),
            ));
        }
    }
}

/// Renames each destination of `old` that equals one of `new`'s under an id `old` does
/// not use to that id: destination ids are derived from the destination's contents.
fn rekey_destinations(old: &mut Value, new: &Value) {
    let (Some(Value::Object(before)), Some(Value::Object(after))) =
        (old.get("destinations").cloned(), new.get("destinations"))
    else {
        return;
    };
    let mut rekeyed = Map::new();
    for (id, value) in before {
        let same = after
            .iter()
            .find(|(new_id, v)| {
                **v == value
                    && !old["destinations"]
                        .as_object()
                        .is_some_and(|o| o.contains_key(*new_id))
            })
            .map(|(new_id, _)| new_id.clone());
        rekeyed.insert(same.unwrap_or(id), value);
    }
    old["destinations"] = Value::Object(rekeyed);
}

fn asset(
    section: &str,
    name: &str,
    change: Change,
    old_hash: Option<&str>,
    new_hash: Option<&str>,
    changes: Vec<PropertyChange>,
) -> AssetDiff {
    AssetDiff {
        section: section.to_owned(),
        name: name.to_owned(),
        change,
        old_hash: old_hash.map(str::to_owned),
        new_hash: new_hash.map(str::to_owned),
        changes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::AssetManifestSnapshot;
    use serde_json::json;

    fn stack(tags: Value, template_hash: &str, script_hash: &str) -> StackSnapshot {
        StackSnapshot {
            id: "s".to_owned(),
            artifact: json!({"type": "aws:cloudformation:stack", "properties": {
                "templateFile": "s.template.json", "tags": tags,
                "stackTemplateAssetObjectUrl": format!("s3://b/{template_hash}.json")},
                "dependencies": ["s.assets"]}),
            asset_manifests: vec![AssetManifestSnapshot {
                id: "s.assets".to_owned(),
                artifact: json!({"type": "cdk:asset-manifest", "properties": {"file": "s.assets.json"}}),
                contents: json!({"version": "55.0.0", "files": {
                    template_hash: {"displayName": "s Template",
                        "source": {"path": "s.template.json"},
                        "destinations": {"d": {"objectKey": format!("{template_hash}.json")}}},
                    script_hash: {"displayName": "job.py",
                        "source": {"path": format!("asset.{script_hash}.py")},
                        "destinations": {"d": {"objectKey": format!("{script_hash}.py")}}},
                }, "dockerImages": {}}),
            }],
            ..StackSnapshot::default()
        }
    }

    #[test]
    fn a_tag_change_is_a_setting_change() {
        let old = stack(json!({"cost-center": "a"}), "t1", "p1");
        let new = stack(json!({"cost-center": "b"}), "t1", "p1");
        let (settings, assets) = diff_stack_settings(&old, &new, false);
        assert_eq!(settings.len(), 1);
        assert_eq!(settings[0].path.to_string(), "properties.tags.cost-center");
        assert!(assets.is_empty());
        assert_eq!(diff_stack_settings(&old, &old, false), (vec![], vec![]));
    }

    #[test]
    fn a_new_template_hash_is_silent_only_when_the_template_changed() {
        let old = stack(json!({}), "t1", "p1");
        let new = stack(json!({}), "t2", "p1");
        assert_eq!(diff_stack_settings(&old, &new, true), (vec![], vec![]));
        // Without a template change, a different hash is something else: shown.
        let (settings, assets) = diff_stack_settings(&old, &new, false);
        assert_eq!(
            settings[0].path.to_string(),
            "properties.stackTemplateAssetObjectUrl"
        );
        assert_eq!(assets.len(), 1);
        assert_eq!(assets[0].new_hash.as_deref(), Some("t2"));
    }

    #[test]
    fn a_script_with_a_new_hash_is_an_asset_change() {
        let old = stack(json!({}), "t1", "p1");
        let new = stack(json!({}), "t2", "p2");
        let (settings, assets) = diff_stack_settings(&old, &new, true);
        assert!(settings.is_empty(), "{settings:?}");
        assert_eq!(
            assets,
            [AssetDiff {
                section: "files".to_owned(),
                name: "job.py".to_owned(),
                change: Change::Changed,
                old_hash: Some("p1".to_owned()),
                new_hash: Some("p2".to_owned()),
                changes: Vec::new(),
            }]
        );
    }

    #[test]
    fn an_empty_section_on_one_side_only_is_a_change() {
        let old = json!({"version": "55.0.0", "files": {}, "dockerImages": {}});
        let new = json!({"version": "55.0.0", "files": {}, "images": {}});
        let diff = diff_asset_manifest(&old, &new, None);
        let summary: Vec<(&str, Change)> = diff
            .iter()
            .map(|a| (a.section.as_str(), a.change))
            .collect();
        assert_eq!(
            summary,
            [("images", Change::Added), ("dockerImages", Change::Removed)]
        );
        assert!(diff_asset_manifest(&old, &old, None).is_empty());
    }

    #[test]
    fn a_removed_asset_manifest_is_listed_with_its_assets() {
        let old = stack(json!({}), "t1", "p1");
        let mut new = old.clone();
        new.asset_manifests.clear();
        let (settings, assets) = diff_stack_settings(&old, &new, false);
        assert_eq!(settings[0].path.to_string(), "[\"s.assets\"]");
        assert!(settings[0].new.is_none());
        assert_eq!(assets.len(), 2);
        assert!(assets.iter().all(|a| a.change == Change::Removed));
    }
}
