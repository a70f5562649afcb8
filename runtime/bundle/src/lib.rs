//! The Lambda bundle as an asset: its id, and its build.
//!
//! Every dpc Lambda runs one binary, `dpc-runtime`'s `bootstrap`, zipped. Building it
//! takes minutes, so `dpc synth` does not: it names the asset by a hash of what the
//! binary is built from ([`asset_hash`]) and leaves the zip to `dpc synth --bundle`,
//! which calls [`build`] to write it into the assembly as [`staged_file_name`]. The
//! hash only changes when the runtime's inputs do, so templates stay stable across
//! unrelated edits, and a deploy uploads a new bundle exactly when it changed.
//!
//! This crate links no AWS SDK: the CLI can depend on it cheaply.

use sha2::{Digest, Sha256};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

/// What the bundle is built from, relative to the workspace root: the runtime's
/// manifest and sources, the shared model crate it links, the lock file, and the
/// build script (which fixes the target, glibc version and release profile).
/// Tests and documentation are not inputs.
pub const ASSET_INPUTS: [&str; 6] = [
    "Cargo.lock",
    "runtime/Cargo.toml",
    "runtime/src",
    "model/Cargo.toml",
    "model/src",
    "scripts/build-bundle",
];

/// The script that builds the bundle: `scripts/build-bundle OUT.zip`.
pub const BUILD_SCRIPT: &str = "scripts/build-bundle";

/// The asset id: the SHA-256 (hex) of every file of [`ASSET_INPUTS`], in path order,
/// each as its `/`-separated relative path, a NUL, its length (8 bytes, little
/// endian) and its bytes.
///
/// # Errors
/// When an input is missing or unreadable (the workspace root is wrong).
pub fn asset_hash(workspace_root: &Path) -> io::Result<String> {
    sources_hash(workspace_root, &ASSET_INPUTS)
}

