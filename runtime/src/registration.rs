//! The registration provider (user accounts): the custom resources a pipeline stack
//! declares, answered by calling the central APIs with SigV4.
//!
//! - `Custom::DpcPipeline` (properties `Pipeline` `{account, name}`, `Trigger`
//!   (`executions`, `schedule`, `cron`, `manual`), `Condition`, `WithinSeconds`,
//!   `Parents`, `PhysicalId`) → `PUT`/`DELETE {DEPENDENCY_API_URL}/dependencies/{account}/{name}`;
//! - `Custom::DpcSlackChannels` (`Pipeline`, `Channels`) →
//!   `PUT`/`DELETE {SLACK_API_URL}/channels/{account}/{name}`.
//!
//! Every request gets an answer: a failed registration fails the deployment with
//! the API's reason; a delete always succeeds (a failure is logged), so a stack can
//! always be deleted; the physical id is `<account>/<name>` throughout.

use crate::api;
use crate::cfn::{self, CfnRequest, RequestType};
use crate::dependencies::{DependenciesRequest, TriggerKind};
use crate::env::{self, Vars};
use crate::http::{self, HttpClient, signed_json_request};
use crate::trigger_manager::Error;
use dpc_model::contract::metrics;
use dpc_model::{Condition, PipelineId};
use http_crate::Method;
use serde_json::{Map, Value, json};
use tracing::{Instrument, error, info, info_span, warn};

use ::http as http_crate;

/// The custom resource registering a pipeline's condition.
pub const PIPELINE_RESOURCE: &str = "Custom::DpcPipeline";
/// The custom resource registering a pipeline's Slack channels.
pub const SLACK_CHANNELS_RESOURCE: &str = "Custom::DpcSlackChannels";

/// Where the central APIs are.
#[derive(Clone, Debug)]
pub struct CentralApis {
    /// The dependency API's stage URL.
    pub dependency_api: Option<String>,
    /// The Slack API's stage URL.
    pub slack_api: Option<String>,
    /// The region to sign for (else from the URLs).
    pub region: Option<String>,
}

impl CentralApis {
    /// From [`env::DEPENDENCY_API_URL`], [`env::SLACK_API_URL`] and
    /// [`env::CENTRAL_API_REGION`]; a URL may be missing for a handler that does not
    /// call that API.
    pub fn from_vars(vars: &dyn Vars) -> CentralApis {
        CentralApis {
            dependency_api: vars.get(env::DEPENDENCY_API_URL),
            slack_api: vars.get(env::SLACK_API_URL),
            region: vars.get(env::CENTRAL_API_REGION),
        }
    }

    /// The region to sign requests to `url` for.
    ///
    /// # Errors
    /// When neither the variable nor the URL says.
    pub fn region_for(&self, url: &str) -> Result<String, String> {
        self.region
            .clone()
            .or_else(|| http::execute_api_region(url))
            .ok_or_else(|| {
                format!(
                    "the region of {url} is unknown: set {}",
                    env::CENTRAL_API_REGION
                )
            })
    }
}

/// Calls the central APIs with the function's own credentials.
#[derive(Clone, Debug)]
pub struct ApiCaller {
    config: std::sync::Arc<aws_config::SdkConfig>,
    http: HttpClient,
    apis: CentralApis,
}

/// An API's answer that is not a success.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiFailure {
    /// The HTTP status, when there was an answer.
    pub status: Option<u16>,
    /// Why, readable.
    pub reason: String,
}

impl ApiFailure {
    /// The reason, with what the stack's owner can do about it.
    pub fn with_hint(&self) -> String {
        let hint = match self.status {
            None => "the central API was not reached: retry the deployment once the cause is fixed",
            Some(429) | Some(500..) => {
                "the central API failed: retry the deployment (the central account's logs of the API's function say why)"
            }
            Some(400) => "fix the pipeline's definition and deploy it again",
            Some(_) => return self.reason.clone(),
        };
        format!("{} ({hint})", self.reason)
    }
}

impl ApiCaller {
    /// A caller.
    pub fn new(config: &aws_config::SdkConfig, http: HttpClient, apis: CentralApis) -> ApiCaller {
        ApiCaller {
            config: std::sync::Arc::new(config.clone()),
            http,
            apis,
        }
    }

