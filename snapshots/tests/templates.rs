//! Every file dpc synthesizes for every example, as the CLI writes it: templates,
//! asset manifests, manifest.json and lineage.json. A change to any of them shows up
//! here as a reviewed diff.
//!
//! Refresh after an intended change: `INSTA_UPDATE=always cargo test -p dpc-snapshots`,
//! then review with `git diff`.

use dpc_constructs::app::{SynthOptions, synthesize};
use dpc_constructs::aws::lambda::RuntimeAsset;
use std::path::Path;

const SNAPSHOT_RUNTIME_ID: &str =
    "0000000000000000000000000000000000000000000000000000000000000000";

fn examples() -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut names: Vec<String> = std::fs::read_dir(&root)
        .expect("examples/ exists")
        .filter_map(Result::ok)
        .filter(|e| e.path().join("platform.yaml").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn every_example_synthesizes_to_its_snapshots() {
    let names = examples();
    assert!(names.contains(&"case-study".to_string()), "{names:?}");
    for name in names {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples")
            .join(&name);
        let (org, _warnings) = dpc_schema::load_organisation(&dir)
            .unwrap_or_else(|errors| panic!("examples/{name} does not load: {errors:#?}"));
        // The bundle's real id is a hash of the runtime's sources and Cargo.lock: a
        // fixed id keeps these snapshots about what dpc generates, not about
        // dependency bumps.
        let options = SynthOptions {
            runtime: RuntimeAsset::new(SNAPSHOT_RUNTIME_ID),
            ..SynthOptions::default()
        };
        let assembly = synthesize(&org, options)
            .unwrap_or_else(|errors| panic!("examples/{name} does not synthesize: {errors:#?}"));
        for (path, bytes) in assembly.files() {
            // Staged assets are the examples' own job scripts, copied byte for byte.
            if !path.ends_with(".json") {
                continue;
            }
            let text = String::from_utf8(bytes.to_vec()).expect("JSON is UTF-8");
            insta::with_settings!({
                prepend_module_to_snapshot => false,
                omit_expression => true,
                description => format!("examples/{name} → {path}"),
            }, {
                insta::assert_snapshot!(format!("{name}__{}", path.replace('/', "__")), text);
            });
        }
    }
}
