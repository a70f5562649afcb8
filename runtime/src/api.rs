//! API Gateway REST API proxy integration: the request the central APIs' Lambdas get,
//! the answer they give, and strict input checks.
//!
//! A client mistake is always a 4xx with a JSON body `{"message": "..."}` saying what
//! is wrong; a 5xx only ever means the platform failed (a table could not be
//! reached).

use dpc_model::{Condition, ConditionNode, PipelineId, Status};
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// The most bytes a request body may have.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A proxy integration request, the parts the handlers read.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiRequest {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path without the stage, e.g. `/dependencies/444444444444/pipeline-x`.
    pub path: String,
    /// The body, decoded from base64 when API Gateway encoded it.
    pub body: Option<String>,
    /// The caller's account (IAM auth), `requestContext.identity.accountId`.
    pub caller_account: Option<String>,
    /// The caller's ARN, for logs.
    pub caller_arn: Option<String>,
}

/// An answer: status code and JSON body.
#[derive(Clone, Debug, PartialEq)]
pub struct ApiResponse {
    /// The HTTP status.
    pub status: u16,
    /// The JSON body.
    pub body: Value,
}

impl ApiResponse {
    /// 200 with `body`.
    pub fn ok(body: Value) -> ApiResponse {
        ApiResponse { status: 200, body }
    }

    /// A client mistake: `status` (4xx) with `{"message": reason}`.
    pub fn client_error(status: u16, reason: impl Into<String>) -> ApiResponse {
        ApiResponse {
            status,
            body: json!({ "message": reason.into() }),
        }
    }

    /// 400 Bad Request.
    pub fn bad_request(reason: impl Into<String>) -> ApiResponse {
        ApiResponse::client_error(400, reason)
    }

    /// Logs the answer: its status and, for a refusal, the reason (which the caller
    /// sees too; the API's own log should show it).
    pub fn log(&self) {
        match self.body.get("message").and_then(Value::as_str) {
            Some(reason) if self.status >= 400 => {
                tracing::info!(status = self.status, reason, "answered");
            }
            _ => tracing::info!(status = self.status, "answered"),
        }
    }

    /// The proxy integration's answer to API Gateway.
    pub fn to_proxy(&self) -> Value {
        json!({
            "statusCode": self.status,
            "headers": {"Content-Type": "application/json"},
            "body": self.body.to_string(),
            "isBase64Encoded": false,
        })
    }
}

/// Logs how a request was answered ([`ApiResponse::log`]), or the platform's failure,
/// which API Gateway answers with a 5xx and nothing more.
pub fn log_answer<E: std::fmt::Display>(answer: &Result<ApiResponse, E>) {
    match answer {
        Ok(response) => response.log(),
        Err(e) => tracing::error!(
            error = %e,
            "the request failed: the function errs, so API Gateway answers the caller with a 5xx"
        ),
    }
}

/// A client mistake found while reading a request.
pub type Rejection = ApiResponse;

/// Reads a proxy integration event.
///
/// # Errors
/// A 400 when it is not one (an API Gateway misconfiguration or a direct invoke).
pub fn parse_request(event: &Value) -> Result<ApiRequest, Rejection> {
    let method = event
        .get("httpMethod")
        .and_then(Value::as_str)
        .ok_or_else(|| {
            ApiResponse::bad_request("not an API Gateway proxy request: no httpMethod")
        })?;
    let path = event
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiResponse::bad_request("not an API Gateway proxy request: no path"))?;
    let encoded = event.get("isBase64Encoded").and_then(Value::as_bool) == Some(true);
    let body = match event.get("body").and_then(Value::as_str) {
        None => None,
        Some(text) if encoded => {
            use base64::Engine as _;
            let bytes = base64::engine::general_purpose::STANDARD
                .decode(text)
                .map_err(|_| ApiResponse::bad_request("the body is not valid base64"))?;
            Some(
                String::from_utf8(bytes)
                    .map_err(|_| ApiResponse::bad_request("the body is not UTF-8"))?,
            )
        }
        Some(text) => Some(text.to_string()),
    };
    if body.as_ref().is_some_and(|b| b.len() > MAX_BODY_BYTES) {
        return Err(ApiResponse::client_error(
            413,
            format!("the body is larger than {MAX_BODY_BYTES} bytes"),
        ));
    }
    let identity = event.pointer("/requestContext/identity");
    let field = |name: &str| {
        identity
            .and_then(|i| i.get(name))
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    Ok(ApiRequest {
        method: method.to_ascii_uppercase(),
        path: path.to_string(),
        body,
        caller_account: field("accountId"),
        caller_arn: field("userArn").or_else(|| field("caller")),
    })
}

