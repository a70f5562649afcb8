//! Reusing stacks from the previous synth into the same folder (`SynthOptions::cache_dir`):
//! a synth with the cache writes exactly what a synth without it writes, whatever changed
//! in between, and reuses exactly the stacks whose inputs did not change.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_constructs::app::{SynthOptions, synthesize};
use dpc_core::Assembly;
use dpc_core::cache::CACHE_FILE;
use dpc_schema::{Organisation, StepConfig};
use std::path::{Path, PathBuf};

/// A fresh, empty folder under the target directory.
fn folder(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cache-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn options(cache: Option<&Path>) -> SynthOptions {
    SynthOptions {
        runtime: fixtures::runtime(),
        cache_dir: cache.map(Path::to_path_buf),
        ..Default::default()
    }
}

/// Synthesizes `org` with the cache of `dir` and writes it there; checks the result is
/// byte for byte a synth without cache; returns how many stacks were reused.
fn synth_into(org: &Organisation, dir: &Path) -> usize {
    let cached = synthesize(org, options(Some(dir))).expect("synth with cache");
    let fresh = synthesize(org, options(None)).expect("synth without cache");
    assert_same(&cached, &fresh);
    cached.write(dir).expect("write");
    cached.reused_stacks()
}

fn assert_same(a: &Assembly, b: &Assembly) {
    let files = |x: &Assembly| -> Vec<(String, Vec<u8>)> {
        x.files().map(|(p, b)| (p.to_owned(), b.to_vec())).collect()
    };
    let (fa, fb) = (files(a), files(b));
    assert_eq!(
        fa.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        fb.iter().map(|(p, _)| p).collect::<Vec<_>>()
    );
    for ((path, x), (_, y)) in fa.iter().zip(&fb) {
        assert!(x == y, "{path} differs from a synth without cache");
    }
    let warnings =
        |x: &Assembly| -> Vec<String> { x.warnings().iter().map(|d| d.message.clone()).collect() };
    assert_eq!(warnings(a), warnings(b));
}

fn first_arg(org: &mut Organisation, pipeline: &str, arg: &str) {
    let p = org
        .pipelines
        .iter_mut()
        .find(|p| p.name == pipeline)
        .expect("pipeline");
    for step in &mut p.steps {
        match &mut step.config {
            StepConfig::Spark(spark) => {
                spark.args.insert(0, arg.to_owned());
                return;
            }
            StepConfig::Shell(_) | StepConfig::Custom { .. } => {}
        }
    }
    panic!("{pipeline} has no spark step");
}

#[test]
fn only_the_stacks_whose_inputs_changed_are_built_again() {
    let dir = folder("changes");
    let mut org = fixtures::load("case-study");
    let stacks = synthesize(&org, options(None))
        .expect("synth")
        .stacks()
        .len();

    assert_eq!(
        synth_into(&org, &dir),
        0,
        "nothing to reuse in an empty folder"
    );
    assert!(dir.join(CACHE_FILE).is_file());
    assert_eq!(synth_into(&org, &dir), stacks, "nothing changed");

    // One pipeline changes: only its stack is built.
    first_arg(&mut org, "listings", "--changed");
    assert_eq!(synth_into(&org, &dir), stacks - 1);
    assert_eq!(synth_into(&org, &dir), stacks);

    // The platform changes: every stack is built again.
    org.platform.accounts[0].region = "eu-central-1".into();
    assert_eq!(synth_into(&org, &dir), 0);
    assert_eq!(synth_into(&org, &dir), stacks);

    // A pipeline goes away: the others are reused, its files are removed.
    let removed = org.pipelines.remove(0);
    assert_eq!(synth_into(&org, &dir), stacks - 1);
    let gone = dpc_model::naming::pipeline_artifact_id(&removed.account.alias, &removed.name);
    assert!(!dir.join(format!("{gone}.template.json")).exists());
}

#[test]
fn a_template_changed_on_disk_is_built_again_not_trusted() {
    let dir = folder("tampered");
    let org = fixtures::load("case-study");
    synth_into(&org, &dir);
    let stacks = synthesize(&org, options(None))
        .expect("synth")
        .stacks()
        .len();
    let central = dir.join("dpc-central.template.json");
    let mut bytes = std::fs::read(&central).expect("central template");
    bytes.extend_from_slice(b" ");
    std::fs::write(&central, &bytes).expect("tamper");
    // Built again (and the comparison inside synth_into proves the bytes are right).
    assert_eq!(synth_into(&org, &dir), stacks - 1);
    std::fs::remove_file(dir.join("dpc-account-search.template.json")).expect("remove");
    assert_eq!(synth_into(&org, &dir), stacks - 1);
}

#[test]
fn a_broken_or_foreign_index_is_ignored() {
    let dir = folder("broken");
    let org = fixtures::load("case-study");
    synth_into(&org, &dir);
    std::fs::write(dir.join(CACHE_FILE), b"{ not json").expect("corrupt");
    assert_eq!(synth_into(&org, &dir), 0);
    // Another build of dpc keys its units differently: none of its entries match.
    synth_into(&org, &dir);
    let index = std::fs::read_to_string(dir.join(CACHE_FILE)).expect("index");
    let parsed: serde_json::Value = serde_json::from_str(&index).expect("index is JSON");
    let mut other = index.clone();
    for key in parsed["units"].as_object().expect("units").keys() {
        other = other.replace(key.as_str(), &"0".repeat(key.len()));
    }
    std::fs::write(dir.join(CACHE_FILE), other).expect("rewrite");
    assert_eq!(synth_into(&org, &dir), 0);
    // An entry naming a path outside the folder, or another unit's stack, is not used.
    synth_into(&org, &dir);
    let stacks = synthesize(&org, options(None))
        .expect("synth")
        .stacks()
        .len();
    let mut index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join(CACHE_FILE)).expect("index"))
            .expect("index is JSON");
    let units = index["units"].as_object_mut().expect("units");
    let mut entries = units.values_mut();
    entries.next().expect("central")[0]["artifactId"] = "../dpc-central".into();
    entries.next().expect("an account")[0]["artifactId"] = "dpc-central".into();
    std::fs::write(dir.join(CACHE_FILE), index.to_string()).expect("rewrite");
    assert_eq!(synth_into(&org, &dir), stacks - 2);
    // A folder that is not a dpc assembly has no usable cache, whatever it holds.
    let foreign = folder("foreign");
    std::fs::create_dir_all(&foreign).expect("mkdir");
    std::fs::copy(dir.join(CACHE_FILE), foreign.join(CACHE_FILE)).expect("copy");
    let assembly = synthesize(&org, options(Some(&foreign))).expect("synth");
    assert_eq!(assembly.reused_stacks(), 0);
}

