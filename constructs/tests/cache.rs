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
    entries.next().expect("central")["stacks"][0]["artifactId"] = "../dpc-central".into();
    entries.next().expect("an account")["stacks"][0]["artifactId"] = "dpc-central".into();
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

/// A hand-edited or corrupt `.dpc-cache.json` is a hint that does not check out: the
/// synth that reads it writes exactly what a synth without cache writes (and so stages
/// no file from outside the project), whatever was done to the index.
mod corrupted {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;
    use std::collections::BTreeMap;

    /// One thing done to the index.
    #[derive(Clone, Debug)]
    enum Damage {
        /// XOR the byte at (position modulo length) with a non-zero value.
        Flip(usize, u8),
        /// Keep only the first (n modulo length) bytes.
        Truncate(usize),
        /// Swap a field's values between its i-th and j-th occurrence (hashes, lengths,
        /// names, seals, sources, whole asset lists).
        Swap(&'static str, usize, usize),
        /// Point the i-th asset's source at a path outside the project.
        Source(usize, usize),
        /// Give the i-th asset a staged name out of the folder or not its own.
        Staged(usize, usize),
        /// Name the i-th stack's template outside the folder, or as another's.
        Artifact(usize, usize),
        /// Edit a tag or a stack name, as by hand.
        Edit(usize, u8),
    }

    const FIELDS: [&str; 10] = [
        "templateSiphash",
        "templateSha256",
        "templateLen",
        "hash",
        "stagedPath",
        "objectKey",
        "seal",
        "source",
        "assets",
        "siphash",
    ];

    fn damage() -> impl Strategy<Value = Damage> {
        prop_oneof![
            (any::<usize>(), 1..=255u8).prop_map(|(p, x)| Damage::Flip(p, x)),
            any::<usize>().prop_map(Damage::Truncate),
            (0..FIELDS.len(), 0..16usize, 0..16usize)
                .prop_map(|(f, i, j)| Damage::Swap(FIELDS[f], i, j)),
            (0..16usize, 0..5usize).prop_map(|(i, w)| Damage::Source(i, w)),
            (0..16usize, 0..4usize).prop_map(|(i, w)| Damage::Staged(i, w)),
            (0..16usize, 0..3usize).prop_map(|(i, w)| Damage::Artifact(i, w)),
            (0..16usize, any::<u8>()).prop_map(|(i, t)| Damage::Edit(i, t)),
        ]
    }

    /// Every value of `field` in `value`, as mutable references, in document order.
    fn occurrences<'a>(value: &'a mut Value, field: &str, out: &mut Vec<&'a mut Value>) {
        match value {
            Value::Object(map) => {
                for (key, v) in map.iter_mut() {
                    if key == field {
                        out.push(v);
                    } else {
                        occurrences(v, field, out);
                    }
                }
            }
            Value::Array(items) => {
                for v in items {
                    occurrences(v, field, out);
                }
            }
            _ => {}
        }
    }

    /// The places a corrupted index may point at: outside the project, a `../` way out,
    /// the canary, the machine's own files.
    fn outside_paths(project: &Path, canary: &Path) -> Vec<String> {
        vec![
            "/etc/passwd".to_owned(),
            canary.display().to_string(),
            project.join("../../canary/secret.py").display().to_string(),
            "../../../../../../etc/hostname".to_owned(),
            project
                .join("listings/jobs/../../../canary/secret.py")
                .display()
                .to_string(),
        ]
    }

