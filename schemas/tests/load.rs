//! Loading organisations and projects: what constructs receive, and how bad input is
//! refused.

use dpc_model::{ConditionNode, Status};
use dpc_schema::{
    LoadOptions, LoadScope, Market, Script, StepConfig, StepContext, StepKind, StepProblem,
    StepRegistry, Target, Trigger, load_organisation, load_organisation_with,
    load_organisation_with_options, load_scenario,
};
use std::path::{Path, PathBuf};

fn case_study() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/case-study")
}

/// A fresh folder under cargo's scratch space for integration tests.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("dpc-schema-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch folder");
    dir
}

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folder");
    std::fs::write(path, text).expect("file");
}

const PLATFORM: &str = "central: { account: \"111111111111\", region: eu-west-1 }\naccounts:\n  core-data:\n    id: 012345678901\n    region: eu-west-1\n    network: { vpcId: vpc-0a1b2c3d, subnetIds: [subnet-0a1b2c3d] }\ndefaults:\n  emr: { releaseLabel: emr-7.5.0 }\n";

#[test]
fn the_case_study_resolves_completely() {
    let (org, warnings) = load_organisation(&case_study()).expect("the case study is valid");
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(org.scope, LoadScope::Organisation);
    let names: Vec<&str> = org.pipelines.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["listings", "pipeline-x", "searches"]);
    assert_eq!(org.platform.central.bus_name, "data-pipelines-central");
    assert_eq!(org.platform.log_retention_days, 30);
    assert_eq!(org.platform.cdk_qualifier, "hnb659fds");

    let listings = org.pipeline("222222222222", "listings").expect("listings");
    assert!(
        matches!(&listings.trigger, Trigger::Schedule(s) if s.hour == 3 && s.minute == 0 && s.timezone == "UTC")
    );
    // No dependsOn anywhere: the steps run in the order written.
    assert_eq!(listings.steps[0].depends_on, Vec::<String>::new());
    assert_eq!(listings.steps[1].depends_on, ["extract"]);
    assert_eq!(listings.cluster.release_label, "emr-7.5.0");
    assert_eq!(listings.cluster.core.count, 2);
    assert_eq!(listings.cluster.applications, ["Spark"]);
    assert_eq!(listings.tags["cost-center"], "1001");
    match &listings.steps[0].config {
        StepConfig::Spark(spark) => {
            assert!(
                matches!(&spark.script, Script::Local { relative, path } if relative == "jobs/extract_listings.py" && path.is_file())
            );
            assert_eq!(spark.args, ["--date", "{{ds}}"]);
            assert_eq!(spark.spark_conf["spark.executor.memory"], "4g");
        }
        other => panic!("expected a spark step, got {other:?}"),
    }

    let x = org
        .pipeline("444444444444", "pipeline-x")
        .expect("pipeline-x");
    let Trigger::Executions(trigger) = &x.trigger else {
        panic!("pipeline-x waits for executions");
    };
    assert_eq!(trigger.within.as_secs(), 24 * 3600);
    let parents: Vec<String> = trigger
        .condition
        .parents()
        .iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(parents, ["listings@222222222222", "searches@333333333333"]);
    assert!(
        matches!(&trigger.condition.all_of[0], ConditionNode::Item(i) if i.status == [Status::Succeeded])
    );
    assert_eq!(x.timeout.as_secs(), 6 * 3600);
    assert_eq!(x.cluster.core.market, Market::Spot);
    assert_eq!(x.notifications.on_status.len(), 4);
    assert_eq!(x.notifications.targets.len(), 3);
    assert!(
        matches!(&x.notifications.targets[2].target, Target::OpsGenie { secret_name } if secret_name == "dpc/opsgenie-endpoint")
    );

    let searches = org.pipeline("333333333333", "searches").expect("searches");
    assert_eq!(searches.cluster.master.instance_type, "m5.xlarge");
    assert_eq!(searches.cluster.core.instance_type, "r5.2xlarge");
    assert_eq!(searches.timeout.as_secs(), 3 * 3600);
}

#[test]
fn one_project_takes_the_platform_from_above_and_only_warns_about_parents() {
    let (org, warnings) = load_organisation(&case_study().join("pipeline-x")).expect("valid");
    assert_eq!(org.pipelines.len(), 1);
    assert!(matches!(&org.scope, LoadScope::Project { pipeline, .. } if pipeline == "pipeline-x"));
    assert_eq!(org.platform.accounts.len(), 3);
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings.iter().all(|w| w.code == "DM0230" && !w.is_error()));

    let (org, warnings) = load_organisation(&case_study().join("listings/pipeline.yaml"))
        .expect("a file names its project");
    assert!(warnings.is_empty());
    assert_eq!(org.pipelines[0].name, "listings");
}

