//! Replays the committed corpus of `fuzz/` on stable: every diff input is read or
//! refused without a panic, and every cache index, however corrupt, gives the bytes of
//! `--no-cache`.

use std::path::{Path, PathBuf};

fn corpus(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("the corpus is committed")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    inputs.sort();
    assert!(
        inputs.len() >= 8,
        "{} has {} inputs",
        dir.display(),
        inputs.len()
    );
    inputs
}

#[test]
fn every_diff_input_is_read_or_refused() {
    let mut read = 0;
    for input in corpus("diff_assembly") {
        let bytes = std::fs::read(&input).expect("a corpus file");
        read += usize::from(dpc_cli::fuzzing::diff_assembly(&bytes));
    }
    // The seeds include whole assemblies: the target is not refusing everything.
    assert!(
        read >= 2,
        "only {read} corpus inputs were read as assemblies"
    );
}

#[test]
fn every_cache_index_gives_the_bytes_of_no_cache() {
    for input in corpus("cache_index") {
        let bytes = std::fs::read(&input).expect("a corpus file");
        if let Err(difference) = dpc_cli::fuzzing::cache_index(&bytes) {
            panic!("{}: {difference}", input.display());
        }
    }
}

#[test]
fn a_valid_index_is_used_and_gives_the_same_bytes() {
    // The index this machine's synth writes (its paths are this checkout's, so it is
    // made here, not committed): stacks are reused, else the property above would hold
    // only because the cache is never read.
    let index = dpc_cli::fuzzing::baseline_cache_index();
    assert!(!index.is_empty(), "the baseline synth wrote no cache index");
    let reused = dpc_cli::fuzzing::cache_index(&index).unwrap_or_else(|d| panic!("{d}"));
    assert!(reused > 0, "a valid index reused no stack");
}
