//! The cloud assembly: every file `cdk deploy --app <dir>` needs, rendered in memory, and
//! the writer that puts them on disk.
//!
//! The layout follows what the CDK's default synthesizer writes (manifest schema
//! `55.0.0`): per stack an `aws:cloudformation:stack` artifact with the bootstrap roles of
//! its environment, and a `cdk:asset-manifest` artifact listing the template and the file
//! assets to upload to the bootstrap bucket.

use crate::asset::{self, AssetPackaging, StagedContent, sha256_hex};
use crate::cache::{self, CachedStack};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::output::OutputLock;
use crate::synth::{RenderedStack, to_pretty_bytes};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde_json::{Map, Value, json};
use std::path::Path;
use std::sync::Arc;

/// The cloud-assembly schema version written, the one the pinned CDK CLI reads.
pub const MANIFEST_VERSION: &str = "55.0.0";
/// The file that marks a directory as written by dpc (the CDK ignores it); it lists the
/// files of the last write, so the next one can remove what became stale.
pub const MARKER_FILE: &str = ".dpc-assembly";
const MANIFEST_FILE: &str = "manifest.json";
const BOOTSTRAP_VERSION: u32 = 6;
const LOOKUP_ROLE_BOOTSTRAP_VERSION: u32 = 8;

/// What a stack became in the assembly.
#[derive(Clone, Debug, PartialEq)]
pub struct StackArtifact {
    /// The artifact id (the stack's construct id), e.g. `dpc-pipeline-core-data-listings`.
    pub artifact_id: String,
    /// The CloudFormation stack name.
    pub stack_name: String,
    /// The account it deploys to.
    pub account: String,
    /// The region it deploys to.
    pub region: String,
    /// The template's file name in the assembly.
    pub template_file: String,
    /// The template's bytes (the assembly's file, shared).
    pub template_bytes: Arc<Vec<u8>>,
    /// Artifact ids of the stacks it deploys after.
    pub dependencies: Vec<String>,
}

impl StackArtifact {
    /// The template as JSON, parsed from its bytes on each call: an assembly keeps only
    /// the bytes, since 800 templates as JSON values would double a large synth's peak
    /// memory.
    pub fn template(&self) -> Value {
        // dpc rendered these bytes from a JSON value, so they always parse.
        serde_json::from_slice(&self.template_bytes).unwrap_or(Value::Null)
    }
}

/// A synthesized cloud assembly, in memory: file path (relative, `/`-separated) → bytes.
/// Stacks come in deployment order.
#[derive(Clone, Debug)]
pub struct Assembly {
    files: IndexMap<String, Arc<Vec<u8>>>,
    stacks: Vec<StackArtifact>,
    warnings: Vec<Diagnostic>,
    /// Staged paths of assets built later: never removed as stale.
    preserved: Vec<String>,
    /// What the cache index records of the stacks a later synth may reuse.
    cached: Vec<(String, CachedStack)>,
    /// How many stacks were reused from the previous synth's cache.
    reused: usize,
    /// Template files known to hold their bytes already, by folder: the reused ones,
    /// just read and checked there, which the writer need not read again.
    on_disk: Vec<(std::path::PathBuf, String)>,
}

/// What [`Assembly::write`] did, each list in assembly order.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WriteReport {
    /// Files written because they were new or their bytes changed.
    pub written: Vec<String>,
    /// Files left alone because their bytes were already right.
    pub unchanged: Vec<String>,
    /// Files of the previous dpc write that are no longer part of the assembly.
    pub removed: Vec<String>,
}

