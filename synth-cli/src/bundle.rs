//! The Lambda bundle for `dpc synth --bundle` and `dpc deploy`: built from the runtime's
//! sources (`dpc_bundle`), reused when a bundle of the same sources is already built.

use crate::Io;
use crate::codes;
use dpc_constructs::aws::lambda::RuntimeAsset;
use dpc_core::Diagnostic;
use std::path::PathBuf;

/// The environment variable naming the dpc source tree to build the runtime from,
/// when dpc runs elsewhere than the tree it was built in.
pub const SOURCE_ROOT_ENV: &str = "DPC_SOURCE_ROOT";

/// The source tree the runtime is built from: `DPC_SOURCE_ROOT`, else the tree this
/// dpc was compiled in, when it is still there.
fn source_root() -> Option<PathBuf> {
    if let Some(root) = std::env::var_os(SOURCE_ROOT_ENV) {
        return Some(PathBuf::from(root));
    }
    let compiled_in = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    compiled_in
        .join("runtime/Cargo.toml")
        .is_file()
        .then_some(compiled_in)
}

/// The runtime asset the templates reference: with `build`, the bundle built (or
/// reused) from the runtime's sources, staged into the assembly; otherwise the bundle
/// named by its source hash and left for a later `--bundle`.
///
/// # Errors
/// No source tree to build from, or a failed build.
pub fn runtime_asset(build: bool, io: &mut Io<'_>) -> Result<RuntimeAsset, Diagnostic> {
    if !build {
        return Ok(RuntimeAsset::new(
            dpc_constructs::app::default_runtime_asset_id(),
        ));
    }
    let Some(root) = source_root() else {
        return Err(Diagnostic::error(
            codes::BUNDLE_FAILED,
            "cannot build the Lambda bundle: the dpc source tree is not here",
        )
        .with_help(format!(
            "set {SOURCE_ROOT_ENV} to a checkout of dpc; the bundle is built from its runtime/"
        )));
    };
    let _ = writeln!(
        io.stderr,
        "building the Lambda bundle from {} (minutes the first time; reused after) ...",
        root.join("runtime").display()
    );
    match dpc_bundle::ensure_built(&root) {
        Ok((hash, bundle)) => {
            let _ = writeln!(
                io.stderr,
                "Lambda bundle {hash}: {:.1} MiB ({} bytes)",
                bundle.size as f64 / (1024.0 * 1024.0),
                bundle.size
            );
            Ok(RuntimeAsset {
                id: hash,
                bundle: Some(bundle.path),
            })
        }
        Err(err) => Err(Diagnostic::error(
            codes::BUNDLE_FAILED,
            format!("cannot build the Lambda bundle: {err}"),
        )
        .with_help("run scripts/build-bundle OUT.zip by hand to see the build's output")),
    }
}
