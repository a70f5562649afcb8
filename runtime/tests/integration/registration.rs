//! The registration provider against a fake CloudFormation response URL and the real
//! dependencies writer (behind a fake API Gateway, over moto).

use crate::central::{LISTINGS, RENT, central};
use crate::support::http::{FakeServer, proxy_answer, proxy_event};
use crate::support::moto::config_as;
use dpc_runtime::http::HttpClient;
use dpc_runtime::registration::{ApiCaller, CentralApis, Registration};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::Arc;

fn request(
    kind: &str,
    response_url: &str,
    pipeline: (&str, &str),
    condition_on: &str,
    physical: Option<&str>,
) -> Value {
    let mut event = json!({
        "RequestType": kind,
        "ServiceToken": format!("arn:aws:lambda:eu-west-1:{RENT}:function:dpc-registration"),
        "ResponseURL": format!("{response_url}/cloudformation-custom-resource-response-euwest1/arn%3Aaws?X-Amz-Signature=abc"),
        "StackId": format!("arn:aws:cloudformation:eu-west-1:{RENT}:stack/dpc-pipeline-{}/1", pipeline.1),
        "RequestId": format!("req-{kind}"),
        "LogicalResourceId": "RegistrationResource",
        "ResourceType": "Custom::DpcPipeline",
        "ResourceProperties": {
            "ServiceToken": format!("arn:aws:lambda:eu-west-1:{RENT}:function:dpc-registration"),
            "ServiceTimeout": "300",
            "PhysicalId": format!("{}/{}", pipeline.0, pipeline.1),
            "Pipeline": {"account": pipeline.0, "name": pipeline.1},
            "Trigger": "executions",
            "Parents": [{"account": condition_on.split('/').next().unwrap(), "name": condition_on.split('/').nth(1).unwrap()}],
            "Condition": {"operator": "AND", "anyOf": [], "allOf": [{"item": {"pipeline": {"account": condition_on.split('/').next().unwrap(), "name": condition_on.split('/').nth(1).unwrap()}, "status": ["SUCCEEDED"]}}]},
            "WithinSeconds": "7200"
        }
    });
    if let Some(id) = physical {
        event["PhysicalResourceId"] = json!(id);
    }
    event
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answers_cloudformation_on_success_failure_and_delete() {
    let c = Arc::new(central("registration").await);
    let api = {
        let c = c.clone();
        FakeServer::start(move |request| {
            let c = c.clone();
            async move {
                match proxy_event(&request) {
                    Ok(event) => proxy_answer(&c.writer.handle(&event).await.unwrap()),
                    Err(denied) => denied,
                }
            }
        })
        .await
    };
    let cloudformation = FakeServer::start(|_| async { (200, json!({})) }).await;
    let provider = |api_url: String| async move {
        let config = config_as(&format!("AKID{RENT}")).await;
        let mut apis = CentralApis::from_vars(&BTreeMap::<String, String>::new());
        apis.dependency_api = Some(api_url);
        apis.region = Some("eu-west-1".into());
        let http = HttpClient::new().unwrap();
        Registration::new(ApiCaller::new(&config, http.clone(), apis), http)
    };
    let registration = provider(format!("{}/v1", api.url)).await;
    let answers = || cloudformation.requests();

    // Success: registered, answered SUCCESS with the stable id.
    let created = registration
        .handle(&request(
            "Create",
            &cloudformation.url,
            (RENT, "pipeline-y"),
            &format!("{LISTINGS}/listings"),
            None,
        ))
        .await
        .unwrap();
    assert!(created.success, "{created:?}");
    let answer = answers().last().unwrap().clone();
    assert_eq!(answer.method, "PUT");
    assert_eq!(
        answer.header("content-type"),
        Some(""),
        "CloudFormation's URL is signed without a Content-Type"
    );
    let body = answer.json();
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["PhysicalResourceId"], format!("{RENT}/pipeline-y"));
    assert_eq!(body["RequestId"], "req-Create");
    assert_eq!(body["LogicalResourceId"], "RegistrationResource");
    assert!(
        body["StackId"]
            .as_str()
            .unwrap()
            .contains("dpc-pipeline-pipeline-y")
    );
    let stored = c
        .writer
        .handle(&crate::central::api_event(
            "GET",
            &format!("/dependencies/{RENT}/pipeline-y"),
            None,
            RENT,
        ))
        .await
        .unwrap();
    assert_eq!(stored["statusCode"], 200);

    // Failure: the API refuses (a pipeline waiting for itself) → FAILED, readable.
    let selfish = registration
        .handle(&request(
            "Update",
            &cloudformation.url,
            (RENT, "pipeline-y"),
            &format!("{RENT}/pipeline-y"),
            Some(&format!("{RENT}/pipeline-y")),
        ))
        .await
        .unwrap();
    assert!(!selfish.success);
    let body = answers().last().unwrap().json();
    assert_eq!(body["Status"], "FAILED");
    assert_eq!(
        body["PhysicalResourceId"],
        format!("{RENT}/pipeline-y"),
        "the id stays stable"
    );
    let reason = body["Reason"].as_str().unwrap();
    assert!(
        reason.contains("pipeline-y@444444444444")
            && reason.contains("cannot wait for itself")
            && reason.contains("fix the pipeline's definition and deploy it again"),
        "{reason}"
    );

    // Another account's pipeline: the API says who may, and the deployment fails.
    let foreign = registration
        .handle(&request(
            "Create",
            &cloudformation.url,
            (LISTINGS, "listings-copy"),
            &format!("{RENT}/pipeline-x"),
            None,
        ))
        .await
        .unwrap();
    assert!(!foreign.success);
    assert!(
        foreign.reason.contains("only its own account"),
        "{}",
        foreign.reason
    );

    // Delete unregisters...
    let deleted = registration
        .handle(&request(
            "Delete",
            &cloudformation.url,
            (RENT, "pipeline-y"),
            &format!("{LISTINGS}/listings"),
            Some(&format!("{RENT}/pipeline-y")),
        ))
        .await
        .unwrap();
    assert!(deleted.success);
    let gone = c
        .writer
        .handle(&crate::central::api_event(
            "GET",
            &format!("/dependencies/{RENT}/pipeline-y"),
            None,
            RENT,
        ))
        .await
        .unwrap();
    assert_eq!(gone["statusCode"], 404);
    // ...and never blocks, even with the API unreachable.
    let unreachable = provider("http://127.0.0.1:9/v1".into()).await;
    let stuck = unreachable
        .handle(&request(
            "Delete",
            &cloudformation.url,
            (RENT, "pipeline-x"),
            &format!("{LISTINGS}/listings"),
            Some(&format!("{RENT}/pipeline-x")),
        ))
        .await
        .unwrap();
    assert!(stuck.success);
    assert_eq!(answers().last().unwrap().json()["Status"], "SUCCESS");
    // A create that never got an id of ours: its delete touches nothing.
    let mut broken = request(
        "Delete",
        &cloudformation.url,
        (RENT, "pipeline-x"),
        &format!("{LISTINGS}/listings"),
        Some("invalid/RegistrationResource"),
    );
    broken["ResourceProperties"] = json!({});
    let before = api.requests().len();
    assert!(registration.handle(&broken).await.unwrap().success);
    assert_eq!(api.requests().len(), before);
    assert_eq!(
        answers().last().unwrap().json()["PhysicalResourceId"],
        "invalid/RegistrationResource"
    );
}
