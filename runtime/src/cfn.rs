//! CloudFormation custom resources: the request CloudFormation invokes a provider
//! with, and the answer, an HTTPS `PUT` of JSON to the pre-signed `ResponseURL`
//! with an empty `Content-Type` (the URL is signed without one).

use crate::http::{HttpClient, truncate};
use serde_json::{Map, Value, json};
use std::time::Duration;
use tracing::warn;

/// The longest reason sent (the whole response must stay under 4 KB).
pub const MAX_REASON_CHARS: usize = 1000;

/// Create, Update or Delete.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestType {
    /// The resource is created.
    Create,
    /// Its properties changed.
    Update,
    /// It is deleted (also on rollback of a failed create).
    Delete,
}

/// A custom-resource request.
#[derive(Clone, Debug, PartialEq)]
pub struct CfnRequest {
    /// What to do.
    pub request_type: RequestType,
    /// Where to answer.
    pub response_url: String,
    /// Echoed back.
    pub stack_id: String,
    /// Echoed back.
    pub request_id: String,
    /// Echoed back.
    pub logical_resource_id: String,
    /// `Custom::...`.
    pub resource_type: String,
    /// The id given at create (Update and Delete).
    pub physical_resource_id: Option<String>,
    /// The resource's properties (all scalars arrive as strings).
    pub properties: Map<String, Value>,
}

/// Reads a custom-resource request.
///
/// # Errors
/// When a field CloudFormation always sends is missing (then no answer is possible).
pub fn parse(event: &Value) -> Result<CfnRequest, String> {
    let text = |name: &str| {
        event
            .get(name)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("not a CloudFormation custom-resource request: no {name}"))
    };
    let request_type = match text("RequestType")?.as_str() {
        "Create" => RequestType::Create,
        "Update" => RequestType::Update,
        "Delete" => RequestType::Delete,
        other => return Err(format!("unknown RequestType `{other}`")),
    };
    Ok(CfnRequest {
        request_type,
        response_url: text("ResponseURL")?,
        stack_id: text("StackId")?,
        request_id: text("RequestId")?,
        logical_resource_id: text("LogicalResourceId")?,
        resource_type: text("ResourceType").unwrap_or_default(),
        physical_resource_id: text("PhysicalResourceId").ok(),
        properties: event
            .get("ResourceProperties")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default(),
    })
}

/// The answer's body.
pub fn response_body(
    request: &CfnRequest,
    success: bool,
    reason: &str,
    physical_id: &str,
) -> Value {
    let mut body = json!({
        "Status": if success { "SUCCESS" } else { "FAILED" },
        "PhysicalResourceId": physical_id,
        "StackId": request.stack_id,
        "RequestId": request.request_id,
        "LogicalResourceId": request.logical_resource_id,
        "NoEcho": false,
        "Data": {},
    });
    if !reason.is_empty() {
        body["Reason"] = json!(truncate(reason, MAX_REASON_CHARS));
    }
    body
}

/// PUTs the answer to the response URL, retrying; CloudFormation waits until it
/// arrives (or its timeout), so giving up is the last resort.
///
/// # Errors
/// When every attempt failed.
pub async fn respond(
    http: &HttpClient,
    request: &CfnRequest,
    success: bool,
    reason: &str,
    physical_id: &str,
) -> Result<(), String> {
    let body = response_body(request, success, reason, physical_id).to_string();
    let mut last = String::new();
    for attempt in 0..4u32 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(500 * u64::from(attempt))).await;
        }
        let put = http::Request::builder()
            .method(http::Method::PUT)
            .uri(&request.response_url)
            .header("content-type", "")
            .body(body.clone().into_bytes())
            .map_err(|e| format!("the response URL is not usable: {e}"))?;
        match http.send(put).await {
            Ok(r) if r.is_success() => return Ok(()),
            Ok(r) => last = format!("HTTP {}: {}", r.status, r.text(300)),
            Err(e) => last = e.to_string(),
        }
        warn!(attempt, error = %last, stackId = %request.stack_id,
            logicalId = %request.logical_resource_id, "answering CloudFormation failed; retrying");
    }
    // CloudFormation goes on waiting for the answer until the resource times out.
    Err(format!(
        "CloudFormation's response URL did not take the {} answer for {} of stack {}: {last}; \
         the stack waits until the resource times out, then fails it",
        if success { "SUCCESS" } else { "FAILED" },
        request.logical_resource_id,
        request.stack_id
    ))
}
