//! `dpc create-project`, run as a user runs it: from inside the organisation folder.

mod common;

use common::{copy_example, dpc};
use std::process::Command;

fn create(cwd: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_dpc"))
        .arg("create-project")
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("DPC_DEFAULT_PATH")
        .output()
        .expect("dpc runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_new_project_validates_as_written_with_its_schema_line() {
    let (_tmp, org) = copy_example("case-study");
    let teams = org.join("teams");
    std::fs::create_dir_all(&teams).unwrap();
    let (code, stderr) = create(&teams, &["-n", "daily-report", "--account", "search"]);
    assert_eq!(code, 0, "{stderr}");

    let project = teams.join("daily-report");
    let yaml = std::fs::read_to_string(project.join("pipeline.yaml")).unwrap();
    let first = yaml.lines().next().unwrap();
    assert_eq!(
        first,
        "# yaml-language-server: $schema=../../.dpc/pipeline.schema.json"
    );
    let schema: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(org.join(".dpc/pipeline.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    assert!(yaml.contains("account: search"), "{yaml}");
    assert!(project.join("jobs/main.py").is_file());
    assert!(project.join("README.md").is_file());

    let run = dpc(&["validate", org.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("checked 4 pipelines"), "{}", run.stderr);
}

#[test]
fn an_existing_folder_is_never_overwritten() {
    let (_tmp, org) = copy_example("case-study");
    let (code, stderr) = create(&org, &["-n", "listings"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("already exists"), "{stderr}");
    let yaml = std::fs::read_to_string(org.join("listings/pipeline.yaml")).unwrap();
    assert!(yaml.contains("name: listings"));
}

#[test]
fn an_unknown_account_is_named_with_the_closest_alias_and_nothing_is_left() {
    let (_tmp, org) = copy_example("case-study");
    let (code, stderr) = create(&org, &["-n", "daily-report", "--account", "serch"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("serch"), "{stderr}");
    assert!(stderr.contains("search"), "{stderr}");
    assert!(!org.join("daily-report").exists());
}

#[test]
fn a_bad_name_is_refused() {
    let (_tmp, org) = copy_example("case-study");
    let (code, stderr) = create(&org, &["-n", "Daily_Report"]);
    assert_eq!(code, 1);
    assert!(stderr.contains("not a valid pipeline name"), "{stderr}");
}
