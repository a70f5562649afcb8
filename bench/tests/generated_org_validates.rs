//! The generator's output is a valid organisation: `dpc validate` (the loader) finds no
//! error in it, and it has what the issue asks for.

use dpc_bench::generate::{GenOptions, generate};
use std::path::PathBuf;

fn temp_dir(tag: &str) -> PathBuf {
    std::env::temp_dir().join(format!("dpc-bench-{tag}-{}", std::process::id()))
}

#[test]
fn twenty_pipelines_validate_without_errors_or_warnings() {
    let dir = temp_dir("validate20");
    let options = GenOptions {
        pipelines: 20,
        accounts: 4,
        seed: 20,
    };
    generate(options)
        .write(&dir)
        .expect("write the organisation");
    let loaded = dpc_schema::load_organisation(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let (org, warnings) = match loaded {
        Ok(ok) => ok,
        Err(errors) => panic!("the generated organisation does not validate: {errors:#?}"),
    };
    assert!(warnings.is_empty(), "warnings: {warnings:#?}");
    assert_eq!(org.pipelines.len(), 20);
}
