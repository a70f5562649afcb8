//! The `bootstrap` binary itself, as Lambda runs it: DPC_HANDLER picks the handler,
//! the Runtime API (a local fake) hands it an invocation, and every log line on
//! stdout is JSON carrying the execution ARN.

use crate::central::{LISTINGS, central, sfn};
use crate::support::http::FakeServer;
use crate::support::moto::{REGION, endpoint};
use serde_json::{Value, json};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const NEXT: &str = "/2018-06-01/runtime/invocation/next";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_serves_the_handler_dpc_handler_names() {
    let c = central("binary").await;
    let event = sfn(
        LISTINGS,
        "listings",
        "bin-1",
        "SUCCEEDED",
        "2026-11-26T09:00:00Z",
        Some("2026-11-26T09:10:00Z"),
    );
    let handed = Arc::new(AtomicBool::new(false));
    let runtime_api = {
        let event = event.clone();
        let handed = handed.clone();
        FakeServer::start_with_headers(move |request| {
            let event = event.clone();
            let handed = handed.clone();
            async move {
                if request.method == "GET" && request.target == NEXT {
                    if handed.swap(true, Ordering::SeqCst) {
                        // One invocation only: the next poll waits until the test ends.
                        tokio::time::sleep(Duration::from_secs(600)).await;
                    }
                    let deadline = (std::time::SystemTime::now() + Duration::from_secs(60))
                        .duration_since(std::time::UNIX_EPOCH)
                        .unwrap()
                        .as_millis();
                    let headers = vec![
                        (
                            "lambda-runtime-aws-request-id".to_string(),
                            "req-42".to_string(),
                        ),
                        (
                            "lambda-runtime-deadline-ms".to_string(),
                            deadline.to_string(),
                        ),
                        (
                            "lambda-runtime-invoked-function-arn".to_string(),
                            "arn:aws:lambda:eu-west-1:111111111111:function:dpc-trigger-manager"
                                .to_string(),
                        ),
                        (
                            "lambda-runtime-trace-id".to_string(),
                            "Root=1-00000000-000000000000000000000000".to_string(),
                        ),
                    ];
                    return (200, headers, event);
                }
                (202, Vec::new(), json!({"status": "OK"}))
            }
        })
        .await
    };
    let host = runtime_api.url.trim_start_matches("http://").to_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DPC_HANDLER", "trigger-manager")
        .env("RUN_LOG_TABLE", &c.names.run_log)
        .env("DEPENDENCIES_TABLE", &c.names.dependencies)
        .env("TRIGGER_RECORDS_TABLE", &c.names.triggers)
        .env("CENTRAL_BUS_NAME", &c.names.bus)
        .env("AWS_ENDPOINT_URL", endpoint())
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing")
        .env("AWS_REGION", REGION)
        .env("AWS_LAMBDA_RUNTIME_API", &host)
        .env("AWS_LAMBDA_FUNCTION_NAME", "dpc-trigger-manager")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "256")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let response = loop {
        if let Some(r) = runtime_api
            .requests()
            .into_iter()
            .find(|r| r.target.ends_with("/req-42/response"))
        {
            break r;
        }
        if let Some(r) = runtime_api
            .requests()
            .into_iter()
            .find(|r| r.target.contains("/error"))
        {
            panic!(
                "the invocation failed: {}",
                String::from_utf8_lossy(&r.body)
            );
        }
        assert!(
            Instant::now() < deadline,
            "no answer from the binary within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    child.kill().unwrap();
    let output = child.wait_with_output().unwrap();
    let answer: Value = serde_json::from_slice(&response.body).unwrap();
    assert_eq!(answer["duplicate"], false);
    assert_eq!(answer["fired"], json!([]), "searches has not succeeded yet");

    let stdout = String::from_utf8_lossy(&output.stdout);
    let lines: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let execution = event["detail"]["executionArn"].clone();
    let ours: Vec<&Value> = lines
        .iter()
        .filter(|l| l["requestId"] == "req-42")
        .collect();
    assert!(ours.len() >= 2, "the invocation logs: {stdout}");
    for line in &ours {
        assert_eq!(
            line["executionArn"], execution,
            "every line of the invocation names the execution: {line}"
        );
        assert_eq!(line["handler"], "trigger-manager");
    }
    assert!(
        lines.iter().all(|l| l.get("executionArn").is_some()),
        "{stdout}"
    );
}

#[test]
fn an_unknown_handler_fails_at_init_and_says_which_exist() {
    let output = Command::new(env!("CARGO_BIN_EXE_bootstrap"))
        .env_clear()
        .env("DPC_HANDLER", "trigger-manger")
        .env("AWS_REGION", REGION)
        .output()
        .unwrap();
    assert!(!output.status.success());
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        text.contains("trigger-manger") && text.contains("trigger-manager, dependencies-writer"),
        "{text}"
    );
}
