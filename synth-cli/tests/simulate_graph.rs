//! `dpc simulate` and `dpc graph` on the case study, as SPEC describes them.

mod common;

use common::{dpc, repo};

fn case_study() -> String {
    repo()
        .join("examples/case-study")
        .to_string_lossy()
        .into_owned()
}

#[test]
fn the_case_study_scenario_triggers_pipeline_x_once_at_0910() {
    let scenario = repo().join("examples/case-study/scenario.yaml");
    let run = dpc(&[
        "simulate",
        &case_study(),
        scenario.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 1, "{}", run.stdout);
    let event: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(event["time"], "2026-11-26T09:10:00Z");
    assert_eq!(event["source"], "dpc.orchestrator");
    assert_eq!(event["detail-type"], "Pipeline Trigger");
    assert_eq!(event["detail"]["version"], "1");
    assert_eq!(event["detail"]["pipeline"], "pipeline-x");
    assert_eq!(event["detail"]["account"], "444444444444");
    assert_eq!(event["detail"]["cause"]["pipeline"], "listings");
    assert_eq!(event["detail"]["cause"]["account"], "222222222222");
    assert_eq!(event["detail"]["cause"]["status"], "SUCCEEDED");
    assert_eq!(
        event["detail"]["upstream"],
        serde_json::json!({
            "222222222222": { "listings": "SUCCEEDED" },
            "333333333333": { "searches": "SUCCEEDED" }
        })
    );
}

#[test]
fn the_readable_timeline_says_what_pipeline_x_waits_for() {
    let scenario = repo().join("examples/case-study/scenario.yaml");
    let run = dpc(&["simulate", &case_study(), scenario.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let out = &run.stdout;
    assert!(out.contains("listings@core-data FAILED"), "{out}");
    assert!(
        out.contains(
            "pipeline-x@rent-journey waits for: listings@core-data: latest FAILED, needs SUCCEEDED"
        ),
        "{out}"
    );
    assert!(
        out.contains("    -> triggers pipeline-x@rent-journey at 2026-11-26T09:10:00Z"),
        "{out}"
    );
    assert!(
        out.trim_end()
            .ends_with("1 trigger event: pipeline-x@rent-journey at 2026-11-26T09:10:00Z"),
        "{out}"
    );
}

#[test]
fn the_graph_names_every_pipeline_and_edge() {
    let run = dpc(&["graph", &case_study(), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let graph: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let ids: Vec<&str> = graph["pipelines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "listings@222222222222",
            "searches@333333333333",
            "pipeline-x@444444444444"
        ]
    );
    let edges: Vec<(String, String)> = graph["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["parent"].as_str().unwrap().into(),
                e["child"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        edges,
        [
            (
                "listings@222222222222".into(),
                "pipeline-x@444444444444".into()
            ),
            (
                "searches@333333333333".into(),
                "pipeline-x@444444444444".into()
            ),
        ]
    );
}

#[test]
fn downstream_and_upstream_cut_the_graph() {
    let run = dpc(&[
        "graph",
        &case_study(),
        "--format",
        "mermaid",
        "--downstream",
        "listings@core-data",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("<b>listings</b>"));
    assert!(run.stdout.contains("<b>pipeline-x</b>"));
    assert!(!run.stdout.contains("<b>searches</b>"), "{}", run.stdout);

    let run = dpc(&[
        "graph",
        &case_study(),
        "--format",
        "mermaid",
        "--upstream",
        "searches@333333333333",
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("<b>searches</b>"));
    assert!(!run.stdout.contains("<b>pipeline-x</b>"), "{}", run.stdout);

    let run = dpc(&["graph", &case_study(), "--downstream", "listing@core-data"]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("did you mean `listings@core-data`?"),
        "{}",
        run.stderr
    );
}

#[test]
fn the_dot_output_renders_with_graphviz() {
    let run = dpc(&["graph", &case_study(), "--format", "dot"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let dot = std::process::Command::new("dot")
        .arg("-Tsvg")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn();
    let mut child = match dot {
        Ok(child) => child,
        // The README's test command installs graphviz; only a bare `cargo test` on a
        // machine without it gets here, and CI must not.
        Err(_)
            if std::env::var_os("CI").is_none()
                && std::env::var_os("DPC_REQUIRE_TOOLS").is_none() =>
        {
            eprintln!("graphviz `dot` is not installed: run ./scripts/test to install it");
            return;
        }
        Err(err) => panic!("graphviz `dot` is missing under scripts/test or CI: {err}"),
    };
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(run.stdout.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let svg = String::from_utf8_lossy(&output.stdout);
    assert!(svg.contains("<svg"), "{svg}");
    assert!(svg.contains("listings"), "{svg}");
}
