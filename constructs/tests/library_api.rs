//! dpc as a library: a pipeline built in code is the same pipeline as its YAML twin
//! (same resolved model, same bytes), gets the same checks and messages, and the app
//! around it can be extended (constructs, overrides, aspects) before synthesis.

use dpc_constructs::prelude::*;
use dpc_schema::{Pipeline, codes};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

fn example(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples")
        .join(path)
}

fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn copy_dir(from: &Path, to: &Path, skip: &str) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let name = entry.file_name();
        if name == skip {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target, skip);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// examples/case-study without pipeline-x, so its twin can be added in code.
fn case_study_without_pipeline_x(name: &str) -> PathBuf {
    let dir = scratch(name);
    copy_dir(&example("case-study"), &dir, "pipeline-x");
    dir
}

/// examples/case-study/pipeline-x/pipeline.yaml, line by line, in Rust.
fn pipeline_x() -> PipelineBuilder {
    PipelineBuilder::new("pipeline-x", "rent-journey")
        .project_dir(example("case-study/pipeline-x"))
        .description("Metric X from listings and searches")
        .owner("rent-journey-team")
        .tag("cost-center", "4711")
        .timeout("6h")
        .executions(
            ExecutionsBuilder::new()
                .within("24h")
                .all_of(ConditionBuilder::succeeded("listings", "core-data"))
                .all_of(ConditionBuilder::succeeded("searches", "search")),
        )
        .cluster(
            ClusterBuilder::new()
                .release_label("emr-7.5.0")
                .master("m5.xlarge")
                .core(InstanceGroupBuilder::new("r5.2xlarge").count(4).spot())
                .ebs_size_gb(64)
                .configuration("spark-defaults", [("spark.sql.adaptive.enabled", "true")]),
        )
        .access(
            AccessBuilder::new()
                .read(["s3://lake/listings/", "s3://lake/searches/"])
                .write(["s3://lake/metric-x/"])
                .glue_databases(["analytics"]),
        )
        .step(
            StepBuilder::spark("aggregate", "jobs/aggregate.py")
                .args(["--date", "{{ds}}"])
                .spark_conf("spark.executor.memory", "4g")
                .timeout("2h")
                .retries(1),
        )
        .step(
            StepBuilder::shell(
                "export",
                "aws s3 sync /mnt/out s3://lake/metric-x/dt={{ds}}/",
            )
            .depends_on(["aggregate"]),
        )
        .notifications(
            NotificationsBuilder::pipeline_status()
                .on_status([
                    StatusName::Failed,
                    StatusName::TimedOut,
                    StatusName::Aborted,
                    StatusName::Succeeded,
                ])
                .slack(["data-pipeline-alerts"])
                .email(["team-x@example.com"])
                .opsgenie("dpc/opsgenie-endpoint"),
        )
}

fn load_yaml_case_study() -> Organisation {
    match dpc_schema::load_organisation(&example("case-study")) {
        Ok((org, _)) => org,
        Err(e) => panic!("case study does not load: {e:#?}"),
    }
}

fn files(assembly: &Assembly) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = assembly
        .files()
        .map(|(p, b)| (p.to_owned(), b.to_vec()))
        .collect();
    out.sort();
    out
}

// Where a pipeline was written (its file, and where `steps` is in it) differs between a
// file and its code twin; everything else is the same.
fn without_file(mut p: Pipeline) -> Pipeline {
    p.file = PathBuf::new();
    p.steps_at = None;
    p
}

