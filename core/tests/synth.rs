//! Synthesis through the public API: template shape, determinism, aspects, validations,
//! deployment order and assets.

// Helpers outside #[test] fns unwrap too: in a test a panic is the failure report.
#![allow(clippy::unwrap_used)]

use dpc_core::aspect::priority;
use dpc_core::{
    App, Aspect, Assembly, CfnResource, DeletionPolicy, Diagnostic, Expr, FileAsset, NodeView,
    Output, Parameter, RawResource, ResourceOptions, StackProps,
};
use serde::Serialize;
use serde_json::{Value, json};

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CfnStateMachine {
    #[serde(skip_serializing_if = "Option::is_none")]
    state_machine_name: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tags: Vec<Tag>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Tag {
    key: String,
    value: String,
}

impl CfnResource for CfnStateMachine {
    const TYPE: &'static str = "AWS::StepFunctions::StateMachine";
}

fn env(account: &str) -> StackProps {
    StackProps {
        account: account.into(),
        region: "eu-west-1".into(),
        ..StackProps::default()
    }
}

fn template(assembly: &Assembly, artifact: &str) -> Value {
    let bytes = assembly
        .file(&format!("{artifact}.template.json"))
        .expect("template file");
    serde_json::from_slice(bytes).expect("valid JSON")
}

/// A stack with one of everything.
fn full_app() -> App {
    let mut app = App::new();
    let mut props = env("111111111111");
    props.description = Some("dpc central stack".into());
    let stack = app.add_stack("Central", props).unwrap();
    let mut scope = app.scope(stack).unwrap();
    let stage = scope
        .add_parameter("Stage", Parameter::new("String"))
        .unwrap();
    let is_prod = scope
        .add_condition("IsProd", Expr::equals(Expr::reference(&stage), "prod"))
        .unwrap();
    let table = scope
        .add_resource_with_options(
            "Table",
            RawResource::new(
                "AWS::DynamoDB::Table",
                json!({"BillingMode": "PAY_PER_REQUEST"}),
            ),
            ResourceOptions {
                deletion_policy: Some(DeletionPolicy::Retain),
                update_replace_policy: Some(DeletionPolicy::Retain),
                ..ResourceOptions::default()
            },
        )
        .unwrap();
    let mut flow = scope.child("Flow").unwrap();
    let machine = flow
        .add_resource(
            "Resource",
            CfnStateMachine {
                state_machine_name: Some("flow".into()),
                tags: vec![],
            },
        )
        .unwrap();
    flow.resource_mut(&machine)
        .unwrap()
        .add_depends_on(&table)
        .set_condition(&is_prod);
    scope
        .add_output(
            "FlowArn",
            Output::new(Expr::sub_with("${Arn}", [("Arn", machine.reference())]))
                .with_description("the flow"),
        )
        .unwrap();
    app
}

#[test]
fn template_has_cloudformation_anatomy_in_order() {
    let assembly = full_app().synth().unwrap();
    let bytes = assembly.file("Central.template.json").unwrap();
    let text = std::str::from_utf8(bytes).unwrap();
    assert!(text.ends_with("}\n"), "trailing newline");
    assert!(
        text.starts_with("{\n  \"AWSTemplateFormatVersion\": \"2010-09-09\",\n  \"Description\""),
        "{text}"
    );
    let t = template(&assembly, "Central");
    let sections: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        sections,
        [
            "AWSTemplateFormatVersion",
            "Description",
            "Parameters",
            "Conditions",
            "Resources",
            "Outputs"
        ]
    );
    assert_eq!(t["Parameters"], json!({"Stage": {"Type": "String"}}));
    assert_eq!(
        t["Conditions"],
        json!({"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}})
    );
    assert_eq!(
        t["Resources"]["Table"],
        json!({"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"},
               "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain"})
    );
    // `Flow/Resource` → human part `Flow` + hash, as the CDK names it.
    assert_eq!(
        t["Resources"]["FlowA74D6E88"],
        json!({"Type": "AWS::StepFunctions::StateMachine", "Properties": {"StateMachineName": "flow"},
               "DependsOn": ["Table"], "Condition": "IsProd"})
    );
    assert_eq!(
        t["Outputs"]["FlowArn"],
        json!({"Description": "the flow", "Value": {"Fn::Sub": ["${Arn}", {"Arn": {"Ref": "FlowA74D6E88"}}]}})
    );
}

#[test]
fn empty_sections_are_left_out() {
    let mut app = App::new();
    let stack = app.add_stack("Empty", env("111111111111")).unwrap();
    let _ = app.scope(stack).unwrap();
    let assembly = app.synth().unwrap();
    assert_eq!(
        template(&assembly, "Empty"),
        json!({"AWSTemplateFormatVersion": "2010-09-09"})
    );
}

#[test]
fn same_input_gives_same_bytes() {
    let a = full_app().synth().unwrap();
    let b = full_app().synth().unwrap();
    let files_a: Vec<(&str, &[u8])> = a.files().collect();
    let files_b: Vec<(&str, &[u8])> = b.files().collect();
    assert_eq!(files_a, files_b);
    assert!(files_a.iter().any(|(p, _)| *p == "manifest.json"));
}

/// An organisation policy: every state machine has an `owner` tag.
struct OwnerTagPolicy;

impl Aspect for OwnerTagPolicy {
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic> {
        owner_tag_check(node)
    }

    fn priority(&self) -> i32 {
        priority::READONLY
    }
}

fn owner_tag_check(node: &mut NodeView<'_>) -> Vec<Diagnostic> {
    match node.resource() {
        Some(r) if r.type_name == CfnStateMachine::TYPE => {
            let tagged = r
                .properties
                .get("Tags")
                .and_then(Value::as_array)
                .is_some_and(|tags| tags.iter().any(|t| t["Key"] == "owner"));
            if tagged {
                vec![]
            } else {
                vec![
                    Diagnostic::error("DM0380", "state machine has no `owner` tag")
                        .with_help("add an owner tag"),
                ]
            }
        }
        _ => vec![],
    }
}

#[test]
fn an_aspect_can_reject_a_stack_with_construct_paths() {
    let mut app = App::new();
    let stack = app.add_stack("Pipeline", env("222222222222")).unwrap();
    let mut scope = app.scope(stack).unwrap();
    scope
        .child("Loader")
        .unwrap()
        .add_resource("Resource", CfnStateMachine::default())
        .unwrap();
    let tags = vec![Tag {
        key: "owner".into(),
        value: "data".into(),
    }];
    scope
        .child("Tagged")
        .unwrap()
        .add_resource(
            "Resource",
            CfnStateMachine {
                tags,
                ..Default::default()
            },
        )
        .unwrap();
    scope
        .child("Other")
        .unwrap()
        .add_resource("Resource", CfnStateMachine::default())
        .unwrap();
    scope.add_validation(|_| vec![Diagnostic::warning("DM0381", "just so you know")]);
    app.add_aspect(OwnerTagPolicy);

    let diagnostics = app.synth().unwrap_err();
    let errors: Vec<(&str, Option<&str>)> = diagnostics
        .iter()
        .filter(|d| d.is_error())
        .map(|d| (d.code.as_str(), d.construct_path.as_deref()))
        .collect();
    assert_eq!(
        errors,
        [
            ("DM0380", Some("Pipeline/Loader/Resource")),
            ("DM0380", Some("Pipeline/Other/Resource"))
        ]
    );
    // Validations ran too: everything is reported at once.
    assert!(
        diagnostics
            .iter()
            .any(|d| d.code == "DM0381" && d.construct_path.as_deref() == Some("Pipeline"))
    );
}

#[test]
fn an_aspect_can_change_resources_before_rendering() {
    let mut app = App::new();
    let stack = app.add_stack("Pipeline", env("222222222222")).unwrap();
    let mut scope = app.scope(stack).unwrap();
    scope
        .child("Loader")
        .unwrap()
        .add_resource("Resource", CfnStateMachine::default())
        .unwrap();
    // Added below the policy, and by default less urgent than a mutating aspect, but a
    // read-only check still runs after it at every node.
    scope.add_aspect(|node: &mut NodeView<'_>| {
        if let Some(r) = node.resource_mut() {
            r.properties.insert(
                "Tags".into(),
                json!([{"Key": "owner", "Value": "platform"}]),
            );
        }
        vec![]
    });
    app.add_aspect(OwnerTagPolicy);
    let assembly = app.synth().unwrap();
    let t = template(&assembly, "Pipeline");
    assert_eq!(
        t["Resources"]["Loader046D4679"]["Properties"]["Tags"][0]["Key"], "owner",
        "{t:#}"
    );
}

