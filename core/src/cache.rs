//! Reusing stacks rendered by the previous synth into the same folder.
//!
//! A caller that can name everything a unit of stacks is built from (its inputs, and the
//! code that builds it: a key must change with the program too) marks the unit's
//! [`Rendered`] with a key ([`Rendered::cache_as`]). When the assembly is written, the folder gets an index,
//! [`CACHE_FILE`], of every keyed stack: what the manifest and the cross-stack lint need
//! (names, environment, tags, logical ids, rules per bus) and the length, SipHash and
//! SHA-256 of its template. The next synth opens the index ([`RenderCache::open`]) and
//! asks for each unit by key ([`RenderCache::get`]): a unit whose templates are still on
//! disk with exactly the recorded bytes comes back without being built or rendered.
//!
//! Only clean units are kept: no diagnostic, no lint finding, no zipped directory asset.
//! File assets are recorded with the length and SipHash of their content, and a stack is
//! reused only when each source still holds exactly that. Anything unexpected (no index,
//! another format, a template edited or missing) means the unit is built again: the
//! cache can make a synth faster, never different.
//!
//! # Nothing read back is trusted
//!
//! The index is a hint, checked before any of it is used:
//!
//! - It is found by a hash of the unit key, not the key, and each unit's stacks are
//!   sealed with the SHA-256 of the key and their exact JSON. Any change to an entry
//!   (a flipped byte, a tag edited by hand, hashes swapped between entries, an entry
//!   moved to another unit) breaks its seal, and the unit is built again; forging a
//!   seal takes the unit key, which is derived from the inputs and dpc's own sources and
//!   is in no file.
//! - Even under a valid seal, every name is a plain file name of the assembly, a staged
//!   asset's name derives from its hash, and a file is read only from the assembly
//!   folder (a regular file there, not a link) or from the sources a caller allows
//!   ([`RenderCache::with_sources`]: the project tree, the Lambda bundle), resolved
//!   with links followed. A path elsewhere (`/etc/passwd`, `../x`) is never read.
//! - The index and every file are read bounded ([`crate::read`]).

use crate::asset::{AssetPackaging, StagedAsset, StagedContent, read_shared};
use crate::synth::{Rendered, RenderedStack};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The index of reusable stacks, beside the assembly it describes.
pub const CACHE_FILE: &str = ".dpc-cache.json";
/// The largest index read (64 MiB, some 50,000 stacks); a larger file is ignored rather
/// than read into memory.
const MAX_INDEX_BYTES: u64 = 64 << 20;
/// Bumped whenever the index's meaning changes (3: sealed units under hashed keys).
const FORMAT: u32 = 3;

/// One stack as the index records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CachedStack {
    pub(crate) artifact_id: String,
    pub(crate) stack_name: String,
    pub(crate) account: String,
    pub(crate) region: String,
    pub(crate) tags: IndexMap<String, String>,
    pub(crate) termination_protection: bool,
    pub(crate) dependencies: Vec<String>,
    /// The template's logical ids: enough for the cross-stack lint, which only asks
    /// whether a stack defines one (a reused stack has no findings of its own to place).
    pub(crate) logical_ids: Vec<String>,
    pub(crate) rules_per_bus: IndexMap<String, usize>,
    /// Its file assets.
    pub(crate) assets: Vec<CachedAsset>,
    pub(crate) template_sha256: String,
    pub(crate) template_len: u64,
    /// SipHash of the template's bytes: checking 50 MB of templates with it costs a few
    /// milliseconds, SHA-256 a hundred.
    pub(crate) template_siphash: u64,
}

/// A file asset of a stack as the index records it. A reused stack gets its asset back
/// only when the source is as it was: still missing for an asset built later, or with the
/// recorded bytes (read again from the source file, or from the staged copy in the folder
/// for bytes given in code). Zipped directories are not recorded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CachedAsset {
    hash: String,
    zip_directory: bool,
    staged_path: String,
    object_key: String,
    display_name: String,
    source: Option<PathBuf>,
    /// `None`: no content yet (the asset is built later).
    content: Option<ContentCheck>,
}

#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct ContentCheck {
    len: u64,
    siphash: u64,
}

