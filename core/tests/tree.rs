//! The construct tree through the public API: ids, paths, logical ids, collisions,
//! handles and resource changes after creation.

// Helpers outside #[test] fns unwrap too: in a test a panic is the failure report.
#![allow(clippy::unwrap_used)]

use dpc_core::{App, CfnResource, DeletionPolicy, Expr, RawResource, StackProps, codes};
use serde::Serialize;
use serde_json::json;

#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
struct CfnTopic {
    #[serde(skip_serializing_if = "Option::is_none")]
    topic_name: Option<String>,
}

impl CfnResource for CfnTopic {
    const TYPE: &'static str = "AWS::SNS::Topic";
}

fn props() -> StackProps {
    StackProps {
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        ..StackProps::default()
    }
}

#[test]
fn logical_ids_follow_the_cdk_algorithm() {
    let mut app = App::new();
    let stack = app.add_stack("Central", props()).unwrap();
    let mut scope = app.scope(stack).unwrap();
    let rule = scope
        .child("MyRule")
        .unwrap()
        .add_resource("Resource", RawResource::new("AWS::Events::Rule", json!({})))
        .unwrap();
    assert_eq!(rule.logical_id(), "MyRuleA44AB831");
    let topic = scope.add_resource("Alerts", CfnTopic::default()).unwrap();
    assert_eq!(topic.logical_id(), "Alerts");
    assert_eq!(topic.reference(), Expr::reference("Alerts"));
    assert_eq!(
        rule.attr("Arn").to_json(),
        json!({"Fn::GetAtt": ["MyRuleA44AB831", "Arn"]})
    );
    assert_eq!(app.tree().path(rule.node()), "Central/MyRule/Resource");
    assert_eq!(
        app.tree().find("Central/MyRule/Resource"),
        Some(rule.node())
    );
}

#[test]
fn duplicate_ids_and_logical_id_collisions_are_errors() {
    let mut app = App::new();
    let stack = app.add_stack("Central", props()).unwrap();
    let mut scope = app.scope(stack).unwrap();
    scope.add_resource("Topic", CfnTopic::default()).unwrap();
    let dup = scope
        .add_resource("Topic", CfnTopic::default())
        .unwrap_err();
    assert_eq!(dup.code, codes::DUPLICATE_CONSTRUCT_ID);
    assert!(
        dup.message.contains("`Topic` in `Central`"),
        "{}",
        dup.message
    );

    // `Default` vanishes from logical ids, so `Topic/Default` collides with `Topic`.
    scope
        .child("A")
        .unwrap()
        .add_resource("Default", CfnTopic::default())
        .unwrap();
    let clash = scope.add_resource("A-", CfnTopic::default()).unwrap_err();
    assert_eq!(clash.code, codes::LOGICAL_ID_COLLISION);
    assert!(
        clash
            .message
            .contains("`Central/A-` and `Central/A/Default` both get logical id `A`"),
        "{}",
        clash.message
    );

    assert_eq!(
        scope.child("a/b").err().map(|d| d.code),
        Some(codes::INVALID_CONSTRUCT_ID.to_owned())
    );
    assert_eq!(
        scope.child("").err().map(|d| d.code),
        Some(codes::INVALID_CONSTRUCT_ID.to_owned())
    );
}

#[test]
fn resources_change_after_creation_through_their_handle() {
    let mut app = App::new();
    let stack = app.add_stack("Central", props()).unwrap();
    let mut scope = app.scope(stack).unwrap();
    let a = scope
        .add_resource(
            "A",
            CfnTopic {
                topic_name: Some("a".into()),
            },
        )
        .unwrap();
    let b = scope.add_resource("B", CfnTopic::default()).unwrap();
    scope
        .resource_mut(&b)
        .unwrap()
        .add_depends_on(&a)
        .add_depends_on(&a)
        .set_deletion_policy(DeletionPolicy::Retain);
    scope
        .override_property(&a, "KmsMasterKeyId", json!("alias/aws/sns"))
        .unwrap();
    let tree = scope.tree();
    assert_eq!(
        tree.resource(&b).unwrap().options.depends_on,
        vec!["A".to_owned()]
    );
    assert_eq!(
        tree.resource(&a).unwrap().properties["KmsMasterKeyId"],
        json!("alias/aws/sns")
    );

    // A handle from another app names nothing here.
    let mut other = App::new();
    let other_stack = other.add_stack("Other", props()).unwrap();
    let mut other_scope = other.scope(other_stack).unwrap();
    other_scope.add_resource("X", CfnTopic::default()).unwrap();
    let foreign = other_scope.add_resource("Y", CfnTopic::default()).unwrap();
    let err = scope
        .override_property(&foreign, "A", json!(1))
        .unwrap_err();
    assert_eq!(err.code, codes::UNKNOWN_RESOURCE);
}

#[test]
fn non_object_properties_are_rejected() {
    let mut app = App::new();
    let stack = app.add_stack("Central", props()).unwrap();
    let mut scope = app.scope(stack).unwrap();
    let err = scope
        .add_resource("Bad", RawResource::new("AWS::SNS::Topic", json!([1])))
        .unwrap_err();
    assert_eq!(err.code, codes::INVALID_PROPERTIES);
    assert_eq!(err.construct_path.as_deref(), Some("Central/Bad"));
}

#[test]
fn stack_dependencies_reject_cycles() {
    let mut app = App::new();
    let a = app.add_stack("A", props()).unwrap();
    let b = app.add_stack("B", props()).unwrap();
    let c = app.add_stack("C", props()).unwrap();
    app.add_dependency(b, a).unwrap();
    app.add_dependency(c, b).unwrap();
    assert_eq!(
        app.add_dependency(a, c).unwrap_err().code,
        codes::INVALID_STACK_DEPENDENCY
    );
    assert_eq!(
        app.add_dependency(a, a).unwrap_err().code,
        codes::INVALID_STACK_DEPENDENCY
    );
    assert!(app.add_stack("A", props()).is_err());
    assert_eq!(
        app.add_stack("D", StackProps::default()).unwrap_err().code,
        codes::INVALID_STACK
    );
}