#[test]
fn pipeline_x_in_rust_is_pipeline_x_in_yaml() {
    let yaml_org = load_yaml_case_study();
    let yaml_x = yaml_org
        .pipeline("444444444444", "pipeline-x")
        .expect("pipeline-x")
        .clone();

    // Loaded with the organisation, through the same loader as the files.
    let dpc = Dpc::new().pipeline(pipeline_x());
    let dir = case_study_without_pipeline_x("twin-org");
    let (code_org, warnings) = dpc.load(&dir).unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(warnings.is_empty(), "{warnings:#?}");
    let code_x = code_org
        .pipeline("444444444444", "pipeline-x")
        .expect("the code pipeline is loaded")
        .clone();
    assert_eq!(code_x.file, Path::new("<code>/pipeline-x/pipeline.yaml"));
    assert_eq!(without_file(code_x.clone()), without_file(yaml_x.clone()));

    // Alone, against the platform: the same pipeline.
    let (alone, warnings) = check_pipeline(
        &pipeline_x().build(),
        &yaml_org.platform,
        &StepTypes::new().registry(),
    )
    .unwrap_or_else(|e| panic!("{e:#?}"));
    assert!(warnings.is_empty());
    assert_eq!(without_file(alone), without_file(yaml_x.clone()));

    // The organisation with its pipeline-x swapped for the twin: every file, byte for byte.
    let mut swapped = yaml_org.clone();
    for p in &mut swapped.pipelines {
        if p.name == "pipeline-x" {
            *p = code_x.clone();
        }
    }
    let yaml_assembly = synthesize(&yaml_org, SynthOptions::default()).expect("yaml synth");
    let code_assembly = synthesize(&swapped, SynthOptions::default()).expect("code synth");
    let yaml_files = files(&yaml_assembly);
    assert_eq!(yaml_files.len(), files(&code_assembly).len());
    for ((pa, a), (pb, b)) in yaml_files.iter().zip(files(&code_assembly)) {
        assert_eq!(pa, &pb);
        assert!(*a == b, "{pa} differs");
    }

    // The folder with the code pipeline added last: every template and asset manifest of
    // every stack is the same bytes (the manifest lists the stacks in load order).
    let loaded_assembly = dpc
        .build(&code_org)
        .expect("builds")
        .synth()
        .expect("synth");
    let loaded: Vec<(String, Vec<u8>)> = files(&loaded_assembly);
    for (path, bytes) in &yaml_files {
        if path == "manifest.json" {
            continue;
        }
        let twin = loaded.iter().find(|(p, _)| p == path);
        assert!(
            twin.is_some_and(|(_, b)| b == bytes),
            "{path} differs or is missing"
        );
    }
    let manifest = |a: &Assembly| -> Value {
        serde_json::from_slice(a.file("manifest.json").expect("manifest")).expect("json")
    };
    let (m1, m2) = (manifest(&yaml_assembly), manifest(&loaded_assembly));
    for (id, artifact) in m1["artifacts"].as_object().expect("artifacts") {
        assert_eq!(&m2["artifacts"][id], artifact, "{id}");
    }
}

#[test]
fn the_twin_writes_back_to_the_yaml_a_person_would_write() {
    let yaml = pipeline_x().to_yaml();
    assert!(
        yaml.starts_with(
            "# pipeline `pipeline-x`, built in code at constructs/tests/library_api.rs:"
        )
    );
    assert!(
        yaml.contains("\nsteps:\n  - name: \"aggregate\"\n    type: \"spark\"\n"),
        "{yaml}"
    );
}

