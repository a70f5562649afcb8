//! `dpc simulate`'s scenario file: read, checked and resolved against an organisation.

use crate::check::{FileCheck, platform::unknown_account};
use crate::codes;
use crate::discover::display;
use crate::model::ScenarioFile;
use crate::organisation::{read_checked, validator};
use crate::resolved::{LoadScope, Organisation};
use crate::schema::SchemaKind;
use crate::source::Target;
use crate::steps::StepRegistry;
use dpc_core::Diagnostic;
use dpc_model::{PipelineId, Status};
use std::path::Path;

/// A scenario: status events in delivery order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// The events, in the order they are delivered.
    pub events: Vec<ScenarioEvent>,
}

/// One status event of a scenario, resolved.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioEvent {
    /// The event's time as written (RFC 3339 with an offset).
    pub at: String,
    /// The event's time in seconds since the Unix epoch.
    pub at_unix: i64,
    /// The pipeline, with its account resolved to an id.
    pub pipeline: PipelineId,
    /// The run's status.
    pub status: Status,
    /// The run's name, when the scenario gives one.
    pub execution: Option<String>,
    /// How often the run was redriven (0 unless given).
    pub redrive_count: u32,
}

/// Loads a scenario for `organisation`: every event's time must be RFC 3339 with an
/// offset, and every pipeline must exist (for an organisation; for one project, a
/// pipeline outside it is a warning, since the others were not loaded).
///
/// # Errors
/// Every problem of the file, each with its line and column.
pub fn load_scenario(
    path: &Path,
    organisation: &Organisation,
) -> Result<(Scenario, Vec<Diagnostic>), Vec<Diagnostic>> {
    let shown = display(path);
    let validator = validator(SchemaKind::Scenario, &StepRegistry::empty())?;
    let mut diagnostics = Vec::new();
    let checked = read_checked::<ScenarioFile>(path, &shown, &validator, &mut diagnostics);
    let Some(source) = &checked.source else {
        return Err(diagnostics);
    };
    // Every event is checked, also in a file with mistakes elsewhere (the schema's are
    // already reported, and their places poisoned): all mistakes at once. The checks
    // read the JSON, which every file that parsed has, not the typed form, which a
    // file with a mistake in any event lacks.
    let mut cx = FileCheck::new(source, &checked.reported);
    let written = checked
        .value
        .as_ref()
        .and_then(|v| v.get("events"))
        .and_then(serde_json::Value::as_array);
    let mut checked_events: Vec<Option<(i64, PipelineId)>> = Vec::new();
    for (i, event) in written.into_iter().flatten().enumerate() {
        let text = |key: &str| event.get(key).and_then(serde_json::Value::as_str);
        checked_events.push(check_event(
            &format!("/events/{i}"),
            text("at"),
            text("account"),
            text("pipeline"),
            organisation,
            &mut cx,
        ));
    }
    let mut events = Vec::new();
    if let Some(file) = &checked.typed {
        for (event, checked) in file.events.iter().zip(&checked_events) {
            if let Some((at_unix, id)) = checked {
                events.push(ScenarioEvent {
                    at: event.at.clone(),
                    at_unix: *at_unix,
                    pipeline: id.clone(),
                    status: crate::check::pipeline::status_of(event.status),
                    execution: event.execution.clone(),
                    redrive_count: event.redrive_count.unwrap_or(0),
                });
            }
        }
    }
    let failed = cx.has_errors() || checked.partial || checked.typed.is_none();
    diagnostics.extend(cx.diagnostics);
    // In the order of the file, as a reader goes through it (the schema's findings and
    // the checks' come in two passes); stable, so one place keeps its order.
    diagnostics.sort_by_key(|d| d.location.as_ref().map(|l| (l.line, l.column)));
    if failed {
        Err(diagnostics)
    } else {
        Ok((Scenario { events }, diagnostics))
    }
}

/// Checks one event's time, account and pipeline (each when written as text; a missing
/// or mistyped one is the schema's to report): its time in seconds and its pipeline when
/// all three are right.
fn check_event(
    pointer: &str,
    at: Option<&str>,
    account: Option<&str>,
    pipeline: Option<&str>,
    organisation: &Organisation,
    cx: &mut FileCheck<'_>,
) -> Option<(i64, PipelineId)> {
    let platform = &organisation.platform;
    let whole = organisation.scope == LoadScope::Organisation;
    let at = at.and_then(|at| match chrono::DateTime::parse_from_rfc3339(at) {
        Ok(t) => Some(t.timestamp()),
        Err(e) => {
            cx.push(
                Diagnostic::error(
                    codes::SCENARIO_BAD_TIME,
                    format!("`{at}` is not an RFC 3339 time: {e}"),
                )
                .with_label("expected a time such as `2026-11-26T03:00:00Z`")
                .with_help("write the date, `T`, the time and an offset (`Z` for UTC)"),
                &format!("{pointer}/at"),
                Target::Value,
            );
            None
        }
    });
    let account = account?;
    let Some(account) = platform.account(account) else {
        cx.push(
            unknown_account(account, platform),
            &format!("{pointer}/account"),
            Target::Value,
        );
        return None;
    };
    let pipeline = pipeline?;
    let id = PipelineId::new(account.id.clone(), pipeline.to_owned());
    if organisation.pipeline(&id.account, &id.name).is_none() {
        let message = format!(
            "pipeline `{pipeline}@{}` is not in the organisation",
            account.alias
        );
        let d = if whole {
            Diagnostic::error(codes::SCENARIO_UNKNOWN_PIPELINE, message)
        } else {
            Diagnostic::warning(codes::SCENARIO_UNKNOWN_PIPELINE, message)
                .with_note("only one project was loaded")
        };
        let names: Vec<&str> = organisation
            .pipelines_in(&account.id)
            .map(|p| p.name.as_str())
            .collect();
        let d = match crate::suggest::closest(pipeline, names.iter().copied()) {
            Some(close) => d.with_help(format!("did you mean `{close}`?")),
            None => d,
        };
        cx.push(
            d.with_label("no pipeline with this name in that account"),
            &format!("{pointer}/pipeline"),
            Target::Value,
        );
        // Outside the project loaded, the event is kept: only a warning.
        if whole {
            return None;
        }
    }
    Some((at?, id))
}
