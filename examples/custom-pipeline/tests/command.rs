//! The `custom-pipeline` command, as a user runs it: the assembly it writes, the same
//! bytes on every run, a policy violation that exits 1 with a located message and
//! writes nothing, and the independent validators on its output.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_custom-pipeline"))
        .args(args)
        .current_dir(repo_root())
        .env("NO_COLOR", "1")
        .output()
        .expect("the command runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn template(dir: &Path, artifact: &str) -> Value {
    let path = dir.join(format!("{artifact}.template.json"));
    serde_json::from_slice(&std::fs::read(&path).expect("template")).expect("json")
}

#[test]
fn it_writes_the_case_study_and_the_code_pipeline() {
    let out = scratch("custom-out");
    let out_arg = out.to_str().expect("utf-8 path");
    let first = run(&["-o", out_arg]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert_eq!(
        text(&first.stdout).lines().collect::<Vec<_>>(),
        [
            "dpc-central",
            "dpc-account-core-data",
            "dpc-account-search",
            "dpc-account-rent-journey",
            "dpc-pipeline-core-data-listings",
            "dpc-pipeline-rent-journey-pipeline-x",
            "dpc-pipeline-search-searches",
            "dpc-pipeline-rent-journey-daily-report",
        ]
    );
    let t = template(&out, "dpc-pipeline-rent-journey-daily-report");
    let resources = t["Resources"].as_object().expect("resources");
    assert_eq!(resources["ReportLocation"]["Type"], "AWS::SSM::Parameter");
    let logs = resources
        .values()
        .find(|r| r["Type"] == "AWS::Logs::LogGroup")
        .expect("log group");
    assert_eq!(logs["Properties"]["RetentionInDays"], 90);
    assert!(
        t.to_string()
            .contains("'hive-script', '--run-hive-script', '--args', '-f'")
    );
    let lineage: Value =
        serde_json::from_slice(&std::fs::read(out.join("lineage.json")).expect("lineage"))
            .expect("json");
    assert!(
        lineage["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .any(|e| e["child"]
                .as_str()
                .is_some_and(|c| c.contains("daily-report"))
                && e["parent"]
                    .as_str()
                    .is_some_and(|p| p.contains("pipeline-x"))),
        "{lineage}"
    );

    // Same input, same bytes: nothing is rewritten.
    let second = run(&["-o", out_arg]);
    assert!(second.status.success());
    assert!(
        text(&second.stderr).contains("(0 written, 22 unchanged, 0 removed)"),
        "{}",
        text(&second.stderr)
    );

    if tools_installed() {
        let checked = Command::new(repo_root().join("scripts/check-assembly"))
            .arg(&out)
            .output()
            .expect("scripts/check-assembly runs");
        let report = text(&checked.stdout) + &text(&checked.stderr);
        assert!(checked.status.success(), "{report}");
        assert!(report.contains("0 errors, 0 warnings"), "{report}");
        assert!(report.contains("4 state machines, 0 invalid"), "{report}");
    }
}

/// Whether `scripts/install-tools` has run; in CI it must have.
fn tools_installed() -> bool {
    let root = repo_root();
    let installed = root.join(".tools/venv/bin/python").is_file()
        && root.join("tools/node_modules/asl-validator").is_dir();
    let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
        || std::env::var_os("DPC_REQUIRE_TOOLS").is_some();
    assert!(
        installed || !ci,
        "the validators are not installed; run scripts/install-tools"
    );
    if !installed {
        eprintln!("skipping scripts/check-assembly: run scripts/install-tools");
    }
    installed
}

#[test]
fn a_policy_violation_exits_1_with_a_located_message_and_writes_nothing() {
    let out = scratch("custom-rejected");
    let output = run(&[
        "-o",
        out.to_str().expect("utf-8 path"),
        "--allow-instance-type",
        "m5.xlarge",
    ]);
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    let expected = "error[POL002]: state machine `dpc-pipeline-x` starts EMR instances of type `r5.2xlarge`, which the organisation does not allow
 --> construct `dpc-pipeline-rent-journey-pipeline-x/StateMachine/Resource`
  = note: allowed: m5.xlarge
  = note: in the stack of pipeline `pipeline-x` (account `rent-journey`), defined `examples/case-study/pipeline-x/pipeline.yaml`
  = help: choose an allowed type in the pipeline's `cluster`
";
    assert!(stderr.starts_with(expected), "{stderr}");
    assert!(
        stderr.contains(
            "error[POL002]: state machine `dpc-searches` starts EMR instances of type `r5.2xlarge`"
        ),
        "{stderr}"
    );
    assert!(
        stderr.ends_with("error: could not synthesize `examples/case-study` (2 errors)\n"),
        "{stderr}"
    );
    assert!(text(&output.stdout).is_empty());
    assert!(!out.exists(), "nothing is written");
}

#[test]
fn it_prints_the_code_pipeline_as_yaml() {
    let output = run(&["--yaml"]);
    assert!(output.status.success());
    let yaml = text(&output.stdout);
    assert!(
        yaml.starts_with(
            "---\n# pipeline `daily-report`, built in code at examples/custom-pipeline/src/lib.rs:"
        ),
        "{yaml}"
    );
    assert!(
        yaml.contains("\n  - name: \"report\"\n    type: \"hive\"\n"),
        "{yaml}"
    );
    assert!(
        yaml.contains(
            "\n    script: \"jobs/daily_report.hql\"\n    variables:\n      DS: \"{{ds}}\"\n"
        ),
        "{yaml}"
    );
}

#[test]
fn usage_mistakes_exit_2() {
    let output = run(&["--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
}
