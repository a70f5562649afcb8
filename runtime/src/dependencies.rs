//! The dependencies writer (central), behind the dependency API:
//! `GET`/`PUT`/`DELETE /dependencies/{account}/{pipeline}`.
//!
//! `PUT` takes [`DependenciesRequest`] and stores one edge item per parent (partition
//! `parent`, sort `child`) holding the child's whole condition, so the trigger
//! manager finds every child of a parent with one query; edges to parents the
//! condition no longer names are deleted. A newly registered child's trigger state is
//! seeded from its parents' latest events. Only the pipeline's own account may write.

use crate::api::{self, ApiRequest, ApiResponse};
use crate::aws::error_text;
use crate::dynamo::{self, Item, get_s, n, s};
use crate::env::{self, Vars, dependencies, run_log, triggers};
use crate::model_keys::{parse_pipeline_key, pipeline_key, trigger_from_edge};
use crate::trigger_manager::Error;
use dpc_model::{ChildState, Condition, Duration, ExecutionsTrigger, PipelineId, StatusEvent};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tracing::{Instrument, info, info_span};

/// The longest `within` SPEC allows (365 days), in seconds.
pub const MAX_WITHIN_SECS: u64 = 365 * 86_400;

/// How a pipeline is triggered (only `executions` has a condition).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggerKind {
    /// Upstream executions (a condition).
    Executions,
    /// A schedule.
    Schedule,
    /// A cron expression.
    Cron,
    /// Manual starts only.
    Manual,
}

/// The body of `PUT /dependencies/{account}/{pipeline}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DependenciesRequest {
    /// How the pipeline is triggered.
    pub trigger: TriggerKind,
    /// The condition tree (`executions` only), as [`dpc_model::Condition`] serialises.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<Condition>,
    /// `within` in seconds (`executions` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub within_seconds: Option<u64>,
    /// The parents, when the caller lists them: must be exactly the condition's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parents: Option<Vec<PipelineId>>,
}

impl DependenciesRequest {
    /// The executions trigger this registers (`None` for other kinds), checked.
    ///
    /// # Errors
    /// 400 with the reason.
    pub fn trigger_for(
        &self,
        child: &PipelineId,
    ) -> Result<Option<ExecutionsTrigger>, ApiResponse> {
        if self.trigger != TriggerKind::Executions {
            if self.condition.is_some() || self.within_seconds.is_some() {
                return Err(ApiResponse::bad_request(
                    "only an `executions` trigger has a condition and withinSeconds",
                ));
            }
            if self.parents.as_ref().is_some_and(|p| !p.is_empty()) {
                return Err(ApiResponse::bad_request(
                    "only an `executions` trigger has parents",
                ));
            }
            return Ok(None);
        }
        let condition = self
            .condition
            .clone()
            .ok_or_else(|| ApiResponse::bad_request("an `executions` trigger needs a condition"))?;
        api::check_condition(&condition, child)?;
        let within = self.within_seconds.ok_or_else(|| {
            ApiResponse::bad_request("an `executions` trigger needs withinSeconds")
        })?;
        if within == 0 || within > MAX_WITHIN_SECS {
            return Err(ApiResponse::bad_request(format!(
                "withinSeconds must be between 1 and {MAX_WITHIN_SECS} (365 days), not {within}"
            )));
        }
        if let Some(parents) = &self.parents {
            let mut given: Vec<&PipelineId> = parents.iter().collect();
            let mut named = condition.parents();
            given.sort();
            given.dedup();
            named.sort();
            if given != named {
                return Err(ApiResponse::bad_request(format!(
                    "parents [{}] are not the pipelines the condition names [{}]",
                    list(&given),
                    list(&named)
                )));
            }
        }
        Ok(Some(ExecutionsTrigger {
            condition,
            within: Duration::from_secs(within),
        }))
    }
}

