//! Shared by the central, account and security tests (included with `#[path]`): loads an
//! example organisation and synthesizes every stack of it, as the CLI does.
//! Set `DPC_DUMP_DIR` to also write the assembly there (for cfn-lint and checkov runs).
#![allow(dead_code)]

use dpc_constructs::aws::lambda::RuntimeAsset;
use dpc_core::Assembly;
use dpc_schema::Organisation;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The workspace's examples folder.
pub fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// The organisation in `examples/<name>`.
pub fn load(name: &str) -> Organisation {
    match dpc_schema::load_organisation(&examples().join(name)) {
        Ok((org, _warnings)) => org,
        Err(errors) => panic!("examples/{name} does not load: {errors:#?}"),
    }
}

/// The case study with its `listings` pipeline copied `n` times (`listings-0`, ...) and
/// no other pipeline: one account whose default bus outgrows EventBridge's rule quota
/// for n = 150.
pub fn crowded_account(n: usize) -> Organisation {
    let mut org = load("case-study");
    let listings = org
        .pipelines
        .iter()
        .find(|p| p.name == "listings")
        .cloned()
        .expect("listings");
    org.pipelines = (0..n)
        .map(|i| {
            let mut p = listings.clone();
            p.name = format!("listings-{i}");
            p
        })
        .collect();
    org
}

/// The runtime asset the tests use (an id only: the bundle is built later).
pub fn runtime() -> RuntimeAsset {
    RuntimeAsset::new("0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
}

/// Synthesizes every stack of `org` (central, account setup and pipeline stacks, as the
/// CLI does); writes them to `$DPC_DUMP_DIR/<name>` when set.
pub fn synth(name: &str) -> Assembly {
    let org = load(name);
    let options = dpc_constructs::app::SynthOptions {
        runtime: runtime(),
        ..Default::default()
    };
    let assembly = match dpc_constructs::app::synthesize(&org, options) {
        Ok(a) => a,
        Err(diagnostics) => panic!("synth failed: {diagnostics:#?}"),
    };
    if let Some(dir) = std::env::var_os("DPC_DUMP_DIR") {
        let dir = PathBuf::from(dir).join(name);
        std::fs::create_dir_all(&dir).expect("dump dir");
        assembly.write(&dir).expect("write assembly");
    }
    assembly
}

/// The template of the stack with artifact id `id`.
pub fn template(assembly: &Assembly, id: &str) -> Value {
    match assembly.stacks().iter().find(|s| s.artifact_id == id) {
        Some(stack) => stack.template(),
        None => panic!("no stack `{id}`"),
    }
}

/// The resources of `template` of type `type_name`, by logical id.
pub fn resources_of<'a>(template: &'a Value, type_name: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .map(|r| {
            r.iter()
                .filter(|(_, v)| v["Type"] == type_name)
                .map(|(k, v)| (k.as_str(), v))
                .collect()
        })
        .unwrap_or_default()
}

/// The one resource of `type_name` whose property `key` equals `value`.
pub fn find<'a>(template: &'a Value, type_name: &str, key: &str, value: &Value) -> &'a Value {
    let found: Vec<_> = resources_of(template, type_name)
        .into_iter()
        .filter(|(_, r)| &r["Properties"][key] == value)
        .collect();
    match found.as_slice() {
        [(_, one)] => one,
        other => panic!(
            "{} resources of {type_name} with {key} = {value}",
            other.len()
        ),
    }
}

/// Whether every external check must run: in CI, and under `scripts/test` (which
/// installs the tools first and sets `DPC_REQUIRE_TOOLS`), a missing tool is a failure.
pub fn is_ci() -> bool {
    std::env::var_os("DPC_REQUIRE_TOOLS").is_some()
        || !matches!(
            std::env::var("CI").as_deref(),
            Err(_) | Ok("") | Ok("0") | Ok("false") | Ok("False") | Ok("FALSE")
        )
}

/// The workspace root.
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// `scripts/eventbridge-match` (EventBridge's own matching, through LocalStack's engine in
/// the pinned tools) as a function: does `pattern` match `event`? `None` when the pinned
/// tools are not installed on a developer's machine; in CI that is a failure.
pub fn eventbridge_match() -> Option<impl Fn(&Value, &Value) -> bool> {
    let script = root().join("scripts/eventbridge-match");
    if !root().join(".tools/venv/bin/python").exists() {
        assert!(
            !is_ci(),
            "the pinned tools are missing; run scripts/install-tools"
        );
        eprintln!("skipped: the pinned tools are not installed (scripts/install-tools)");
        return None;
    }
    Some(move |pattern: &Value, event: &Value| {
        let out = std::process::Command::new(&script)
            .arg(pattern.to_string())
            .arg(event.to_string())
            .output()
            .expect("run eventbridge-match");
        match out.status.code() {
            Some(0) => true,
            Some(1) => false,
            _ => panic!(
                "eventbridge-match failed on {pattern}: {}",
                String::from_utf8_lossy(&out.stderr)
            ),
        }
    })
}
