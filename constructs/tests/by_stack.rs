//! `synthesize` builds, renders and lints each stack apart (on every core) when no aspect
//! needs the whole tree. These tests hold it to the one-app path a custom binary takes
//! (`build_app(..)?.synth()`): the same files, byte for byte, the same warnings, the same
//! errors.

#[path = "security_fixtures.rs"]
mod fixtures;

use dpc_constructs::app::{SynthOptions, build_app, synthesize};
use dpc_core::{Assembly, Diagnostic};

fn options() -> SynthOptions {
    SynthOptions {
        runtime: fixtures::runtime(),
        ..Default::default()
    }
}

fn files(assembly: &Assembly) -> Vec<(String, Vec<u8>)> {
    assembly
        .files()
        .map(|(path, bytes)| (path.to_owned(), bytes.to_vec()))
        .collect()
}

fn codes(diagnostics: &[Diagnostic]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = diagnostics
        .iter()
        .map(|d| (d.code.clone(), d.message.clone()))
        .collect();
    out.sort();
    out
}

#[test]
fn every_example_synthesizes_to_the_same_bytes_either_way() {
    for example in ["case-study", "features", "five-accounts"] {
        let org = fixtures::load(example);
        let by_stack = synthesize(&org, options()).expect("by stack");
        let one_app = build_app(&org, options())
            .and_then(|built| built.synth())
            .expect("one app");
        let (a, b) = (files(&by_stack), files(&one_app));
        assert_eq!(
            a.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            b.iter().map(|(p, _)| p).collect::<Vec<_>>(),
            "{example}: file lists differ"
        );
        for ((path, x), (_, y)) in a.iter().zip(&b) {
            assert!(x == y, "{example}: {path} differs");
        }
        assert_eq!(
            by_stack
                .stacks()
                .iter()
                .map(|s| (&s.artifact_id, &s.dependencies))
                .collect::<Vec<_>>(),
            one_app
                .stacks()
                .iter()
                .map(|s| (&s.artifact_id, &s.dependencies))
                .collect::<Vec<_>>(),
            "{example}: stacks or dependencies differ"
        );
        assert_eq!(
            codes(by_stack.warnings()),
            codes(one_app.warnings()),
            "{example}"
        );
    }
}

#[test]
fn warnings_across_stacks_are_the_same_either_way() {
    // 150 copies of one pipeline in one account: the rules on its default bus, over the
    // setup stack and every pipeline stack, pass EventBridge's default quota.
    let org = fixtures::crowded_account(150);
    let by_stack = synthesize(&org, options()).expect("warnings only");
    let one_app = build_app(&org, options())
        .and_then(|built| built.synth())
        .expect("warnings only");
    let warnings = codes(by_stack.warnings());
    assert!(
        warnings
            .iter()
            .any(|(code, _)| code == dpc_constructs::aws::codes::TOO_MANY_RULES),
        "{warnings:?}"
    );
    assert_eq!(warnings, codes(one_app.warnings()));
}

#[test]
fn a_broken_stack_is_reported_the_same_either_way() {
    // A step kind no renderer knows fails two pipelines' builds; the others still build,
    // and both errors are reported.
    let mut org = fixtures::load("case-study");
    for p in org.pipelines.iter_mut().take(2) {
        p.steps[0].config = dpc_schema::StepConfig::Custom {
            type_name: "hive".into(),
            fields: serde_json::Map::new(),
        };
    }
    let by_stack = synthesize(&org, options()).expect_err("name too long");
    let one_app = build_app(&org, options())
        .and_then(|built| built.synth())
        .expect_err("name too long");
    assert_eq!(by_stack.len(), 2, "{by_stack:#?}");
    assert_eq!(codes(&by_stack), codes(&one_app));
}
