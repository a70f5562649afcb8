//! `dpc synth` as a user runs it: what lands on disk, and what never does.

mod common;

use common::{copy_example, dpc, read_tree};

#[test]
fn the_case_study_synthesizes_every_stack() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    let run = dpc(&["synth", org.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "stderr:\n{}", run.stderr);
    let stacks: Vec<&str> = run.stdout.lines().collect();
    for expected in [
        "dpc-central",
        "dpc-account-core-data",
        "dpc-account-search",
        "dpc-account-rent-journey",
        "dpc-pipeline-core-data-listings",
        "dpc-pipeline-search-searches",
        "dpc-pipeline-rent-journey-pipeline-x",
    ] {
        assert!(
            stacks.contains(&expected),
            "{expected} missing from {stacks:?}"
        );
    }
    let files = read_tree(&out);
    assert!(files.contains_key("manifest.json"));
    assert!(files.contains_key("lineage.json"));
    assert!(files.contains_key("dpc-pipeline-rent-journey-pipeline-x.template.json"));
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let (_tmp, org) = copy_example("case-study");
    let a = org.join("out-a");
    let b = org.join("out-b");
    assert_eq!(
        dpc(&["synth", org.to_str().unwrap(), "-o", a.to_str().unwrap()]).code,
        0
    );
    assert_eq!(
        dpc(&["synth", org.to_str().unwrap(), "-o", b.to_str().unwrap()]).code,
        0
    );
    assert_eq!(read_tree(&a), read_tree(&b));
}

#[test]
fn changing_one_pipeline_rewrites_only_its_stack() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    assert_eq!(
        dpc(&["synth", org.to_str().unwrap(), "-o", out.to_str().unwrap()]).code,
        0
    );
    let before = read_tree(&out);

    let file = org.join("searches/pipeline.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("timeout: 3h", "timeout: 4h")).unwrap();
    let run = dpc(&["synth", org.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // The six other stacks come from the folder's cache, not from building them again.
    assert!(
        run.stderr
            .contains("synthesized 7 stacks (6 reused: inputs unchanged)"),
        "{}",
        run.stderr
    );
    let after = read_tree(&out);

    let changed: Vec<&String> = after
        .iter()
        .filter(|(path, bytes)| before.get(*path) != Some(*bytes))
        .map(|(path, _)| path)
        .collect();
    // The template changes, and with it its hash in its asset manifest and the manifest.
    for path in &changed {
        assert!(
            path.starts_with("dpc-pipeline-search-searches.")
                || path.as_str() == "manifest.json"
                || path.as_str() == ".dpc-assembly"
                || path.as_str() == ".dpc-cache.json",
            "{path} changed although only searches did: {changed:?}"
        );
    }
    // Without the cache the same stacks come out, all built.
    let fresh = org.join("fresh");
    let run = dpc(&[
        "synth",
        org.to_str().unwrap(),
        "-o",
        fresh.to_str().unwrap(),
        "--no-cache",
    ]);
    assert!(!run.stderr.contains("reused"), "{}", run.stderr);
    let mut without_index = read_tree(&out);
    without_index.remove(".dpc-cache.json");
    assert_eq!(read_tree(&fresh), without_index);
    assert!(
        changed
            .iter()
            .any(|p| p.as_str() == "dpc-pipeline-search-searches.template.json")
    );
}

#[test]
fn a_failed_synth_leaves_the_output_as_it_was() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    assert_eq!(
        dpc(&["synth", org.to_str().unwrap(), "-o", out.to_str().unwrap()]).code,
        0
    );
    let before = read_tree(&out);

    let file = org.join("pipeline-x/pipeline.yaml");
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(&file, text.replace("trigger:", "trigers:")).unwrap();
    let run = dpc(&["synth", org.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("trigers"), "{}", run.stderr);
    assert!(
        run.stderr.contains("pipeline-x/pipeline.yaml"),
        "{}",
        run.stderr
    );
    assert_eq!(read_tree(&out), before);
}

#[test]
fn a_foreign_non_empty_folder_is_refused() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("precious");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let run = dpc(&["synth", org.to_str().unwrap(), "-o", out.to_str().unwrap()]);
    assert_eq!(run.code, 1);
    assert_eq!(
        std::fs::read_to_string(out.join("notes.txt")).unwrap(),
        "mine"
    );
    assert_eq!(read_tree(&out).len(), 1);
}

#[test]
fn one_project_synthesizes_only_its_pipeline_stack() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    let project = org.join("pipeline-x");
    let run = dpc(&[
        "synth",
        project.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.stdout.trim(), "dpc-pipeline-rent-journey-pipeline-x");
}
