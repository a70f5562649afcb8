//! `dpc validate` rejects whatever `dpc synth` would reject, at the line of the
//! pipeline.yaml it comes from: a tree that validates must synthesize.

mod common;

use common::{copy_example, dpc};
use std::fmt::Write as _;
use std::path::Path;

const LISTINGS: &str = "listings/pipeline.yaml";

/// Replaces the case study's `listings` pipeline with `yaml`.
fn with_listings(yaml: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let (guard, org) = copy_example("case-study");
    std::fs::write(org.join(LISTINGS), yaml).expect("write pipeline.yaml");
    (guard, org)
}

/// A valid listings pipeline whose `steps:` key is on line 8, with `steps` long shell
/// steps in a chain.
fn listings_with_steps(steps: usize, command_bytes: usize) -> String {
    let mut yaml = String::from(
        "name: listings\n\
         account: core-data\n\
         owner: core-data-team\n\
         trigger:\n  hour: 3\n\
         access:\n  write: [s3://lake/listings/]\n\
         steps:\n",
    );
    for i in 0..steps {
        let _ = writeln!(yaml, "  - name: s{i}\n    type: shell");
        let _ = writeln!(yaml, "    command: echo {}", "y".repeat(command_bytes));
        if i > 0 {
            let _ = writeln!(yaml, "    dependsOn: [s{}]", i - 1);
        }
    }
    yaml
}

fn listings_file(org: &Path) -> String {
    org.join(LISTINGS).display().to_string()
}

/// `dpc synth ORG` into a fresh folder: what it printed, and the folder.
fn synth(org: &Path) -> (common::Outcome, tempfile::TempDir) {
    let out = tempfile::tempdir().expect("temp dir");
    let run = dpc(&[
        "synth",
        org.to_str().expect("a UTF-8 path"),
        "-o",
        out.path().to_str().expect("a UTF-8 path"),
    ]);
    (run, out)
}

#[test]
fn a_definition_over_the_step_functions_limit_fails_validate_and_synth_at_steps() {
    // 120 steps of 10 kB each: about 1.2 MB of definition, over the 1,048,576 bytes.
    let (_guard, org) = with_listings(&listings_with_steps(120, 10_000));
    let at = format!("{}:8:1", listings_file(&org));

    let validate = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    assert!(
        validate.stderr.contains("error[DM0311]"),
        "{}",
        validate.stderr
    );
    assert!(
        validate.stderr.contains("1048576 bytes"),
        "{}",
        validate.stderr
    );
    assert!(
        validate.stderr.contains(&at),
        "not placed at `steps:` ({at}):\n{}",
        validate.stderr
    );

    let (synth, out) = synth(&org);
    assert_eq!(synth.code, 1, "{}", synth.stderr);
    assert!(synth.stderr.contains("error[DM0311]"), "{}", synth.stderr);
    assert!(synth.stderr.contains(&at), "{}", synth.stderr);
    assert_eq!(
        std::fs::read_dir(out.path()).unwrap().count(),
        0,
        "synth wrote something"
    );
}

#[test]
fn a_definition_just_under_the_limit_validates_and_synthesizes() {
    // The same shape at about 0.6 MB: both commands accept it.
    let (_guard, org) = with_listings(&listings_with_steps(60, 10_000));
    let validate = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(validate.code, 0, "{}", validate.stderr);
    let (synth, _out) = synth(&org);
    assert_eq!(synth.code, 0, "{}", synth.stderr);
}

#[test]
fn more_tags_than_cloudformation_allows_fail_validate_at_tags() {
    // 48 tags and dpc's own two (`dpc:pipeline`, `dpc:owner`) are 50: allowed.
    let tags = |n: usize| {
        (0..n)
            .map(|i| format!("t{i}: v"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let yaml = |n: usize| {
        listings_with_steps(1, 1).replacen(
            "owner: core-data-team\n",
            &format!("owner: core-data-team\ntags: {{ {} }}\n", tags(n)),
            1,
        )
    };
    let (_guard, org) = with_listings(&yaml(48));
    let ok = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(ok.code, 0, "{}", ok.stderr);

    std::fs::write(org.join(LISTINGS), yaml(49)).unwrap();
    let validate = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    assert!(
        validate.stderr.contains("error[DM0226]"),
        "{}",
        validate.stderr
    );
    assert!(validate.stderr.contains("51 in all"), "{}", validate.stderr);
    let at = format!("{}:4:1", listings_file(&org));
    assert!(
        validate.stderr.contains(&at),
        "not placed at `tags:` ({at}):\n{}",
        validate.stderr
    );
}

#[test]
fn tags_dpc_sets_itself_or_empty_values_are_refused_where_written() {
    let yaml = listings_with_steps(1, 1).replacen(
        "owner: core-data-team\n",
        "owner: core-data-team\ntags:\n  dpc:pipeline: other\n  team: \"\"\n",
        1,
    );
    let (_guard, org) = with_listings(&yaml);
    let validate = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    let file = listings_file(&org);
    assert!(
        validate
            .stderr
            .contains("tag key `dpc:pipeline` starts with `dpc:`")
            && validate.stderr.contains(&format!("{file}:5:3")),
        "{}",
        validate.stderr
    );
    assert!(
        validate.stderr.contains("the value of tag `team` is empty")
            && validate.stderr.contains(&format!("{file}:6:9")),
        "{}",
        validate.stderr
    );
}

#[test]
fn a_four_gib_pipeline_yaml_is_refused_and_reported_without_being_read() {
    // Sparse: no disk is used, but reading it (the loader, or the printer showing its
    // line, as it once did) would take 4 GiB of memory.
    let (_guard, org) = with_listings("name: listings\n");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(org.join(LISTINGS))
        .expect("open");
    file.set_len(4 << 30).expect("a sparse 4 GiB file");
    let validate = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    assert!(
        validate.stderr.contains("error[DM0110]")
            && validate.stderr.contains("4294967296 bytes")
            && validate.stderr.contains(&listings_file(&org)),
        "{}",
        validate.stderr
    );
}

#[test]
fn a_description_longer_than_a_stack_takes_fails_validate_at_it() {
    let yaml = listings_with_steps(1, 1).replacen(
        "owner: core-data-team\n",
        &format!("owner: core-data-team\ndescription: {}\n", "d".repeat(1010)),
        1,
    );
    let (_guard, org) = with_listings(&yaml);
    let validate = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(validate.code, 1, "{}", validate.stderr);
    assert!(
        validate.stderr.contains("error[DM0227]"),
        "{}",
        validate.stderr
    );
    let at = format!("{}:4:14", listings_file(&org));
    assert!(validate.stderr.contains(&at), "{}", validate.stderr);
}
