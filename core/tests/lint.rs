//! The post-render lint: references that leave their template and CloudFormation quotas.

// Helpers outside #[test] fns unwrap too: in a test a panic is the failure report.
#![allow(clippy::unwrap_used)]

use dpc_core::{
    App, Diagnostic, Expr, Output, Parameter, RawResource, ResourceOptions, Scope, StackProps,
    codes,
};
use serde_json::json;

fn env() -> StackProps {
    StackProps {
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        ..StackProps::default()
    }
}

fn queue() -> RawResource {
    RawResource::new("AWS::SQS::Queue", json!({}))
}

/// Synthesizes an app with one stack `S` built by `build`; returns the errors.
fn errors_of(build: impl FnOnce(&mut Scope<'_>)) -> Vec<Diagnostic> {
    let mut app = App::new();
    let stack = app.add_stack("S", env()).unwrap();
    build(&mut app.scope(stack).unwrap());
    match app.synth() {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect(),
    }
}

fn codes_of(diagnostics: &[Diagnostic]) -> Vec<&str> {
    diagnostics.iter().map(|d| d.code.as_str()).collect()
}

#[test]
fn references_inside_the_template_pass() {
    let errors = errors_of(|s| {
        let q = s.add_resource("Q", queue()).unwrap();
        let p = s.add_parameter("P", Parameter::new("String")).unwrap();
        let c = s
            .add_condition("C", Expr::equals(Expr::reference(&p), "x"))
            .unwrap();
        s.add_condition("D", Expr::not(Expr::condition(&c)))
            .unwrap();
        let props = json!({
            "A": q.reference(), "B": q.attr("Arn"), "C": {"Fn::GetAtt": "Q.Arn"},
            "D": Expr::sub("${Q}-${Q.Arn}-${P}-${AWS::Region}-${!Literal}"),
            "E": Expr::sub_with("${V}-${Q}", [("V", Expr::reference(&p))]),
            "F": Expr::if_(&c, "a", dpc_core::Pseudo::NoValue),
        });
        let opts = ResourceOptions {
            depends_on: vec!["Q".into()],
            condition: Some(c),
            ..Default::default()
        };
        s.add_resource_with_options("R", RawResource::new("AWS::SQS::Queue", props), opts)
            .unwrap();
        s.add_output("Url", Output::new(q.reference())).unwrap();
    });
    assert!(errors.is_empty(), "{errors:#?}");
}

#[test]
fn each_dangling_reference_is_reported_at_its_construct() {
    let errors = errors_of(|s| {
        let props = json!({
            "A": Expr::reference("Nope"),
            "B": Expr::get_att("Gone", "Arn"),
            "C": Expr::sub("arn:${AWS::Partition}:sqs:${Missing}"),
            "D": Expr::sub_with("${V}/${Absent.Arn}", [("V", Expr::from("v"))]),
            "E": {"Fn::GetAtt": "Dotted.Arn"},
            "F": Expr::if_("NoSuchCondition", "a", "b"),
        });
        let opts = ResourceOptions {
            depends_on: vec!["Ghost".into()],
            condition: Some("AlsoMissing".into()),
            ..Default::default()
        };
        s.child("Group")
            .unwrap()
            .add_resource_with_options("Resource", RawResource::new("AWS::SQS::Queue", props), opts)
            .unwrap();
    });
    let found: Vec<(&str, &str)> = errors
        .iter()
        .map(|d| (d.code.as_str(), d.message.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                codes::DANGLING_REFERENCE,
                "`Ref` to `Nope`, which is not in this stack"
            ),
            (
                codes::DANGLING_REFERENCE,
                "`Fn::GetAtt` of `Gone`, which is not a resource of this stack"
            ),
            (
                codes::DANGLING_REFERENCE,
                "`Fn::Sub` variable `${Missing}` names nothing in this stack"
            ),
            (
                codes::DANGLING_REFERENCE,
                "`Fn::Sub` variable `${Absent}` names nothing in this stack"
            ),
            (
                codes::DANGLING_REFERENCE,
                "`Fn::GetAtt` of `Dotted`, which is not a resource of this stack"
            ),
            (
                codes::DANGLING_CONDITION,
                "condition `NoSuchCondition` is not defined in this stack"
            ),
            (
                codes::DANGLING_DEPENDS_ON,
                "`DependsOn` names `Ghost`, which is not a resource of this stack"
            ),
            (
                codes::DANGLING_CONDITION,
                "condition `AlsoMissing` is not defined in this stack"
            ),
        ]
    );
    assert!(
        errors
            .iter()
            .all(|d| d.construct_path.as_deref() == Some("S/Group/Resource"))
    );
}

