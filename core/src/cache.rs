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

use crate::asset::{AssetPackaging, StagedAsset, StagedContent, read_shared};
use crate::synth::{Rendered, RenderedStack};
use indexmap::IndexMap;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::hash::{DefaultHasher, Hasher};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The index of reusable stacks, beside the assembly it describes.
pub const CACHE_FILE: &str = ".dpc-cache.json";
/// The largest index read (64 MiB, some 50,000 stacks); a larger file is ignored rather
/// than read into memory.
const MAX_INDEX_BYTES: u64 = 64 << 20;
/// Bumped whenever the index's meaning changes.
const FORMAT: u32 = 2;

/// One stack as the index records it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
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
#[serde(rename_all = "camelCase")]
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

    /// The staged asset again, when its source is as recorded.
    fn restore(&self, dir: &Path, checked: &Checked) -> Option<StagedAsset> {
        let content = match self.content {
            None => {
                // Built since: its content would now be staged.
                if self
                    .source
                    .as_ref()
                    .is_some_and(|p| std::fs::metadata(p).is_ok())
                {
                    return None;
                }
                StagedContent::Missing
            }
            Some(check) => {
                let from = match &self.source {
                    Some(path) => path.clone(),
                    None => dir.join(&self.staged_path),
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
struct Index {
    format: u32,
    units: IndexMap<String, Vec<CachedStack>>,
}

/// The renderings a previous synth left in a folder, by unit key.
pub struct RenderCache {
    dir: PathBuf,
    units: IndexMap<String, Vec<CachedStack>>,
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
            checked: Checked::default(),
        }
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
        let stacks = self.units.get(key)?;
        // The index names files: only plain names, never a path out of the folder.
        let plain = |name: &str| {
            !name.is_empty()
                && name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
                && !name.starts_with('.')
        };
        if !stacks
            .iter()
            .all(|s| plain(&s.artifact_id) && s.assets.iter().all(|a| plain(&a.staged_path)))
        {
            return None;
        }
        let rendered: Option<Vec<RenderedStack>> = stacks
            .par_iter()
            .map(|cached| {
                let path = self
                    .dir
                    .join(format!("{}.template.json", cached.artifact_id));
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
                    .map(|a| a.restore(&self.dir, &self.checked))
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
        units: IndexMap<&'a str, Vec<&'a CachedStack>>,
    }
    let mut units: IndexMap<&str, Vec<&CachedStack>> = IndexMap::new();
    for (key, stack) in entries {
        units.entry(key.as_str()).or_default().push(stack);
    }
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
