//! File assets in the CDK default synthesizer's style: content-addressed objects in the
//! bootstrap bucket `cdk-<qualifier>-assets-<account>-<region>`, listed per stack in
//! `<artifact>.assets.json` and staged in the assembly as `asset.<hash>[.<ext>]`, where
//! the CDK CLI finds and uploads them on deploy.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::expr::Expr;
use crate::read::{FileKind, MAX_ASSET_BYTES, ReadError, read_bounded};
use indexmap::IndexMap;
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock, Mutex, Weak};

/// Where an asset's content comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AssetSource {
    /// A file on disk.
    File(PathBuf),
    /// Content made in memory (a generated script, a rendered document).
    Bytes(Vec<u8>),
    /// A directory on disk, zipped by the CDK CLI when it uploads it.
    Directory(PathBuf),
}

/// How the asset is uploaded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum AssetPackaging {
    /// As is (a file, or bytes).
    #[default]
    File,
    /// A directory, zipped on upload.
    ZipDirectory,
}

/// A file asset to add to a stack with [`Scope::add_file_asset`](crate::Scope::add_file_asset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAsset {
    /// The content.
    pub source: AssetSource,
    /// How it is uploaded.
    pub packaging: AssetPackaging,
    /// An explicit asset id used instead of the content's SHA-256, e.g. a hash of the
    /// sources of a bundle that is built later. With an id the source may be missing at
    /// synth time: the asset is then listed but not copied into the assembly.
    pub id: Option<String>,
    /// The object key's extension, without the dot; by default the source file's
    /// extension, `zip` for a zipped directory, none for bytes.
    pub extension: Option<String>,
    /// A human name for the asset in the asset manifest; by default the scope's path.
    pub display_name: Option<String>,
}

impl FileAsset {
    /// A file uploaded as is.
    pub fn file(path: impl Into<PathBuf>) -> FileAsset {
        FileAsset::new(AssetSource::File(path.into()), AssetPackaging::File)
    }

    /// Bytes uploaded as a file with `extension` (no dot; empty for none).
    pub fn bytes(bytes: impl Into<Vec<u8>>, extension: &str) -> FileAsset {
        let mut asset = FileAsset::new(AssetSource::Bytes(bytes.into()), AssetPackaging::File);
        asset.extension = (!extension.is_empty()).then(|| extension.to_owned());
        asset
    }

    /// A directory uploaded as a zip file.
    pub fn directory(path: impl Into<PathBuf>) -> FileAsset {
        FileAsset::new(
            AssetSource::Directory(path.into()),
            AssetPackaging::ZipDirectory,
        )
    }

    /// Sets an explicit asset id (see [`FileAsset::id`]).
    pub fn with_id(mut self, id: impl Into<String>) -> FileAsset {
        self.id = Some(id.into());
        self
    }

    fn new(source: AssetSource, packaging: AssetPackaging) -> FileAsset {
        FileAsset {
            source,
            packaging,
            id: None,
            extension: None,
            display_name: None,
        }
    }
}

/// Where a staged asset will be in S3, as expressions to put into resource properties
/// (a Lambda function's `Code.S3Bucket` / `Code.S3Key`, an EMR step's script URL).
#[derive(Clone, Debug, PartialEq)]
pub struct AssetRef {
    /// The bootstrap bucket, `cdk-<qualifier>-assets-<account>-<region>`.
    pub bucket_name: Expr,
    /// The object key, `<hash>[.<ext>]`.
    pub object_key: Expr,
    /// `s3://<bucket>/<key>`.
    pub s3_url: Expr,
    /// The asset id: the SHA-256 of the content, or the explicit id.
    pub hash: String,
}

