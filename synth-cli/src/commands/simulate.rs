//! `dpc simulate PATH SCENARIO [--json]`: the central trigger logic, replayed.

use crate::codes;
use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use dpc_model::{PipelineId, Recorded, ScenarioEvent, Timeline, Timestamp, simulate};
use dpc_schema::{Organisation, Trigger};
use std::path::Path;

/// Replays the scenario's events against the organisation at `path` and prints the
/// timeline, or with `json` one trigger event per line.
pub fn run(path: &Path, scenario: &Path, json: bool, io: &mut Io<'_>) -> i32 {
    let what = format!("simulate `{}`", scenario.display());
    let (org, warnings) = match dpc_schema::load_organisation(path) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_diagnostics(io, &errors, false, &what);
            return EXIT_INPUT;
        }
    };
    let (scenario, scenario_warnings) = match dpc_schema::load_scenario(scenario, &org) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_diagnostics(io, &errors, false, &what);
            return EXIT_INPUT;
        }
    };
    let mut all_warnings = warnings;
    all_warnings.extend(scenario_warnings);
    print_diagnostics(io, &all_warnings, false, &what);
    let mut events: Vec<ScenarioEvent> = Vec::with_capacity(scenario.events.len());
    for e in &scenario.events {
        // The loader already checked every time; a value out of the model's range is
        // still reported, never unwrapped.
        let time = match Timestamp::from_unix_seconds(e.at_unix) {
            Ok(time) => time,
            Err(err) => {
                let d = dpc_core::Diagnostic::error(
                    codes::SCENARIO_TIME_OUT_OF_RANGE,
                    format!("`{}`: {err}", e.at),
                );
                print_diagnostics(io, &[d], false, &what);
                return EXIT_INPUT;
            }
        };
        events.push(ScenarioEvent {
            time,
            pipeline: e.pipeline.clone(),
            status: e.status.into(),
            execution: e.execution.clone(),
            redrive_count: e.redrive_count,
            region: org
                .platform
                .account_by_id(&e.pipeline.account)
                .map(|a| a.region.clone()),
        });
    }
    let pipelines: Vec<(PipelineId, Option<dpc_model::ExecutionsTrigger>)> = org
        .pipelines
        .iter()
        .map(|p| {
            let trigger = match &p.trigger {
                Trigger::Executions(e) => Some(e.clone()),
                _ => None,
            };
            (p.id(), trigger)
        })
        .collect();
    let timeline = simulate(&pipelines, &events);
    if json {
        for trigger in timeline.trigger_events() {
            let line = serde_json::to_string(&trigger).unwrap_or_default();
            let _ = writeln!(io.stdout, "{line}");
        }
    } else {
        let _ = write!(io.stdout, "{}", timeline_text(&org, &timeline));
    }
    EXIT_OK
}

/// `name@alias` for a pipeline id, falling back to the account id.
fn show(org: &Organisation, id: &PipelineId) -> String {
    match org.platform.account_by_id(&id.account) {
        Some(account) => format!("{}@{}", id.name, account.alias),
        None => id.to_string(),
    }
}

/// The readable timeline: each delivered event, what it triggered, and what the
/// pipelines depending on it still wait for.
fn timeline_text(org: &Organisation, timeline: &Timeline) -> String {
    let mut out = String::new();
    for step in &timeline.steps {
        let event = &step.event;
        let note = match step.recorded {
            Recorded::Latest => String::new(),
            Recorded::NotLatest => "  (older than what is known: changes nothing)".into(),
            Recorded::Duplicate => "  (duplicate: ignored)".into(),
        };
        out.push_str(&format!(
            "{}  {} {}{}\n",
            event.time,
            show(org, &event.pipeline),
            event.status,
            note
        ));
        out.push_str(&format!("    execution {}\n", event.execution));
        for fired in &step.fired {
            let cause = &fired.trigger.event.detail.cause;
            out.push_str(&format!(
                "    -> triggers {} at {} (cause: {} {})\n",
                show(org, &fired.pipeline),
                fired.trigger.time,
                show(org, &PipelineId::new(&cause.account, &cause.pipeline)),
                cause.status,
            ));
            let mut upstream = Vec::new();
            for (account, statuses) in &fired.trigger.event.detail.upstream {
                for (name, status) in statuses {
                    upstream.push(format!(
                        "{} {status}",
                        show(org, &PipelineId::new(account, name))
                    ));
                }
            }
            out.push_str(&format!("       upstream: {}\n", upstream.join(", ")));
        }
        for pending in &step.waiting {
            let unmet: Vec<String> = pending
                .waiting
                .unmet()
                .iter()
                .map(|u| {
                    let text = u.to_string();
                    let plain = u.pipeline.to_string();
                    text.replacen(&plain, &show(org, &u.pipeline), 1)
                })
                .collect();
            out.push_str(&format!(
                "    {} waits for: {}\n",
                show(org, &pending.pipeline),
                unmet.join("; ")
            ));
        }
    }
    let fired: Vec<String> = timeline
        .fired()
        .map(|f| format!("{} at {}", show(org, &f.pipeline), f.trigger.time))
        .collect();
    out.push_str(&format!(
        "\n{} trigger event{}{}{}\n",
        fired.len(),
        if fired.len() == 1 { "" } else { "s" },
        if fired.is_empty() { "" } else { ": " },
        fired.join(", ")
    ));
    out
}
