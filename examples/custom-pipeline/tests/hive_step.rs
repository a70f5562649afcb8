//! `type: hive`, end to end: written in YAML or in code, checked with located messages,
//! rendered into the state machine, with the script shipped or granted.

use custom_pipeline::hive::{HiveStep, codes as hive};
use custom_pipeline::policy::{AllowedInstanceTypes, RequireOwner, codes as policy};
use dpc_constructs::prelude::*;
use dpc_schema::{SchemaKind, StepConfig, codes, json_schema_with};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn case_study() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../case-study")
}

/// An organisation folder with the case study's platform.yaml and one project.
fn org_with(name: &str, pipeline_yaml: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let project = dir.join("report");
    std::fs::create_dir_all(project.join("jobs")).expect("dirs");
    std::fs::copy(
        case_study().join("platform.yaml"),
        dir.join("platform.yaml"),
    )
    .expect("platform");
    std::fs::write(project.join("pipeline.yaml"), pipeline_yaml).expect("pipeline.yaml");
    for (path, text) in files {
        std::fs::write(project.join(path), text).expect("file");
    }
    dir
}

const REPORT: &str = r#"
name: report
account: rent-journey
owner: rent-journey-team
steps:
  - name: report
    type: hive
    script: jobs/report.hql
    variables: { DS: "{{ds}}", OUT: "s3://lake/out/dt={{ds_nodash}}/" }
    hiveConf: { hive.exec.dynamic.partition.mode: nonstrict }
  - name: from-s3
    type: hive
    script: s3://queries/hive/totals.q
"#;

fn hive() -> Dpc {
    Dpc::new().step_type(HiveStep)
}

fn template(assembly: &Assembly, artifact: &str) -> Value {
    assembly
        .stacks()
        .iter()
        .find(|s| s.artifact_id == artifact)
        .map(|s| s.template())
        .unwrap_or_else(|| panic!("no stack {artifact}"))
}

fn step_args(template: &Value, step: &str) -> String {
    let machine = template["Resources"]
        .as_object()
        .expect("resources")
        .values()
        .find(|r| r["Type"] == "AWS::StepFunctions::StateMachine")
        .expect("a state machine");
    let states =
        &machine["Properties"]["Definition"]["States"]["Run steps"]["Branches"][0]["States"];
    let hadoop = &states[step]["Parameters"]["Step"]["HadoopJarStep"];
    assert_eq!(hadoop["Jar"], "command-runner.jar");
    // With macros, the arguments are an intrinsic filled in at run time; without, a list.
    match hadoop["Args.$"].as_str() {
        Some(intrinsic) => intrinsic.to_owned(),
        None => hadoop["Args"].to_string(),
    }
}

fn role_statements(template: &Value, prefix: &str) -> Vec<Value> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .find(|(id, r)| id.starts_with(prefix) && r["Type"] == "AWS::IAM::Role")
        .map(|(_, r)| r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"].clone())
        .and_then(|s| s.as_array().cloned())
        .unwrap_or_default()
}

#[test]
fn a_yaml_pipeline_names_the_type_and_gets_an_emr_hive_step() {
    let dir = org_with("hive-yaml", REPORT, &[("jobs/report.hql", "SELECT 1;\n")]);
    let (org, warnings) = hive().load(&dir).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    let pipeline = org.pipeline("444444444444", "report").expect("loaded");
    assert_eq!(pipeline.cluster.applications, ["Hive"]);
    assert!(matches!(
        &pipeline.steps[0].config,
        StepConfig::Custom { type_name, fields } if type_name == "hive" && fields["script"] == "jobs/report.hql"
    ));

    let assembly = hive()
        .build(&org)
        .expect("builds")
        .synth()
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let t = template(&assembly, "dpc-pipeline-rent-journey-report");
    let shipped = assembly
        .files()
        .map(|(path, _)| path.to_owned())
        .find(|p| p.ends_with(".hql"))
        .expect("the local script is an asset");
    let hash = shipped
        .trim_start_matches("asset.")
        .trim_end_matches(".hql");
    assert_eq!(
        step_args(&t, "report"),
        format!(
            "States.Array('hive-script', '--run-hive-script', '--args', '-f', \
             's3://cdk-hnb659fds-assets-444444444444-eu-west-1/{hash}.hql', \
             '--hiveconf', 'hive.exec.dynamic.partition.mode=nonstrict', \
             '-d', States.Format('DS={{}}', $ds), \
             '-d', States.Format('OUT=s3://lake/out/dt={{}}/', $ds_nodash))"
        )
    );
    assert_eq!(
        step_args(&t, "from-s3"),
        r#"["hive-script","--run-hive-script","--args","-f","s3://queries/hive/totals.q"]"#
    );

    // The shipped script is read through dpc's own grant; the one in S3 through the
    // step's, on that object only; the state machine's role gets nothing more.
    let cluster = role_statements(&t, "ClusterRole");
    let scripts = cluster
        .iter()
        .find(|s| s["Sid"] == "JobScripts")
        .expect("JobScripts");
    assert!(
        scripts.to_string().contains(&format!("{hash}.hql")),
        "{scripts}"
    );
    let granted: Vec<&Value> = cluster
        .iter()
        .filter(|s| s["Sid"].as_str().is_some_and(|s| s.starts_with("Step")))
        .collect();
    assert_eq!(
        granted,
        [&json!({
            "Sid": "StepFromS3HiveScript",
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": {"Fn::Sub": "arn:${AWS::Partition}:s3:::queries/hive/totals.q"}
        })]
    );
    let machine = role_statements(&t, "Role");
    assert!(
        !machine
            .iter()
            .any(|s| s["Sid"].as_str().is_some_and(|s| s.starts_with("Step")))
    );
}