    /// Sends a signed JSON request to `base` + `path`.
    ///
    /// # Errors
    /// No answer, or an answer that is not 2xx (with the API's `message`).
    pub async fn call(
        &self,
        method: Method,
        base: &str,
        path: &str,
        body: Option<&Value>,
    ) -> Result<Value, ApiFailure> {
        let url = format!("{}{path}", base.trim_end_matches('/'));
        let fail = |reason: String| ApiFailure {
            status: None,
            reason,
        };
        let region = self.apis.region_for(&url).map_err(fail)?;
        let credentials = crate::aws::credentials(&self.config).await.map_err(fail)?;
        let request = signed_json_request(method.clone(), &url, body, &credentials, &region)
            .map_err(|e| fail(e.to_string()))?;
        let response = self
            .http
            .send(request)
            .await
            .map_err(|e| fail(format!("{method} {url}: {e}")))?;
        let answer: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
        if response.is_success() {
            return Ok(answer);
        }
        let message = answer
            .get("message")
            .or_else(|| answer.get("Message"))
            .and_then(Value::as_str)
            .map_or_else(|| response.text(300), str::to_string);
        Err(ApiFailure {
            status: Some(response.status),
            reason: format!("{method} {path} answered {}: {message}", response.status),
        })
    }

    /// The URLs.
    pub fn apis(&self) -> &CentralApis {
        &self.apis
    }
}

/// The registration provider.
#[derive(Clone, Debug)]
pub struct Registration {
    caller: ApiCaller,
    http: HttpClient,
}

/// What the provider answered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answered {
    /// SUCCESS or not.
    pub success: bool,
    /// The reason given (empty on success).
    pub reason: String,
    /// The physical id.
    pub physical_id: String,
}

impl Registration {
    /// A provider.
    pub fn new(caller: ApiCaller, http: HttpClient) -> Registration {
        Registration { caller, http }
    }

    /// Handles one custom-resource request and answers CloudFormation.
    ///
    /// # Errors
    /// Only when CloudFormation cannot be answered at all.
    pub async fn handle(&self, event: &Value) -> Result<Answered, Error> {
        let request = cfn::parse(event)?;
        let span = info_span!("custom_resource", requestType = ?request.request_type,
            resourceType = %request.resource_type, logicalId = %request.logical_resource_id);
        async {
            let answered = self.decide(&request).await;
            if answered.success {
                info!(physicalId = %answered.physical_id, "answering SUCCESS");
            } else {
                // The account stack's metric filter counts this exact message.
                error!(physicalId = %answered.physical_id, reason = %answered.reason,
                    "{}", metrics::REGISTRATION_FAILED_MESSAGE);
            }
            cfn::respond(
                &self.http,
                &request,
                answered.success,
                &answered.reason,
                &answered.physical_id,
            )
            .await?;
            Ok(answered)
        }
        .instrument(span)
        .await
    }

    async fn decide(&self, request: &CfnRequest) -> Answered {
        let pipeline = pipeline_of(&request.properties);
        let physical_id = match (
            &pipeline,
            request.request_type,
            &request.physical_resource_id,
        ) {
            (Ok(p), _, _) => format!("{}/{}", p.account, p.name),
            // Keep whatever id the resource has; a create we cannot read gets one no
            // delete will ever act on.
            (Err(_), RequestType::Update | RequestType::Delete, Some(id)) => id.clone(),
            (Err(_), _, _) => format!("invalid/{}", request.logical_resource_id),
        };
        let answer = |success: bool, reason: String| Answered {
            success,
            reason,
            physical_id: physical_id.clone(),
        };
        if request.request_type == RequestType::Delete {
            return match self.unregister(request).await {
                Ok(()) => answer(true, String::new()),
                Err(why) => {
                    // Never block a stack deletion. The central registration outlives
                    // the stack, though: say so, and how to remove it.
                    warn!(physicalId = %physical_id, reason = %why,
                        "unregistering failed; the delete succeeds anyway and the registration stays");
                    let left = format!(
                        "unregistering pipeline {physical_id} failed, so its registration stays in the central account \
                         (the resource is deleted anyway): {why}"
                    );
                    answer(true, left)
                }
            };
        }
        let pipeline = match pipeline {
            Ok(p) => p,
            Err(why) => {
                return answer(
                    false,
                    format!(
                        "{} {} cannot be registered: {why}. Its properties are written by dpc: deploy the stack dpc synthesized, unedited (`dpc deploy`)",
                        request.resource_type, request.logical_resource_id
                    ),
                );
            }
        };
        let result = match request.resource_type.as_str() {
            PIPELINE_RESOURCE => self.register_pipeline(&pipeline, &request.properties).await,
            SLACK_CHANNELS_RESOURCE => self.register_channels(&pipeline, &request.properties).await,
            other => Err(format!(
                "dpc's registration provider does not serve `{other}` (only {PIPELINE_RESOURCE} and {SLACK_CHANNELS_RESOURCE})"
            )),
        };
        match result {
            Ok(()) => answer(true, String::new()),
            Err(why) => answer(
                false,
                format!("registering pipeline {pipeline} failed: {why}"),
            ),
        }
    }

