//! A `dpc simulate` scenario: timed status events, in delivery order.

use super::common::StatusName;
use super::common::patterns;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A `dpc simulate` scenario: status events in the order EventBridge delivers them.
/// Event times may go backwards (a late delivery) and an event may repeat (a duplicate).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[schemars(title = "dpc simulate scenario")]
pub struct ScenarioFile {
    /// The status events, in delivery order.
    pub events: Vec<ScenarioEventFile>,
}

/// One status event of a pipeline run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ScenarioEventFile {
    /// The event's own time, RFC 3339 with an offset, e.g. `2026-11-26T03:00:00Z`.
    #[schemars(extend("format" = "date-time"))]
    pub at: String,
    /// The pipeline's name.
    #[schemars(pattern(patterns::NAME))]
    pub pipeline: String,
    /// The pipeline's account: an alias from platform.yaml or a 12-digit id.
    #[schemars(pattern(patterns::ACCOUNT_REF))]
    pub account: String,
    /// The run's status.
    pub status: StatusName,
    /// Names the run: events with the same `execution` belong to one run. When omitted,
    /// `dpc simulate` names the run itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub execution: Option<String>,
    /// How often the run was redriven. Defaults to 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub redrive_count: Option<u32>,
}