impl CachedAsset {
    fn of(asset: &StagedAsset) -> Option<CachedAsset> {
        let content = match &asset.content {
            StagedContent::Missing => None,
            StagedContent::File(bytes) => Some(ContentCheck {
                len: bytes.len() as u64,
                siphash: siphash(bytes),
            }),
            StagedContent::Directory(_) => return None,
        };
        Some(CachedAsset {
            hash: asset.hash.clone(),
            zip_directory: asset.packaging == AssetPackaging::ZipDirectory,
            staged_path: asset.staged_path.clone(),
            object_key: asset.object_key.clone(),
            display_name: asset.display_name.clone(),
            source: asset.source.clone(),
            content,
        })
    }

    /// Whether the names check out: a plain hash, an object key of the hash and an
    /// extension, and the staged name derived from the object key.
    fn names_check_out(&self) -> bool {
        let Some(suffix) = self.object_key.strip_prefix(self.hash.as_str()) else {
            return false;
        };
        let suffix_ok = suffix.is_empty()
            || suffix.strip_prefix('.').is_some_and(|ext| {
                !ext.is_empty() && ext.bytes().all(|b| b.is_ascii_alphanumeric())
            });
        let staged = if self.zip_directory {
            // Only a zipped directory built later is recorded: staged as `asset.<hash>`.
            self.content.is_none() && self.staged_path == format!("asset.{}", self.hash)
        } else {
            self.staged_path == format!("asset.{}", self.object_key)
        };
        plain(&self.hash) && suffix_ok && staged
    }

    /// The staged asset again, when its source is as recorded (and is one it may be).
    fn restore(&self, dir: &Path, sources: &Sources, checked: &Checked) -> Option<StagedAsset> {
        if !self.names_check_out() {
            return None;
        }
        let content = match self.content {
            None => {
                // Built since: its content would now be staged. Only a source it may have
                // is looked at (an asset built later names none: the empty path).
                match &self.source {
                    Some(path) if path.as_os_str().is_empty() => {}
                    Some(path) => {
                        let allowed = sources.resolve(path)?;
                        if std::fs::metadata(allowed).is_ok() {
                            return None;
                        }
                    }
                    None => return None,
                }
                StagedContent::Missing
            }
            Some(check) => {
                let from = match &self.source {
                    Some(path) => sources.resolve(path)?,
                    None => in_folder(dir, &self.staged_path)?,
                };
                let (bytes, hash) = checked.read(&from)?;
                if bytes.len() as u64 != check.len || hash != check.siphash {
                    return None;
                }
                StagedContent::File(bytes)
            }
        };
        Some(StagedAsset {
            hash: self.hash.clone(),
            packaging: if self.zip_directory {
                AssetPackaging::ZipDirectory
            } else {
                AssetPackaging::File
            },
            staged_path: self.staged_path.clone(),
            object_key: self.object_key.clone(),
            display_name: self.display_name.clone(),
            content,
            source: self.source.clone(),
        })
    }
}

/// A plain file name: letters, digits, `-`, `_` and `.`, not starting with a dot.
fn plain(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.')
}

/// `dir/name` when it is a regular file of the folder itself (not a link out of it).
fn in_folder(dir: &Path, name: &str) -> Option<PathBuf> {
    let path = dir.join(name);
    std::fs::symlink_metadata(&path)
        .ok()
        .filter(std::fs::Metadata::is_file)
        .map(|_| path)
}

/// Where asset sources recorded in the index may be: below these folders or exactly
/// these files, links resolved.
#[derive(Default)]
struct Sources {
    folders: Vec<PathBuf>,
    files: Vec<PathBuf>,
}

impl Sources {
    /// `path`, resolved, when it is below an allowed folder or is an allowed file.
    fn resolve(&self, path: &Path) -> Option<PathBuf> {
        let real = path.canonicalize().ok()?;
        let allowed =
            self.folders.iter().any(|f| real.starts_with(f)) || self.files.contains(&real);
        allowed.then_some(real)
    }
}

/// Asset sources read and hashed during one synth, by path: a bundle staged in a hundred
/// account stacks is read and hashed once.
#[derive(Default)]
struct Checked(Mutex<IndexMap<PathBuf, Option<Content>>>);

/// A file's bytes and their SipHash.
type Content = (Arc<Vec<u8>>, u64);