/// An asset as recorded in its stack, content already read.
#[derive(Clone, Debug)]
pub(crate) struct StagedAsset {
    pub(crate) hash: String,
    pub(crate) packaging: AssetPackaging,
    /// `asset.<hash>[.<ext>]`: a file, or a directory for zipped directories.
    pub(crate) staged_path: String,
    pub(crate) object_key: String,
    pub(crate) display_name: String,
    pub(crate) content: StagedContent,
    /// The file or directory the content was read from (none for bytes).
    pub(crate) source: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub(crate) enum StagedContent {
    /// Built later (explicit id, no source yet): listed, not copied, never removed.
    Missing,
    /// Shared: one bundle staged into a hundred account stacks is one copy in memory.
    File(Arc<Vec<u8>>),
    /// Relative paths (with `/`) and contents, sorted by path.
    Directory(Vec<(String, Vec<u8>)>),
}

/// The content of the file at `path`, read once for every stack that stages it while
/// any of them still holds it (the Lambda bundle goes into every account's stack: a
/// hundred accounts must not mean a hundred copies of it). A file whose length or
/// modification time changed is read again.
///
/// Only a regular file of at most [`MAX_ASSET_BYTES`] is read (see [`crate::read`]).
pub(crate) fn read_shared(path: &Path) -> Result<Arc<Vec<u8>>, ReadError> {
    type Seen = IndexMap<PathBuf, (u64, Option<std::time::SystemTime>, Weak<Vec<u8>>)>;
    static SEEN: LazyLock<Mutex<Seen>> = LazyLock::new(|| Mutex::new(IndexMap::new()));
    let meta = std::fs::metadata(path).map_err(|e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(e)
        }
    })?;
    let stamp = (meta.len(), meta.modified().ok());
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some((len, modified, held)) = seen.get(path)
        && (*len, *modified) == stamp
        && let Some(bytes) = held.upgrade()
    {
        return Ok(bytes);
    }
    let bytes = Arc::new(read_bounded(path, MAX_ASSET_BYTES)?);
    // Entries of files no stack holds any more are dropped as new ones come.
    seen.retain(|_, (_, _, held)| held.strong_count() > 0);
    seen.insert(
        path.to_path_buf(),
        (stamp.0, stamp.1, Arc::downgrade(&bytes)),
    );
    Ok(bytes)
}

/// The bootstrap asset bucket of an environment.
pub(crate) fn bucket_name(qualifier: &str, account: &str, region: &str) -> String {
    format!("cdk-{qualifier}-assets-{account}-{region}")
}

/// Reads, hashes and names an asset.
pub(crate) fn stage(
    asset: FileAsset,
    default_display_name: String,
) -> Result<StagedAsset, Diagnostic> {
    let invalid = |message: String| Diagnostic::error(codes::INVALID_ASSET, message);
    if let Some(id) = &asset.id
        && !is_safe_name(id)
    {
        return Err(invalid(format!("asset id `{id}` cannot name a file"))
            .with_help("use letters, digits, `-`, `_` and `.`, starting with a letter or digit"));
    }
    if let Some(ext) = &asset.extension
        && (ext.is_empty() || !ext.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(invalid(format!(
            "asset extension `{ext}` is not letters and digits"
        )));
    }
    let content = match (&asset.source, asset.packaging) {
        (AssetSource::Bytes(bytes), AssetPackaging::File) => {
            StagedContent::File(Arc::new(bytes.clone()))
        }
        (AssetSource::File(path), AssetPackaging::File) => match read_shared(path) {
            Ok(bytes) => StagedContent::File(bytes),
            Err(e) => missing_source(&asset, path, &e)?,
        },
        (AssetSource::Directory(path), AssetPackaging::ZipDirectory) => {
            match read_directory(path) {
                Ok(files) => StagedContent::Directory(files),
                Err(e) => missing_source(&asset, path, &e)?,
            }
        }
        (_, AssetPackaging::ZipDirectory) => {
            return Err(invalid(
                "only a directory can be packaged as a zipped directory".to_owned(),
            ));
        }
        (AssetSource::Directory(path), AssetPackaging::File) => {
            return Err(invalid(format!(
                "`{}` is a directory; package it as a zipped directory",
                path.display()
            )));
        }
    };
    let hash = match (&asset.id, &content) {
        (Some(id), _) => id.clone(),
        (None, StagedContent::File(bytes)) => hex(&Sha256::digest(bytes.as_slice())),
        (None, StagedContent::Directory(files)) => directory_hash(files),
        // `missing_source` only lets a source be missing when the asset has an id.
        (None, StagedContent::Missing) => {
            return Err(invalid(
                "an asset without an id needs a readable source".into(),
            ));
        }
    };
    let extension = match (&asset.extension, &asset.source, asset.packaging) {
        (Some(ext), _, _) => Some(ext.clone()),
        (None, _, AssetPackaging::ZipDirectory) => Some("zip".to_owned()),
        (None, AssetSource::File(path), _) => path
            .extension()
            .and_then(|e| e.to_str())
            .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_alphanumeric()))
            .map(str::to_owned),
        (None, _, _) => None,
    };
    let suffix = extension.map(|e| format!(".{e}")).unwrap_or_default();
    let staged_path = match asset.packaging {
        AssetPackaging::File => format!("asset.{hash}{suffix}"),
        AssetPackaging::ZipDirectory => format!("asset.{hash}"),
    };
    Ok(StagedAsset {
        object_key: format!("{hash}{suffix}"),
        staged_path,
        hash,
        packaging: asset.packaging,
        display_name: asset.display_name.unwrap_or(default_display_name),
        content,
        source: match asset.source {
            AssetSource::File(path) | AssetSource::Directory(path) => Some(path),
            AssetSource::Bytes(_) => None,
        },
    })
}

