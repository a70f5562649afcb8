//! The one entry point: `DPC_HANDLER` picks which handler this process is.

use crate::aws::AwsSettings;
use crate::cleanup::Cleanup;
use crate::clock::{Clock, SystemClock};
use crate::dependencies::{DependenciesWriter, WriterNames};
use crate::env::{self, Vars};
use crate::http::HttpClient;
use crate::log;
use crate::registration::{ApiCaller, CentralApis, Registration};
use crate::slack::{ChannelWriter, Poster, PosterSettings};
use crate::slack_caller::SlackCaller;
use crate::tracker::Tracker;
use crate::trigger_manager::{CentralNames, Error, TriggerManager, outcome_json};
use dpc_model::naming::LambdaRole;
use serde_json::{Value, json};
use std::sync::Arc;
use tracing::{Instrument, info_span};

/// One of the platform's handlers, ready to take invocations.
#[derive(Clone)]
pub enum Handler {
    /// Central: the trigger manager.
    TriggerManager(Box<TriggerManager>),
    /// Central: the dependency API.
    DependenciesWriter(Box<DependenciesWriter>),
    /// Central: the Slack API's channel registrations.
    SlackChannelWriter(Box<ChannelWriter>),
    /// Central: the Slack API's messages.
    SlackPoster(Arc<Poster>),
    /// Account: the execution tracker.
    ExecutionTracker(Box<Tracker>),
    /// Account: the Slack caller.
    SlackCaller(Box<SlackCaller>),
    /// Account: the cleanup function.
    Cleanup(Box<Cleanup>),
    /// Account: the registration provider.
    Registration(Box<Registration>),
}

impl std::fmt::Debug for Handler {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.role().as_str())
    }
}

/// The role `DPC_HANDLER` names.
///
/// # Errors
/// When it is missing or names no role.
pub fn role_from(vars: &dyn Vars) -> Result<LambdaRole, String> {
    let name = vars.require(env::HANDLER).map_err(|e| e.to_string())?;
    LambdaRole::ALL
        .into_iter()
        .find(|r| r.as_str() == name)
        .ok_or_else(|| {
            format!(
                "{}=`{name}` names no handler; use one of {}",
                env::HANDLER,
                LambdaRole::ALL.map(LambdaRole::as_str).join(", ")
            )
        })
}

impl Handler {
    /// Builds the handler `DPC_HANDLER` names, with everything it needs from `vars`.
    ///
    /// # Errors
    /// A missing or wrong variable, or no root certificates.
    pub async fn from_vars(
        vars: &dyn Vars,
        aws: &AwsSettings,
        clock: Arc<dyn Clock>,
    ) -> Result<Handler, Error> {
        let role = role_from(vars)?;
        let config = crate::aws::load(aws).await;
        let http = || HttpClient::new().map_err(|e| e.to_string());
        Ok(match role {
            LambdaRole::TriggerManager => {
                let names = CentralNames::from_vars(vars)?;
                Handler::TriggerManager(Box::new(TriggerManager::new(&config, names, clock)))
            }
            LambdaRole::DependenciesWriter => {
                let names = WriterNames::from_vars(vars)?;
                Handler::DependenciesWriter(Box::new(DependenciesWriter::new(&config, names)))
            }
            LambdaRole::SlackChannelWriter => {
                Handler::SlackChannelWriter(Box::new(ChannelWriter::from_vars(&config, vars)?))
            }
            LambdaRole::SlackPoster => {
                let settings = PosterSettings::from_vars(vars)?;
                Handler::SlackPoster(Arc::new(Poster::new(&config, http()?, settings)))
            }
            LambdaRole::ExecutionTracker => {
                Handler::ExecutionTracker(Box::new(Tracker::from_vars(&config, vars)?))
            }
            LambdaRole::SlackCaller => {
                let apis = CentralApis::from_vars(vars);
                vars.require(env::SLACK_API_URL)?;
                let caller = ApiCaller::new(&config, http()?, apis);
                Handler::SlackCaller(Box::new(SlackCaller::new(caller)))
            }
            LambdaRole::Cleanup => {
                Handler::Cleanup(Box::new(Cleanup::from_vars(&config, vars, http()?)))
            }
            LambdaRole::Registration => {
                let apis = CentralApis::from_vars(vars);
                vars.require(env::DEPENDENCY_API_URL)?;
                let client = http()?;
                let caller = ApiCaller::new(&config, client.clone(), apis);
                Handler::Registration(Box::new(Registration::new(caller, client)))
            }
        })
    }