fn codes_of(errors: &[Diagnostic]) -> Vec<&str> {
    errors.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn a_pipeline_in_code_gets_the_checks_and_messages_of_a_file() {
    let broken = PipelineBuilder::new("broken", "rent-journey")
        .cron("0 25 * * ? *")
        .executions(
            ExecutionsBuilder::new().all_of(ConditionBuilder::succeeded("listngs", "core-data")),
        )
        .step(StepBuilder::shell("a", "echo {{dt}}").depends_on(["c"]))
        .step(StepBuilder::shell("b", "echo ok").depends_on(["a", "zzz"]))
        .step(StepBuilder::shell("c", "echo ok").depends_on(["b"]))
        .step(StepBuilder::spark("d", "jobs/missing.py").field("sparkConfig", json!({})));
    let dpc = Dpc::new().pipeline(broken);
    let errors = dpc.load(&example("case-study")).expect_err("does not load");
    let found = codes_of(&errors);
    for code in [
        codes::BAD_TRIGGER,        // cron and executions at once
        codes::UNKNOWN_MACRO,      // {{dt}}
        codes::UNKNOWN_DEPENDENCY, // zzz
        codes::UNKNOWN_KEY,        // sparkConfig
        codes::UNKNOWN_UPSTREAM,   // listngs
    ] {
        assert!(found.contains(&code), "{code} missing from {errors:#?}");
    }
    let display = "<code>/broken/pipeline.yaml";
    let sources = dpc.sources(&errors);
    let yaml = sources.get(display).expect("the YAML form is a source");
    for d in &errors {
        let at = d.location.as_ref().expect("located");
        assert_eq!(at.file, display, "{d}");
        assert!(yaml.lines().nth(at.line - 1).is_some(), "{d}");
        assert!(
            d.notes
                .iter()
                .any(|n| n.contains("built in code at constructs/tests/library_api.rs:")),
            "{d:#?}"
        );
    }
    let unknown_key = errors
        .iter()
        .find(|d| d.code == codes::UNKNOWN_KEY)
        .expect("DM0103");
    assert_eq!(
        unknown_key.help.as_deref(),
        Some("did you mean `sparkConf`?")
    );
    let upstream = errors
        .iter()
        .find(|d| d.code == codes::UNKNOWN_UPSTREAM)
        .expect("DM0230");
    assert_eq!(upstream.help.as_deref(), Some("did you mean `listings`?"));
    let text = dpc.render(&errors, "load", false);
    assert!(text.contains("--> <code>/broken/pipeline.yaml:"), "{text}");
    assert!(
        text.contains("echo {{dt}}"),
        "the offending line is shown: {text}"
    );

    // A cycle, alone (the cycle check runs once every name is known).
    let cyclic = PipelineBuilder::new("cyclic", "rent-journey")
        .step(StepBuilder::shell("a", "true").depends_on(["b"]))
        .step(StepBuilder::shell("b", "true").depends_on(["a"]))
        .build();
    let platform = load_yaml_case_study().platform;
    let errors =
        check_pipeline(&cyclic, &platform, &StepTypes::new().registry()).expect_err("a cycle");
    assert_eq!(codes_of(&errors), [codes::STEP_CYCLE], "{errors:#?}");
}

#[test]
fn code_and_yaml_pipelines_see_each_other_across_the_organisation() {
    // A code pipeline waiting for a YAML one, and a duplicate of a YAML one.
    let child = PipelineBuilder::new("after-x", "rent-journey")
        .executions(
            ExecutionsBuilder::new()
                .all_of(ConditionBuilder::succeeded("pipeline-x", "rent-journey")),
        )
        .step(StepBuilder::shell("hello", "echo {{ds}}"));
    let (org, _) = Dpc::new()
        .pipeline(child)
        .load(&example("case-study"))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    assert_eq!(org.pipelines.len(), 4);
    let lineage = dpc_constructs::lineage::Lineage::of(&org);
    assert!(
        lineage
            .edges
            .iter()
            .any(|e| e.child.contains("after-x") && e.parent.contains("pipeline-x"))
    );

    let duplicate =
        PipelineBuilder::new("listings", "core-data").step(StepBuilder::shell("hello", "echo"));
    let errors = Dpc::new()
        .pipeline(duplicate)
        .load(&example("case-study"))
        .expect_err("a duplicate");
    assert_eq!(
        codes_of(&errors),
        [codes::DUPLICATE_PIPELINE],
        "{errors:#?}"
    );
    assert_eq!(
        errors[0].location.as_ref().map(|l| l.file.as_str()),
        Some("<code>/listings/pipeline.yaml")
    );
}

fn template(assembly: &Assembly, artifact: &str) -> Value {
    assembly
        .stacks()
        .iter()
        .find(|s| s.artifact_id == artifact)
        .unwrap_or_else(|| panic!("no stack {artifact}"))
        .template()
}

fn resources_of<'a>(template: &'a Value, kind: &str) -> Vec<(&'a String, &'a Value)> {
    template["Resources"]
        .as_object()
        .expect("resources")
        .iter()
        .filter(|(_, r)| r["Type"] == kind)
        .collect()
}