#[test]
fn the_dpc_cli_without_the_type_rejects_it() {
    let dir = org_with("hive-cli", REPORT, &[("jobs/report.hql", "SELECT 1;\n")]);
    let errors = dpc_schema::load_organisation(&dir).expect_err("hive is not built in");
    assert!(
        errors.iter().all(|d| d.code == codes::NOT_ALLOWED),
        "{errors:#?}"
    );
    assert_eq!(errors.len(), 2);
    assert!(
        errors[0]
            .label
            .as_deref()
            .is_some_and(|l| l.contains("`spark`, `shell`")),
        "{errors:#?}"
    );
}

#[test]
fn its_schema_joins_the_pipeline_schema() {
    let schema = json_schema_with(SchemaKind::Pipeline, &hive().step_types().registry());
    let step = &schema["definitions"]["Step"];
    assert_eq!(
        step["properties"]["type"]["enum"],
        json!(["spark", "shell", "hive"])
    );
    let branch = step["allOf"]
        .as_array()
        .expect("branches")
        .iter()
        .find(|b| b["if"]["properties"]["type"]["const"] == "hive")
        .expect("a hive branch");
    assert_eq!(branch["then"]["required"], json!(["script"]));
    assert_eq!(branch["then"]["additionalProperties"], json!(false));
    assert!(branch["then"]["properties"]["variables"].is_object());
}

#[test]
fn mistakes_are_reported_where_they_are_written() {
    let yaml = r#"name: report
account: rent-journey
steps:
  - name: wrong-file
    type: hive
    script: jobs/report.py
  - name: bucket-only
    type: hive
    script: s3://queries/
  - name: bad-names
    type: hive
    script: jobs/missing.hql
    variables:
      1ST: "x"
      DATE: "{{dt}}"
    hiveConf: { "a=b": "c" }
  - name: typo
    type: hive
    script: jobs/report.hql
    variable: { DS: "{{ds}}" }
"#;
    let dir = org_with(
        "hive-mistakes",
        yaml,
        &[("jobs/report.py", ""), ("jobs/report.hql", "")],
    );
    let errors = hive().load(&dir).expect_err("mistakes");
    let found: Vec<(&str, usize, usize)> = errors
        .iter()
        .map(|d| {
            let at = d.location.as_ref().expect("located");
            assert!(at.file.ends_with("report/pipeline.yaml"), "{d}");
            (d.code.as_str(), at.line, at.column)
        })
        .collect();
    assert_eq!(
        found,
        [
            (hive::NOT_A_HIVE_SCRIPT, 6, 13),
            (hive::NOT_AN_OBJECT, 9, 13),
            (codes::SCRIPT_NOT_FOUND, 12, 13),
            (hive::BAD_VARIABLE, 14, 12),
            (codes::UNKNOWN_MACRO, 15, 14),
            (hive::BAD_SETTING, 16, 24),
            (codes::UNKNOWN_KEY, 20, 5),
        ],
        "{errors:#?}"
    );
    let typo = errors.last().expect("the typo");
    assert_eq!(typo.help.as_deref(), Some("did you mean `variables`?"));
    let sources = dpc_core::diagnostic::Sources::new();
    let text = dpc_core::diagnostic::render_text(&errors, &sources, false);
    assert!(
        text.contains("error[HV003]: `1ST` is not a Hive variable name"),
        "{text}"
    );
    assert!(text.contains("did you mean `{{ds}}`?"), "{text}");
}

#[test]
fn in_code_a_policy_rejects_a_pipeline_with_its_origin() {
    let mut report = custom_pipeline::daily_report();
    report.file_mut().owner = None;
    let dpc = hive()
        .pipeline(report)
        .aspect(RequireOwner)
        .aspect(AllowedInstanceTypes::default());
    let (org, _) = dpc.load(&case_study()).unwrap_or_else(|e| panic!("{e:#?}"));
    let errors = dpc
        .build(&org)
        .expect("builds")
        .synth()
        .expect_err("no owner");
    assert_eq!(errors.len(), 1, "{errors:#?}");
    let d = &errors[0];
    assert_eq!(d.code, policy::NO_OWNER);
    assert_eq!(d.message, "state machine `dpc-daily-report` has no owner");
    assert_eq!(
        d.construct_path.as_deref(),
        Some("dpc-pipeline-rent-journey-daily-report/StateMachine/Resource")
    );
    assert_eq!(d.notes.len(), 1);
    assert!(
        d.notes[0].starts_with(
            "in the stack of pipeline `daily-report` (account `rent-journey`), defined in code at examples/custom-pipeline/src/lib.rs:"
        ),
        "{:?}",
        d.notes
    );
}