#[test]
fn the_case_study_scenario_resolves_accounts() {
    let (org, _) = load_organisation(&case_study()).expect("valid");
    let (scenario, warnings) =
        load_scenario(&case_study().join("scenario.yaml"), &org).expect("valid scenario");
    assert!(warnings.is_empty());
    assert_eq!(scenario.events.len(), 4);
    assert_eq!(scenario.events[0].pipeline.account, "222222222222");
    assert_eq!(scenario.events[3].status, Status::Succeeded);
    assert_eq!(
        scenario.events[3].at_unix - scenario.events[0].at_unix,
        6 * 3600 + 600
    );
}

#[test]
fn unquoted_numbers_keep_every_digit_where_text_is_expected() {
    let dir = scratch("unquoted");
    write(&dir.join("platform.yaml"), PLATFORM);
    write(
        &dir.join("p/pipeline.yaml"),
        "name: p\naccount: 012345678901\ntags: { cost-center: 4711, shared: true }\nsteps:\n  - { name: s, type: shell, command: echo }\n",
    );
    let (org, _) = load_organisation(&dir).expect("valid");
    assert_eq!(org.platform.accounts[0].id, "012345678901");
    assert_eq!(org.pipelines[0].account.id, "012345678901");
    assert_eq!(org.pipelines[0].tags["cost-center"], "4711");
    assert_eq!(org.pipelines[0].tags["shared"], "true");
}

#[test]
fn explicit_dependencies_form_a_graph_with_roots() {
    let dir = scratch("dag");
    write(&dir.join("platform.yaml"), PLATFORM);
    write(
        &dir.join("p/pipeline.yaml"),
        "name: p\naccount: core-data\nsteps:\n  - { name: a, type: shell, command: echo }\n  - { name: b, type: shell, command: echo }\n  - { name: c, type: shell, command: echo, dependsOn: [a, b] }\n",
    );
    let (org, _) = load_organisation(&dir).expect("valid");
    let deps: Vec<&Vec<String>> = org.pipelines[0]
        .steps
        .iter()
        .map(|s| &s.depends_on)
        .collect();
    assert_eq!(
        deps,
        [&vec![], &vec![], &vec!["a".to_string(), "b".to_string()]]
    );
}

#[test]
fn skipped_folders_and_links_are_not_searched() {
    let dir = scratch("skips");
    write(&dir.join("platform.yaml"), PLATFORM);
    let project =
        "name: p\naccount: core-data\nsteps:\n  - { name: s, type: shell, command: echo }\n";
    write(&dir.join("teams/a/p/pipeline.yaml"), project);
    for skipped in ["cdk.out/x", ".git/x", "target/x", "node_modules/x", "out/x"] {
        write(&dir.join(skipped).join("pipeline.yaml"), "not: [valid");
    }
    #[cfg(unix)]
    std::os::unix::fs::symlink(dir.join("teams/a"), dir.join("linked")).expect("a link");
    let options = LoadOptions {
        exclude: vec![dir.join("out")],
        ..LoadOptions::default()
    };
    let (org, warnings) =
        load_organisation_with_options(&dir, &options).expect("only teams/a/p is loaded");
    assert_eq!(org.pipelines.len(), 1);
    assert!(org.pipelines[0].file.ends_with("teams/a/p/pipeline.yaml"));
    // The link is not followed, but not passed over in silence either.
    #[cfg(unix)]
    assert!(
        warnings
            .iter()
            .any(|w| w.message.contains("linked` is a symbolic link to a folder")),
        "{warnings:?}"
    );
}

#[test]
fn a_project_deeper_than_dpc_searches_is_an_error_not_left_out() {
    let dir = scratch("too-deep");
    write(&dir.join("platform.yaml"), PLATFORM);
    let deep: PathBuf = (0..34).map(|i| format!("d{i}")).collect();
    write(
        &dir.join(&deep).join("pipeline.yaml"),
        "name: p\naccount: core-data\nsteps:\n  - { name: s, type: shell, command: echo }\n",
    );
    let errors = load_organisation(&dir).expect_err("too deep to search");
    assert!(
        errors
            .iter()
            .any(|e| e.message.contains("more than 32 folders deep")),
        "{errors:?}"
    );
}