fn list(ids: &[&PipelineId]) -> String {
    ids.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tables the writer uses.
#[derive(Clone, Debug)]
pub struct WriterNames {
    /// The dependencies table.
    pub dependencies: String,
    /// The run log (parents' latest events, for seeding).
    pub run_log: String,
    /// The trigger records (the seeded state).
    pub triggers: String,
}

impl WriterNames {
    /// From [`env::DEPENDENCIES_TABLE`], [`env::RUN_LOG_TABLE`],
    /// [`env::TRIGGER_RECORDS_TABLE`].
    ///
    /// # Errors
    /// A missing variable.
    pub fn from_vars(vars: &dyn Vars) -> Result<WriterNames, env::MissingVar> {
        Ok(WriterNames {
            dependencies: vars.require(env::DEPENDENCIES_TABLE)?,
            run_log: vars.require(env::RUN_LOG_TABLE)?,
            triggers: vars.require(env::TRIGGER_RECORDS_TABLE)?,
        })
    }
}

/// The dependencies writer.
#[derive(Clone, Debug)]
pub struct DependenciesWriter {
    ddb: aws_sdk_dynamodb::Client,
    names: WriterNames,
}

impl DependenciesWriter {
    /// A writer over `config`'s DynamoDB client.
    pub fn new(config: &aws_config::SdkConfig, names: WriterNames) -> Self {
        DependenciesWriter {
            ddb: crate::aws::dynamodb(config),
            names,
        }
    }

    /// Answers one proxy integration event (the proxy answer, always `Ok` unless a
    /// table fails).
    ///
    /// # Errors
    /// A DynamoDB failure (API Gateway then answers 502; the caller retries).
    pub async fn handle(&self, event: &Value) -> Result<Value, Error> {
        let response = match api::parse_request(event) {
            Ok(request) => {
                let span = info_span!("request", method = %request.method, path = %request.path,
                    caller = request.caller_arn.as_deref().unwrap_or("-"));
                // Logged in the span: the line names the request it answers.
                async {
                    let answer = self.route(&request).await;
                    api::log_answer(&answer);
                    answer
                }
                .instrument(span)
                .await?
            }
            Err(rejection) => {
                rejection.log();
                rejection
            }
        };
        Ok(response.to_proxy())
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, Error> {
        let pipeline = match request.pipeline(env::DEPENDENCIES_RESOURCE) {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
        match request.method.as_str() {
            "GET" => self.get(&pipeline).await,
            "PUT" => {
                if let Err(r) = request.authorize(&pipeline) {
                    return Ok(r);
                }
                let body: DependenciesRequest = match request.json() {
                    Ok(b) => b,
                    Err(r) => return Ok(r),
                };
                match body.trigger_for(&pipeline) {
                    Ok(trigger) => self.put(&pipeline, trigger.as_ref()).await,
                    Err(r) => Ok(r),
                }
            }
            "DELETE" => {
                if let Err(r) = request.authorize(&pipeline) {
                    return Ok(r);
                }
                let removed = self.replace_edges(&pipeline, None).await?;
                info!(pipeline = %pipeline, removed, "dependencies removed");
                Ok(ApiResponse::ok(
                    json!({"pipeline": pipeline, "removedEdges": removed}),
                ))
            }
            _ => Ok(request.method_not_allowed(&["GET", "PUT", "DELETE"])),
        }
    }

    async fn get(&self, pipeline: &PipelineId) -> Result<ApiResponse, Error> {
        let edges = self.edges_of(pipeline).await?;
        let Some(first) = edges.first() else {
            return Ok(ApiResponse::client_error(
                404,
                format!("pipeline {pipeline} has no registered dependencies"),
            ));
        };
        let (_, trigger) = trigger_from_edge(first).map_err(|e| {
            format!("the stored dependencies of {pipeline} are unreadable: {e}; register the pipeline again")
        })?;
        Ok(ApiResponse::ok(json!({
            "pipeline": pipeline,
            "trigger": "executions",
            "condition": trigger.condition,
            "withinSeconds": trigger.within.as_secs(),
            "parents": trigger.condition.parents(),
        })))
    }

    async fn put(
        &self,
        pipeline: &PipelineId,
        trigger: Option<&ExecutionsTrigger>,
    ) -> Result<ApiResponse, Error> {
        let removed = self.replace_edges(pipeline, trigger).await?;
        if let Some(trigger) = trigger {
            self.seed_state(pipeline, trigger).await?;
        }
        let parents: Vec<&PipelineId> = trigger.map(|t| t.condition.parents()).unwrap_or_default();
        info!(pipeline = %pipeline, parents = parents.len(), removed, "dependencies registered");
        Ok(ApiResponse::ok(
            json!({"pipeline": pipeline, "parents": parents}),
        ))
    }

    /// The child's current edges (from the index by child).
    async fn edges_of(&self, child: &PipelineId) -> Result<Vec<Item>, Error> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .ddb
                .query()
                .table_name(&self.names.dependencies)
                .index_name(dependencies::BY_CHILD)
                .key_condition_expression("#c = :c")
                .expression_attribute_names("#c", dependencies::SORT)
                .expression_attribute_values(":c", s(pipeline_key(child)))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| format!("reading the edges of {child}: {}", error_text(&e)))?;
            out.extend(page.items().iter().cloned());
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(out)
    }

    /// Writes one edge per parent of `trigger` and deletes the child's other edges;
    /// returns how many edges were deleted.
    async fn replace_edges(
        &self,
        child: &PipelineId,
        trigger: Option<&ExecutionsTrigger>,
    ) -> Result<usize, Error> {
        let parents: Vec<&PipelineId> = trigger.map(|t| t.condition.parents()).unwrap_or_default();
        if let Some(trigger) = trigger {
            let condition = serde_json::to_string(&trigger.condition)?;
            let within = i64::try_from(trigger.within.as_secs()).unwrap_or(i64::MAX);
            for parent in &parents {
                self.ddb
                    .put_item()
                    .table_name(&self.names.dependencies)
                    .item(dependencies::PARTITION, s(pipeline_key(parent)))
                    .item(dependencies::SORT, s(pipeline_key(child)))
                    .item("condition", s(&condition))
                    .item("within", n(within))
                    .item("updatedAt", s(crate::clock::system_now().to_string()))
                    .send()
                    .await
                    .map_err(|e| {
                        format!("writing the edge {parent} → {child}: {}", error_text(&e))
                    })?;
            }
        }
        let mut removed = 0;
        for edge in self.edges_of(child).await? {
            let Some(parent) = get_s(&edge, dependencies::PARTITION).and_then(parse_pipeline_key)
            else {
                continue;
            };
            if parents.contains(&&parent) {
                continue;
            }
            self.ddb
                .delete_item()
                .table_name(&self.names.dependencies)
                .key(dependencies::PARTITION, s(pipeline_key(&parent)))
                .key(dependencies::SORT, s(pipeline_key(child)))
                .send()
                .await
                .map_err(|e| format!("deleting the edge {parent} → {child}: {}", error_text(&e)))?;
            removed += 1;
        }
        Ok(removed)
    }

    /// A child registered after its parents ran starts from their latest events
    /// (written only when the child has no state yet).
    async fn seed_state(
        &self,
        child: &PipelineId,
        trigger: &ExecutionsTrigger,
    ) -> Result<(), Error> {
        let mut latest = Vec::new();
        for parent in trigger.condition.parents() {
            let got = self
                .ddb
                .get_item()
                .table_name(&self.names.run_log)
                .key(run_log::PARTITION, s(pipeline_key(parent)))
                .key(run_log::SORT, s(run_log::LATEST))
                .send()
                .await
                .map_err(|e| format!("reading {parent}'s latest event: {}", error_text(&e)))?;
            if let Some(event) = got
                .item()
                .and_then(|i| i.get("latest"))
                .and_then(|a| dynamo::decode::<StatusEvent>(a).ok())
            {
                latest.push(event);
            }
        }
        let state = ChildState::seed(trigger, |p| {
            latest.iter().find(|e| &e.pipeline == p).cloned()
        });
        let put = self
            .ddb
            .put_item()
            .table_name(&self.names.triggers)
            .item(triggers::PARTITION, s(pipeline_key(child)))
            .item(triggers::SORT, s(triggers::STATE))
            .item("state", dynamo::encode(&state)?)
            .item("version", n(0))
            .condition_expression("attribute_not_exists(#p)")
            .expression_attribute_names("#p", triggers::PARTITION)
            .send()
            .await;
        match put {
            Ok(_) => Ok(()),
            Err(e) if dynamo::is_condition_failure(&e) => Ok(()),
            Err(e) => Err(format!("seeding {child}'s trigger state: {}", error_text(&e)).into()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn child() -> PipelineId {
        PipelineId::new("444444444444", "pipeline-x")
    }

    fn body(text: &str) -> Result<DependenciesRequest, serde_json::Error> {
        serde_json::from_str(text)
    }

    #[test]
    fn the_largest_condition_the_loader_accepts_fits_the_api_body() {
        // As many items as the loader lets through, each naming its own parent by the
        // longest name, with every status.
        let parent =
            |i: usize| PipelineId::new("123456789012", format!("p{i:03}{}", "x".repeat(58)));
        let items = (0..api::MAX_CONDITION_ITEMS)
            .map(|i| {
                dpc_model::ConditionNode::Item(dpc_model::ConditionItem {
                    pipeline: parent(i),
                    status: dpc_model::Status::ALL.to_vec(),
                })
            })
            .collect();
        let condition = Condition {
            all_of: items,
            ..Condition::default()
        };
        assert!(api::check_condition(&condition, &child()).is_ok());
        let request = DependenciesRequest {
            trigger: TriggerKind::Executions,
            parents: Some((0..api::MAX_CONDITION_ITEMS).map(parent).collect()),
            condition: Some(condition),
            within_seconds: Some(MAX_WITHIN_SECS),
        };
        let bytes = serde_json::to_vec(&request).unwrap().len();
        assert!(bytes <= api::MAX_BODY_BYTES, "{bytes} bytes");
    }

    #[test]
    fn requests_are_checked_strictly() {
        let ok = body(r#"{"trigger":"executions","withinSeconds":86400,
            "condition":{"operator":"AND","allOf":[{"item":{"pipeline":{"account":"222222222222","name":"listings"},"status":["SUCCEEDED"]}}],"anyOf":[]},
            "parents":[{"account":"222222222222","name":"listings"}]}"#).unwrap();
        let trigger = ok.trigger_for(&child()).unwrap().unwrap();
        assert_eq!(trigger.within.as_secs(), 86_400);

        let mut wrong_parents = ok.clone();
        wrong_parents.parents = Some(vec![PipelineId::new("333333333333", "searches")]);
        assert!(
            wrong_parents.trigger_for(&child()).unwrap_err().body["message"]
                .as_str()
                .unwrap()
                .contains("not the pipelines the condition names")
        );

        let mut no_within = ok.clone();
        no_within.within_seconds = None;
        assert_eq!(no_within.trigger_for(&child()).unwrap_err().status, 400);

        let mut zero = ok.clone();
        zero.within_seconds = Some(0);
        assert_eq!(zero.trigger_for(&child()).unwrap_err().status, 400);

        let mut schedule_with_condition = ok.clone();
        schedule_with_condition.trigger = TriggerKind::Schedule;
        assert_eq!(
            schedule_with_condition
                .trigger_for(&child())
                .unwrap_err()
                .status,
            400
        );

        let selfish = body(r#"{"trigger":"executions","withinSeconds":60,
            "condition":{"operator":"AND","allOf":[{"item":{"pipeline":{"account":"444444444444","name":"pipeline-x"},"status":["SUCCEEDED"]}}],"anyOf":[]}}"#).unwrap();
        assert!(
            selfish.trigger_for(&child()).unwrap_err().body["message"]
                .as_str()
                .unwrap()
                .contains("cannot wait for itself")
        );

        assert!(body(r#"{"trigger":"executions","extra":1}"#).is_err());
        assert!(body(r#"{"trigger":"sometimes"}"#).is_err());
        let manual = body(r#"{"trigger":"manual"}"#).unwrap();
        assert_eq!(manual.trigger_for(&child()).unwrap(), None);
    }
}
