//! One side of a diff: the stacks of a cloud assembly with their templates, and the
//! dependency graph (`lineage.json`) when the assembly has one.
//!
//! Read from a directory (any CDK cloud assembly: `manifest.json` names the stacks and
//! their template files) or taken from an assembly synthesized in memory.

use dpc_constructs::lineage::Lineage;
use dpc_core::read::{FileKind, MAX_ASSEMBLY_JSON_BYTES, read_bounded};
use dpc_core::{Assembly, Diagnostic};
use serde_json::Value;
use std::path::Path;

/// The file `dpc synth` writes the dependency graph into.
pub const LINEAGE_FILE: &str = "lineage.json";

/// The cloud assembly's manifest.
const MANIFEST_FILE: &str = "manifest.json";

/// Diagnostic code: an assembly cannot be read (no manifest, unreadable or invalid files).
pub const UNREADABLE_ASSEMBLY: &str = "DM0560";

/// A cloud assembly as the diff sees it.
#[derive(Clone, Debug, Default)]
pub struct AssemblySnapshot {
    /// The stacks, in the order the manifest lists them.
    pub stacks: Vec<StackSnapshot>,
    /// The dependency graph, when the assembly holds `lineage.json`.
    pub lineage: Option<Lineage>,
    /// What else `manifest.json` holds that no stack accounts for: its keys but `version`
    /// and `artifacts`, and the artifacts that are neither a stack, an asset manifest of
    /// one, nor the construct tree. `Null` when built by hand.
    pub manifest: Value,
}

/// One stack of an assembly.
#[derive(Clone, Debug, Default)]
pub struct StackSnapshot {
    /// The artifact id, e.g. `dpc-pipeline-core-data-listings`: what the CDK CLI selects.
    pub id: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// `aws://<account>/<region>`.
    pub environment: String,
    /// The template.
    pub template: Value,
    /// Artifact ids of the stacks it deploys after (the manifest's `dependencies`, asset
    /// manifests left out).
    pub dependencies: Vec<String>,
    /// The stack's artifact in `manifest.json` as written (tags, termination protection,
    /// parameters, roles, dependencies...): what `cdk deploy` reads besides the template.
    /// `Null` when built by hand.
    pub artifact: Value,
    /// The asset manifests the stack depends on, in its `dependencies` order.
    pub asset_manifests: Vec<AssetManifestSnapshot>,
}

/// A `cdk:asset-manifest` artifact of a stack and the file it names (`*.assets.json`):
/// which files and images `cdk deploy` publishes before deploying the stack.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AssetManifestSnapshot {
    /// The artifact id, e.g. `dpc-central.assets`.
    pub id: String,
    /// The artifact's entry in `manifest.json`.
    pub artifact: Value,
    /// The asset manifest file's contents.
    pub contents: Value,
}