    async fn register_pipeline(
        &self,
        pipeline: &PipelineId,
        props: &Map<String, Value>,
    ) -> Result<(), String> {
        let body = dependencies_body(props)?;
        let base = self.caller.apis().dependency_api.clone().ok_or_else(|| {
            format!(
                "{} is not set on the registration function; the account stack sets it: deploy that stack again",
                env::DEPENDENCY_API_URL
            )
        })?;
        let path = format!(
            "/{}/{}/{}",
            env::DEPENDENCIES_RESOURCE,
            pipeline.account,
            pipeline.name
        );
        self.caller
            .call(
                Method::PUT,
                &base,
                &path,
                Some(&serde_json::to_value(&body).map_err(|e| e.to_string())?),
            )
            .await
            .map(|_| ())
            .map_err(|f| f.with_hint())
    }

    async fn register_channels(
        &self,
        pipeline: &PipelineId,
        props: &Map<String, Value>,
    ) -> Result<(), String> {
        let channels = props
            .get("Channels")
            .and_then(Value::as_array)
            .ok_or("the property Channels (a list) is missing")?;
        let base = self.caller.apis().slack_api.clone().ok_or_else(|| {
            format!(
                "{} is not set on the registration function; the account stack sets it: deploy that stack again",
                env::SLACK_API_URL
            )
        })?;
        let path = format!(
            "/{}/{}/{}",
            env::CHANNELS_RESOURCE,
            pipeline.account,
            pipeline.name
        );
        self.caller
            .call(
                Method::PUT,
                &base,
                &path,
                Some(&json!({"channels": channels})),
            )
            .await
            .map(|_| ())
            .map_err(|f| f.with_hint())
    }

    async fn unregister(&self, request: &CfnRequest) -> Result<(), String> {
        let Some(id) = &request.physical_resource_id else {
            return Ok(());
        };
        // Only ids this provider gave: `<account>/<name>`.
        let Some((account, name)) = id.split_once('/') else {
            return Ok(());
        };
        if api::check_account(account).is_err() || api::check_pipeline_name(name).is_err() {
            return Ok(());
        }
        let (base, resource) = match request.resource_type.as_str() {
            PIPELINE_RESOURCE => (
                self.caller.apis().dependency_api.clone(),
                env::DEPENDENCIES_RESOURCE,
            ),
            SLACK_CHANNELS_RESOURCE => {
                (self.caller.apis().slack_api.clone(), env::CHANNELS_RESOURCE)
            }
            _ => return Ok(()),
        };
        let path = format!("/{resource}/{account}/{name}");
        let base = base.ok_or_else(|| {
            format!(
                "the registration function has no URL of the central API for {resource} \
                 (its account stack sets {} and {}); to remove it, send DELETE {path} to that API, signed (SigV4) by account {account}",
                env::DEPENDENCY_API_URL,
                env::SLACK_API_URL
            )
        })?;
        match self.caller.call(Method::DELETE, &base, &path, None).await {
            Ok(_) => Ok(()),
            // Already gone is what a delete wants.
            Err(f) if f.status == Some(404) => Ok(()),
            Err(f) => Err(format!(
                "{}; to remove it, send DELETE {path} to {base} again, signed (SigV4) by account {account}",
                f.reason
            )),
        }
    }
}

/// The pipeline a request's `Pipeline` property names, checked.
///
/// # Errors
/// A readable reason.
pub fn pipeline_of(props: &Map<String, Value>) -> Result<PipelineId, String> {
    let pipeline = props
        .get("Pipeline")
        .and_then(Value::as_object)
        .ok_or("the property Pipeline ({account, name}) is missing")?;
    let field = |k: &str| {
        pipeline
            .get(k)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("Pipeline.{k} is missing"))
    };
    let (account, name) = (field("account")?, field("name")?);
    api::check_account(account).map_err(|r| message(&r.body))?;
    api::check_pipeline_name(name).map_err(|r| message(&r.body))?;
    Ok(PipelineId::new(account, name))
}

