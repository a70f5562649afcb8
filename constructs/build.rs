//! Names the Lambda bundle the templates point at: the hash of the runtime's sources
//! (`dpc_bundle::asset_hash`), computed when dpc itself is built, so every synth of
//! this dpc references the bundle built from the runtime it was released with, and
//! `dpc synth` never has to read the runtime's sources.

use std::path::Path;

fn main() {
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let root = Path::new(&manifest_dir).join("..");
    for input in dpc_bundle::ASSET_INPUTS {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    // Outside the workspace (a packaged crate) the runtime's sources are not there:
    // the version then names the bundle, and `dpc synth --bundle` supplies the hash.
    let id = dpc_bundle::asset_hash(&root).unwrap_or_default();
    println!("cargo:rustc-env=DPC_RUNTIME_ASSET_ID={id}");
}