#[test]
fn warnings_do_not_stop_synthesis() {
    let mut app = App::new();
    let stack = app.add_stack("Central", env("111111111111")).unwrap();
    app.scope(stack)
        .unwrap()
        .add_validation(|_| vec![Diagnostic::warning("DM0381", "heads up")]);
    let assembly = app.synth().unwrap();
    assert_eq!(assembly.warnings().len(), 1);
    assert_eq!(
        assembly.warnings()[0].construct_path.as_deref(),
        Some("Central")
    );
}

#[test]
fn stacks_come_in_deployment_order_with_manifest_dependencies() {
    let mut app = App::new();
    let pipeline = app
        .add_stack("dpc-pipeline-a-x", env("222222222222"))
        .unwrap();
    let setup = app.add_stack("dpc-account-a", env("222222222222")).unwrap();
    let central = app.add_stack("dpc-central", env("111111111111")).unwrap();
    app.add_dependency(pipeline, setup).unwrap();
    app.add_dependency(setup, central).unwrap();
    let assembly = app.synth().unwrap();
    let order: Vec<&str> = assembly
        .stacks()
        .iter()
        .map(|s| s.artifact_id.as_str())
        .collect();
    assert_eq!(order, ["dpc-central", "dpc-account-a", "dpc-pipeline-a-x"]);
    let manifest: Value = serde_json::from_slice(assembly.file("manifest.json").unwrap()).unwrap();
    assert_eq!(
        manifest["artifacts"]["dpc-pipeline-a-x"]["dependencies"],
        json!(["dpc-account-a", "dpc-pipeline-a-x.assets"])
    );
    assert_eq!(
        manifest["artifacts"]["dpc-central"]["environment"],
        "aws://111111111111/eu-west-1"
    );
}

