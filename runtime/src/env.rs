//! The contract between the templates and this binary: every environment variable
//! the runtime reads, every table key it relies on, the central API's paths and the
//! event shapes it accepts. The templates (`constructs/src/central.rs`,
//! `constructs/src/account.rs`, the pipeline stack) must set and create exactly
//! these; nothing else in the runtime names a variable or a key attribute.

use std::fmt;

/// Selects the handler: one of [`dpc_model::naming::LambdaRole::as_str`]
/// (`trigger-manager`, `dependencies-writer`, `slack-channel-writer`,
/// `slack-poster`, `execution-tracker`, `slack-caller`, `cleanup`, `registration`).
pub const HANDLER: &str = "DPC_HANDLER";

/// Log level of the JSON logs: `error`, `warn`, `info` (default), `debug`, `trace`.
pub const LOG_LEVEL: &str = "DPC_LOG_LEVEL";

// ---- central account -------------------------------------------------------

/// Trigger manager, dependencies writer: the run log table (name); see [`run_log`].
pub const RUN_LOG_TABLE: &str = "RUN_LOG_TABLE";
/// Trigger manager, dependencies writer: the dependencies table; see [`dependencies`].
pub const DEPENDENCIES_TABLE: &str = "DEPENDENCIES_TABLE";
/// Trigger manager, dependencies writer: the trigger records table; see [`triggers`].
pub const TRIGGER_RECORDS_TABLE: &str = "TRIGGER_RECORDS_TABLE";
/// Trigger manager: the central bus the trigger events are put on (name or ARN).
pub const CENTRAL_BUS_NAME: &str = "CENTRAL_BUS_NAME";
/// Slack channel writer and Slack poster: the Slack channels table; see
/// [`slack_channels`].
pub const SLACK_CHANNELS_TABLE: &str = "SLACK_CHANNELS_TABLE";
/// Slack poster: the Slack threads table; see [`slack_threads`].
pub const SLACK_THREADS_TABLE: &str = "SLACK_THREADS_TABLE";
/// Slack poster: the Secrets Manager secret (name or ARN) holding the Slack bot
/// token, either the bare token or JSON with a `token` (or `botToken`) field.
pub const SLACK_TOKEN_SECRET_NAME: &str = "SLACK_TOKEN_SECRET_NAME";
/// Slack poster: Slack's Web API base URL; default [`DEFAULT_SLACK_API_BASE_URL`].
/// Tests point it at a local fake.
pub const SLACK_API_BASE_URL: &str = "SLACK_API_BASE_URL";

/// Slack's Web API.
pub const DEFAULT_SLACK_API_BASE_URL: &str = "https://slack.com/api";

// ---- user accounts ---------------------------------------------------------

/// Execution tracker: the account's claims table (name), used to send each status
/// notification once (`triggerId` = `notified#<event key>`, with [`TTL_ATTRIBUTE`]).
pub const CLAIMS_TABLE: &str = "CLAIMS_TABLE";
/// The claims table's partition key.
pub const CLAIMS_KEY: &str = "triggerId";
/// Registration provider: the central dependency API's base URL (the stage URL,
/// e.g. `https://abc123.execute-api.eu-west-1.amazonaws.com/v1`).
pub const DEPENDENCY_API_URL: &str = "DEPENDENCY_API_URL";
/// Slack caller and registration provider: the central Slack API's base URL.
pub const SLACK_API_URL: &str = "SLACK_API_URL";
/// Slack caller and registration provider: the central APIs' region, for SigV4.
/// Optional when the URLs are `execute-api` hosts (the region is in them).
pub const CENTRAL_API_REGION: &str = "CENTRAL_API_REGION";
/// Cleanup: the EMR cluster tag holding the execution ARN (default [`DEFAULT_EXECUTION_TAG`]).
pub const EXECUTION_TAG: &str = "EXECUTION_TAG";
/// The EMR cluster tag the pipeline stacks put on their clusters.
pub const DEFAULT_EXECUTION_TAG: &str = "dpc:execution";

/// The region every handler runs in, set by Lambda itself.
pub const AWS_REGION: &str = "AWS_REGION";

/// Items that expire carry their expiry (Unix seconds) in this attribute.
pub const TTL_ATTRIBUTE: &str = "expiresAt";

/// Run log: partition `pipeline` (`<account>#<name>`), sort `event`.
pub mod run_log {
    /// Partition key: the pipeline, `<account>#<name>`.
    pub const PARTITION: &str = "pipeline";
    /// Sort key: `EVENT#<execution>#<STATUS>#<redriveCount>` or [`LATEST`].
    pub const SORT: &str = "event";
    /// The sort key of a pipeline's latest status event.
    pub const LATEST: &str = "LATEST";
    /// Prefix of the sort key of one status event.
    pub const EVENT_PREFIX: &str = "EVENT#";
}