#[test]
fn the_built_app_takes_constructs_overrides_and_aspects() {
    let org = load_yaml_case_study();
    let mut built = Dpc::new().build(&org).expect("builds");
    const MACHINE: &str = "dpc-pipeline-rent-journey-pipeline-x/StateMachine/Resource";

    // Any construct or raw resource, in a pipeline's stack.
    let mut scope = built
        .pipeline_scope("rent-journey", "pipeline-x")
        .expect("the stack");
    let mut extra = scope.child("Extra").expect("child");
    let queue = extra
        .add_resource(
            "Queue",
            RawResource::new("AWS::SQS::Queue", json!({"SqsManagedSseEnabled": true})),
        )
        .expect("queue");
    assert_eq!(queue.logical_id(), "ExtraQueueC1669ECD"); // the CDK's id for `Extra/Queue`
    let err = built
        .pipeline_scope("rent-journey", "pipeline-y")
        .err()
        .expect("no such pipeline");
    assert_eq!(err.help.as_deref(), Some("did you mean `pipeline-x`?"));

    // Overrides: checked at once, applied at synthesis.
    built
        .override_property(MACHINE, "LoggingConfiguration.Level", json!("ALL"))
        .expect("an existing property");
    built
        .override_property(
            "dpc-pipeline-rent-journey-pipeline-x/StateMachine",
            "TracingConfiguration.Enabled",
            json!(false),
        )
        .expect("the construct's Resource child");
    let missing = built
        .override_property(MACHINE, "LoggingConfiguraton.Level", json!("ALL"))
        .expect_err("a typo");
    assert_eq!(missing.code, dpc_core::codes::INVALID_PROPERTIES);
    assert_eq!(
        missing.help.as_deref(),
        Some("did you mean `LoggingConfiguration`?")
    );
    assert_eq!(missing.construct_path.as_deref(), Some(MACHINE));
    let nowhere = built
        .override_property(
            "dpc-pipeline-rent-journey-pipeline-x/StateMachin/Resource",
            "A",
            json!(1),
        )
        .expect_err("no such resource");
    assert_eq!(nowhere.code, dpc_core::codes::UNKNOWN_RESOURCE);
    assert_eq!(
        nowhere.help.as_deref(),
        Some(format!("did you mean `{MACHINE}`?").as_str())
    );
    let through_text = built
        .add_property(MACHINE, "StateMachineName.Inner", json!("x"))
        .expect_err("the name is text, not an object");
    assert!(
        through_text
            .message
            .contains("`Inner` is inside a value that is neither object nor array")
    );
    let logical_id = {
        let node = built.resource_node(MACHINE).expect("found");
        built.app.tree().logical_id(node).expect("an id").to_owned()
    };
    let ambiguous = built
        .add_property(&logical_id, "Tags", json!([]))
        .expect_err("every pipeline stack has this logical id");
    assert_eq!(
        ambiguous.message,
        format!("logical id `{logical_id}` is in 3 stacks")
    );
    built
        .add_property(
            &format!("dpc-pipeline-rent-journey-pipeline-x/{logical_id}"),
            "Tags",
            json!([{"Key": "extra", "Value": "yes"}]),
        )
        .expect("by stack and logical id");

    // An organisation policy: state machines must not log everything.
    built.add_aspect(|node: &mut NodeView<'_>| match node.resource() {
        Some(r)
            if r.type_name == "AWS::StepFunctions::StateMachine"
                && r.properties["LoggingConfiguration"]["Level"] == "ALL" =>
        {
            vec![Diagnostic::error(
                "ORG001",
                "state machines log at ERROR level at most",
            )]
        }
        _ => Vec::new(),
    });
    let errors = built.synth().expect_err("the policy rejects the override");
    assert_eq!(codes_of(&errors), ["ORG001"], "{errors:#?}");
    let d = &errors[0];
    assert_eq!(d.construct_path.as_deref(), Some(MACHINE));
    assert_eq!(
        d.notes,
        [
            "in the stack of pipeline `pipeline-x` (account `rent-journey`), defined `".to_owned()
                + &example("case-study/pipeline-x/pipeline.yaml")
                    .display()
                    .to_string()
                + "`"
        ]
    );
}