    fn apply(index: &mut Vec<u8>, damage: &Damage, project: &Path, canary: &Path) {
        let structural = !matches!(damage, Damage::Flip(..) | Damage::Truncate(_));
        if structural {
            let Ok(mut value) = serde_json::from_slice::<Value>(index) else {
                return;
            };
            match damage {
                Damage::Swap(field, i, j) => {
                    let mut found = Vec::new();
                    occurrences(&mut value, field, &mut found);
                    let n = found.len();
                    if n >= 2 && i % n != j % n {
                        let (a, b) = (i % n, j % n);
                        let taken = std::mem::take(&mut *found[a]);
                        let other = std::mem::replace(&mut *found[b], taken);
                        *found[a] = other;
                    }
                }
                Damage::Source(i, which) => {
                    let mut found = Vec::new();
                    occurrences(&mut value, "source", &mut found);
                    if !found.is_empty() {
                        let n = found.len();
                        let paths = outside_paths(project, canary);
                        *found[i % n] = Value::from(paths[which % paths.len()].clone());
                    }
                }
                Damage::Staged(i, which) => {
                    let mut found = Vec::new();
                    occurrences(&mut value, "stagedPath", &mut found);
                    if !found.is_empty() {
                        let n = found.len();
                        let names = [
                            "../../etc/passwd",
                            "/etc/passwd",
                            "asset.x/../../y",
                            "asset.0.py",
                        ];
                        *found[i % n] = Value::from(names[which % names.len()]);
                    }
                }
                Damage::Artifact(i, which) => {
                    let mut found = Vec::new();
                    occurrences(&mut value, "artifactId", &mut found);
                    if !found.is_empty() {
                        let n = found.len();
                        let names = ["../dpc-central", "dpc-central", "/etc/passwd"];
                        *found[i % n] = Value::from(names[which % names.len()]);
                    }
                }
                Damage::Edit(i, t) => {
                    let mut found = Vec::new();
                    occurrences(&mut value, "stackName", &mut found);
                    if !found.is_empty() {
                        let n = found.len();
                        *found[i % n] = Value::from(format!("edited-{t}"));
                    }
                }
                Damage::Flip(..) | Damage::Truncate(_) => {}
            }
            *index = serde_json::to_vec(&value).expect("JSON");
            return;
        }
        if index.is_empty() {
            return;
        }
        match *damage {
            Damage::Flip(position, xor) => {
                let at = position % index.len();
                index[at] ^= xor;
            }
            Damage::Truncate(n) => index.truncate(n % index.len()),
            _ => {}
        }
    }

    /// Every file below `dir`, relative path → bytes.
    fn tree(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            for entry in std::fs::read_dir(&d).expect("read_dir") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path.strip_prefix(dir).expect("below").display().to_string();
                    out.insert(rel, std::fs::read(&path).expect("read"));
                }
            }
        }
        out
    }

    fn write_tree(dir: &Path, files: &BTreeMap<String, Vec<u8>>) {
        let _ = std::fs::remove_dir_all(dir);
        for (rel, bytes) in files {
            let path = dir.join(rel);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, bytes).expect("write");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        #[test]
        fn any_corruption_of_the_index_gives_the_output_of_no_cache(
            damages in proptest::collection::vec(damage(), 1..4)
        ) {
            let example = copy_example("case-study");
            let canary_dir = folder("canary");
            std::fs::create_dir_all(&canary_dir).expect("mkdir");
            let canary = canary_dir.join("secret.py");
            std::fs::write(&canary, "print('CANARY: never staged')\n").expect("canary");
            let org = load_from(&example);
            let base = folder("corrupted-base");
            synth_into(&org, &base);
            synth_into(&org, &base);
            let expected = tree(&base);
            let index = expected.get(CACHE_FILE).cloned().expect("an index");

            let mut damaged = index.clone();
            for d in &damages {
                apply(&mut damaged, d, &example, &canary);
            }
            let dir = folder("corrupted");
            let mut files = expected.clone();
            files.insert(CACHE_FILE.to_owned(), damaged);
            write_tree(&dir, &files);
            // The output with this cache is the output without any, byte for byte …
            synth_into(&org, &dir);
            // … and once written, the folder is what an intact cache leaves.
            let after = tree(&dir);
            prop_assert_eq!(after.keys().collect::<Vec<_>>(), expected.keys().collect::<Vec<_>>());
            for (name, bytes) in &after {
                prop_assert!(Some(bytes) == expected.get(name), "{} differs", name);
                prop_assert!(
                    !String::from_utf8_lossy(bytes).contains("CANARY"),
                    "{} holds the file from outside the project", name
                );
            }
        }
    }
}
