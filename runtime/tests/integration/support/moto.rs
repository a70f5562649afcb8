//! moto in server mode, shared by every test of this binary.
//!
//! `DPC_MOTO_ENDPOINT` points the tests at a running server; otherwise the first
//! test starts `.tools/venv/bin/moto_server` on a free port of 127.0.0.1 under a
//! watchdog that stops it when this test process ends. Without moto the tests fail
//! (never skip) and say how to install it.

use dpc_runtime::aws::{self, AwsSettings};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The region every test uses.
pub const REGION: &str = "eu-west-1";

static ENDPOINT: OnceLock<String> = OnceLock::new();

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The moto endpoint, starting moto on first use.
pub fn endpoint() -> String {
    ENDPOINT.get_or_init(start).clone()
}

fn start() -> String {
    if let Ok(url) = std::env::var("DPC_MOTO_ENDPOINT")
        && !url.is_empty()
    {
        return url.trim_end_matches('/').to_string();
    }
    let server = workspace().join(".tools/venv/bin/moto_server");
    assert!(
        server.exists(),
        "moto is not installed ({} is missing). Run the README's test command `scripts/test` \
         (it installs the pinned tools), or `scripts/install-tools`, or set DPC_MOTO_ENDPOINT \
         to a running `moto_server`.",
        server.display()
    );
    // A port found free may be taken before moto binds it: then moto exits, and
    // another port is tried.
    for _ in 0..3 {
        if let Some(url) = try_start(&server) {
            return url;
        }
    }
    panic!(
        "moto_server ({}) did not start on 127.0.0.1 in three tries",
        server.display()
    );
}

fn try_start(server: &std::path::Path) -> Option<String> {
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
        listener.local_addr().expect("its address").port()
    };
    // The watchdog ends moto when this test process ends (statics are never dropped).
    let script = r#"server="$1"; port="$2"; parent="$3"
"$server" -H 127.0.0.1 -p "$port" >/dev/null 2>&1 &
moto=$!
trap 'kill $moto 2>/dev/null' EXIT
while kill -0 "$parent" 2>/dev/null && kill -0 "$moto" 2>/dev/null; do sleep 0.5; done"#;
    // Waited for only when moto exits early; otherwise it lives as long as this process.
    #[allow(clippy::zombie_processes)]
    let mut watchdog = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("moto-watchdog")
        .arg(server)
        .arg(port.to_string())
        .arg(std::process::id().to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("bash runs the moto watchdog");
    let deadline = Instant::now() + Duration::from_secs(90);
    loop {
        if is_moto(port) {
            return Some(format!("http://127.0.0.1:{port}"));
        }
        if let Ok(Some(_)) = watchdog.try_wait() {
            return None;
        }
        assert!(
            Instant::now() < deadline,
            "moto_server did not answer on port {port} within 90 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether moto (and not something else) answers on `port`.
fn is_moto(port: u16) -> bool {
    use std::io::{Read, Write};
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /moto-api/data.json HTTP/1.0\r\nHost: 127.0.0.1:{port}\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer.starts_with("HTTP/1.") && answer.contains(" 200 ")
}

/// An SDK configuration pointed at moto, with dummy credentials.
pub async fn config() -> aws_config::SdkConfig {
    config_as("testing").await
}

/// The same, signing as access key `key_id` (the fake API Gateway maps it to an account).
pub async fn config_as(key_id: &str) -> aws_config::SdkConfig {
    aws::load(&AwsSettings {
        endpoint_url: Some(endpoint()),
        static_credentials: Some((key_id.to_string(), "testing-secret".to_string())),
        region: Some(REGION.to_string()),
    })
    .await
}

/// A name unique to one test, so tests share moto without seeing each other.
pub fn unique(test: &str, what: &str) -> String {
    format!("{test}-{what}")
}