#[test]
fn getatt_of_a_parameter_is_dangling() {
    let errors = errors_of(|s| {
        let p = s.add_parameter("P", Parameter::new("String")).unwrap();
        s.add_output("O", Output::new(Expr::get_att(p, "Arn")))
            .unwrap();
    });
    assert_eq!(codes_of(&errors), [codes::DANGLING_REFERENCE]);
    assert_eq!(errors[0].construct_path.as_deref(), Some("S/O"));
}

#[test]
fn a_reference_to_another_stack_names_that_stack() {
    let mut app = App::new();
    let central = app.add_stack("Central", env()).unwrap();
    let bus = app
        .scope(central)
        .unwrap()
        .add_resource("Bus", RawResource::new("AWS::Events::EventBus", json!({})))
        .unwrap();
    let user = app.add_stack("User", env()).unwrap();
    app.scope(user)
        .unwrap()
        .add_resource(
            "Rule",
            RawResource::new(
                "AWS::Events::Rule",
                json!({"EventBusName": bus.attr("Arn")}),
            ),
        )
        .unwrap();
    let errors = app.synth().unwrap_err();
    assert_eq!(codes_of(&errors), [codes::DANGLING_REFERENCE]);
    assert_eq!(errors[0].construct_path.as_deref(), Some("User/Rule"));
    assert_eq!(errors[0].notes, ["`Bus` is defined in stack `Central`"]);
    assert!(errors[0].help.is_some());
}

#[test]
fn too_many_resources() {
    let errors = errors_of(|s| {
        (0..501).for_each(|i| drop(s.add_resource(&format!("Q{i}"), queue()).unwrap()))
    });
    assert_eq!(codes_of(&errors), [codes::TOO_MANY_RESOURCES]);
    assert_eq!(
        errors[0].message,
        "stack `S` has 501 resources; CloudFormation allows 500 per template"
    );
    assert!(
        errors_of(
            |s| (0..500).for_each(|i| drop(s.add_resource(&format!("Q{i}"), queue()).unwrap()))
        )
        .is_empty()
    );
}

#[test]
fn too_many_outputs_and_parameters() {
    let errors = errors_of(|s| {
        for i in 0..201 {
            s.add_output(&format!("O{i}"), Output::new("x")).unwrap();
            s.add_parameter(&format!("P{i}"), Parameter::new("String"))
                .unwrap();
        }
    });
    assert_eq!(
        codes_of(&errors),
        [codes::TOO_MANY_OUTPUTS, codes::TOO_MANY_PARAMETERS]
    );
    assert!(
        errors[0].message.contains("CloudFormation allows 200"),
        "{}",
        errors[0].message
    );
}

#[test]
fn template_over_one_megabyte() {
    let errors = errors_of(|s| {
        let big = "x".repeat(1_048_576);
        s.add_resource(
            "Q",
            RawResource::new("AWS::SQS::Queue", json!({"QueueName": big})),
        )
        .unwrap();
    });
    assert_eq!(codes_of(&errors), [codes::TEMPLATE_TOO_LARGE]);
    assert!(
        errors[0]
            .message
            .contains("CloudFormation allows 1048576 bytes (1 MB)"),
        "{}",
        errors[0].message
    );
}

#[test]
fn too_many_dynamic_references() {
    let errors = errors_of(|s| {
        let values: Vec<String> = (0..61)
            .map(|i| dpc_core::dynamic_ref::ssm(&format!("/p/{i}")))
            .collect();
        s.add_resource(
            "Q",
            RawResource::new("AWS::SQS::Queue", json!({"Tags": values})),
        )
        .unwrap();
    });
    assert_eq!(codes_of(&errors), [codes::TOO_MANY_DYNAMIC_REFERENCES]);
}