#[test]
fn stacks_with_warnings_are_not_reused_so_their_warnings_are_reported_again() {
    // 150 copies of one pipeline in one account pass EventBridge's rule quota: a warning
    // across stacks, reported on every synth, with or without reuse.
    let dir = folder("warnings");
    let org = fixtures::crowded_account(150);
    synth_into(&org, &dir);
    let again = synthesize(&org, options(Some(&dir))).expect("synth");
    assert!(again.reused_stacks() > 0);
    assert!(
        again
            .warnings()
            .iter()
            .any(|d| d.code == dpc_constructs::aws::codes::TOO_MANY_RULES)
    );
}

/// Copies `examples/<name>` into a fresh folder, to change its files.
fn copy_example(name: &str) -> PathBuf {
    let to = folder(&format!("{name}-copy"));
    let from = fixtures::examples().join(name);
    let mut pending = vec![(from, to.clone())];
    while let Some((from, to)) = pending.pop() {
        std::fs::create_dir_all(&to).expect("mkdir");
        for entry in std::fs::read_dir(&from).expect("read_dir") {
            let entry = entry.expect("entry");
            let target = to.join(entry.file_name());
            if entry.file_type().expect("type").is_dir() {
                pending.push((entry.path(), target));
            } else {
                std::fs::copy(entry.path(), target).expect("copy");
            }
        }
    }
    to
}

fn load_from(dir: &Path) -> Organisation {
    dpc_schema::load_organisation(dir).expect("loads").0
}

#[test]
fn a_changed_local_script_rebuilds_its_pipeline_only() {
    let example = copy_example("case-study");
    let dir = folder("scripts");
    let org = load_from(&example);
    let stacks = synthesize(&org, options(None))
        .expect("synth")
        .stacks()
        .len();
    synth_into(&org, &dir);
    assert_eq!(synth_into(&org, &dir), stacks, "scripts unchanged");
    // The pipeline.yaml is the same; the job it ships is not.
    let script = example.join("listings/jobs/extract_listings.py");
    let mut text = std::fs::read_to_string(&script).expect("script");
    text.push_str("\n# changed\n");
    std::fs::write(&script, text).expect("edit script");
    let org = load_from(&example);
    assert_eq!(synth_into(&org, &dir), stacks - 1);
    assert_eq!(synth_into(&org, &dir), stacks);
}

mod edits {
    use super::*;
    use proptest::prelude::*;

    /// One change between two synths.
    #[derive(Clone, Debug)]
    enum Edit {
        Argument(usize),
        Toggle(usize),
        Tag(usize, u8),
        Timeout(usize, u8),
        Region(usize),
        Nothing,
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (0..8usize).prop_map(Edit::Argument),
            (0..8usize).prop_map(Edit::Toggle),
            (0..8usize, any::<u8>()).prop_map(|(i, t)| Edit::Tag(i, t)),
            (0..8usize, 1..24u8).prop_map(|(i, h)| Edit::Timeout(i, h)),
            (0..4usize).prop_map(Edit::Region),
            Just(Edit::Nothing),
        ]
    }

    fn apply(org: &mut Organisation, edit: &Edit) {
        let n = org.pipelines.len();
        match *edit {
            Edit::Argument(i) => {
                let name = org.pipelines[i % n].name.clone();
                if org.pipelines[i % n]
                    .steps
                    .iter()
                    .any(|s| matches!(s.config, StepConfig::Spark(_)))
                {
                    first_arg(org, &name, "--edited");
                }
            }
            Edit::Toggle(i) => org.pipelines[i % n].enabled ^= true,
            Edit::Tag(i, t) => {
                org.pipelines[i % n]
                    .tags
                    .insert("edit".into(), format!("v{t}"));
            }
            Edit::Timeout(i, h) => {
                org.pipelines[i % n].timeout = dpc_model::Duration::from_secs(u64::from(h) * 3600);
            }
            Edit::Region(i) => {
                let accounts = org.platform.accounts.len();
                let regions = ["eu-west-1", "eu-central-1", "us-east-1"];
                org.platform.accounts[i % accounts].region = regions[i % regions.len()].into();
            }
            Edit::Nothing => {}
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 8, ..ProptestConfig::default() })]

        /// Whatever changes between synths, the synth that reuses what it can writes the
        /// bytes a synth from scratch writes (`synth_into` compares them every time).
        #[test]
        fn reuse_never_changes_the_output(edits in proptest::collection::vec(edit(), 1..4)) {
            let dir = folder("proptest");
            let mut org = fixtures::load("case-study");
            synth_into(&org, &dir);
            for e in &edits {
                apply(&mut org, e);
                synth_into(&org, &dir);
            }
        }
    }
}
