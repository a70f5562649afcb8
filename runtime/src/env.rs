//! What the runtime reads from outside: every environment variable, every table key,
//! the central API's paths and the event shapes it accepts.
//!
//! The names the templates must agree on are not spelled here: they are re-exported
//! from [`dpc_model::contract`], which the stacks (`dpc-constructs`) read too, so a
//! template and this binary cannot drift apart. Only what no template sets (the
//! Slack API base URL for tests, Lambda's own `AWS_REGION`) is defined here. Nothing
//! else in the runtime names a variable or a key attribute.

use std::fmt;

// ---- environment variables (set by the templates) ----------------------------

pub use dpc_model::contract::env::{
    CENTRAL_API_REGION, CENTRAL_BUS_NAME, CLAIMS_TABLE, DEPENDENCIES_TABLE, DEPENDENCY_API_URL,
    EXECUTION_TAG, HANDLER, LOG_LEVEL, RUN_LOG_TABLE, SLACK_API_URL, SLACK_CHANNELS_TABLE,
    SLACK_THREADS_TABLE, SLACK_TOKEN_SECRET_NAME, TRIGGER_RECORDS_TABLE,
};

// ---- runtime-only variables (no template sets them) --------------------------

/// Slack poster: Slack's Web API base URL; default [`DEFAULT_SLACK_API_BASE_URL`].
/// Tests point it at a local fake; the templates leave it unset.
pub const SLACK_API_BASE_URL: &str = "SLACK_API_BASE_URL";

/// Slack's Web API.
pub const DEFAULT_SLACK_API_BASE_URL: &str = "https://slack.com/api";

/// The region every handler runs in, set by Lambda itself.
pub const AWS_REGION: &str = "AWS_REGION";

// ---- tables ------------------------------------------------------------------

pub use dpc_model::contract::tables::{
    TTL_ATTRIBUTE, claims, dependencies, run_log, slack_channels, slack_threads, triggers,
};

// ---- central APIs (API Gateway REST APIs, IAM auth, Lambda proxy integration) --

pub use dpc_model::contract::api::{CHANNELS_RESOURCE, DEPENDENCIES_RESOURCE, MESSAGES_RESOURCE};

// ---- events, tags and custom resources ---------------------------------------

pub use dpc_model::contract::account::EMR_SECURITY_GROUPS_RESOURCE;
pub use dpc_model::contract::events::{
    DUPLICATE_OUTPUT_KEY, PIPELINE_STATUS_DETAIL_TYPE, PIPELINE_STATUS_SOURCE, SFN_SOURCE,
    SFN_STATUS_DETAIL_TYPE,
};
pub use dpc_model::contract::tags;

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dependencies::WriterNames;
    use crate::slack::PosterSettings;
    use crate::trigger_manager::CentralNames;
    use dpc_model::contract;
    use dpc_model::naming::LambdaRole;
    use std::collections::BTreeMap;

    fn set(names: &[&str]) -> BTreeMap<String, String> {
        names
            .iter()
            .map(|n| (n.to_string(), format!("value-of-{n}")))
            .collect()
    }

    #[test]
    fn every_variable_a_template_sets_is_one_the_runtime_lists() {
        let listed: Vec<&str> = ALL_VARS.iter().map(|(name, _)| *name).collect();
        for role in LambdaRole::ALL {
            for var in contract::env::variables(role) {
                assert!(
                    listed.contains(var),
                    "{role} gets {var}, which ALL_VARS omits"
                );
            }
        }
        assert!(listed.contains(&HANDLER));
    }

    #[test]
    fn handlers_start_with_exactly_what_their_template_sets() {
        // What the templates give each role is enough, and every piece of it is needed.
        fn check<T>(
            role: LambdaRole,
            read: impl Fn(&BTreeMap<String, String>) -> Result<T, MissingVar>,
        ) {
            let given = contract::env::variables(role);
            assert!(read(&set(given)).is_ok(), "{role} fails with {given:?}");
            for missing in given {
                let fewer: Vec<&str> = given.iter().copied().filter(|v| v != missing).collect();
                assert_eq!(
                    read(&set(&fewer)).err(),
                    Some(MissingVar(missing)),
                    "{role} without {missing}"
                );
            }
        }
        check(LambdaRole::TriggerManager, |v| CentralNames::from_vars(v));
        check(LambdaRole::DependenciesWriter, |v| {
            WriterNames::from_vars(v)
        });
        check(LambdaRole::SlackPoster, |v| PosterSettings::from_vars(v));
    }
}