impl Checked {
    fn read(&self, path: &Path) -> Option<Content> {
        if let Some(done) = self.lock().get(path) {
            return done.clone();
        }
        let read = read_shared(path).ok().map(|bytes| {
            let hash = siphash(&bytes);
            (bytes, hash)
        });
        self.lock().insert(path.to_path_buf(), read.clone());
        read
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, IndexMap<PathBuf, Option<Content>>> {
        self.0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Whether `asset` can be recorded in the index (not a zipped directory).
pub(crate) fn is_recordable(asset: &StagedAsset) -> bool {
    !matches!(asset.content, StagedContent::Directory(_))
}

/// The index is deterministic (same stacks, same keys, same bytes), like the rest of the
/// folder. SipHash may differ between Rust releases: a template checked with another
/// build's figure fails the check and is rebuilt, never wrongly reused.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Index {
    format: u32,
    /// By [`lookup`] of the unit key.
    units: IndexMap<String, SealedUnit>,
}

/// One unit's stacks and their [`seal`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct SealedUnit {
    seal: String,
    stacks: Vec<CachedStack>,
}

/// Where the index keeps unit `key`: a hash, so the index does not hold the key that
/// seals its entries.
fn lookup(key: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"dpc-cache-lookup\0");
    hasher.update(key.as_bytes());
    crate::asset::hex(&hasher.finalize())
}

/// The seal of `stacks` as unit `key`: SHA-256 over the key and their JSON.
fn seal<T: Serialize>(key: &str, stacks: &T) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"dpc-cache-seal\0");
    hasher.update(key.as_bytes());
    hasher.update(b"\0");
    hasher.update(serde_json::to_vec(stacks).unwrap_or_default());
    crate::asset::hex(&hasher.finalize())
}

/// The renderings a previous synth left in a folder, by unit key.
pub struct RenderCache {
    dir: PathBuf,
    units: IndexMap<String, SealedUnit>,
    sources: Sources,
    checked: Checked,
}

impl RenderCache {
    /// The index of `dir`, or an empty cache when there is none usable (missing,
    /// unreadable, another format, or `dir` not a dpc assembly).
    pub fn open(dir: &Path) -> RenderCache {
        let ours = dir.join(crate::assembly::MARKER_FILE).is_file();
        let path = dir.join(CACHE_FILE);
        // An index is about 1.2 KB a stack; one far larger was not written by dpc, and is
        // not read at all (nor is anything but a regular file).
        let units = ours
            .then(|| crate::read::read_bounded(&path, MAX_INDEX_BYTES).ok())
            .flatten()
            .and_then(|bytes| serde_json::from_slice::<Index>(&bytes).ok())
            .filter(|index| index.format == FORMAT)
            .map(|index| index.units)
            .unwrap_or_default();
        RenderCache {
            dir: dir.to_path_buf(),
            units,
            sources: Sources::default(),
            checked: Checked::default(),
        }
    }

    /// Lets file assets recorded in the index be read again from below `folders` (the
    /// project tree) and from exactly `files` (a built bundle); any other recorded source
    /// makes its unit be built again, unread. Without this, no recorded source is read.
    pub fn with_sources(mut self, folders: &[PathBuf], files: &[PathBuf]) -> RenderCache {
        self.sources = Sources {
            folders: folders
                .iter()
                .filter_map(|f| f.canonicalize().ok())
                .collect(),
            files: files.iter().filter_map(|f| f.canonicalize().ok()).collect(),
        };
        self
    }

    /// The folder the cache reads templates from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// How many units the index holds.
    pub fn len(&self) -> usize {
        self.units.len()
    }

    /// Whether the index holds no unit.
    pub fn is_empty(&self) -> bool {
        self.units.is_empty()
    }

