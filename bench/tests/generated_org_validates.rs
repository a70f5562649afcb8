//! The generator's output is a valid organisation: `dpc validate` (the loader) finds no
//! error in it, and dpc synthesizes it deterministically.

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

#[test]
fn twenty_pipelines_synthesize_the_same_bytes_twice_and_a_rewrite_writes_nothing() {
    let org_dir = temp_dir("synth20-org");
    let out = temp_dir("synth20-out");
    let _ = std::fs::remove_dir_all(&out);
    generate(GenOptions::new(20, 3))
        .write(&org_dir)
        .expect("write the organisation");
    let first = dpc_bench::dpc_run::run_once(&org_dir, &out);
    let second = dpc_bench::dpc_run::run_once(&org_dir, &out);
    let _ = std::fs::remove_dir_all(&org_dir);
    let _ = std::fs::remove_dir_all(&out);
    let first = first.unwrap_or_else(|e| panic!("first synth: {e}"));
    let second = second.unwrap_or_else(|e| panic!("second synth: {e}"));
    // Central, three account setups and twenty pipelines.
    assert_eq!(first.stacks, 24);
    assert_eq!(first.pipelines, 20);
    assert_eq!(first.written.len(), first.files);
    assert_eq!((second.bytes, second.files), (first.bytes, first.files));
    assert!(
        second.written.is_empty(),
        "the same input rewrote {:?}",
        second.written
    );
}

#[test]
fn the_large_cases_validate_and_synthesize_at_a_size_that_fits() {
    use dpc_bench::large::{StepShape, many_steps, wide_condition};
    let mut cases: Vec<(String, dpc_bench::generate::GeneratedOrg)> = StepShape::ALL
        .into_iter()
        .map(|shape| (format!("large-{}", shape.name()), many_steps(40, shape)))
        .collect();
    let max = dpc_model::contract::api::MAX_CONDITION_ITEMS;
    cases.push(("large-condition".into(), wide_condition(max, true)));
    for (tag, org) in cases {
        let dir = temp_dir(&tag);
        let out = temp_dir(&format!("{tag}-out"));
        org.write(&dir).expect("write the organisation");
        let synthesized = dpc_bench::dpc_run::run_once(&dir, &out);
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&out);
        let report = synthesized.unwrap_or_else(|e| panic!("{tag}: {e}"));
        assert!(report.stacks >= 3, "{tag}");
    }
}

#[path = "../../constructs/tests/s3_walk.rs"]
mod s3_walk;

#[test]
fn every_location_a_generated_cluster_uses_is_granted() {
    let org_dir = temp_dir("grants-org");
    let out = temp_dir("grants-out");
    let _ = std::fs::remove_dir_all(&out);
    generate(GenOptions::new(40, 17))
        .write(&org_dir)
        .expect("write the organisation");
    let run = dpc_bench::dpc_run::run_once(&org_dir, &out);
    let mut templates = Vec::new();
    for entry in std::fs::read_dir(&out).expect("the assembly").flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("dpc-pipeline-") && name.ends_with(".template.json") {
            let text = std::fs::read_to_string(entry.path()).expect("a template");
            let template: serde_json::Value = serde_json::from_str(&text).expect("JSON");
            templates.push((name, template));
        }
    }
    let _ = std::fs::remove_dir_all(&org_dir);
    let _ = std::fs::remove_dir_all(&out);
    run.unwrap_or_else(|e| panic!("synth: {e}"));
    assert_eq!(templates.len(), 40);
    let mut locations = 0;
    for (name, template) in &templates {
        locations += s3_walk::location_count(template);
        let missing = s3_walk::ungranted(template);
        assert!(missing.is_empty(), "{name}: {missing:#?}");
    }
    // Scripts in S3, shell commands on the lake and every log location.
    assert!(locations > 2 * templates.len(), "{locations} locations");
}