/// [`asset_hash`]'s digest over any `inputs` (files or folders, relative to
/// `workspace_root`): e.g. the sources that decide what synthesis writes.
///
/// # Errors
/// When an input is missing or unreadable.
pub fn sources_hash(workspace_root: &Path, inputs: &[&str]) -> io::Result<String> {
    let mut files = Vec::new();
    for input in inputs {
        collect(workspace_root, &workspace_root.join(input), &mut files)?;
    }
    files.sort();
    let mut hasher = Sha256::new();
    for relative in &files {
        let bytes = std::fs::read(workspace_root.join(relative))?;
        hasher.update(relative.as_bytes());
        hasher.update([0u8]);
        hasher.update((bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    Ok(hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

fn collect(root: &Path, path: &Path, out: &mut Vec<String>) -> io::Result<()> {
    let meta = std::fs::symlink_metadata(path)?;
    if meta.is_dir() {
        for entry in std::fs::read_dir(path)? {
            collect(root, &entry?.path(), out)?;
        }
    } else if meta.is_file() {
        let relative = path.strip_prefix(root).map_err(io::Error::other)?;
        let parts: Vec<String> = relative
            .components()
            .map(|c| c.as_os_str().to_string_lossy().into_owned())
            .collect();
        out.push(parts.join("/"));
    }
    Ok(())
}

/// The bundle's file name in the assembly, as the CDK stages a file asset:
/// `asset.<hash>.zip`.
pub fn staged_file_name(hash: &str) -> String {
    format!("asset.{hash}.zip")
}

/// A built bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    /// Where the zip is.
    pub path: PathBuf,
    /// Its size in bytes.
    pub size: u64,
}

/// Why the bundle could not be built.
#[derive(Debug)]
pub enum BuildError {
    /// The build script could not be started.
    Spawn(io::Error),
    /// The build script failed (its output went to the caller's stderr).
    Failed(Option<i32>),
    /// The script succeeded but left no zip.
    Missing(io::Error),
}

impl fmt::Display for BuildError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BuildError::Spawn(e) => write!(f, "cannot run {BUILD_SCRIPT}: {e}"),
            BuildError::Failed(Some(code)) => {
                write!(f, "{BUILD_SCRIPT} failed with exit code {code}")
            }
            BuildError::Failed(None) => write!(f, "{BUILD_SCRIPT} was killed"),
            BuildError::Missing(e) => write!(f, "{BUILD_SCRIPT} left no bundle: {e}"),
        }
    }
}

impl std::error::Error for BuildError {}

/// Builds the bundle into `out_zip` by running [`BUILD_SCRIPT`] in `workspace_root`
/// (cargo zigbuild for x86_64 glibc 2.34, the glibc symbol check, a deterministic
/// zip with `bootstrap` at mode 0755). The script's progress goes to stderr.
///
/// # Errors
/// When the script cannot run or fails.
pub fn build(workspace_root: &Path, out_zip: &Path) -> Result<Bundle, BuildError> {
    let status = Command::new("bash")
        .arg(workspace_root.join(BUILD_SCRIPT))
        .arg(out_zip)
        .current_dir(workspace_root)
        .stdout(std::process::Stdio::inherit())
        .status()
        .map_err(BuildError::Spawn)?;
    if !status.success() {
        return Err(BuildError::Failed(status.code()));
    }
    let size = std::fs::metadata(out_zip)
        .map_err(BuildError::Missing)?
        .len();
    Ok(Bundle {
        path: out_zip.to_path_buf(),
        size,
    })
}

/// Where [`ensure_built`] keeps built bundles, by hash, under the workspace root.
pub const CACHE_DIR: &str = "target/dpc-bundle";

/// The bundle for the sources as they are now: its asset id and its zip, built into
/// [`CACHE_DIR`]`/<hash>.zip` unless a bundle of that hash is already there. This
/// is what `dpc synth --bundle` needs: pass the path as the runtime asset's bundle.
///
/// # Errors
/// When the inputs cannot be read ([`BuildError::Spawn`] carries the I/O error) or
/// the build fails.
pub fn ensure_built(workspace_root: &Path) -> Result<(String, Bundle), BuildError> {
    let hash = asset_hash(workspace_root).map_err(BuildError::Spawn)?;
    let zip = workspace_root.join(CACHE_DIR).join(format!("{hash}.zip"));
    if let Ok(meta) = std::fs::metadata(&zip)
        && meta.is_file()
    {
        return Ok((
            hash,
            Bundle {
                path: zip,
                size: meta.len(),
            },
        ));
    }
    let bundle = build(workspace_root, &zip)?;
    Ok((hash, bundle))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workspace() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn the_hash_is_stable_hex_and_names_a_zip() {
        let a = asset_hash(&workspace()).unwrap();
        let b = asset_hash(&workspace()).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_eq!(staged_file_name(&a), format!("asset.{a}.zip"));
    }

    #[test]
    fn the_hash_follows_every_input_and_nothing_else() {
        let dir = std::env::temp_dir().join(format!("dpc-bundle-hash-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        for input in ASSET_INPUTS {
            let path = dir.join(input);
            if input.ends_with("src") {
                std::fs::create_dir_all(&path).unwrap();
                std::fs::write(path.join("lib.rs"), input).unwrap();
            } else {
                std::fs::create_dir_all(path.parent().unwrap()).unwrap();
                std::fs::write(&path, input).unwrap();
            }
        }
        let base = asset_hash(&dir).unwrap();
        std::fs::create_dir_all(dir.join("runtime/tests")).unwrap();
        std::fs::write(dir.join("runtime/tests/e2e.rs"), "// a test").unwrap();
        std::fs::write(dir.join("runtime/README.md"), "docs").unwrap();
        assert_eq!(
            asset_hash(&dir).unwrap(),
            base,
            "tests and docs are not inputs"
        );
        std::fs::write(dir.join("model/src/lib.rs"), "changed").unwrap();
        let changed = asset_hash(&dir).unwrap();
        assert_ne!(changed, base);
        std::fs::write(dir.join("runtime/src/new.rs"), "").unwrap();
        assert_ne!(
            asset_hash(&dir).unwrap(),
            changed,
            "a new empty file counts"
        );
        std::fs::remove_file(dir.join("Cargo.lock")).unwrap();
        assert!(
            asset_hash(&dir).is_err(),
            "a missing input is an error, not another hash"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
