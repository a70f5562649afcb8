//! Plain HTTP(S) for what the SDK does not cover: Slack's Web API, the central API
//! (signed with SigV4 for `execute-api`), and CloudFormation's pre-signed response
//! URL. The same hyper + rustls (ring) stack as the SDK, so nothing is compiled twice.

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use std::fmt;
use std::time::{Duration, SystemTime};

/// How long one request may take before it is given up.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// An HTTP response, body read.
#[derive(Clone, Debug)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Vec<u8>,
}

impl Response {
    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as text (lossy), cut to `max` characters for messages.
    pub fn text(&self, max: usize) -> String {
        let text = String::from_utf8_lossy(&self.body);
        truncate(&text, max)
    }
}

/// `text` cut to at most `max` characters, with `…` when cut.
pub fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_string()
    } else {
        let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
        out.push('…');
        out
    }
}

/// Why a request got no response.
#[derive(Debug)]
pub struct HttpError(pub String);

impl fmt::Display for HttpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for HttpError {}

type Https = hyper_rustls::HttpsConnector<HttpConnector>;

/// A client for `https://` (system roots) and `http://` (local fakes in tests) URLs.
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: Client<Https, Full<Bytes>>,
}

impl HttpClient {
    /// A client trusting the system's root certificates.
    ///
    /// # Errors
    /// When the system has no readable root certificates.
    pub fn new() -> Result<HttpClient, HttpError> {
        let provider = rustls::crypto::ring::default_provider();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_native_roots(provider)
            .map_err(|e| HttpError(format!("cannot load the system's root certificates: {e}")))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpClient {
            inner: Client::builder(TokioExecutor::new()).build(connector),
        })
    }

    /// Sends `request` and reads the whole response, within [`REQUEST_TIMEOUT`].
    ///
    /// # Errors
    /// No connection, a timeout, or a broken response.
    pub async fn send(&self, request: Request<Vec<u8>>) -> Result<Response, HttpError> {
        let (parts, body) = request.into_parts();
        let target = format!("{} {}", parts.method, redact_query(&parts.uri));
        let request = Request::from_parts(parts, Full::new(Bytes::from(body)));
        let exchange = async {
            let response = self
                .inner
                .request(request)
                .await
                .map_err(|e| HttpError(format!("{target}: {}", error_chain(&e))))?;
            let (parts, body) = response.into_parts();
            let body = body
                .collect()
                .await
                .map_err(|e| HttpError(format!("{target}: reading the response: {e}")))?
                .to_bytes();
            Ok(Response {
                status: parts.status.as_u16(),
                headers: parts.headers,
                body: body.to_vec(),
            })
        };
        tokio::time::timeout(REQUEST_TIMEOUT, exchange)
            .await
            .map_err(|_| HttpError(format!("{target}: no response within {REQUEST_TIMEOUT:?}")))?
    }
}

// Pre-signed URLs carry credentials in the query: never log them.
fn redact_query(uri: &http::Uri) -> String {
    match uri.query() {
        Some(_) => format!(
            "{}://{}{}?…",
            uri.scheme_str().unwrap_or("http"),
            uri.authority().map_or("", |a| a.as_str()),
            uri.path()
        ),
        None => uri.to_string(),
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A JSON request with SigV4 for `execute-api` (an API Gateway API with IAM auth).
///
/// # Errors
/// A URL that is not one, or a signing failure.
pub fn signed_json_request(
    method: Method,
    url: &str,
    body: Option<&serde_json::Value>,
    credentials: &Credentials,
    region: &str,
) -> Result<Request<Vec<u8>>, HttpError> {
    let body = match body {
        Some(value) => serde_json::to_vec(value).map_err(|e| HttpError(e.to_string()))?,
        None => Vec::new(),
    };
    signed_request(
        method,
        url,
        "application/json",
        body,
        credentials,
        region,
        "execute-api",
    )
}

/// A request signed with SigV4 for `service` in `region`.
///
/// # Errors
/// A URL that is not one, or a signing failure.
pub fn signed_request(
    method: Method,
    url: &str,
    content_type: &str,
    body: Vec<u8>,
    credentials: &Credentials,
    region: &str,
    service: &str,
) -> Result<Request<Vec<u8>>, HttpError> {
    let mut request = Request::builder()
        .method(method)
        .uri(url)
        .header("content-type", content_type)
        .body(body)
        .map_err(|e| HttpError(format!("bad request to {url}: {e}")))?;
    let host = request
        .uri()
        .authority()
        .map(|a| a.as_str().to_string())
        .ok_or_else(|| HttpError(format!("`{url}` has no host")))?;
    let host = HeaderValue::from_str(&host).map_err(|e| HttpError(e.to_string()))?;
    request.headers_mut().insert("host", host);
    let identity: Identity = credentials.clone().into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(SystemTime::now())
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| HttpError(format!("cannot sign the request: {e}")))?
        .into();
    let headers: Vec<(&str, &str)> = request
        .headers()
        .iter()
        .filter_map(|(k, v)| v.to_str().ok().map(|v| (k.as_str(), v)))
        .collect();
    let uri = request.uri().to_string();
    let signable = SignableRequest::new(
        request.method().as_str(),
        uri,
        headers.into_iter(),
        SignableBody::Bytes(request.body()),
    )
    .map_err(|e| HttpError(format!("cannot sign the request: {e}")))?;
    let (instructions, _) = sign(signable, &params)
        .map_err(|e| HttpError(format!("cannot sign the request: {e}")))?
        .into_parts();
    instructions.apply_to_request_http1x(&mut request);
    Ok(request)
}

/// The region of an `execute-api` URL (`https://id.execute-api.eu-west-1.amazonaws.com/...`).
pub fn execute_api_region(url: &str) -> Option<String> {
    let host = url.split("://").nth(1)?.split(['/', ':']).next()?;
    let mut parts = host.split('.');
    let (_, service, region) = (parts.next()?, parts.next()?, parts.next()?);
    (service == "execute-api" && !region.is_empty()).then(|| region.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn region_from_execute_api_urls() {
        assert_eq!(
            execute_api_region("https://a1b2.execute-api.eu-west-1.amazonaws.com/prod").as_deref(),
            Some("eu-west-1")
        );
        assert_eq!(execute_api_region("https://api.example.com/prod"), None);
        assert_eq!(execute_api_region("nonsense"), None);
    }

    #[test]
    fn signing_adds_authorization_for_execute_api() {
        let creds = Credentials::new("AKIDEXAMPLE", "secret", Some("token".into()), None, "t");
        let body = serde_json::json!({"a": 1});
        let request = signed_json_request(
            Method::PUT,
            "https://a1b2.execute-api.eu-west-1.amazonaws.com/prod/pipelines/1/x",
            Some(&body),
            &creds,
            "eu-west-1",
        )
        .unwrap();
        let auth = request.headers()["authorization"].to_str().unwrap();
        assert!(
            auth.starts_with("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/"),
            "{auth}"
        );
        assert!(
            auth.contains("/eu-west-1/execute-api/aws4_request"),
            "{auth}"
        );
        assert_eq!(request.headers()["x-amz-security-token"], "token");
        assert_eq!(request.body(), br#"{"a":1}"#);
    }

    #[test]
    fn truncate_counts_characters() {
        assert_eq!(truncate("abc", 3), "abc");
        assert_eq!(truncate("abcdef", 4), "abc…");
    }
}