impl ApiRequest {
    /// The path's segments after the resource name `resource`:
    /// `/dependencies/444/x` → `["444", "x"]`.
    pub fn segments_after(&self, resource: &str) -> Option<Vec<&str>> {
        let mut parts = self.path.trim_matches('/').split('/');
        (parts.next() == Some(resource)).then(|| parts.collect())
    }

    /// The pipeline `/{resource}/{account}/{pipeline}` names, checked.
    ///
    /// # Errors
    /// 404 for another path, 400 for a malformed account or name.
    pub fn pipeline(&self, resource: &str) -> Result<PipelineId, Rejection> {
        let not_found = || {
            ApiResponse::client_error(
                404,
                format!(
                    "no such resource `{}`: use /{resource}/{{account}}/{{pipeline}}",
                    self.path
                ),
            )
        };
        let segments = self.segments_after(resource).ok_or_else(not_found)?;
        let [account, name] = segments.as_slice() else {
            return Err(not_found());
        };
        check_account(account)?;
        check_pipeline_name(name)?;
        Ok(PipelineId::new(*account, *name))
    }

    /// Only the account a pipeline lives in may register or change it.
    ///
    /// # Errors
    /// 403 when the caller is another account (or unknown).
    pub fn authorize(&self, pipeline: &PipelineId) -> Result<(), Rejection> {
        match &self.caller_account {
            Some(account) if account == &pipeline.account => Ok(()),
            Some(account) => Err(ApiResponse::client_error(
                403,
                format!(
                    "account {account} may not change pipeline {pipeline}: only its own account {} may",
                    pipeline.account
                ),
            )),
            None => Err(ApiResponse::client_error(
                403,
                "the caller's account is unknown: call the API with SigV4 (IAM auth)",
            )),
        }
    }

    /// The JSON body as `T` (unknown fields refused by `T`'s serde attributes).
    ///
    /// # Errors
    /// 400 with serde's reason (which names the field) when the body is missing or
    /// does not fit.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, Rejection> {
        let body = self
            .body
            .as_deref()
            .filter(|b| !b.trim().is_empty())
            .ok_or_else(|| ApiResponse::bad_request("the request needs a JSON body"))?;
        serde_json::from_str(body).map_err(|e| {
            ApiResponse::bad_request(format!("the body is not what this API takes: {e}"))
        })
    }

    /// A 405 for a method the resource does not have.
    pub fn method_not_allowed(&self, allowed: &[&str]) -> ApiResponse {
        ApiResponse::client_error(
            405,
            format!(
                "{} is not allowed on {}: use {}",
                self.method,
                self.path,
                allowed.join(", ")
            ),
        )
    }
}

/// A 12-digit AWS account id.
///
/// # Errors
/// 400 otherwise.
pub fn check_account(account: &str) -> Result<(), Rejection> {
    if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(ApiResponse::bad_request(format!(
            "`{account}` is not an AWS account id (12 digits)"
        )))
    }
}

/// A pipeline name as SPEC allows: `[a-z][a-z0-9-]{0,62}`.
///
/// # Errors
/// 400 otherwise.
pub fn check_pipeline_name(name: &str) -> Result<(), Rejection> {
    let mut bytes = name.bytes();
    let ok = name.len() <= 63
        && bytes.next().is_some_and(|b| b.is_ascii_lowercase())
        && bytes.all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(ApiResponse::bad_request(format!(
            "`{name}` is not a pipeline name ([a-z][a-z0-9-]{{0,62}})"
        )))
    }
}

/// The most condition items one pipeline may list (the loader checks the same limit).
pub const MAX_CONDITION_ITEMS: usize = dpc_model::contract::api::MAX_CONDITION_ITEMS;
/// The deepest nesting of groups (the loader checks the same limit).
pub const MAX_CONDITION_DEPTH: usize = dpc_model::contract::api::MAX_CONDITION_DEPTH;