    /// The rendering of unit `key`, when every one of its templates is on disk with the
    /// bytes recorded; its stacks use bootstrap `qualifier`.
    pub fn get(&self, key: &str, qualifier: &str) -> Option<Rendered> {
        let unit = self.units.get(&lookup(key))?;
        if unit.seal != seal(key, &unit.stacks) {
            return None;
        }
        let stacks = &unit.stacks;
        // The index names files: only plain names, never a path out of the folder.
        if !stacks.iter().all(|s| plain(&s.artifact_id)) {
            return None;
        }
        let rendered: Option<Vec<RenderedStack>> = stacks
            .par_iter()
            .map(|cached| {
                let path = in_folder(&self.dir, &format!("{}.template.json", cached.artifact_id))?;
                let bytes =
                    crate::read::read_bounded(&path, crate::read::MAX_ASSEMBLY_JSON_BYTES).ok()?;
                let intact = bytes.len() as u64 == cached.template_len
                    && siphash(&bytes) == cached.template_siphash;
                if !intact {
                    return None;
                }
                let assets: Option<Vec<StagedAsset>> = cached
                    .assets
                    .iter()
                    .map(|a| a.restore(&self.dir, &self.sources, &self.checked))
                    .collect();
                Some(RenderedStack::from_cache(
                    cached.clone(),
                    bytes,
                    assets?,
                    key,
                    &self.dir,
                ))
            })
            .collect();
        Some(Rendered::from_cache(qualifier, rendered?))
    }
}

/// What the index records of `stack`, or `None` when it is not kept.
pub(crate) fn entry(stack: &RenderedStack, template_sha256: &str) -> Option<(String, CachedStack)> {
    let key = stack.cache_key.clone()?;
    Some((
        key,
        CachedStack {
            artifact_id: stack.artifact_id.clone(),
            stack_name: stack.stack_name.clone(),
            account: stack.account.clone(),
            region: stack.region.clone(),
            tags: stack.tags.clone(),
            termination_protection: stack.termination_protection,
            dependencies: stack.dependencies.clone(),
            logical_ids: stack.paths.keys().cloned().collect(),
            rules_per_bus: stack.rules_per_bus.clone(),
            assets: stack.assets.iter().filter_map(CachedAsset::of).collect(),
            template_sha256: template_sha256.to_owned(),
            template_len: stack.template_bytes.len() as u64,
            template_siphash: siphash(&stack.template_bytes),
        },
    ))
}

/// The index for `entries` (key, stack), in assembly order, as written to [`CACHE_FILE`].
pub(crate) fn index_bytes(entries: &[(String, CachedStack)]) -> Vec<u8> {
    /// [`Index`], borrowed: the entries are serialized where they are.
    #[derive(Serialize)]
    struct IndexRef<'a> {
        format: u32,
        units: IndexMap<String, SealedRef<'a>>,
    }
    #[derive(Serialize)]
    struct SealedRef<'a> {
        seal: String,
        stacks: Vec<&'a CachedStack>,
    }
    let mut by_key: IndexMap<&str, Vec<&CachedStack>> = IndexMap::new();
    for (key, stack) in entries {
        by_key.entry(key.as_str()).or_default().push(stack);
    }
    let units = by_key
        .into_iter()
        .map(|(key, stacks)| {
            let seal = seal(key, &stacks);
            (lookup(key), SealedRef { seal, stacks })
        })
        .collect();
    // Compact: the index is for dpc, not for people, and it is read on every synth.
    serde_json::to_vec(&IndexRef {
        format: FORMAT,
        units,
    })
    .unwrap_or_default()
}