impl AssemblySnapshot {
    /// Reads the assembly in `dir`.
    ///
    /// # Errors
    /// A diagnostic naming the file when `manifest.json`, a template or `lineage.json`
    /// is missing or not the JSON expected.
    pub fn read(dir: &Path) -> Result<AssemblySnapshot, Diagnostic> {
        // A FIFO or a file given as an assembly is named as such, not as a missing manifest.
        match dpc_core::read::kind_of(dir) {
            // Nothing there: the missing manifest below says so, with its help.
            Ok(None) => {}
            Ok(Some(FileKind::Directory | FileKind::Symlink)) if dir.is_dir() => {}
            Ok(Some(kind)) => {
                return Err(Diagnostic::error(
                    UNREADABLE_ASSEMBLY,
                    format!(
                        "cannot read `{}`: it is {}, not a cloud assembly folder",
                        dir.display(),
                        kind.with_article()
                    ),
                )
                .with_help("give the folder `dpc synth -o DIR` wrote"));
            }
            Err(err) => {
                return Err(Diagnostic::error(
                    UNREADABLE_ASSEMBLY,
                    format!("cannot read `{}`: {err}", dir.display()),
                ));
            }
        }
        let manifest_path = dir.join(MANIFEST_FILE);
        let manifest = read_json(&manifest_path).map_err(|d| {
            d.with_help(format!(
                "`{}` should be a cloud assembly: the folder `dpc synth -o DIR` writes",
                dir.display()
            ))
        })?;
        let Some(artifacts) = manifest.get("artifacts").and_then(Value::as_object) else {
            return Err(Diagnostic::error(
                UNREADABLE_ASSEMBLY,
                format!("`{}` has no `artifacts`", manifest_path.display()),
            ));
        };
        let mut stacks = Vec::new();
        for (id, artifact) in artifacts {
            if artifact.get("type").and_then(Value::as_str) != Some("aws:cloudformation:stack") {
                continue;
            }
            let properties = artifact.get("properties");
            let field = |name: &str| {
                properties
                    .and_then(|p| p.get(name))
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            };
            let Some(template_file) = field("templateFile") else {
                return Err(Diagnostic::error(
                    UNREADABLE_ASSEMBLY,
                    format!(
                        "stack `{id}` in `{}` names no template file",
                        manifest_path.display()
                    ),
                ));
            };
            if !is_plain_file_name(&template_file) {
                return Err(Diagnostic::error(
                    UNREADABLE_ASSEMBLY,
                    format!(
                        "stack `{id}` in `{}` names the template `{template_file}` outside the assembly",
                        manifest_path.display()
                    ),
                ));
            }
            stacks.push(StackSnapshot {
                id: id.clone(),
                stack_name: field("stackName").unwrap_or_else(|| id.clone()),
                environment: artifact
                    .get("environment")
                    .and_then(Value::as_str)
                    .unwrap_or("aws://unknown-account/unknown-region")
                    .to_owned(),
                template: read_json(&dir.join(&template_file))?,
                artifact: artifact.clone(),
                asset_manifests: asset_manifests(artifacts, artifact, |file| {
                    if !is_plain_file_name(file) {
                        return Err(Diagnostic::error(
                            UNREADABLE_ASSEMBLY,
                            format!(
                                "stack `{id}` in `{}` names the asset manifest `{file}` outside the assembly",
                                manifest_path.display()
                            ),
                        ));
                    }
                    read_json(&dir.join(file))
                })?,
                dependencies: artifact
                    .get("dependencies")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                    .filter(|d| {
                        artifacts
                            .get(*d)
                            .and_then(|a| a.get("type"))
                            .and_then(Value::as_str)
                            != Some("cdk:asset-manifest")
                    })
                    .map(str::to_owned)
                    .collect(),
            });
        }
        let lineage_path = dir.join(LINEAGE_FILE);
        let lineage = if lineage_path.is_file() {
            let value = read_json(&lineage_path)?;
            Some(serde_json::from_value(value).map_err(|err| {
                Diagnostic::error(
                    UNREADABLE_ASSEMBLY,
                    format!("`{}` is not a dpc lineage: {err}", lineage_path.display()),
                )
            })?)
        } else {
            None
        };
        Ok(AssemblySnapshot {
            manifest: rest_of_manifest(&manifest, &stacks),
            stacks,
            lineage,
        })
    }

    /// The stacks of an assembly synthesized in memory, with the graph `lineage` (or the
    /// assembly's own `lineage.json` when `lineage` is `None`).
    pub fn of_assembly(assembly: &Assembly, lineage: Option<Lineage>) -> AssemblySnapshot {
        let lineage = lineage.or_else(|| {
            assembly
                .file(LINEAGE_FILE)
                .and_then(|bytes| serde_json::from_slice(bytes).ok())
        });
        // The manifest dpc rendered, read the way a directory's is, so `--base` compares
        // the same parts of the assembly as `dpc diff OLD NEW`.
        let manifest: Value = assembly
            .file(MANIFEST_FILE)
            .and_then(|bytes| serde_json::from_slice(bytes).ok())
            .unwrap_or(Value::Null);
        let empty = serde_json::Map::new();
        let artifacts = manifest
            .get("artifacts")
            .and_then(Value::as_object)
            .unwrap_or(&empty);
        let stacks: Vec<StackSnapshot> = assembly
            .stacks()
            .iter()
            .map(|s| {
                let artifact = artifacts.get(&s.artifact_id).cloned().unwrap_or_default();
                let asset_manifests = asset_manifests(artifacts, &artifact, |file| {
                    Ok(assembly
                        .file(file)
                        .and_then(|bytes| serde_json::from_slice(bytes).ok())
                        .unwrap_or(Value::Null))
                })
                .unwrap_or_default();
                StackSnapshot {
                    id: s.artifact_id.clone(),
                    stack_name: s.stack_name.clone(),
                    environment: format!("aws://{}/{}", s.account, s.region),
                    template: s.template(),
                    dependencies: s.dependencies.clone(),
                    artifact,
                    asset_manifests,
                }
            })
            .collect();
        AssemblySnapshot {
            manifest: rest_of_manifest(&manifest, &stacks),
            stacks,
            lineage,
        }
    }