#[test]
fn overrides_and_added_resources_reach_the_templates() {
    let org = load_yaml_case_study();
    let mut built = Dpc::new().build(&org).expect("builds");
    let stack = built.stack("dpc-account-core-data").expect("setup stack");
    built
        .scope(stack)
        .expect("scope")
        .add_resource(
            "Marker",
            RawResource::new(
                "AWS::SSM::Parameter",
                json!({"Type": "String", "Value": "x"}),
            ),
        )
        .expect("added");
    built
        .override_property(
            "dpc-pipeline-rent-journey-pipeline-x/StateMachine/Resource",
            "TracingConfiguration.Enabled",
            json!(false),
        )
        .expect("override");
    built
        .delete_property(
            "dpc-pipeline-rent-journey-pipeline-x/StateMachine/Resource",
            "TracingConfiguration",
        )
        .expect("delete");
    let assembly = built.synth().expect("synth");
    assert!(
        resources_of(
            &template(&assembly, "dpc-account-core-data"),
            "AWS::SSM::Parameter"
        )
        .iter()
        .any(|(id, r)| id.as_str() == "Marker" && r["Properties"]["Value"] == "x")
    );
    let pipeline_x = template(&assembly, "dpc-pipeline-rent-journey-pipeline-x");
    let machines = resources_of(&pipeline_x, "AWS::StepFunctions::StateMachine");
    assert_eq!(machines.len(), 1);
    assert!(
        machines[0].1["Properties"]
            .get("TracingConfiguration")
            .is_none()
    );
    assert!(assembly.file("lineage.json").is_some());
}

/// A step type defined here, with everything a step type can say.
struct Copy;

impl StepType for Copy {
    fn type_name(&self) -> &str {
        "copy"
    }

    fn description(&self) -> &str {
        "copies `from` to `to` with a script."
    }

    fn fields_schema(&self) -> Value {
        json!({
            "properties": {
                "script": { "type": "string" },
                "from": { "type": "string" },
                "to": { "type": "string" }
            },
            "required": ["script", "from", "to"]
        })
    }

    fn applications(&self) -> Vec<String> {
        vec!["Hadoop".into()]
    }

    fn scripts(&self, fields: &serde_json::Map<String, Value>) -> Vec<StepScript> {
        let script = fields.get("script").and_then(Value::as_str).unwrap_or("");
        vec![StepScript::new("/script", script)]
    }

    fn validate(
        &self,
        fields: &serde_json::Map<String, Value>,
        _cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) {
        if fields.get("from") == fields.get("to") {
            problems.push(StepProblem::new(
                "/to",
                Diagnostic::error("X0001", "`to` is `from`").with_label("copies onto itself"),
            ));
        }
        dpc_schema::steps::push_macro_problems(
            fields.get("to").and_then(Value::as_str).unwrap_or(""),
            "/to",
            problems,
        );
    }

    fn emr_step(&self, input: &StepInput<'_>) -> Result<HadoopJarStep, Diagnostic> {
        Ok(HadoopJarStep::command_runner([
            "bash".to_owned(),
            input.script_url(input.text("script").unwrap_or(""))?,
            input.text("from").unwrap_or("").to_owned(),
            input.text("to").unwrap_or("").to_owned(),
        ]))
    }