#[test]
fn manifest_names_the_bootstrap_resources_of_the_qualifier() {
    let mut app = App::with_qualifier("dpc01").unwrap();
    let mut props = env("111111111111");
    props.stack_name = Some("dpc-central".into());
    props.termination_protection = true;
    props.tags.insert("team".into(), "data".into());
    let stack = app.add_stack("central", props).unwrap();
    let _ = app.scope(stack).unwrap();
    let assembly = app.synth().unwrap();
    let manifest: Value = serde_json::from_slice(assembly.file("manifest.json").unwrap()).unwrap();
    assert_eq!(manifest["version"], "55.0.0");
    let p = &manifest["artifacts"]["central"]["properties"];
    assert_eq!(p["stackName"], "dpc-central");
    assert_eq!(p["tags"], json!({"team": "data"}));
    assert_eq!(p["terminationProtection"], true);
    assert_eq!(
        p["assumeRoleArn"],
        "arn:${AWS::Partition}:iam::111111111111:role/cdk-dpc01-deploy-role-111111111111-eu-west-1"
    );
    assert_eq!(
        p["cloudFormationExecutionRoleArn"],
        "arn:${AWS::Partition}:iam::111111111111:role/cdk-dpc01-cfn-exec-role-111111111111-eu-west-1"
    );
    assert_eq!(
        p["bootstrapStackVersionSsmParameter"],
        "/cdk-bootstrap/dpc01/version"
    );
    assert_eq!(p["lookupRole"]["requiresBootstrapStackVersion"], 8);

    // The template itself is an asset, uploaded under its SHA-256.
    let assets: Value =
        serde_json::from_slice(assembly.file("central.assets.json").unwrap()).unwrap();
    let (hash, entry) = assets["files"].as_object().unwrap().iter().next().unwrap();
    assert_eq!(
        entry["source"],
        json!({"path": "central.template.json", "packaging": "file"})
    );
    assert_eq!(
        p["stackTemplateAssetObjectUrl"],
        format!("s3://cdk-dpc01-assets-111111111111-eu-west-1/{hash}.json")
    );
    assert!(App::with_qualifier("Not-Valid").is_err());
}

