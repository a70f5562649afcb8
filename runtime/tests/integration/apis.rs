//! The dependency API's writer: strict input, 4xx with a reason, never a 5xx for a
//! client mistake; only a pipeline's own account may change it.

use crate::central::{LISTINGS, RENT, SEARCHES, api_event, central, pipeline_x_body};
use serde_json::{Value, json};

async fn call(
    c: &crate::central::Central,
    method: &str,
    path: &str,
    body: Option<Value>,
    caller: &str,
) -> (u64, Value) {
    let answer = c
        .writer
        .handle(&api_event(method, path, body, caller))
        .await
        .unwrap();
    let status = answer["statusCode"].as_u64().unwrap();
    let body: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    (status, body)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_mistakes_get_a_4xx_with_a_reason() {
    let c = central("api-mistakes").await;
    let path = format!("/dependencies/{RENT}/pipeline-x");
    type Case<'a> = (&'a str, String, Option<Value>, &'a str, u64, &'a str);
    let cases: Vec<Case> = vec![
        (
            "PUT",
            path.clone(),
            Some(pipeline_x_body()),
            LISTINGS,
            403,
            "only its own account",
        ),
        ("PUT", path.clone(), None, RENT, 400, "needs a JSON body"),
        (
            "PUT",
            path.clone(),
            Some(json!("[1,2")),
            RENT,
            400,
            "not what this API takes",
        ),
        (
            "PUT",
            path.clone(),
            Some(json!({"trigger": "executions", "condition": null, "typo": 1})),
            RENT,
            400,
            "typo",
        ),
        (
            "PUT",
            path.clone(),
            Some(json!({"trigger": "executions", "withinSeconds": 60})),
            RENT,
            400,
            "needs a condition",
        ),
        (
            "PUT",
            "/dependencies/44/pipeline-x".into(),
            Some(pipeline_x_body()),
            RENT,
            400,
            "12 digits",
        ),
        (
            "PUT",
            format!("/dependencies/{RENT}/Pipeline_X"),
            Some(pipeline_x_body()),
            RENT,
            400,
            "not a pipeline name",
        ),
        (
            "PUT",
            format!("/nothing/{RENT}/pipeline-x"),
            Some(pipeline_x_body()),
            RENT,
            404,
            "no such resource",
        ),
        (
            "POST",
            path.clone(),
            Some(pipeline_x_body()),
            RENT,
            405,
            "not allowed",
        ),
        (
            "DELETE",
            path.clone(),
            None,
            SEARCHES,
            403,
            "only its own account",
        ),
        (
            "GET",
            format!("/dependencies/{RENT}/nobody"),
            None,
            RENT,
            404,
            "no registered dependencies",
        ),
    ];
    for (method, path, body, caller, status, reason) in cases {
        let (got, answer) = call(&c, method, &path, body.clone(), caller).await;
        assert_eq!(got, status, "{method} {path} {body:?}: {answer}");
        let message = answer["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(reason),
            "{method} {path}: `{message}` should say `{reason}`"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_changed_condition_replaces_the_edges_and_delete_removes_them() {
    let c = central("api-edges").await;
    let path = format!("/dependencies/{RENT}/pipeline-x");
    let (status, got) = call(&c, "GET", &path, None, RENT).await;
    assert_eq!(status, 200);
    assert_eq!(got["withinSeconds"], 86400);
    assert_eq!(got["parents"].as_array().unwrap().len(), 2);

    // Now only listings, FAILED or SUCCEEDED.
    let only_listings = json!({"trigger": "executions", "withinSeconds": 3600, "condition": {"operator": "AND", "anyOf": [], "allOf": [
        {"item": {"pipeline": {"account": LISTINGS, "name": "listings"}, "status": ["FAILED", "SUCCEEDED"]}}]}});
    assert_eq!(
        call(&c, "PUT", &path, Some(only_listings), RENT).await.0,
        200
    );
    let left = edges(&c).await;
    assert_eq!(
        left,
        [format!("{LISTINGS}#listings")],
        "the edge from searches is gone"
    );

    let (status, answer) = call(&c, "DELETE", &path, None, RENT).await;
    assert_eq!((status, answer["removedEdges"].clone()), (200, json!(1)));
    assert!(edges(&c).await.is_empty());
    assert_eq!(call(&c, "GET", &path, None, RENT).await.0, 404);
    // A schedule-triggered pipeline registers with no edges.
    assert_eq!(
        call(&c, "PUT", &path, Some(json!({"trigger": "schedule"})), RENT)
            .await
            .0,
        200
    );
    assert!(edges(&c).await.is_empty());
}

async fn edges(c: &crate::central::Central) -> Vec<String> {
    let ddb = aws_sdk_dynamodb::Client::new(&c.config);
    let mut parents: Vec<String> = ddb
        .scan()
        .table_name(&c.names.dependencies)
        .send()
        .await
        .unwrap()
        .items
        .unwrap_or_default()
        .iter()
        .map(|i| i["parent"].as_s().unwrap().clone())
        .collect();
    parents.sort();
    parents
}