fn message(body: &Value) -> String {
    body.get("message")
        .and_then(Value::as_str)
        .unwrap_or("invalid")
        .to_string()
}

/// The dependency API request for a `Custom::DpcPipeline`'s properties (strings
/// CloudFormation made of numbers are read back).
///
/// # Errors
/// A readable reason.
pub fn dependencies_body(props: &Map<String, Value>) -> Result<DependenciesRequest, String> {
    let kind = props
        .get("Trigger")
        .and_then(Value::as_str)
        .unwrap_or("manual");
    let trigger: TriggerKind = serde_json::from_value(json!(kind)).map_err(|_| {
        format!("Trigger `{kind}` is not one of executions, schedule, cron, manual")
    })?;
    let condition = match props.get("Condition") {
        None | Some(Value::Null) => None,
        Some(Value::String(text)) => Some(
            serde_json::from_str::<Condition>(text)
                .map_err(|e| format!("Condition is not a condition: {e}"))?,
        ),
        Some(value) => Some(
            serde_json::from_value::<Condition>(value.clone())
                .map_err(|e| format!("Condition is not a condition: {e}"))?,
        ),
    };
    let within_seconds = match props.get("WithinSeconds") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => Some(n.as_u64().ok_or("WithinSeconds is not a whole number")?),
        Some(Value::String(s)) => Some(
            s.parse()
                .map_err(|_| format!("WithinSeconds `{s}` is not a whole number"))?,
        ),
        Some(_) => return Err("WithinSeconds is not a number".into()),
    };
    let parents = match props.get("Parents") {
        None | Some(Value::Null) => None,
        Some(value) => Some(
            serde_json::from_value::<Vec<PipelineId>>(value.clone())
                .map_err(|e| format!("Parents is not a list of {{account, name}}: {e}"))?,
        ),
    };
    Ok(DependenciesRequest {
        trigger,
        condition,
        within_seconds,
        parents: parents.filter(|p| !p.is_empty() || trigger == TriggerKind::Executions),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn properties_as_cloudformation_sends_them() {
        let props = json!({
            "ServiceToken": "arn:aws:lambda:eu-west-1:444444444444:function:dpc-registration",
            "ServiceTimeout": "300",
            "PhysicalId": "444444444444/pipeline-x",
            "Pipeline": {"account": "444444444444", "name": "pipeline-x"},
            "Trigger": "executions",
            "Parents": [{"account": "222222222222", "name": "listings"}],
            "Condition": {"operator": "AND", "allOf": [{"item": {"pipeline": {"account": "222222222222", "name": "listings"}, "status": ["SUCCEEDED"]}}], "anyOf": []},
            "WithinSeconds": "86400"
        });
        let props = props.as_object().unwrap();
        assert_eq!(
            pipeline_of(props).unwrap(),
            PipelineId::new("444444444444", "pipeline-x")
        );
        let body = dependencies_body(props).unwrap();
        assert_eq!(body.within_seconds, Some(86_400));
        assert_eq!(body.trigger, TriggerKind::Executions);
        let manual = json!({"Pipeline": {"account": "444444444444", "name": "p"}, "Trigger": "manual", "Parents": []});
        let body = dependencies_body(manual.as_object().unwrap()).unwrap();
        assert_eq!((body.trigger, body.parents), (TriggerKind::Manual, None));
        let bad = json!({"Pipeline": {"account": "44", "name": "p"}});
        assert!(
            pipeline_of(bad.as_object().unwrap())
                .unwrap_err()
                .contains("12 digits")
        );
        let refused = ApiFailure {
            status: Some(400),
            reason: "PUT /dependencies/444444444444/p answered 400: pipeline p@444444444444 cannot wait for itself".into(),
        };
        assert!(
            refused
                .with_hint()
                .ends_with("(fix the pipeline's definition and deploy it again)")
        );
        let failed = ApiFailure {
            status: Some(502),
            ..refused.clone()
        };
        assert!(failed.with_hint().contains("retry the deployment"));
        let forbidden = ApiFailure {
            status: Some(403),
            ..refused
        };
        assert_eq!(
            forbidden.with_hint(),
            forbidden.reason,
            "the 403 says who may"
        );
        let odd = json!({"Trigger": "hourly"});
        assert!(
            dependencies_body(odd.as_object().unwrap())
                .unwrap_err()
                .contains("hourly")
        );
    }
}