/// Dependencies: partition `parent`, sort `child` (both `<account>#<name>`), one item
/// per edge holding the child's whole condition (`condition`, JSON text of
/// [`dpc_model::Condition`]) and `within` (seconds); index [`dependencies::BY_CHILD`].
pub mod dependencies {
    /// Partition key: the upstream pipeline.
    pub const PARTITION: &str = "parent";
    /// Sort key: the downstream pipeline.
    pub const SORT: &str = "child";
    /// The global index by child (partition `child`, sort `parent`).
    pub const BY_CHILD: &str = "by-child";
}

/// Trigger records: partition `pipeline` (the downstream pipeline C), sort `record`.
pub mod triggers {
    /// Partition key: C, `<account>#<name>`.
    pub const PARTITION: &str = "pipeline";
    /// Sort key: [`STATE`] or `TRIGGER#<time>#<cause execution>#<cause status>`.
    pub const SORT: &str = "record";
    /// The sort key of C's trigger state.
    pub const STATE: &str = "STATE";
    /// Prefix of the sort key of one trigger.
    pub const TRIGGER_PREFIX: &str = "TRIGGER#";
}

/// Slack channels: partition `pipeline` (`<account>#<name>`), holding `channels`.
pub mod slack_channels {
    /// Partition key.
    pub const PARTITION: &str = "pipeline";
}

/// Slack threads: partition `execution` = `<execution ARN>#<channel as registered>`
/// (a pipeline may post to several channels, each with its own thread), holding
/// `channel` (the id Slack answered with), `rootMessageTs` and `expiresAt`.
pub mod slack_threads {
    /// Partition key.
    pub const PARTITION: &str = "execution";
}

// ---- central APIs (API Gateway REST APIs, IAM auth, Lambda proxy integration) --

/// Dependency API: `GET`/`PUT`/`DELETE /dependencies/{account}/{pipeline}`.
pub const DEPENDENCIES_RESOURCE: &str = "dependencies";
/// Slack API: `PUT`/`DELETE /channels/{account}/{pipeline}`.
pub const CHANNELS_RESOURCE: &str = "channels";
/// Slack API: `POST /messages`.
pub const MESSAGES_RESOURCE: &str = "messages";

// ---- events ------------------------------------------------------------------

/// `source` of Step Functions' own status-change events.
pub const STEP_FUNCTIONS_SOURCE: &str = "aws.states";
/// `detail-type` of Step Functions' own status-change events.
pub const STEP_FUNCTIONS_DETAIL_TYPE: &str = "Step Functions Execution Status Change";
/// `source` of the status a state machine reports about itself.
pub const PIPELINE_STATUS_SOURCE: &str = "dpc.pipeline";
/// `detail-type` of the status a state machine reports about itself.
pub const PIPELINE_STATUS_DETAIL_TYPE: &str = "Pipeline Status Change";
/// The custom resource the cleanup function serves for the account stack.
pub const EMR_SECURITY_GROUPS_RESOURCE: &str = "Custom::DpcEmrSecurityGroups";

/// A required environment variable is missing or empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MissingVar(pub &'static str);

impl fmt::Display for MissingVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "environment variable {} is not set; the function's template must set it",
            self.0
        )
    }
}

impl std::error::Error for MissingVar {}

/// Reads environment variables: the process environment in Lambda, a map in tests.
pub trait Vars {
    /// The value of `name`, if set and not empty.
    fn get(&self, name: &str) -> Option<String>;

    /// The value of a required variable.
    ///
    /// # Errors
    /// [`MissingVar`] when it is not set.
    fn require(&self, name: &'static str) -> Result<String, MissingVar> {
        self.get(name).ok_or(MissingVar(name))
    }
}

/// The process environment.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProcessEnv;

impl Vars for ProcessEnv {
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.is_empty())
    }
}

impl Vars for std::collections::BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        self.get(name).filter(|v| !v.is_empty()).cloned()
    }
}

/// Every variable the runtime reads, with the handlers that need it.
pub const ALL_VARS: [(&str, &str); 16] = [
    (HANDLER, "all"),
    (LOG_LEVEL, "all (optional)"),
    (RUN_LOG_TABLE, "trigger-manager, dependencies-writer"),
    (DEPENDENCIES_TABLE, "trigger-manager, dependencies-writer"),
    (
        TRIGGER_RECORDS_TABLE,
        "trigger-manager, dependencies-writer",
    ),
    (CENTRAL_BUS_NAME, "trigger-manager"),
    (SLACK_CHANNELS_TABLE, "slack-channel-writer, slack-poster"),
    (SLACK_THREADS_TABLE, "slack-poster"),
    (SLACK_TOKEN_SECRET_NAME, "slack-poster"),
    (SLACK_API_BASE_URL, "slack-poster (optional)"),
    (CLAIMS_TABLE, "execution-tracker"),
    (DEPENDENCY_API_URL, "registration"),
    (SLACK_API_URL, "slack-caller, registration"),
    (CENTRAL_API_REGION, "slack-caller, registration (optional)"),
    (EXECUTION_TAG, "cleanup (optional)"),
    (AWS_REGION, "all (set by Lambda)"),
];