impl Assembly {
    pub(crate) fn new(
        qualifier: &str,
        stacks: Vec<RenderedStack>,
        warnings: Vec<Diagnostic>,
    ) -> Assembly {
        // Each stack's files and manifest entries are independent: hash and render them
        // in parallel, then put them together in deployment order.
        let on_disk: Vec<(std::path::PathBuf, String)> = stacks
            .iter()
            .filter_map(|s| {
                let dir = s.reused_from.clone()?;
                Some((dir, format!("{}.template.json", s.artifact_id)))
            })
            .collect();
        let reused = on_disk.len();
        let parts: Vec<StackFiles> = stacks
            .into_par_iter()
            .map(|stack| stack_files(qualifier, stack))
            .collect();
        let mut files = IndexMap::new();
        let mut artifacts = Map::new();
        let mut preserved = Vec::new();
        let mut artifacts_out = Vec::with_capacity(parts.len());
        let mut cached = Vec::new();
        for part in parts {
            files.insert(part.template_file.clone(), part.template.clone());
            files.insert(part.assets_file, Arc::new(part.assets_manifest));
            for (path, bytes) in part.asset_files {
                files.insert(path, bytes);
            }
            preserved.extend(part.preserved);
            artifacts.insert(part.assets_artifact.0, part.assets_artifact.1);
            artifacts.insert(part.artifact.artifact_id.clone(), part.stack_artifact);
            artifacts_out.push(part.artifact);
            cached.extend(part.cached);
        }
        files.insert(
            "cdk.out".to_owned(),
            Arc::new(to_pretty_bytes(&json!({ "version": MANIFEST_VERSION }))),
        );
        let manifest = json!({ "version": MANIFEST_VERSION, "artifacts": artifacts });
        files.insert(
            MANIFEST_FILE.to_owned(),
            Arc::new(to_pretty_bytes(&manifest)),
        );
        Assembly {
            files,
            stacks: artifacts_out,
            warnings,
            preserved,
            cached,
            reused,
            on_disk,
        }
    }

    /// Every file, in assembly order (`manifest.json` last among the rendered ones).
    pub fn files(&self) -> impl Iterator<Item = (&str, &[u8])> {
        self.files.iter().map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// One file's bytes.
    pub fn file(&self, path: &str) -> Option<&[u8]> {
        self.files.get(path).map(|b| b.as_slice())
    }

    /// The stacks, in deployment order.
    pub fn stacks(&self) -> &[StackArtifact] {
        &self.stacks
    }

    /// How many stacks were taken from the output folder's cache instead of being built
    /// ([`crate::cache`]).
    pub fn reused_stacks(&self) -> usize {
        self.reused
    }

    /// The warnings synthesis reported.
    pub fn warnings(&self) -> &[Diagnostic] {
        &self.warnings
    }

    /// Adds a plain file (not an artifact), e.g. `lineage.json`. The path is relative,
    /// `/`-separated, without `.` or `..` parts, and must not clash with a rendered file.
    pub fn add_file(&mut self, path: &str, bytes: Vec<u8>) -> Result<(), Diagnostic> {
        let invalid = |why: &str| {
            Diagnostic::error(
                codes::INVALID_ASSEMBLY_FILE,
                format!("cannot add `{path}` to the assembly: {why}"),
            )
        };
        if !is_safe_relative_path(path) || path == MARKER_FILE || path == cache::CACHE_FILE {
            return Err(invalid(
                "the path must be relative, `/`-separated, without `.` or `..` parts",
            ));
        }
        if self.files.contains_key(path)
            || self
                .files
                .keys()
                .any(|k| k.starts_with(&format!("{path}/")) || path.starts_with(&format!("{k}/")))
            || self.preserved.iter().any(|p| p == path)
        {
            return Err(invalid("a file of that name is already part of it"));
        }
        // Keep manifest.json last in `files()`, as the writer writes it.
        let manifest = self.files.shift_remove(MANIFEST_FILE);
        self.files.insert(path.to_owned(), Arc::new(bytes));
        if let Some(manifest) = manifest {
            self.files.insert(MANIFEST_FILE.to_owned(), manifest);
        }
        Ok(())
    }

    /// Writes the assembly into `dir`, creating it if needed, holding the folder's lock
    /// ([`OutputLock`], waiting up to [`DEFAULT_WAIT`](crate::output::DEFAULT_WAIT) for
    /// another dpc writing it).
    ///
    /// A path that is not a folder, or a non-empty folder that is not a dpc assembly (no
    /// `.dpc-assembly` marker), is refused and left untouched. Otherwise only files whose
    /// bytes differ are written, files of the previous dpc write that are no longer part
    /// of the assembly are removed, and `manifest.json` goes in last. The folder holds
    /// the old assembly or the new one whatever fails (a full disk, a `kill -9`), as
    /// [`crate::write`]'s documentation details; a failed write returns the error with
    /// the old assembly in place.
    ///
    /// The folder's cache index ([`crate::cache`]) is replaced by one of this assembly's
    /// reusable stacks (or removed when there is none) as part of the same write.
    pub fn write(&self, dir: &Path) -> Result<WriteReport, Diagnostic> {
        let mut lock = OutputLock::acquire(dir, crate::output::DEFAULT_WAIT, |_| {})?;
        self.write_locked(&mut lock)
    }

    /// [`Assembly::write`] into the folder of a lock the caller took (before it opened
    /// the folder's cache, so nothing it read there changed since).
    pub fn write_locked(&self, lock: &mut OutputLock) -> Result<WriteReport, Diagnostic> {
        self.write_with(lock, &crate::write::RealFs::from_env())
    }

    pub(crate) fn write_with(
        &self,
        lock: &mut OutputLock,
        fs: &dyn crate::write::Fs,
    ) -> Result<WriteReport, Diagnostic> {
        let known: indexmap::IndexSet<&str> = self
            .on_disk
            .iter()
            .filter(|(from, _)| from == lock.dir())
            .map(|(_, file)| file.as_str())
            .collect();
        let cache_index = (!self.cached.is_empty()).then(|| cache::index_bytes(&self.cached));
        crate::write::write(
            lock,
            crate::write::Files {
                files: &self.files,
                preserved: &self.preserved,
                known: &known,
                cache_index,
            },
            fs,
        )
    }
}

/// The deployment environment of one stack, with the bootstrap names derived from it.
struct Env<'a> {
    qualifier: &'a str,
    account: &'a str,
    region: &'a str,
}

