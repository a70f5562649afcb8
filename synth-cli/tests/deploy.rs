//! `dpc deploy`, `dpc destroy` and `dpc setup-account` against a fake `cdk`: a shell
//! script that records every call's arguments, writes the central stack's outputs when
//! asked to, and fails for one stack on request. The dpc binary runs as a subprocess so
//! each test sets its own environment.

mod common;

use common::{copy_example, dpc};
use std::path::{Path, PathBuf};
use std::process::Command;

const END: &str = "<end of call>";

/// Records each argument on its own line and `END` after each call; writes outputs for
/// `--outputs-file`; exits 3 when the last argument is `$FAKE_CDK_FAIL`.
const FAKE_CDK: &str = r#"#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done >> "$FAKE_CDK_LOG"
printf '%s\n' '<end of call>' >> "$FAKE_CDK_LOG"
prev=""
last=""
for a in "$@"; do
  if [ "$prev" = "--outputs-file" ]; then
    printf '{"dpc-central":{"DependencyApiUrl":"https://dep.example/v1","SlackApiUrl":"https://slack.example/v1"}}' > "$a"
  fi
  prev="$a"
  last="$a"
done
if [ -n "$FAKE_CDK_FAIL" ] && [ "$last" = "$FAKE_CDK_FAIL" ]; then exit 3; fi
exit 0
"#;

struct World {
    _dirs: Vec<tempfile::TempDir>,
    org: PathBuf,
    assembly: PathBuf,
    cdk: PathBuf,
    log: PathBuf,
}