    /// The stack with artifact id `id`.
    pub fn stack(&self, id: &str) -> Option<&StackSnapshot> {
        self.stacks.iter().find(|s| s.id == id)
    }
}

/// `manifest` without its `version` (the file format's, which only a different dpc
/// changes), without the stacks' artifacts and their asset manifests (compared per stack),
/// and without the construct tree (`cdk:tree`: a description, nothing deploys it).
fn rest_of_manifest(manifest: &Value, stacks: &[StackSnapshot]) -> Value {
    let Some(map) = manifest.as_object() else {
        return manifest.clone();
    };
    let mut rest = map.clone();
    rest.remove("version");
    if let Some(Value::Object(artifacts)) = rest.get_mut("artifacts") {
        artifacts.retain(|id, artifact| {
            let owned = stacks
                .iter()
                .any(|s| s.id == *id || s.asset_manifests.iter().any(|m| m.id == *id));
            let is_stack =
                artifact.get("type").and_then(Value::as_str) == Some("aws:cloudformation:stack");
            let is_tree = artifact.get("type").and_then(Value::as_str) == Some("cdk:tree");
            !(owned || is_stack || is_tree)
        });
    }
    Value::Object(rest)
}

/// The asset manifests among `artifact`'s dependencies, each with its file read by
/// `read`. A dependency naming no artifact is left out (the stack then has fewer asset
/// manifests, which the diff shows).
fn asset_manifests(
    artifacts: &serde_json::Map<String, Value>,
    artifact: &Value,
    mut read: impl FnMut(&str) -> Result<Value, Diagnostic>,
) -> Result<Vec<AssetManifestSnapshot>, Diagnostic> {
    let mut out = Vec::new();
    let names = artifact
        .get("dependencies")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str);
    for name in names {
        let Some(entry) = artifacts.get(name) else {
            continue;
        };
        if entry.get("type").and_then(Value::as_str) != Some("cdk:asset-manifest") {
            continue;
        }
        let contents = match entry
            .get("properties")
            .and_then(|p| p.get("file"))
            .and_then(Value::as_str)
        {
            Some(file) => read(file)?,
            None => Value::Null,
        };
        out.push(AssetManifestSnapshot {
            id: name.to_owned(),
            artifact: entry.clone(),
            contents,
        });
    }
    Ok(out)
}

/// Template files sit beside the manifest; anything else is not read.
fn is_plain_file_name(name: &str) -> bool {
    !name.is_empty() && !name.contains(['/', '\\']) && name != "." && name != ".."
}