/// A condition as the trigger semantics need it: at least one item, every group
/// non-empty, every item with a status, valid pipeline ids, not naming `child`
/// itself, within size limits.
///
/// # Errors
/// 400 with the first problem.
pub fn check_condition(condition: &Condition, child: &PipelineId) -> Result<(), Rejection> {
    fn walk(
        group: &Condition,
        child: &PipelineId,
        depth: usize,
        count: &mut usize,
    ) -> Result<(), Rejection> {
        if depth > MAX_CONDITION_DEPTH {
            return Err(ApiResponse::bad_request(format!(
                "the condition nests groups deeper than {MAX_CONDITION_DEPTH}"
            )));
        }
        if group.all_of.is_empty() && group.any_of.is_empty() {
            return Err(ApiResponse::bad_request(
                "a condition group needs allOf or anyOf entries",
            ));
        }
        for node in group.all_of.iter().chain(&group.any_of) {
            match node {
                ConditionNode::Item(item) => {
                    *count += 1;
                    check_account(&item.pipeline.account)?;
                    check_pipeline_name(&item.pipeline.name)?;
                    if &item.pipeline == child {
                        return Err(ApiResponse::bad_request(format!(
                            "pipeline {child} cannot wait for itself"
                        )));
                    }
                    if item.status.is_empty() {
                        return Err(ApiResponse::bad_request(format!(
                            "the item for {} lists no status (one of {})",
                            item.pipeline,
                            Status::ALL.map(Status::as_str).join(", ")
                        )));
                    }
                }
                ConditionNode::Group(inner) => walk(inner, child, depth + 1, count)?,
            }
        }
        Ok(())
    }
    let mut count = 0;
    walk(condition, child, 1, &mut count)?;
    if count > MAX_CONDITION_ITEMS {
        return Err(ApiResponse::bad_request(format!(
            "the condition has {count} items; at most {MAX_CONDITION_ITEMS} are allowed"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: &str, path: &str, body: Option<&str>, caller: Option<&str>) -> Value {
        json!({
            "httpMethod": method, "path": path, "body": body, "isBase64Encoded": false,
            "requestContext": {"identity": {"accountId": caller}}
        })
    }

    #[test]
    fn paths_accounts_and_names_are_checked() {
        let r = parse_request(&request(
            "PUT",
            "/dependencies/444444444444/pipeline-x",
            None,
            Some("444444444444"),
        ))
        .unwrap();
        let p = r.pipeline("dependencies").unwrap();
        assert_eq!(p, PipelineId::new("444444444444", "pipeline-x"));
        assert!(r.authorize(&p).is_ok());
        let other = parse_request(&request(
            "PUT",
            "/dependencies/444444444444/pipeline-x",
            None,
            Some("222222222222"),
        ))
        .unwrap();
        assert_eq!(other.authorize(&p).unwrap_err().status, 403);
        let bad =
            parse_request(&request("PUT", "/dependencies/4444/Pipeline", None, None)).unwrap();
        assert_eq!(bad.pipeline("dependencies").unwrap_err().status, 400);
        let deep = parse_request(&request(
            "PUT",
            "/dependencies/444444444444/x/y",
            None,
            None,
        ))
        .unwrap();
        assert_eq!(deep.pipeline("dependencies").unwrap_err().status, 404);
        assert_eq!(parse_request(&json!({"hello": 1})).unwrap_err().status, 400);
        assert!(check_pipeline_name(&"a".repeat(63)).is_ok());
        assert!(check_pipeline_name(&"a".repeat(64)).is_err());
        assert!(check_pipeline_name("9lives").is_err());
    }

    #[test]
    fn bodies_must_be_json_of_the_right_shape() {
        #[derive(serde::Deserialize, Debug)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct Body {
            channels: Vec<String>,
        }
        let r = parse_request(&request(
            "PUT",
            "/channels/444444444444/x",
            Some("{\"chanels\": []}"),
            None,
        ))
        .unwrap();
        let e = r.json::<Body>().unwrap_err();
        assert_eq!(e.status, 400);
        assert!(
            e.body["message"].as_str().unwrap().contains("chanels"),
            "{e:?}"
        );
        let empty = parse_request(&request("PUT", "/channels/444444444444/x", None, None)).unwrap();
        assert_eq!(empty.json::<Body>().unwrap_err().status, 400);
        let big = "x".repeat(MAX_BODY_BYTES + 1);
        assert_eq!(
            parse_request(&request("PUT", "/c", Some(&big), None))
                .unwrap_err()
                .status,
            413
        );
    }
}