impl Env<'_> {
    fn role_arn(&self, role: &str) -> String {
        let Env {
            qualifier,
            account,
            region,
        } = self;
        format!(
            "arn:${{AWS::Partition}}:iam::{account}:role/cdk-{qualifier}-{role}-role-{account}-{region}"
        )
    }

    fn version_parameter(&self) -> String {
        format!("/cdk-bootstrap/{}/version", self.qualifier)
    }

    fn bucket(&self) -> String {
        asset::bucket_name(self.qualifier, self.account, self.region)
    }

    /// One upload destination, keyed as the CDK keys it: `<account>-<region>-` and the
    /// first 8 hex digits of the SHA-256 of the destination's compact JSON.
    fn destination(&self, object_key: &str) -> (String, Value) {
        let destination = json!({
            "bucketName": self.bucket(),
            "objectKey": object_key,
            "region": self.region,
            "assumeRoleArn": self.role_arn("file-publishing"),
        });
        let hash = sha256_hex(destination.to_string().as_bytes());
        (
            format!("{}-{}-{}", self.account, self.region, &hash[..8]),
            destination,
        )
    }
}

/// What one stack adds to the assembly.
struct StackFiles {
    template_file: String,
    template: Arc<Vec<u8>>,
    assets_file: String,
    assets_manifest: Vec<u8>,
    asset_files: Vec<(String, Arc<Vec<u8>>)>,
    preserved: Vec<String>,
    assets_artifact: (String, Value),
    stack_artifact: Value,
    artifact: StackArtifact,
    cached: Option<(String, CachedStack)>,
}

fn stack_files(qualifier: &str, mut stack: RenderedStack) -> StackFiles {
    let env = Env {
        qualifier,
        account: &stack.account,
        region: &stack.region,
    };
    let template_file = format!("{}.template.json", stack.artifact_id);
    let assets_file = format!("{}.assets.json", stack.artifact_id);
    let template_hash = stack
        .template_sha256
        .take()
        .unwrap_or_else(|| sha256_hex(&stack.template_bytes));
    let cached = cache::entry(&stack, &template_hash);
    let assets_manifest = to_pretty_bytes(&asset_manifest(
        &stack,
        &env,
        &template_file,
        &template_hash,
    ));
    let mut asset_files = Vec::new();
    let mut preserved = Vec::new();
    for asset in &stack.assets {
        match &asset.content {
            StagedContent::Missing => preserved.push(asset.staged_path.clone()),
            StagedContent::File(bytes) => {
                asset_files.push((asset.staged_path.clone(), Arc::clone(bytes)));
            }
            StagedContent::Directory(entries) => {
                for (rel, bytes) in entries {
                    asset_files.push((
                        format!("{}/{rel}", asset.staged_path),
                        Arc::new(bytes.clone()),
                    ));
                }
            }
        }
    }
    let assets_artifact = format!("{}.assets", stack.artifact_id);
    let assets_entry = json!({
        "type": "cdk:asset-manifest",
        "properties": {
            "file": assets_file,
            "requiresBootstrapStackVersion": BOOTSTRAP_VERSION,
            "bootstrapStackVersionSsmParameter": env.version_parameter(),
        }
    });
    let stack_artifact = stack_artifact(
        &stack,
        &env,
        &template_file,
        &template_hash,
        &assets_artifact,
    );
    // Moved, not copied: the assembly's file is the only copy of the bytes kept.
    let template = Arc::new(std::mem::take(&mut stack.template_bytes));
    StackFiles {
        artifact: StackArtifact {
            artifact_id: stack.artifact_id,
            stack_name: stack.stack_name,
            account: stack.account,
            region: stack.region,
            template_file: template_file.clone(),
            template_bytes: template.clone(),
            dependencies: stack.dependencies,
        },
        template_file,
        template,
        assets_file,
        assets_manifest,
        asset_files,
        preserved,
        assets_artifact: (assets_artifact, assets_entry),
        stack_artifact,
        cached,
    }
}

