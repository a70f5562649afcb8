//! Apps built apart and put together: `App::merge` (trees) and `Rendered::merge`
//! (renderings), against building everything into one app.

// Helpers outside #[test] fns unwrap too: in a test a panic is the failure report.
#![allow(clippy::unwrap_used)]

use dpc_core::{App, Assembly, Diagnostic, NodeView, RawResource, StackId, StackProps};
use serde_json::json;

fn env() -> StackProps {
    StackProps {
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        ..StackProps::default()
    }
}

/// Adds stack `id` with two resources to `app`.
fn add(app: &mut App, id: &str) -> StackId {
    let stack = app.add_stack(id, env()).unwrap();
    let mut scope = app.scope(stack).unwrap();
    let queue = scope
        .add_resource("Queue", RawResource::new("AWS::SQS::Queue", json!({})))
        .unwrap();
    let mut group = scope.child("Group").unwrap();
    group
        .add_resource(
            "Topic",
            RawResource::new("AWS::SNS::Topic", json!({"DisplayName": queue.attr("Arn")})),
        )
        .unwrap();
    stack
}

fn files(assembly: &Assembly) -> Vec<(String, Vec<u8>)> {
    assembly
        .files()
        .map(|(p, b)| (p.to_owned(), b.to_vec()))
        .collect()
}

#[test]
fn merged_apps_synthesize_like_one_app() {
    let mut one = App::new();
    let a = add(&mut one, "A");
    let b = add(&mut one, "B");
    one.add_dependency(b, a).unwrap();

    let mut merged = App::new();
    let a2 = add(&mut merged, "A");
    let mut other = App::new();
    let b_other = add(&mut other, "B");
    let grafted = merged.merge(other).unwrap();
    let b2 = grafted.stack(b_other);
    merged.add_dependency(b2, a2).unwrap();
    assert_eq!(merged.tree().path(b2.node()), "B");
    assert_eq!(
        merged
            .tree()
            .path(merged.tree().find("B/Group/Topic").unwrap()),
        "B/Group/Topic"
    );

    let mut rendered = App::new();
    add(&mut rendered, "A");
    let mut parts = rendered.render().unwrap();
    let mut other = App::new();
    add(&mut other, "B");
    parts.merge(other.render().unwrap()).unwrap();
    parts.add_dependency("B", "A").unwrap();

    let expected = files(&one.synth().unwrap());
    assert_eq!(files(&merged.synth().unwrap()), expected);
    assert_eq!(files(&parts.into_assembly().unwrap()), expected);
}

#[test]
fn a_stack_id_used_twice_is_refused_and_nothing_moves() {
    let mut app = App::new();
    add(&mut app, "A");
    let mut other = App::new();
    add(&mut other, "A");
    let error = app.merge(other).unwrap_err();
    assert!(error.message.contains("`A`"), "{}", error.message);
    assert_eq!(app.tree().stacks().len(), 1);

    let mut parts = App::new();
    add(&mut parts, "A");
    let mut parts = parts.render().unwrap();
    let mut other = App::new();
    add(&mut other, "A");
    assert!(parts.merge(other.render().unwrap()).is_err());
    assert_eq!(parts.stack_ids().collect::<Vec<_>>(), ["A"]);
    // A dependency must point at an earlier stack.
    assert!(parts.add_dependency("A", "Z").is_err());
}

#[test]
fn different_qualifiers_do_not_merge() {
    let mut app = App::new();
    let other = App::with_qualifier("custom1").unwrap();
    assert!(app.merge(other).is_err());
}

#[test]
fn aspects_of_a_merged_app_stay_on_its_stacks() {
    let tag = |node: &mut NodeView<'_>| -> Vec<Diagnostic> {
        if let Some(r) = node.resource_mut() {
            r.properties.insert("Tagged".into(), json!(true));
        }
        Vec::new()
    };
    let mut app = App::new();
    add(&mut app, "A");
    let mut other = App::new();
    add(&mut other, "B");
    other.add_aspect(tag);
    app.merge(other).unwrap();
    let assembly = app.synth().unwrap();
    let template = |id: &str| -> serde_json::Value {
        serde_json::from_slice(assembly.file(&format!("{id}.template.json")).unwrap()).unwrap()
    };
    let tagged = |id: &str| {
        template(id)["Resources"]
            .as_object()
            .unwrap()
            .values()
            .filter(|r| r["Properties"]["Tagged"] == json!(true))
            .count()
    };
    assert_eq!(tagged("A"), 0);
    assert_eq!(tagged("B"), 2);
}