    fn permissions(&self, input: &StepInput<'_>) -> Result<StepPermissions, Diagnostic> {
        Ok(StepPermissions {
            cluster: vec![
                Statement::allow(["s3:GetObject"])
                    .sid("Source")
                    .on([format!(
                        "arn:aws:s3:::{}*",
                        input.text("from").unwrap_or("").trim_start_matches("s3://")
                    )]),
            ],
            state_machine: vec![
                Statement::allow(["sqs:SendMessage"])
                    .on(["arn:aws:sqs:eu-west-1:444444444444:copies"]),
            ],
        })
    }
}

#[test]
fn a_step_type_is_one_trait_registered_once() {
    let dir = scratch("step-type-project");
    std::fs::write(
        dir.join("copy.sh"),
        "#!/bin/bash\naws s3 cp \"$1\" \"$2\"\n",
    )
    .expect("script");
    let pipeline = PipelineBuilder::new("copier", "rent-journey")
        .project_dir(&dir)
        .step(
            StepBuilder::of_type("copy-data", "copy")
                .field("script", "copy.sh")
                .field("from", "s3://lake/in/")
                .field("to", "s3://lake/out/{{ds}}/"),
        );
    let dpc = Dpc::new().step_type(Copy).pipeline(pipeline);
    let (org, _) = dpc
        .load(&example("case-study"))
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let copier = org.pipeline("444444444444", "copier").expect("loaded");
    assert_eq!(copier.cluster.applications, ["Hadoop"]);
    let assembly = dpc
        .build(&org)
        .expect("builds")
        .synth()
        .unwrap_or_else(|e| panic!("{e:#?}"));
    let t = template(&assembly, "dpc-pipeline-rent-journey-copier");
    let text = t.to_string();
    // The EMR step: the shipped script's asset URL, the macro filled in at run time.
    let machine = resources_of(&t, "AWS::StepFunctions::StateMachine")[0].1;
    let definition = machine["Properties"]["Definition"].to_string();
    assert!(
        definition.contains(r#""Jar":"command-runner.jar""#),
        "{definition}"
    );
    assert!(
        definition.contains(
            r#""Args.$":"States.Array('bash', 's3://cdk-hnb659fds-assets-444444444444-eu-west-1/"#
        ),
        "{definition}"
    );
    assert!(
        definition.contains(r#".sh', 's3://lake/in/', States.Format('s3://lake/out/{}/', $ds))"#),
        "{definition}"
    );
    // The permissions, named after the step, in the right roles.
    assert!(text.contains(r#""Sid":"StepCopyDataSource""#), "{text}");
    assert!(text.contains(r#""Sid":"StepCopyData1""#), "{text}");
    let roles = resources_of(&t, "AWS::IAM::Role");
    let role_with = |sid: &str| {
        roles
            .iter()
            .find(|(_, r)| r.to_string().contains(sid))
            .map(|(id, _)| id.as_str())
            .unwrap_or_default()
    };
    assert!(role_with("StepCopyDataSource").starts_with("ClusterRole"));
    assert!(role_with("StepCopyData1").starts_with("Role"));

    // Its checks, located in the step.
    let bad = PipelineBuilder::new("bad-copier", "rent-journey")
        .project_dir(&dir)
        .step(
            StepBuilder::of_type("copy-data", "copy")
                .field("script", "nope.sh")
                .field("from", "s3://a/{{dt}}")
                .field("to", "s3://a/{{dt}}"),
        );
    let errors = Dpc::new()
        .step_type(Copy)
        .pipeline(bad)
        .load(&example("case-study"))
        .expect_err("bad");
    assert_eq!(
        codes_of(&errors),
        [codes::SCRIPT_NOT_FOUND, "X0001", codes::UNKNOWN_MACRO],
        "{errors:#?}"
    );
    // Without the type, `copy` is an unknown type, as in the CLI.
    let unknown = Dpc::new()
        .pipeline(PipelineBuilder::new("c", "rent-journey").step(StepBuilder::of_type("s", "copy")))
        .load(&example("case-study"))
        .expect_err("unknown type");
    assert_eq!(codes_of(&unknown), [codes::NOT_ALLOWED], "{unknown:#?}");
}