/// The case study synthesized, its Lambda bundle stood in for by empty files (the
/// runtime build is not wired in yet), and a fake `cdk`.
fn world() -> World {
    let (org_dir, org) = copy_example("case-study");
    let tmp = tempfile::tempdir().expect("tempdir");
    let assembly = tmp.path().join("cdk.out");
    let run = dpc(&[
        "synth",
        &org.to_string_lossy(),
        "-o",
        &assembly.to_string_lossy(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let cdk = tmp.path().join("bin").join("cdk");
    std::fs::create_dir_all(cdk.parent().expect("bin")).expect("mkdir");
    std::fs::write(&cdk, FAKE_CDK).expect("write fake cdk");
    make_executable(&cdk);
    World {
        log: tmp.path().join("cdk.log"),
        _dirs: vec![org_dir, tmp],
        org,
        assembly,
        cdk,
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

#[cfg(not(unix))]
fn make_executable(_: &Path) {}

/// Creates every file the assembly's asset manifests upload but the assembly lacks.
fn stand_in_for_the_bundle(assembly: &Path) -> usize {
    let mut created = 0;
    for entry in std::fs::read_dir(assembly).expect("assembly") {
        let path = entry.expect("entry").path();
        if !path.to_string_lossy().ends_with(".assets.json") {
            continue;
        }
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        for file in manifest["files"]
            .as_object()
            .into_iter()
            .flat_map(|f| f.values())
        {
            let source = assembly.join(file["source"]["path"].as_str().expect("path"));
            if !source.exists() {
                std::fs::write(&source, b"stand-in").expect("write");
                created += 1;
            }
        }
    }
    created
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

/// Runs the `dpc` binary with `DPC_CDK` pointing at `cdk` (when given).
fn run(w: &World, cdk: Option<&Path>, envs: &[(&str, &str)], args: &[&str]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dpc"));
    command
        .args(args)
        .env("FAKE_CDK_LOG", &w.log)
        .env_remove("DPC_CDK");
    if let Some(cdk) = cdk {
        command.env("DPC_CDK", cdk);
    }
    for (k, v) in envs {
        command.env(k, v);
    }
    let out = command.output().expect("dpc runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The recorded calls, each as its argument list.
fn calls(w: &World) -> Vec<Vec<String>> {
    let Ok(text) = std::fs::read_to_string(&w.log) else {
        return Vec::new();
    };
    let mut out = vec![Vec::new()];
    for line in text.lines() {
        if line == END {
            out.push(Vec::new());
        } else if let Some(last) = out.last_mut() {
            last.push(line.to_owned());
        }
    }
    out.pop();
    out
}

fn last_args(calls: &[Vec<String>]) -> Vec<&str> {
    calls
        .iter()
        .map(|c| c.last().map_or("", String::as_str))
        .collect()
}

fn s(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}

/// Central, the account setups in platform.yaml's order, then the pipelines in the
/// assembly's order (their stacks do not depend on each other).
const ORDER: [&str; 7] = [
    "dpc-central",
    "dpc-account-core-data",
    "dpc-account-search",
    "dpc-account-rent-journey",
    "dpc-pipeline-core-data-listings",
    "dpc-pipeline-rent-journey-pipeline-x",
    "dpc-pipeline-search-searches",
];

#[test]
fn deploy_runs_one_cdk_deploy_per_stack_in_dependency_order_with_central_outputs() {
    let w = world();
    assert!(stand_in_for_the_bundle(&w.assembly) > 0);
    let app = s(&w.assembly);
    let r = run(
        &w,
        Some(&w.cdk),
        &[],
        &[
            "deploy",
            &app,
            "--profile",
            "platform",
            "--role-arn",
            "arn:aws:iam::111111111111:role/deployer",
            "--require-approval",
            "never",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let calls = calls(&w);
    assert_eq!(last_args(&calls), ORDER);
    let outputs = s(&w.assembly.join("dpc-central-outputs.json"));
    assert_eq!(
        calls[0],
        [
            "deploy",
            "--app",
            &app,
            "--exclusively",
            "--profile",
            "platform",
            "--role-arn",
            "arn:aws:iam::111111111111:role/deployer",
            "--require-approval",
            "never",
            "--outputs-file",
            &outputs,
            "dpc-central"
        ]
    );
    // Every account stack gets the central API URLs, read from the outputs file.
    for call in &calls[1..4] {
        let stack = call.last().expect("stack");
        let params: Vec<&str> = call
            .windows(2)
            .filter(|w| w[0] == "--parameters")
            .map(|w| w[1].as_str())
            .collect();
        assert_eq!(
            params,
            [
                format!("{stack}:DependencyApiUrl=https://dep.example/v1"),
                format!("{stack}:SlackApiUrl=https://slack.example/v1"),
            ],
            "{call:?}"
        );
        assert!(!call.contains(&"--outputs-file".to_owned()));
    }
    for call in &calls[4..] {
        assert!(!call.contains(&"--parameters".to_owned()), "{call:?}");
        assert!(call.contains(&"--exclusively".to_owned()));
    }
    assert!(r.stderr.contains("deployed 7 stacks"), "{}", r.stderr);

    // A later run of only the account stacks reuses the outputs kept from this one.
    std::fs::remove_file(&w.log).expect("reset log");
    let again = run(
        &w,
        Some(&w.cdk),
        &[],
        &["deploy", &app, "--accounts", "search"],
    );
    assert_eq!(again.code, 0, "{}", again.stderr);
    let calls = self::calls(&w);
    assert_eq!(
        last_args(&calls),
        ["dpc-account-search", "dpc-pipeline-search-searches"]
    );
    assert!(
        calls[0].contains(&"dpc-account-search:DependencyApiUrl=https://dep.example/v1".to_owned())
    );
}

#[test]
fn destroy_goes_in_reverse_and_passes_force_and_profile() {
    let w = world();
    let app = s(&w.assembly);
    let r = run(
        &w,
        Some(&w.cdk),
        &[],
        &["destroy", &app, "--force", "--profile", "platform"],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    let calls = calls(&w);
    let mut reversed = ORDER.to_vec();
    reversed.reverse();
    assert_eq!(last_args(&calls), reversed);
    assert_eq!(
        calls[0],
        [
            "destroy",
            "--app",
            &app,
            "--exclusively",
            "--profile",
            "platform",
            "--force",
            "dpc-pipeline-search-searches"
        ]
    );
}

#[test]
fn a_failed_stack_stops_the_run_and_says_what_was_deployed() {
    let w = world();
    stand_in_for_the_bundle(&w.assembly);
    let r = run(
        &w,
        Some(&w.cdk),
        &[("FAKE_CDK_FAIL", "dpc-account-search")],
        &["deploy", &s(&w.assembly)],
    );
    assert_eq!(r.code, 1);
    assert_eq!(
        last_args(&calls(&w)),
        ["dpc-central", "dpc-account-core-data", "dpc-account-search"]
    );
    assert!(
        r.stderr
            .contains("`cdk deploy` failed for `dpc-account-search` (exit code 3)"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("deployed before it: dpc-central, dpc-account-core-data"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("not deployed: dpc-account-search, dpc-account-rent-journey"),
        "{}",
        r.stderr
    );
}

#[test]
fn a_missing_cdk_cli_says_how_to_install_it() {
    let w = world();
    let nowhere = w.assembly.join("no-such-cdk");
    let r = run(&w, Some(&nowhere), &[], &["deploy", &s(&w.assembly)]);
    assert_eq!(r.code, 1);
    assert!(
        r.stderr.contains("npm install -g aws-cdk@2.1148.1"),
        "{}",
        r.stderr
    );
    // Not on PATH either.
    let empty = tempfile::tempdir().expect("tempdir");
    let r = run(
        &w,
        None,
        &[("PATH", &s(empty.path()))],
        &["destroy", &s(&w.assembly)],
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("`cdk`) is not on PATH"), "{}", r.stderr);
    assert!(calls(&w).is_empty());
}

#[test]
fn a_missing_lambda_bundle_stops_deploy_before_cdk_runs() {
    let w = world();
    let r = run(&w, Some(&w.cdk), &[], &["deploy", &s(&w.assembly)]);
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("dpc synth --bundle"), "{}", r.stderr);
    assert!(calls(&w).is_empty());
}

#[test]
fn dry_run_prints_the_exact_commands_and_runs_nothing() {
    let w = world();
    let app = s(&w.assembly);
    let r = run(
        &w,
        Some(&w.cdk),
        &[],
        &[
            "deploy",
            &app,
            "--dry-run",
            "--pipelines",
            "pipeline-x,listings@core-data",
            "--accounts",
            "central,rent-journey,core-data",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(calls(&w).is_empty());
    let cdk = s(&w.cdk);
    let lines: Vec<&str> = r.stdout.lines().collect();
    // --pipelines keeps pipeline stacks only; --accounts narrows them further.
    assert_eq!(
        lines,
        [
            format!("{cdk} deploy --app {app} --exclusively dpc-pipeline-core-data-listings"),
            format!("{cdk} deploy --app {app} --exclusively dpc-pipeline-rent-journey-pipeline-x"),
        ]
    );
    let all = run(&w, Some(&w.cdk), &[], &["deploy", &app, "--dry-run"]);
    assert_eq!(all.code, 0, "{}", all.stderr);
    let lines: Vec<&str> = all.stdout.lines().collect();
    assert_eq!(lines.len(), 7);
    assert!(
        lines[0].ends_with(&format!(
            "--outputs-file {app}/dpc-central-outputs.json dpc-central"
        )),
        "{}",
        lines[0]
    );
    assert!(
        lines[1].contains("--parameters 'dpc-account-core-data:DependencyApiUrl=<DependencyApiUrl output of dpc-central>'"),
        "{}",
        lines[1]
    );
    // The bundle is missing: a dry run warns instead of stopping.
    assert!(all.stderr.contains("dpc synth --bundle"), "{}", all.stderr);
    let unknown = run(
        &w,
        Some(&w.cdk),
        &[],
        &["deploy", &app, "--dry-run", "--pipelines", "nope"],
    );
    assert_eq!(unknown.code, 1);
    assert!(unknown.stderr.contains("`nope`"), "{}", unknown.stderr);
}

#[test]
fn deploy_synthesizes_an_organisation_folder_first() {
    let w = world();
    let out = w.assembly.parent().expect("tmp").join("fresh");
    let r = run(
        &w,
        Some(&w.cdk),
        &[],
        &[
            "destroy",
            &s(&w.org),
            "-o",
            &s(&out),
            "--dry-run",
            "--accounts",
            "central",
        ],
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(out.join("manifest.json").is_file());
    assert_eq!(
        r.stdout.trim(),
        format!(
            "{} destroy --app {} --exclusively dpc-central",
            s(&w.cdk),
            s(&out)
        )
    );
}

#[test]
fn setup_account_writes_only_that_accounts_stack() {
    let w = world();
    let out = w.assembly.parent().expect("tmp").join("setup");
    let r = dpc(&["setup-account", "search", &s(&w.org), "-o", &s(&out)]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout, "dpc-account-search\n");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest"))
            .expect("json");
    let stacks: Vec<&String> = manifest["artifacts"]
        .as_object()
        .expect("artifacts")
        .iter()
        .filter(|(_, a)| a["type"] == "aws:cloudformation:stack")
        .map(|(id, _)| id)
        .collect();
    assert_eq!(stacks, ["dpc-account-search"]);
    // The same account stack as a full synth writes.
    assert_eq!(
        std::fs::read(out.join("dpc-account-search.template.json")).expect("template"),
        std::fs::read(w.assembly.join("dpc-account-search.template.json")).expect("template")
    );

    let with_central = dpc(&[
        "setup-account",
        "333333333333",
        &s(&w.org),
        "--with-central",
        "-o",
        &s(&out),
    ]);
    assert_eq!(with_central.code, 0, "{}", with_central.stderr);
    assert_eq!(with_central.stdout, "dpc-central\ndpc-account-search\n");

    let unknown = dpc(&["setup-account", "serch", &s(&w.org), "-o", &s(&out)]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown.stderr.contains("did you mean `search`?"),
        "{}",
        unknown.stderr
    );
}