/// A JSON file of the assembly: a regular file of at most
/// [`MAX_ASSEMBLY_JSON_BYTES`](dpc_core::read::MAX_ASSEMBLY_JSON_BYTES), checked before it
/// is read.
fn read_json(path: &Path) -> Result<Value, Diagnostic> {
    let bytes = read_bounded(path, MAX_ASSEMBLY_JSON_BYTES).map_err(|err| {
        Diagnostic::error(
            UNREADABLE_ASSEMBLY,
            format!("cannot read `{}`: {err}", path.display()),
        )
    })?;
    serde_json::from_slice(&bytes).map_err(|err| {
        Diagnostic::error(
            UNREADABLE_ASSEMBLY,
            format!("`{}` is not valid JSON: {err}", path.display()),
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn write(dir: &Path, name: &str, value: &Value) {
        std::fs::write(
            dir.join(name),
            serde_json::to_vec_pretty(value).expect("json"),
        )
        .expect("write");
    }

    #[test]
    fn reads_stacks_in_manifest_order_and_skips_other_artifacts() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "manifest.json",
            &json!({"version": "55.0.0", "artifacts": {
                "b.assets": {"type": "cdk:asset-manifest", "properties": {"file": "b.assets.json"}},
                "b": {"type": "aws:cloudformation:stack", "environment": "aws://1/eu-west-1",
                      "properties": {"templateFile": "b.template.json", "stackName": "stack-b"},
                      "dependencies": ["a", "b.assets"]},
                "a": {"type": "aws:cloudformation:stack", "environment": "aws://2/eu-west-1",
                      "properties": {"templateFile": "a.template.json"}}
            }}),
        );
        write(dir.path(), "b.template.json", &json!({"Resources": {}}));
        write(dir.path(), "b.assets.json", &json!({"files": {"h": {}}}));
        write(
            dir.path(),
            "a.template.json",
            &json!({"Resources": {"X": {}}}),
        );
        let snapshot = AssemblySnapshot::read(dir.path()).expect("reads");
        let ids: Vec<&str> = snapshot.stacks.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["b", "a"]);
        assert_eq!(snapshot.stacks[0].stack_name, "stack-b");
        assert_eq!(snapshot.stacks[0].dependencies, ["a"]);
        // The asset manifest is read too: `cdk deploy` publishes what it lists.
        assert_eq!(snapshot.stacks[0].asset_manifests.len(), 1);
        assert_eq!(snapshot.stacks[0].asset_manifests[0].id, "b.assets");
        assert_eq!(
            snapshot.stacks[0].asset_manifests[0].contents,
            json!({"files": {"h": {}}})
        );
        assert_eq!(
            snapshot.stacks[0].artifact["properties"]["stackName"],
            "stack-b"
        );
        assert_eq!(snapshot.stacks[1].stack_name, "a");
        assert_eq!(snapshot.stacks[1].environment, "aws://2/eu-west-1");
        assert!(snapshot.lineage.is_none());
    }

    #[test]
    fn the_rest_of_the_manifest_is_what_no_stack_accounts_for() {
        let dir = tempfile::tempdir().expect("tempdir");
        let manifest = |extra: Value| {
            json!({"version": "55.0.0", "runtime": extra, "artifacts": {
                "a.assets": {"type": "cdk:asset-manifest", "properties": {"file": "a.assets.json"}},
                "a": {"type": "aws:cloudformation:stack", "environment": "aws://1/r",
                      "properties": {"templateFile": "a.template.json"},
                      "dependencies": ["a.assets"]},
                "Tree": {"type": "cdk:tree", "properties": {"file": "tree.json"}},
                "other": {"type": "cdk:cloud-assembly"}
            }})
        };
        write(dir.path(), "a.template.json", &json!({"Resources": {}}));
        write(dir.path(), "a.assets.json", &json!({"files": {}}));
        write(dir.path(), "manifest.json", &manifest(json!(1)));
        let one = AssemblySnapshot::read(dir.path()).expect("reads");
        assert_eq!(
            one.manifest,
            json!({"runtime": 1, "artifacts": {"other": {"type": "cdk:cloud-assembly"}}})
        );
        write(dir.path(), "manifest.json", &manifest(json!(2)));
        let two = AssemblySnapshot::read(dir.path()).expect("reads");
        let diff = crate::diff::diff_assemblies(&one, &two);
        assert!(!diff.is_empty());
        assert_eq!(diff.manifest[0].path.to_string(), "runtime");
        assert!(crate::diff::diff_assemblies(&two, &two).is_empty());
    }

    #[test]
    fn a_folder_without_manifest_is_an_error_that_says_what_was_expected() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = AssemblySnapshot::read(dir.path()).expect_err("no manifest");
        assert_eq!(err.code, UNREADABLE_ASSEMBLY);
        assert!(err.message.contains("manifest.json"), "{}", err.message);
        assert!(err.help.is_some());
    }

    #[test]
    fn a_template_path_leaving_the_assembly_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(
            dir.path(),
            "manifest.json",
            &json!({"artifacts": {"a": {"type": "aws:cloudformation:stack",
                "properties": {"templateFile": "../secret.json"}}}}),
        );
        let err = AssemblySnapshot::read(dir.path()).expect_err("refused");
        assert!(
            err.message.contains("outside the assembly"),
            "{}",
            err.message
        );
    }

    #[test]
    fn a_broken_lineage_is_reported_with_its_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "manifest.json", &json!({"artifacts": {}}));
        write(dir.path(), LINEAGE_FILE, &json!({"version": 1}));
        let err = AssemblySnapshot::read(dir.path()).expect_err("bad lineage");
        assert!(err.message.contains("lineage.json"), "{}", err.message);
    }
}