#[test]
fn file_assets_are_staged_and_listed() {
    let dir = std::env::temp_dir().join(format!("dpc-core-assets-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("job/lib")).unwrap();
    std::fs::write(dir.join("job/main.py"), "import lib\n").unwrap();
    std::fs::write(dir.join("job/lib/__init__.py"), "").unwrap();

    let mut app = App::new();
    let stack = app.add_stack("Pipeline", env("222222222222")).unwrap();
    let mut scope = app.scope(stack).unwrap();
    let script = scope
        .add_file_asset(FileAsset::file(dir.join("job/main.py")))
        .unwrap();
    let job = scope
        .add_file_asset(FileAsset::directory(dir.join("job")))
        .unwrap();
    let bundle = scope
        .add_file_asset(FileAsset::file(dir.join("bundle.zip")).with_id("runtime-1234"))
        .unwrap();
    assert!(
        scope
            .add_file_asset(FileAsset::file(dir.join("missing.py")))
            .is_err()
    );
    scope
        .add_resource(
            "Fn",
            RawResource::new(
                "AWS::Lambda::Function",
                json!({"Code": {"S3Bucket": bundle.bucket_name, "S3Key": bundle.object_key}}),
            ),
        )
        .unwrap();
    let assembly = app.synth().unwrap();
    let _ = std::fs::remove_dir_all(&dir);

    assert_eq!(
        script.bucket_name,
        Expr::from("cdk-hnb659fds-assets-222222222222-eu-west-1")
    );
    assert_eq!(script.object_key, Expr::from(format!("{}.py", script.hash)));
    assert_eq!(
        script.s3_url,
        Expr::from(format!(
            "s3://cdk-hnb659fds-assets-222222222222-eu-west-1/{}.py",
            script.hash
        ))
    );
    assert_eq!(
        assembly.file(&format!("asset.{}.py", script.hash)),
        Some(&b"import lib\n"[..])
    );
    assert_eq!(
        assembly.file(&format!("asset.{}/lib/__init__.py", job.hash)),
        Some(&b""[..])
    );
    assert_eq!(bundle.object_key, Expr::from("runtime-1234.zip"));
    assert!(
        assembly.file("asset.runtime-1234.zip").is_none(),
        "built later, not copied"
    );

    let assets: Value =
        serde_json::from_slice(assembly.file("Pipeline.assets.json").unwrap()).unwrap();
    let files = assets["files"].as_object().unwrap();
    assert_eq!(
        files[&job.hash]["source"],
        json!({"path": format!("asset.{}", job.hash), "packaging": "zip"})
    );
    assert_eq!(
        files["runtime-1234"]["source"]["path"],
        "asset.runtime-1234.zip"
    );
    let destination = files["runtime-1234"]["destinations"]
        .as_object()
        .unwrap()
        .values()
        .next()
        .unwrap();
    assert_eq!(destination["objectKey"], "runtime-1234.zip");
    assert_eq!(
        destination["assumeRoleArn"],
        "arn:${AWS::Partition}:iam::222222222222:role/cdk-hnb659fds-file-publishing-role-222222222222-eu-west-1"
    );
    assert_eq!(files.len(), 4, "three assets and the template");
}