    /// Which handler this is.
    pub fn role(&self) -> LambdaRole {
        match self {
            Handler::TriggerManager(_) => LambdaRole::TriggerManager,
            Handler::DependenciesWriter(_) => LambdaRole::DependenciesWriter,
            Handler::SlackChannelWriter(_) => LambdaRole::SlackChannelWriter,
            Handler::SlackPoster(_) => LambdaRole::SlackPoster,
            Handler::ExecutionTracker(_) => LambdaRole::ExecutionTracker,
            Handler::SlackCaller(_) => LambdaRole::SlackCaller,
            Handler::Cleanup(_) => LambdaRole::Cleanup,
            Handler::Registration(_) => LambdaRole::Registration,
        }
    }

    /// Handles one invocation's payload; the answer is the function's result.
    ///
    /// # Errors
    /// What the handler could not do now (Lambda retries asynchronous invocations).
    pub async fn invoke(&self, payload: Value, request_id: &str) -> Result<Value, Error> {
        let span = info_span!(
            "invocation",
            handler = self.role().as_str(),
            requestId = request_id
        );
        // Boxed: the handlers' futures are deep, and a box per invocation keeps the
        // type (and the stack) small.
        let work: std::pin::Pin<
            Box<dyn std::future::Future<Output = Result<Value, Error>> + Send + '_>,
        > = Box::pin(async {
            match self {
                Handler::TriggerManager(h) => h.handle(&payload).await.map(|o| outcome_json(&o)),
                Handler::DependenciesWriter(h) => h.handle(&payload).await,
                Handler::SlackChannelWriter(h) => h.handle(&payload).await,
                Handler::SlackPoster(h) => h.handle(&payload).await,
                Handler::ExecutionTracker(h) => h
                    .handle(&payload)
                    .await
                    .map(|s| json!({"published": s.published.len(), "duplicates": s.duplicates})),
                Handler::SlackCaller(h) => h
                    .handle(&payload)
                    .await
                    .map(|f| json!({"delivered": f.delivered, "dropped": f.dropped})),
                Handler::Cleanup(h) => {
                    if payload.get("RequestType").is_some() {
                        h.handle_custom_resource(&payload).await
                    } else {
                        h.handle(&payload)
                            .await
                            .map(|t| json!({"terminated": t.clusters}))
                    }
                }
                Handler::Registration(h) => h.handle(&payload).await.map(|a| {
                    json!({"success": a.success, "physicalResourceId": a.physical_id, "reason": a.reason})
                }),
            }
        });
        work.instrument(span).await
    }
}

/// The process: JSON logs, the handler, the Lambda Runtime API loop.
///
/// # Errors
/// When the handler cannot be built (the init error Lambda shows) or the runtime
/// loop ends.
pub async fn run() -> Result<(), Error> {
    let vars = env::ProcessEnv;
    log::init(log::level_from(vars.get(env::LOG_LEVEL).as_deref()));
    let handler =
        match Handler::from_vars(&vars, &AwsSettings::default(), Arc::new(SystemClock)).await {
            Ok(h) => h,
            Err(e) => {
                tracing::error!(error = %e, "the function is misconfigured");
                return Err(e);
            }
        };
    let handler = &handler;
    lambda_runtime::run(lambda_runtime::service_fn(
        move |event: lambda_runtime::LambdaEvent<Value>| async move {
            handler
                .invoke(event.payload, &event.context.request_id)
                .await
        },
    ))
    .await
}