#[test]
fn a_file_larger_than_ten_mebibytes_is_refused_without_reading_it() {
    let dir = scratch("large");
    write(&dir.join("platform.yaml"), PLATFORM);
    let big = format!(
        "name: p\ndescription: \"{}\"\n",
        "x".repeat(11 * 1024 * 1024)
    );
    write(&dir.join("p/pipeline.yaml"), &big);
    let errors = load_organisation(&dir).expect_err("too large");
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].code, "DM0110");
    assert!(
        errors[0].message.contains("at most 10485760 bytes"),
        "{}",
        errors[0].message
    );
}

#[test]
fn no_platform_anywhere_is_one_clear_error() {
    let errors = load_organisation(Path::new("/")).expect_err("no platform at the root");
    assert_eq!(errors[0].code, "DM0116");
}

/// A step kind a library might add.
struct Glue;

impl StepKind for Glue {
    fn type_name(&self) -> &str {
        "glue"
    }
    fn description(&self) -> &str {
        "an AWS Glue job."
    }
    fn fields_schema(&self) -> serde_json::Value {
        serde_json::json!({ "properties": { "job": { "type": "string" } }, "required": ["job"] })
    }
    fn resolve(
        &self,
        fields: &serde_json::Map<String, serde_json::Value>,
        _cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) -> Option<StepConfig> {
        if fields["job"] == "forbidden" {
            problems.push(StepProblem::new(
                "/job",
                dpc_schema::Diagnostic::error("DM0299", "this job is forbidden"),
            ));
            return None;
        }
        Some(StepConfig::Custom {
            type_name: "glue".into(),
            fields: fields.clone(),
        })
    }
}

#[test]
fn a_library_adds_a_step_kind_without_touching_the_loader() {
    let dir = scratch("custom-kind");
    write(&dir.join("platform.yaml"), PLATFORM);
    write(
        &dir.join("p/pipeline.yaml"),
        "name: p\naccount: core-data\nsteps:\n  - name: g\n    type: glue\n    job: nightly\n",
    );
    let errors = load_organisation(&dir).expect_err("glue is not built in");
    assert_eq!(errors[0].code, "DM0106");

    let mut registry = StepRegistry::builtin();
    registry.register(Box::new(Glue));
    let (org, _) = load_organisation_with(&dir, &registry).expect("glue is registered");
    assert!(
        matches!(&org.pipelines[0].steps[0].config, StepConfig::Custom { type_name, fields } if type_name == "glue" && fields["job"] == "nightly")
    );
    let schema = dpc_schema::json_schema_with(dpc_schema::SchemaKind::Pipeline, &registry);
    assert_eq!(
        schema["definitions"]["Step"]["properties"]["type"]["enum"],
        serde_json::json!(["spark", "shell", "glue"])
    );

    write(
        &dir.join("p/pipeline.yaml"),
        "name: p\naccount: core-data\nsteps:\n  - name: g\n    type: glue\n    job: forbidden\n",
    );
    let errors = load_organisation_with(&dir, &registry).expect_err("the kind's own check");
    assert_eq!(errors[0].code, "DM0299");
    assert_eq!(
        errors[0].location.as_ref().map(|l| (l.line, l.column)),
        Some((6, 10))
    );
}

#[test]
fn diagnostics_carry_the_lines_read_so_the_printer_reads_no_file() {
    let dir = scratch("printer-reads-nothing");
    write(&dir.join("platform.yaml"), PLATFORM);
    let pipeline = dir.join("orders/pipeline.yaml");
    write(
        &pipeline,
        "name: orders\naccount: core-data\ntrigers: { hour: 3 }\nsteps:\n  - { name: a, type: shell, command: x }\n",
    );
    let errors = load_organisation(&dir).expect_err("a typo");
    // The file changes (or goes) between the check and the printing: what is shown is
    // what was checked, not what is on disk now.
    std::fs::remove_dir_all(dir.join("orders")).expect("remove the project");
    let text = dpc_schema::render_text(&errors, &dpc_schema::Sources::new(), false);
    assert!(text.contains("3 | trigers: { hour: 3 }"), "{text}");
    assert!(
        text.contains("  | ^^^^^^^ did you mean `trigger`?"),
        "{text}"
    );
}