fn asset_manifest(
    stack: &RenderedStack,
    env: &Env<'_>,
    template_file: &str,
    template_hash: &str,
) -> Value {
    let mut files = Map::new();
    let mut entry =
        |hash: &str, display_name: String, path: &str, packaging: &str, object_key: String| {
            let (destination_id, destination) = env.destination(&object_key);
            files.insert(
                hash.to_owned(),
                json!({
                    "displayName": display_name,
                    "source": { "path": path, "packaging": packaging },
                    "destinations": { destination_id: destination },
                }),
            );
        };
    for asset in &stack.assets {
        let packaging = match asset.packaging {
            AssetPackaging::File => "file",
            AssetPackaging::ZipDirectory => "zip",
        };
        entry(
            &asset.hash,
            asset.display_name.clone(),
            &asset.staged_path,
            packaging,
            asset.object_key.clone(),
        );
    }
    entry(
        template_hash,
        format!("{} Template", stack.artifact_id),
        template_file,
        "file",
        format!("{template_hash}.json"),
    );
    json!({ "version": MANIFEST_VERSION, "files": files, "dockerImages": {} })
}

fn stack_artifact(
    stack: &RenderedStack,
    env: &Env<'_>,
    template_file: &str,
    template_hash: &str,
    assets_artifact: &str,
) -> Value {
    let mut properties = Map::new();
    properties.insert("templateFile".into(), json!(template_file));
    properties.insert("stackName".into(), json!(stack.stack_name));
    if !stack.tags.is_empty() {
        properties.insert("tags".into(), json!(stack.tags));
    }
    properties.insert(
        "terminationProtection".into(),
        json!(stack.termination_protection),
    );
    properties.insert("validateOnSynth".into(), json!(false));
    properties.insert("assumeRoleArn".into(), json!(env.role_arn("deploy")));
    properties.insert(
        "cloudFormationExecutionRoleArn".into(),
        json!(env.role_arn("cfn-exec")),
    );
    properties.insert(
        "stackTemplateAssetObjectUrl".into(),
        json!(format!("s3://{}/{template_hash}.json", env.bucket())),
    );
    properties.insert(
        "requiresBootstrapStackVersion".into(),
        json!(BOOTSTRAP_VERSION),
    );
    properties.insert(
        "bootstrapStackVersionSsmParameter".into(),
        json!(env.version_parameter()),
    );
    properties.insert("additionalDependencies".into(), json!([assets_artifact]));
    properties.insert(
        "lookupRole".into(),
        json!({
            "arn": env.role_arn("lookup"),
            "requiresBootstrapStackVersion": LOOKUP_ROLE_BOOTSTRAP_VERSION,
            "bootstrapStackVersionSsmParameter": env.version_parameter(),
        }),
    );
    let mut dependencies = stack.dependencies.clone();
    dependencies.push(assets_artifact.to_owned());
    json!({
        "type": "aws:cloudformation:stack",
        "environment": format!("aws://{}/{}", stack.account, stack.region),
        "properties": properties,
        "dependencies": dependencies,
        "displayName": stack.artifact_id,
    })
}

/// A relative, `/`-separated path with no empty, `.` or `..` parts and no backslash.
pub(crate) fn is_safe_relative_path(path: &str) -> bool {
    !path.is_empty()
        && !path.contains('\\')
        && !path.contains(':')
        && path
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..")
}