fn siphash(bytes: &[u8]) -> u64 {
    let mut hasher = DefaultHasher::new();
    hasher.write(bytes);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    //! The checks behind the seal: an entry sealed with the right key (as if forged by
    //! someone who knows it) still reads nothing outside the project and the assembly.

    // In a test a panic is the failure report.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{App, FileAsset, RawResource, StackProps};

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dpc-cache-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    /// A stack `S` shipping `script` as a file asset and some bytes, cached as `k`,
    /// written to `out`.
    fn write_cached(script: &Path, out: &Path) {
        let mut app = App::new();
        let props = StackProps {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            ..StackProps::default()
        };
        let stack = app.add_stack("S", props).unwrap();
        let mut scope = app.scope(stack).unwrap();
        scope
            .add_resource(
                "Q",
                RawResource::new("AWS::SQS::Queue", serde_json::json!({})),
            )
            .unwrap();
        scope.add_file_asset(FileAsset::file(script)).unwrap();
        scope
            .add_file_asset(FileAsset::bytes(b"echo hi\n".to_vec(), "sh"))
            .unwrap();
        let mut rendered = app.render().unwrap();
        rendered.cache_as("k");
        rendered.into_assembly().unwrap().write(out).unwrap();
    }

    /// Rewrites the index of `out` with `edit` applied to unit `k`'s stacks, sealed
    /// again with the right key.
    fn forge(out: &Path, edit: impl FnOnce(&mut Vec<CachedStack>)) {
        let path = out.join(CACHE_FILE);
        let mut index: Index = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let unit = index.units.get_mut(&lookup("k")).unwrap();
        edit(&mut unit.stacks);
        unit.seal = seal("k", &unit.stacks);
        std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
    }

    fn reused(out: &Path, project: &Path) -> bool {
        RenderCache::open(out)
            .with_sources(&[project.to_path_buf()], &[])
            .get("k", "hnb659fds")
            .is_some()
    }

    #[cfg(unix)]
    #[test]
    fn a_sealed_entry_naming_a_file_outside_is_not_read() {
        let root = temp("forged");
        let project = root.join("project");
        std::fs::create_dir_all(&project).unwrap();
        let script = project.join("job.py");
        std::fs::write(&script, "print('job')\n").unwrap();
        // The same bytes outside: only where it is can make it be refused.
        let outside = root.join("outside.py");
        std::fs::write(&outside, "print('job')\n").unwrap();
        std::os::unix::fs::symlink(&outside, project.join("link.py")).unwrap();
        let out = root.join("out");
        let fresh = || {
            let _ = std::fs::remove_dir_all(&out);
            write_cached(&script, &out);
        };
        fresh();
        assert!(reused(&out, &project), "an intact entry is reused");
        assert!(
            RenderCache::open(&out).get("k", "hnb659fds").is_none(),
            "no allowed sources: nothing read"
        );

        // Sealing again without an edit keeps it usable: what follows tests the checks.
        forge(&out, |_| {});
        assert!(reused(&out, &project), "a resealed entry is reused");

        let file_asset = |stacks: &mut Vec<CachedStack>| -> usize {
            stacks[0]
                .assets
                .iter()
                .position(|a| a.source.is_some())
                .unwrap()
        };
        for source in [
            outside.clone(),
            project.join("../outside.py"),
            project.join("link.py"),
            PathBuf::from("/etc/passwd"),
        ] {
            fresh();
            forge(&out, |stacks| {
                let i = file_asset(stacks);
                stacks[0].assets[i].source = Some(source.clone());
            });
            assert!(!reused(&out, &project), "{} was read", source.display());
        }
        // A staged name that does not derive from the hash, or leaves the folder.
        for staged in ["asset.other.py", "../asset.x.py", "/etc/passwd"] {
            fresh();
            forge(&out, |stacks| {
                let i = file_asset(stacks);
                stacks[0].assets[i].staged_path = staged.to_owned();
            });
            assert!(!reused(&out, &project), "{staged} accepted");
        }
        // Bytes given in code are read back from the folder: not through a link.
        fresh();
        let staged = out.join(
            &CachedAsset::of(
                &crate::asset::stage(FileAsset::bytes(b"echo hi\n".to_vec(), "sh"), String::new())
                    .unwrap(),
            )
            .unwrap()
            .staged_path,
        );
        let copy = root.join("copy.sh");
        std::fs::copy(&staged, &copy).unwrap();
        std::fs::remove_file(&staged).unwrap();
        std::os::unix::fs::symlink(&copy, &staged).unwrap();
        assert!(!reused(&out, &project), "a staged file linked out was read");
        // Nor a template.
        fresh();
        let template = out.join("S.template.json");
        let copy = root.join("S.template.json");
        std::fs::copy(&template, &copy).unwrap();
        std::fs::remove_file(&template).unwrap();
        std::os::unix::fs::symlink(&copy, &template).unwrap();
        assert!(!reused(&out, &project), "a template linked out was read");
        // An edit without the key breaks the seal.
        fresh();
        let path = out.join(CACHE_FILE);
        let mut index: Index = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        let unit = index.units.get_mut(&lookup("k")).unwrap();
        unit.stacks[0].stack_name = "edited".into();
        std::fs::write(&path, serde_json::to_vec(&index).unwrap()).unwrap();
        assert!(!reused(&out, &project), "an edited entry was used");
        let _ = std::fs::remove_dir_all(&root);
    }
}
