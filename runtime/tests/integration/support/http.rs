//! A tiny HTTP/1.1 server on 127.0.0.1 for the fakes (Slack, CloudFormation's
//! response URL, API Gateway in front of a real handler). One request per
//! connection; every request is recorded.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A request as received.
#[derive(Clone, Debug)]
pub struct Request {
    /// `GET`, `PUT`, ...
    pub method: String,
    /// The path and query.
    pub target: String,
    /// Headers, names lower case, in order.
    pub headers: Vec<(String, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Request {
    /// A header's value.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).unwrap_or(serde_json::Value::Null)
    }
}

/// What the fake answers: status and JSON body.
pub type Answer = (u16, serde_json::Value);
/// An answer with extra headers.
pub type FullAnswer = (u16, Vec<(String, String)>, serde_json::Value);
type Respond =
    Arc<dyn Fn(Request) -> Pin<Box<dyn Future<Output = FullAnswer> + Send>> + Send + Sync>;

/// A running fake server.
#[derive(Clone)]
pub struct FakeServer {
    /// `http://127.0.0.1:<port>`.
    pub url: String,
    requests: Arc<Mutex<Vec<Request>>>,
}

impl FakeServer {
    /// Starts a server answering with `respond`.
    pub async fn start<F, Fut>(respond: F) -> FakeServer
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Answer> + Send + 'static,
    {
        let respond = Arc::new(respond);
        FakeServer::start_with_headers(move |r| {
            let respond = respond.clone();
            async move {
                let (status, body) = respond(r).await;
                (status, Vec::new(), body)
            }
        })
        .await
    }

    /// Starts a server whose answers may carry headers.
    pub async fn start_with_headers<F, Fut>(respond: F) -> FakeServer
    where
        F: Fn(Request) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = FullAnswer> + Send + 'static,
    {
        let respond: Respond = Arc::new(move |r| Box::pin(respond(r)));
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = requests.clone();
        tokio::spawn(async move {
            loop {
                let Ok((mut stream, _)) = listener.accept().await else {
                    return;
                };
                let respond = respond.clone();
                let recorded = recorded.clone();
                tokio::spawn(async move {
                    let Some(request) = read_request(&mut stream).await else {
                        return;
                    };
                    recorded.lock().unwrap().push(request.clone());
                    let (status, headers, body) = respond(request).await;
                    let body = body.to_string();
                    let extra: String = headers
                        .iter()
                        .map(|(k, v)| format!("{k}: {v}\r\n"))
                        .collect();
                    let head = format!(
                        "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\n{extra}content-length: {}\r\nconnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = stream.write_all(head.as_bytes()).await;
                    let _ = stream.write_all(body.as_bytes()).await;
                    let _ = stream.shutdown().await;
                });
            }
        });
        FakeServer { url, requests }
    }

    /// Every request so far.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }
}

async fn read_request(stream: &mut tokio::net::TcpStream) -> Option<Request> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(i) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut lines = head.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let length: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buffer[head_end + 4..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&chunk[..n]);
    }
    Some(Request {
        method,
        target,
        headers,
        body,
    })
}

/// API Gateway in front of a proxy-integration handler: checks that the request is
/// SigV4-signed for `execute-api`, strips the stage `/v1`, and passes the caller's
/// account as IAM auth would (the access key id `AKID<account>` names it).
pub fn proxy_event(request: &Request) -> Result<serde_json::Value, Answer> {
    let auth = request
        .header("authorization")
        .unwrap_or_default()
        .to_string();
    if !auth.starts_with("AWS4-HMAC-SHA256 Credential=")
        || !auth.contains("/execute-api/aws4_request")
    {
        return Err((
            403,
            serde_json::json!({"message": "Missing Authentication Token"}),
        ));
    }
    let key_id = auth["AWS4-HMAC-SHA256 Credential=".len()..]
        .split('/')
        .next()
        .unwrap_or("");
    let account = key_id.strip_prefix("AKID").unwrap_or("000000000000");
    let path = request
        .target
        .strip_prefix("/v1")
        .unwrap_or(&request.target)
        .to_string();
    Ok(serde_json::json!({
        "httpMethod": request.method,
        "path": path,
        "body": if request.body.is_empty() { serde_json::Value::Null } else { serde_json::Value::String(String::from_utf8_lossy(&request.body).to_string()) },
        "isBase64Encoded": false,
        "requestContext": {"identity": {"accountId": account, "userArn": format!("arn:aws:sts::{account}:assumed-role/dpc-registration/x")}}
    }))
}

/// Reads a proxy integration answer back into status and JSON body.
pub fn proxy_answer(answer: &serde_json::Value) -> Answer {
    let status = answer["statusCode"].as_u64().unwrap_or(500) as u16;
    let body = answer["body"]
        .as_str()
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(serde_json::Value::Null);
    (status, body)
}
