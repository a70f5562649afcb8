//! Names the Lambda bundle the templates point at: the hash of the runtime's sources
//! (`dpc_bundle::asset_hash`), computed when dpc itself is built, so every synth of
//! this dpc references the bundle built from the runtime it was released with, and
//! `dpc synth` never has to read the runtime's sources.
//!
//! Also names the synthesizer itself (`DPC_SYNTH_SOURCE_ID`): the hash of the sources
//! that decide what a synth writes, so stacks cached by one build of dpc are never
//! reused by another (see `by_stack`).

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

    for input in SYNTH_INPUTS {
        println!("cargo:rerun-if-changed={}", root.join(input).display());
    }
    // Outside the workspace this crate's own sources stand in (with its version).
    let synth = dpc_bundle::sources_hash(&root, &SYNTH_INPUTS)
        .or_else(|_| dpc_bundle::sources_hash(Path::new(&manifest_dir), &["src", "Cargo.toml"]))
        .unwrap_or_default();
    println!("cargo:rustc-env=DPC_SYNTH_SOURCE_ID={synth}");
}

/// What decides the bytes a synth writes: the engine, the model, the loader, the
/// constructs, and the locked versions of everything they use.
const SYNTH_INPUTS: [&str; 9] = [
    "Cargo.lock",
    "core/Cargo.toml",
    "core/src",
    "model/Cargo.toml",
    "model/src",
    "schemas/Cargo.toml",
    "schemas/src",
    "constructs/Cargo.toml",
    "constructs/src",
];