/// An organisation of `upstreams` one-step pipelines and one `roll-up` whose condition
/// is `condition` (YAML under `executions:`, indented four spaces).
fn roll_up(name: &str, upstreams: usize, condition: &str) -> PathBuf {
    let dir = scratch(name);
    write(&dir.join("platform.yaml"), PLATFORM);
    for i in 0..upstreams {
        write(
            &dir.join(format!("s{i}/pipeline.yaml")),
            &format!(
                "name: s{i}\naccount: core-data\nsteps:\n  - {{ name: a, type: shell, command: echo }}\n"
            ),
        );
    }
    write(
        &dir.join("roll-up/pipeline.yaml"),
        &format!(
            "name: roll-up\naccount: core-data\ntrigger:\n  executions:\n{condition}steps:\n  - {{ name: a, type: shell, command: echo }}\n"
        ),
    );
    dir
}

fn items(range: std::ops::Range<usize>, indent: usize) -> String {
    range
        .map(|i| {
            format!(
                "{}- {{ name: s{i}, account: core-data, status: [SUCCEEDED] }}\n",
                " ".repeat(indent)
            )
        })
        .collect()
}

#[test]
fn a_condition_over_the_central_apis_item_limit_is_refused_at_the_item_past_it() {
    let max = dpc_model::contract::api::MAX_CONDITION_ITEMS;
    let at_limit = roll_up(
        "condition-at-limit",
        max,
        &format!("    allOf:\n{}", items(0..max, 6)),
    );
    assert!(load_organisation(&at_limit).is_ok());
    // 1,000 items: one error, on the line of item 201 (line 6 is the first item).
    let over = roll_up(
        "condition-over-limit",
        1_000,
        &format!(
            "    allOf:\n{}    anyOf:\n{}",
            items(0..600, 6),
            items(600..1_000, 6)
        ),
    );
    let errors = load_organisation(&over).expect_err("too many items");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "DM0228");
    assert!(
        errors[0].message.contains("1000 items"),
        "{}",
        errors[0].message
    );
    let at = errors[0].location.as_ref().expect("located");
    assert!(at.file.ends_with("roll-up/pipeline.yaml"), "{}", at.file);
    assert_eq!(at.line, 6 + max);
}

#[test]
fn condition_groups_nested_past_the_central_apis_depth_are_refused_where_too_deep() {
    let max = dpc_model::contract::api::MAX_CONDITION_DEPTH;
    // `depth` groups inside the executions block, each holding the next.
    let nested = |depth: usize| {
        let mut text = String::from("    allOf:\n");
        let mut indent = 6;
        for _ in 0..depth {
            text.push_str(&format!("{}- anyOf:\n", " ".repeat(indent)));
            indent += 4;
        }
        text + &items(0..1, indent)
    };
    assert!(load_organisation(&roll_up("groups-at-limit", 1, &nested(max - 1))).is_ok());
    let errors =
        load_organisation(&roll_up("groups-over-limit", 1, &nested(max))).expect_err("too deep");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert_eq!(errors[0].code, "DM0228");
    // Group k (at level k + 1) is on line 5 + k: the one at level max + 1 is reported.
    let at = errors[0].location.as_ref().expect("located");
    assert_eq!(at.line, 5 + max);
}

#[test]
fn ten_thousand_steps_load_and_a_cycle_through_all_of_them_is_named_once() {
    let dir = scratch("ten-thousand-steps");
    write(&dir.join("platform.yaml"), PLATFORM);
    let steps = |cycle: bool| -> String {
        (0..10_000)
            .map(|i| {
                let dep = match i {
                    0 if cycle => " dependsOn: [s9999],".to_string(),
                    0 => String::new(),
                    i => format!(" dependsOn: [s{}],", i - 1),
                };
                format!("  - {{ name: s{i}, type: shell,{dep} command: echo }}\n")
            })
            .collect()
    };
    write(
        &dir.join("p/pipeline.yaml"),
        &format!("name: p\naccount: core-data\nsteps:\n{}", steps(false)),
    );
    let (org, _) = load_organisation(&dir).expect("valid");
    assert_eq!(org.pipelines[0].steps.len(), 10_000);
    assert_eq!(
        org.pipelines[0].places.key("steps").map(|l| l.line),
        Some(3)
    );
    write(
        &dir.join("p/pipeline.yaml"),
        &format!("name: p\naccount: core-data\nsteps:\n{}", steps(true)),
    );
    let errors = load_organisation(&dir).expect_err("a cycle");
    assert_eq!(errors.len(), 1, "{:?}", errors.first());
    assert_eq!(errors[0].code, "DM0203");
}