// A source that cannot be read is fine only when the caller named the asset: it is built
// later (`dpc synth --bundle`).
fn missing_source(
    asset: &FileAsset,
    path: &Path,
    error: &ReadError,
) -> Result<StagedContent, Diagnostic> {
    if asset.id.is_some() && error.is_not_found() {
        return Ok(StagedContent::Missing);
    }
    Err(Diagnostic::error(
        codes::INVALID_ASSET,
        format!("cannot read asset source `{}`: {error}", path.display()),
    )
    .with_help("check the path, or give the asset an explicit id if it is built later"))
}

/// The files below `root`, by relative path. Links are not followed into folders (a link
/// to a parent would never end), each file is read bounded, and the whole directory is
/// held to [`MAX_ASSET_BYTES`] too.
fn read_directory(root: &Path) -> Result<Vec<(String, Vec<u8>)>, ReadError> {
    let io = |e: std::io::Error| {
        if e.kind() == std::io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(e)
        }
    };
    let meta = std::fs::metadata(root).map_err(io)?;
    if !meta.is_dir() {
        return Err(ReadError::NotAFile(FileKind::of(&meta)));
    }
    let mut files = Vec::new();
    let mut total: u64 = 0;
    let mut pending = vec![(root.to_path_buf(), String::new())];
    while let Some((dir, prefix)) = pending.pop() {
        for entry in std::fs::read_dir(&dir).map_err(io)? {
            let entry = entry.map_err(io)?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = if prefix.is_empty() {
                name
            } else {
                format!("{prefix}/{name}")
            };
            // `file_type` does not follow links: a linked folder is read as a file below,
            // which fails cleanly instead of looping.
            if entry.file_type().map_err(io)?.is_dir() {
                pending.push((entry.path(), rel));
            } else {
                let bytes = read_bounded(&entry.path(), MAX_ASSET_BYTES - total)?;
                total += bytes.len() as u64;
                files.push((rel, bytes));
            }
        }
    }
    files.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(files)
}

/// SHA-256 over each file's relative path and content, in path order, each length-prefixed
/// so that moving bytes between names changes the hash.
fn directory_hash(files: &[(String, Vec<u8>)]) -> String {
    let mut hasher = Sha256::new();
    for (path, bytes) in files {
        hasher.update((path.len() as u64).to_le_bytes());
        hasher.update(path.as_bytes());
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(bytes);
    }
    hex(&hasher.finalize())
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn is_safe_name(s: &str) -> bool {
    s.bytes().next().is_some_and(|b| b.is_ascii_alphanumeric())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_are_content_addressed() {
        let a = stage(
            FileAsset::bytes(b"print(1)".to_vec(), "py"),
            "S/Script".into(),
        )
        .unwrap();
        assert_eq!(a.hash, sha256_hex(b"print(1)"));
        assert_eq!(a.object_key, format!("{}.py", a.hash));
        assert_eq!(a.staged_path, format!("asset.{}.py", a.hash));
        assert_eq!(a.display_name, "S/Script");
    }

    #[test]
    fn a_file_staged_twice_is_held_once_until_it_changes() {
        let path = std::env::temp_dir().join(format!("dpc-core-shared-{}.zip", std::process::id()));
        std::fs::write(&path, b"bundle v1").unwrap();
        let content = |a: &StagedAsset| match &a.content {
            StagedContent::File(bytes) => Arc::clone(bytes),
            other => panic!("{other:?}"),
        };
        let a = stage(FileAsset::file(&path).with_id("b1"), String::new()).unwrap();
        let b = stage(FileAsset::file(&path).with_id("b1"), String::new()).unwrap();
        assert!(Arc::ptr_eq(&content(&a), &content(&b)));
        // A changed file (another length) is read again.
        std::fs::write(&path, b"bundle v2, longer").unwrap();
        let c = stage(FileAsset::file(&path).with_id("b2"), String::new()).unwrap();
        assert_eq!(content(&c).as_slice(), b"bundle v2, longer");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn missing_source_needs_an_id() {
        let missing = std::env::temp_dir().join("dpc-core-no-such-file.zip");
        assert_eq!(
            stage(FileAsset::file(&missing), String::new())
                .unwrap_err()
                .code,
            codes::INVALID_ASSET
        );
        let a = stage(FileAsset::file(&missing).with_id("abc123"), String::new()).unwrap();
        assert!(matches!(a.content, StagedContent::Missing));
        assert_eq!(a.object_key, "abc123.zip");
    }

    #[test]
    fn bad_combinations_are_errors() {
        let mut a = FileAsset::bytes(b"x".to_vec(), "");
        a.packaging = AssetPackaging::ZipDirectory;
        assert!(stage(a, String::new()).is_err());
        assert!(
            stage(
                FileAsset::bytes(b"x".to_vec(), "").with_id("../x"),
                String::new()
            )
            .is_err()
        );
    }
}
