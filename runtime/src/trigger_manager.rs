//! The trigger manager (central): logs each status event, evaluates every child of
//! the pipeline that reported it with [`dpc_model::evaluate`], and puts exactly one
//! trigger event on the central bus for each child whose condition became true.
//!
//! Exactly once, step by step (tables in [`crate::env`]):
//! 1. **Run log.** The event's item `EVENT#<execution>#<STATUS>#<redrive>` is put with
//!    `attribute_not_exists`; it is marked `applied` only after step 3. An event whose
//!    item is already applied is a duplicate (the second report, or a redelivery): it
//!    is not evaluated again, only step 4 runs. One whose item exists but is not
//!    applied (an invocation died half-way) is evaluated again, which changes nothing
//!    that was already written.
//! 2. **Latest.** The pipeline's `LATEST` item is replaced when the event is later
//!    (SPEC's order), under a version condition.
//! 3. **Children.** For each child found in the dependencies table: read its `STATE`
//!    (a [`ChildState`] and a `version`), evaluate, and write the new state with a
//!    condition on the version read. When C fires, the same transaction puts the
//!    trigger record `TRIGGER#<t>#<cause execution>#<cause status>` (status `PENDING`)
//!    and adds it to the state's `pending` set. A lost race fails the condition: the
//!    state is read and evaluated again, and the event then changes nothing.
//! 4. **Send.** Every pending trigger of the children is claimed (`PENDING` → `SENDING`
//!    with a lease), put on the bus (retried), then marked `SENT` and removed from
//!    `pending`. If the bus keeps failing, the claim is released and the invocation
//!    fails: Lambda's retries, or the dead-letter queue's redrive, deliver the event
//!    again, and step 4 completes the trigger then (as does any later event of a
//!    parent of the same child).

use crate::aws::error_text;
use crate::clock::{Clock, system_now};
use crate::dynamo::{self, Item, get_n, get_s, n, s};
use crate::env::{self, Vars, run_log, triggers};
use crate::events::{self, StatusChange};
use crate::model_keys::{pipeline_key, trigger_from_edge};
use aws_sdk_dynamodb::types::{AttributeValue, Put, TransactWriteItem};
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use dpc_model::{ChildState, ExecutionsTrigger, PipelineId, StatusEvent, Timestamp, TriggerEvent};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use tracing::{Instrument, error, info, info_span, warn};

/// The error every handler returns: Lambda reports it and retries the invocation.
pub type Error = lambda_runtime::Error;

/// How long a run log entry is kept (the `LATEST` items never expire).
pub const RUN_LOG_RETENTION_SECS: i64 = 400 * 86_400;
/// How long a trigger record is kept.
pub const TRIGGER_RECORD_RETENTION_SECS: i64 = 400 * 86_400;
/// How long a claim to send a trigger holds before another invocation may take over.
pub const SEND_LEASE_SECS: i64 = 60;
/// How often a lost race is evaluated again before the invocation gives up (and is
/// retried by Lambda).
pub const MAX_EVALUATIONS: usize = 8;

/// A future run by the test hook.
pub type HookFuture = Pin<Box<dyn Future<Output = ()> + Send>>;
/// Runs between reading a child's state and writing it (tests force races with it).
pub type Hook = Arc<dyn Fn(PipelineId) -> HookFuture + Send + Sync>;

/// The central tables and bus.
#[derive(Clone, Debug)]
pub struct CentralNames {
    /// The run log table.
    pub run_log: String,
    /// The dependencies table.
    pub dependencies: String,
    /// The trigger records table.
    pub triggers: String,
    /// The central bus.
    pub bus: String,
}

impl CentralNames {
    /// From the environment ([`env::RUN_LOG_TABLE`], [`env::DEPENDENCIES_TABLE`],
    /// [`env::TRIGGER_RECORDS_TABLE`], [`env::CENTRAL_BUS_NAME`]).
    ///
    /// # Errors
    /// A missing variable.
    pub fn from_vars(vars: &dyn Vars) -> Result<CentralNames, env::MissingVar> {
        Ok(CentralNames {
            run_log: vars.require(env::RUN_LOG_TABLE)?,
            dependencies: vars.require(env::DEPENDENCIES_TABLE)?,
            triggers: vars.require(env::TRIGGER_RECORDS_TABLE)?,
            bus: vars.require(env::CENTRAL_BUS_NAME)?,
        })
    }
}

/// The trigger manager.
#[derive(Clone)]
pub struct TriggerManager {
    ddb: aws_sdk_dynamodb::Client,
    bus: aws_sdk_eventbridge::Client,
    names: CentralNames,
    clock: Arc<dyn Clock>,
    before_commit: Option<Hook>,
    put_attempts: u32,
    put_backoff: Duration,
}

/// What one invocation did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Outcome {
    /// The event was already applied: only pending triggers were completed.
    pub duplicate: bool,
    /// The event is not a status change of a dpc pipeline (ignored).
    pub ignored: Option<String>,
    /// Children whose condition became true in this invocation.
    pub fired: Vec<PipelineId>,
    /// Trigger events this invocation put on the bus (its own or earlier ones).
    pub sent: Vec<TriggerEvent>,
}

impl TriggerManager {
    /// A manager over `config`'s clients.
    pub fn new(config: &aws_config::SdkConfig, names: CentralNames, clock: Arc<dyn Clock>) -> Self {
        TriggerManager {
            ddb: crate::aws::dynamodb(config),
            bus: crate::aws::eventbridge(config),
            names,
            clock,
            before_commit: None,
            put_attempts: 3,
            put_backoff: Duration::from_millis(200),
        }
    }

    /// Runs `hook` between reading a child's state and writing it back (tests only:
    /// it forces the race between two invocations deterministically).
    pub fn with_hook(mut self, hook: Hook) -> Self {
        self.before_commit = Some(hook);
        self
    }

    /// How often a trigger event is put before the invocation fails, and the pause
    /// before the first retry (doubling after).
    pub fn with_put_retries(mut self, attempts: u32, backoff: Duration) -> Self {
        self.put_attempts = attempts.max(1);
        self.put_backoff = backoff;
        self
    }

    /// Handles one EventBridge event.
    ///
    /// # Errors
    /// A DynamoDB or EventBridge failure (after retries): Lambda retries the event.
    pub async fn handle(&self, event: &Value) -> Result<Outcome, Error> {
        let change = match events::status_change(event) {
            Ok(change) => change,
            Err(why) => {
                warn!(reason = %why, "ignoring an event that is not a dpc status change");
                return Ok(Outcome {
                    ignored: Some(why.0),
                    ..Outcome::default()
                });
            }
        };
        if let Some(why) = not_for_triggers(&change) {
            info!(
                executionArn = %change.event.execution,
                pipeline = %change.event.pipeline,
                status = %change.event.status,
                reason = why,
                "ignoring a status event that must change nothing downstream"
            );
            return Ok(Outcome {
                ignored: Some(why.to_string()),
                ..Outcome::default()
            });
        }
        let span = info_span!(
            "status_event",
            executionArn = %change.event.execution,
            pipeline = %change.event.pipeline,
            status = %change.event.status,
            redriveCount = change.event.redrive_count,
            eventTime = %change.event.time,
        );
        // The error also reaches the dead-letter queue, where no span says which
        // event it was: it names the event itself.
        let what = format!(
            "the {} event of pipeline {}, execution {}",
            change.event.status, change.event.pipeline, change.event.execution
        );
        self.handle_change(change)
            .instrument(span.clone())
            .await
            .inspect_err(|e| {
                span.in_scope(|| {
                    error!(error = %e, "the status event was not fully applied; it is delivered again (Lambda's retries, then the dead-letter queue's redrive)");
                });
            })
            .map_err(|e| -> Error { format!("{what} was not fully applied: {e}").into() })
    }

    async fn handle_change(&self, change: StatusChange) -> Result<Outcome, Error> {
        let event = &change.event;
        let clock = self.clock.now();
        let seen = self.log_event(&change).await?;
        let children = self.children(&event.pipeline).await?;
        let mut outcome = Outcome {
            duplicate: seen == Seen::Applied,
            ..Outcome::default()
        };
        if seen == Seen::Applied {
            info!(
                children = children.len(),
                "duplicate status event: completing pending triggers only"
            );
        } else {
            self.update_latest(event).await?;
            for (child, trigger) in &children {
                let span = info_span!("child", child = %child);
                if self
                    .evaluate_child(child, trigger, event, clock)
                    .instrument(span)
                    .await?
                {
                    outcome.fired.push(child.clone());
                }
            }
            self.mark_applied(event).await?;
            info!(
                children = children.len(),
                fired = outcome.fired.len(),
                "status event applied"
            );
        }
        for (child, _) in &children {
            let span = info_span!("child", child = %child);
            let sent = self.send_pending(child).instrument(span).await?;
            outcome.sent.extend(sent);
        }
        Ok(outcome)
    }

    // ---- run log ----------------------------------------------------------

    async fn log_event(&self, change: &StatusChange) -> Result<Seen, Error> {
        let event = &change.event;
        let now = system_now().as_unix_seconds();
        let put = self
            .ddb
            .put_item()
            .table_name(&self.names.run_log)
            .item(run_log::PARTITION, s(pipeline_key(&event.pipeline)))
            .item(run_log::SORT, s(event_sort_key(event)))
            .item("execution", s(&event.execution))
            .item("status", s(event.status.as_str()))
            .item("redriveCount", n(i64::from(event.redrive_count)))
            .item(run_log::EVENT_TIME, s(event.time.to_string()))
            .item("reportedBy", s(reporter_name(change)))
            .item("applied", AttributeValue::Bool(false))
            .item(env::TTL_ATTRIBUTE, n(now + RUN_LOG_RETENTION_SECS))
            .condition_expression("attribute_not_exists(#p)")
            .expression_attribute_names("#p", run_log::PARTITION)
            .send()
            .await;
        match put {
            Ok(_) => Ok(Seen::New),
            Err(e) if dynamo::is_condition_failure(&e) => {
                let item = self
                    .ddb
                    .get_item()
                    .table_name(&self.names.run_log)
                    .key(run_log::PARTITION, s(pipeline_key(&event.pipeline)))
                    .key(run_log::SORT, s(event_sort_key(event)))
                    .consistent_read(true)
                    .send()
                    .await
                    .map_err(|e| format!("reading the run log: {}", error_text(&e)))?;
                let applied = item
                    .item()
                    .and_then(|i| i.get("applied"))
                    .and_then(|v| v.as_bool().ok())
                    .copied()
                    .unwrap_or(false);
                Ok(if applied {
                    Seen::Applied
                } else {
                    Seen::Unfinished
                })
            }
            Err(e) => Err(format!("writing the run log: {}", error_text(&e)).into()),
        }
    }

    async fn mark_applied(&self, event: &StatusEvent) -> Result<(), Error> {
        self.ddb
            .update_item()
            .table_name(&self.names.run_log)
            .key(run_log::PARTITION, s(pipeline_key(&event.pipeline)))
            .key(run_log::SORT, s(event_sort_key(event)))
            .update_expression("SET applied = :t")
            .expression_attribute_values(":t", AttributeValue::Bool(true))
            .send()
            .await
            .map_err(|e| format!("marking the run log entry applied: {}", error_text(&e)))?;
        Ok(())
    }

    async fn latest(&self, pipeline: &PipelineId) -> Result<Option<(StatusEvent, i64)>, Error> {
        let got = self
            .ddb
            .get_item()
            .table_name(&self.names.run_log)
            .key(run_log::PARTITION, s(pipeline_key(pipeline)))
            .key(run_log::SORT, s(run_log::LATEST))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("reading {pipeline}'s latest event: {}", error_text(&e)))?;
        let Some(item) = got.item() else {
            return Ok(None);
        };
        let version = get_n(item, "version").unwrap_or(0);
        match item.get("latest").map(dynamo::decode::<StatusEvent>) {
            Some(Ok(event)) => Ok(Some((event, version))),
            Some(Err(e)) => {
                error!(pipeline = %pipeline, table = %self.names.run_log,
                    key = %format!("{} / {}", pipeline_key(pipeline), run_log::LATEST), error = %e,
                    "the pipeline's LATEST item in the run log is unreadable and taken as absent; delete it so the pipeline's next status event writes it afresh");
                Ok(None)
            }
            None => Ok(None),
        }
    }

    async fn update_latest(&self, event: &StatusEvent) -> Result<(), Error> {
        for _ in 0..MAX_EVALUATIONS {
            let current = self.latest(&event.pipeline).await?;
            if !event.becomes_latest(current.as_ref().map(|(e, _)| e)) {
                return Ok(());
            }
            let version = current.as_ref().map(|(_, v)| *v);
            let mut put = self
                .ddb
                .put_item()
                .table_name(&self.names.run_log)
                .item(run_log::PARTITION, s(pipeline_key(&event.pipeline)))
                .item(run_log::SORT, s(run_log::LATEST))
                .item("latest", dynamo::encode(event)?)
                .item("execution", s(&event.execution))
                .item("status", s(event.status.as_str()))
                .item(run_log::EVENT_TIME, s(event.time.to_string()))
                .item("version", n(version.unwrap_or(0) + 1));
            put = match version {
                Some(v) => put
                    .condition_expression("version = :v")
                    .expression_attribute_values(":v", n(v)),
                None => put
                    .condition_expression("attribute_not_exists(#p)")
                    .expression_attribute_names("#p", run_log::PARTITION),
            };
            match put.send().await {
                Ok(_) => return Ok(()),
                Err(e) if dynamo::is_condition_failure(&e) => continue,
                Err(e) => {
                    return Err(format!("writing the latest event: {}", error_text(&e)).into());
                }
            }
        }
        Err("the latest event kept changing while it was written; retrying the invocation".into())
    }

    // ---- children -----------------------------------------------------------

    async fn children(
        &self,
        parent: &PipelineId,
    ) -> Result<Vec<(PipelineId, ExecutionsTrigger)>, Error> {
        let mut out = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let page = self
                .ddb
                .query()
                .table_name(&self.names.dependencies)
                .key_condition_expression("#p = :p")
                .expression_attribute_names("#p", env::dependencies::PARTITION)
                .expression_attribute_values(":p", s(pipeline_key(parent)))
                .consistent_read(true)
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(|e| format!("reading the children of {parent}: {}", error_text(&e)))?;
            for item in page.items() {
                match trigger_from_edge(item) {
                    Ok(pair) => out.push(pair),
                    // One broken registration must not stop the others' triggers.
                    Err(why) => error!(
                        reason = %why,
                        "skipping an unreadable dependency of this pipeline: its child is not evaluated until the child pipeline is registered again"
                    ),
                }
            }
            match page.last_evaluated_key() {
                Some(key) if !key.is_empty() => start = Some(key.clone()),
                _ => break,
            }
        }
        Ok(out)
    }

    async fn read_state(&self, child: &PipelineId) -> Result<StoredState, Error> {
        let got = self
            .ddb
            .get_item()
            .table_name(&self.names.triggers)
            .key(triggers::PARTITION, s(pipeline_key(child)))
            .key(triggers::SORT, s(triggers::STATE))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("reading {child}'s trigger state: {}", error_text(&e)))?;
        let Some(item) = got.item() else {
            return Ok(StoredState::default());
        };
        let state = match item.get("state").map(dynamo::decode::<ChildState>) {
            Some(Ok(state)) => state,
            Some(Err(e)) => {
                return Err(format!("{child}'s trigger state is unreadable: {e}").into());
            }
            None => ChildState::default(),
        };
        Ok(StoredState {
            state,
            version: Some(get_n(item, "version").unwrap_or(0)),
            pending: item
                .get("pending")
                .and_then(|v| v.as_ss().ok())
                .cloned()
                .unwrap_or_default(),
        })
    }

    /// Evaluates `event` for `child` until the state is written without a lost race.
    /// Returns whether the child fired.
    async fn evaluate_child(
        &self,
        child: &PipelineId,
        trigger: &ExecutionsTrigger,
        event: &StatusEvent,
        clock: Timestamp,
    ) -> Result<bool, Error> {
        for attempt in 0..MAX_EVALUATIONS {
            let stored = self.read_state(child).await?;
            let mut state = stored.state.clone();
            self.seed_missing_parents(&mut state, trigger, event)
                .await?;
            let decision = dpc_model::evaluate(trigger, &state, event, clock);
            if !decision.changed {
                info!("the event changes nothing for this child");
                return Ok(false);
            }
            if let Some(hook) = &self.before_commit {
                hook(child.clone()).await;
            }
            let record = decision.firing.as_ref().map(|firing| TriggerRecord {
                sort_key: trigger_sort_key(firing.time, &firing.cause),
                event: firing.trigger_event(child),
                time: firing.time,
            });
            match self
                .write_state(child, &decision.state, &stored, record.as_ref())
                .await
            {
                Ok(()) => {
                    if let Some(record) = &record {
                        info!(record = %record.sort_key, triggerTime = %record.time, "condition holds: trigger recorded");
                    } else {
                        info!("state updated; the condition does not hold yet");
                    }
                    return Ok(record.is_some());
                }
                Err(WriteError::Conflict) => {
                    info!(
                        attempt,
                        "the state changed since it was read: evaluating again"
                    );
                }
                Err(WriteError::Other(e)) => return Err(e),
            }
        }
        Err(format!("{child}'s trigger state kept changing; retrying the invocation").into())
    }

    /// Parents the condition names that the state has no event of yet (registered
    /// later, or a changed condition) get their latest event from the run log. The
    /// event being applied is left out, so that applying it is what changes the state.
    async fn seed_missing_parents(
        &self,
        state: &mut ChildState,
        trigger: &ExecutionsTrigger,
        event: &StatusEvent,
    ) -> Result<(), Error> {
        // Which parents the state has, once: a condition may name hundreds.
        let known: std::collections::BTreeSet<PipelineId> =
            state.parents.iter().map(|e| e.pipeline.clone()).collect();
        let before = state.parents.len();
        for parent in trigger.condition.parents() {
            if known.contains(parent) {
                continue;
            }
            if let Some((latest, _)) = self.latest(parent).await?
                && latest.key() != event.key()
            {
                state.parents.push(latest);
            }
        }
        // One stable sort gives the order sorting after each push would.
        if state.parents.len() != before {
            state.parents.sort_by(|a, b| a.pipeline.cmp(&b.pipeline));
        }
        Ok(())
    }

    async fn write_state(
        &self,
        child: &PipelineId,
        state: &ChildState,
        stored: &StoredState,
        record: Option<&TriggerRecord>,
    ) -> Result<(), WriteError> {
        let other = |e: String| WriteError::Other(e.into());
        let mut pending = stored.pending.clone();
        if let Some(record) = record
            && !pending.contains(&record.sort_key)
        {
            pending.push(record.sort_key.clone());
        }
        let mut put = Put::builder()
            .table_name(&self.names.triggers)
            .item(triggers::PARTITION, s(pipeline_key(child)))
            .item(triggers::SORT, s(triggers::STATE))
            .item(
                "state",
                dynamo::encode(state).map_err(|e| other(e.to_string()))?,
            )
            .item("version", n(stored.version.unwrap_or(0) + 1));
        if !pending.is_empty() {
            put = put.item("pending", AttributeValue::Ss(pending));
        }
        put = match stored.version {
            Some(v) => put
                .condition_expression("version = :v")
                .expression_attribute_values(":v", n(v)),
            None => put
                .condition_expression("attribute_not_exists(#p)")
                .expression_attribute_names("#p", triggers::PARTITION),
        };
        let put = put.build().map_err(|e| other(e.to_string()))?;
        let mut transaction = self
            .ddb
            .transact_write_items()
            .transact_items(TransactWriteItem::builder().put(put).build());
        if let Some(record) = record {
            let now = system_now().as_unix_seconds();
            let trigger_item = Put::builder()
                .table_name(&self.names.triggers)
                .item(triggers::PARTITION, s(pipeline_key(child)))
                .item(triggers::SORT, s(&record.sort_key))
                .item("status", s(SendStatus::Pending.as_str()))
                .item("triggerTime", s(record.time.to_string()))
                .item(
                    "event",
                    dynamo::encode(&record.event).map_err(|e| other(e.to_string()))?,
                )
                .item(env::TTL_ATTRIBUTE, n(now + TRIGGER_RECORD_RETENTION_SECS))
                .condition_expression("attribute_not_exists(#p)")
                .expression_attribute_names("#p", triggers::PARTITION)
                .build()
                .map_err(|e| other(e.to_string()))?;
            transaction =
                transaction.transact_items(TransactWriteItem::builder().put(trigger_item).build());
        }
        transaction.send().await.map(|_| ()).map_err(|e| {
            if dynamo::is_condition_failure(&e) {
                WriteError::Conflict
            } else {
                other(format!("writing the trigger state: {}", error_text(&e)))
            }
        })
    }

    // ---- sending ---------------------------------------------------------------

    async fn send_pending(&self, child: &PipelineId) -> Result<Vec<TriggerEvent>, Error> {
        let stored = self.read_state(child).await?;
        let mut sent = Vec::new();
        for record in &stored.pending {
            if let Some(event) = self.send_one(child, record).await? {
                sent.push(event);
            }
        }
        Ok(sent)
    }

    /// Sends one pending trigger unless another invocation holds it or it was sent.
    async fn send_one(
        &self,
        child: &PipelineId,
        record: &str,
    ) -> Result<Option<TriggerEvent>, Error> {
        let now = system_now().as_unix_seconds();
        let claim = self
            .ddb
            .update_item()
            .table_name(&self.names.triggers)
            .key(triggers::PARTITION, s(pipeline_key(child)))
            .key(triggers::SORT, s(record))
            .update_expression("SET #s = :sending, leaseUntil = :lease")
            .condition_expression("#s = :pending OR (#s = :sending AND leaseUntil < :now)")
            .expression_attribute_names("#s", "status")
            .expression_attribute_values(":sending", s(SendStatus::Sending.as_str()))
            .expression_attribute_values(":pending", s(SendStatus::Pending.as_str()))
            .expression_attribute_values(":lease", n(now + SEND_LEASE_SECS))
            .expression_attribute_values(":now", n(now))
            .return_values(aws_sdk_dynamodb::types::ReturnValue::AllNew)
            .send()
            .await;
        let item = match claim {
            Ok(out) => out.attributes().cloned().unwrap_or_default(),
            Err(e) if dynamo::is_condition_failure(&e) => {
                let status = self.record_status(child, record).await?;
                if status.as_deref() == Some(SendStatus::Sent.as_str()) || status.is_none() {
                    // Sent by someone else (or expired): only the pointer is left.
                    self.forget_pending(child, record).await?;
                    return Ok(None);
                }
                // Held by an invocation that may yet die: fail so this event is
                // retried after the lease, rather than leave the trigger unsent.
                warn!(
                    record,
                    "another invocation is sending this trigger; retrying later"
                );
                return Err(format!(
                    "trigger {record} is being sent by another invocation; retry after its lease"
                )
                .into());
            }
            Err(e) => {
                return Err(format!("claiming trigger {record}: {}", error_text(&e)).into());
            }
        };
        let event: TriggerEvent = item
            .get("event")
            .map(dynamo::decode)
            .transpose()?
            .ok_or_else(|| format!("trigger record {record} holds no event"))?;
        let time = get_s(&item, "triggerTime")
            .and_then(|t| Timestamp::parse(t).ok())
            .unwrap_or_else(|| self.clock.now());
        match self.put_event(&event, time).await {
            Ok(event_id) => {
                self.ddb
                    .update_item()
                    .table_name(&self.names.triggers)
                    .key(triggers::PARTITION, s(pipeline_key(child)))
                    .key(triggers::SORT, s(record))
                    .update_expression(
                        "SET #s = :sent, sentAt = :at, eventId = :id REMOVE leaseUntil",
                    )
                    .expression_attribute_names("#s", "status")
                    .expression_attribute_values(":sent", s(SendStatus::Sent.as_str()))
                    .expression_attribute_values(":at", s(system_now().to_string()))
                    .expression_attribute_values(":id", s(&event_id))
                    .send()
                    .await
                    .map_err(|e| format!("marking trigger {record} sent: {}", error_text(&e)))?;
                self.forget_pending(child, record).await?;
                info!(record, eventId = %event_id, "trigger event put on the central bus");
                Ok(Some(event))
            }
            Err(why) => {
                // Give the claim back so the retry (or any later invocation) sends it.
                let release = self
                    .ddb
                    .update_item()
                    .table_name(&self.names.triggers)
                    .key(triggers::PARTITION, s(pipeline_key(child)))
                    .key(triggers::SORT, s(record))
                    .update_expression("SET #s = :pending, lastError = :e REMOVE leaseUntil")
                    .condition_expression("#s = :sending")
                    .expression_attribute_names("#s", "status")
                    .expression_attribute_values(":pending", s(SendStatus::Pending.as_str()))
                    .expression_attribute_values(":sending", s(SendStatus::Sending.as_str()))
                    .expression_attribute_values(":e", s(crate::http::truncate(&why, 1000)))
                    .send()
                    .await;
                if let Err(e) = release {
                    warn!(record, error = %error_text(&e), "could not release the claim; its lease expires");
                }
                error!(record, bus = %self.names.bus, error = %why,
                    "the trigger event could not be put on the central bus; it stays PENDING and is sent when the status event is delivered again");
                Err(format!("putting trigger {record} on the bus failed: {why}").into())
            }
        }
    }

    async fn record_status(
        &self,
        child: &PipelineId,
        record: &str,
    ) -> Result<Option<String>, Error> {
        let got = self
            .ddb
            .get_item()
            .table_name(&self.names.triggers)
            .key(triggers::PARTITION, s(pipeline_key(child)))
            .key(triggers::SORT, s(record))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("reading trigger {record}: {}", error_text(&e)))?;
        Ok(got
            .item()
            .and_then(|i| get_s(i, "status"))
            .map(str::to_string))
    }

    async fn forget_pending(&self, child: &PipelineId, record: &str) -> Result<(), Error> {
        self.ddb
            .update_item()
            .table_name(&self.names.triggers)
            .key(triggers::PARTITION, s(pipeline_key(child)))
            .key(triggers::SORT, s(triggers::STATE))
            .update_expression("DELETE pending :r")
            .condition_expression("attribute_exists(#p)")
            .expression_attribute_names("#p", triggers::PARTITION)
            .expression_attribute_values(":r", AttributeValue::Ss(vec![record.to_string()]))
            .send()
            .await
            .map(|_| ())
            .or_else(|e| {
                if dynamo::is_condition_failure(&e) {
                    Ok(())
                } else {
                    Err(format!("clearing pending trigger {record}: {}", error_text(&e)).into())
                }
            })
    }

    /// Puts the trigger event on the bus, retrying; returns EventBridge's event id.
    async fn put_event(&self, event: &TriggerEvent, time: Timestamp) -> Result<String, String> {
        let detail = serde_json::to_string(&event.detail).map_err(|e| e.to_string())?;
        let entry = PutEventsRequestEntry::builder()
            .event_bus_name(&self.names.bus)
            .source(&event.source)
            .detail_type(&event.detail_type)
            .detail(detail)
            .time(aws_smithy_types::DateTime::from_secs(
                time.as_unix_seconds(),
            ))
            .build();
        let mut delay = self.put_backoff;
        let mut last = String::new();
        for attempt in 1..=self.put_attempts {
            match self.bus.put_events().entries(entry.clone()).send().await {
                Ok(out) if out.failed_entry_count() == 0 => {
                    let id = out
                        .entries()
                        .first()
                        .and_then(|e| e.event_id())
                        .unwrap_or_default()
                        .to_string();
                    return Ok(id);
                }
                Ok(out) => {
                    let entry = out.entries().first();
                    last = format!(
                        "EventBridge refused the entry: {} {}",
                        entry.and_then(|e| e.error_code()).unwrap_or("?"),
                        entry.and_then(|e| e.error_message()).unwrap_or("")
                    );
                }
                Err(e) => last = error_text(&e),
            }
            warn!(attempt, bus = %self.names.bus, error = %last, "putting the trigger event on the central bus failed");
            if attempt < self.put_attempts {
                tokio::time::sleep(delay).await;
                delay *= 2;
            }
        }
        Err(last)
    }
}

/// How a run log entry was found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Seen {
    /// Never seen.
    New,
    /// Logged by an invocation that did not finish applying it.
    Unfinished,
    /// Applied: a duplicate.
    Applied,
}

#[derive(Clone, Debug, Default)]
struct StoredState {
    state: ChildState,
    /// `None`: no item yet.
    version: Option<i64>,
    pending: Vec<String>,
}

struct TriggerRecord {
    sort_key: String,
    event: TriggerEvent,
    time: Timestamp,
}

enum WriteError {
    Conflict,
    Other(Error),
}

/// The send state of a trigger record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SendStatus {
    /// Recorded, not yet on the bus.
    Pending,
    /// An invocation is putting it on the bus (until `leaseUntil`).
    Sending,
    /// On the bus.
    Sent,
}

impl SendStatus {
    /// As stored (`PENDING`, `SENDING`, `SENT`).
    pub fn as_str(self) -> &'static str {
        match self {
            SendStatus::Pending => "PENDING",
            SendStatus::Sending => "SENDING",
            SendStatus::Sent => "SENT",
        }
    }
}

/// The run log sort key of one status event:
/// `EVENT#<execution>#<STATUS>#<redriveCount>`.
pub fn event_sort_key(event: &StatusEvent) -> String {
    format!(
        "{}{}#{}#{}",
        run_log::EVENT_PREFIX,
        event.execution,
        event.status,
        event.redrive_count
    )
}

/// The trigger records sort key of one firing:
/// `TRIGGER#<t>#<cause execution>#<cause status>`.
pub fn trigger_sort_key(time: Timestamp, cause: &StatusEvent) -> String {
    format!(
        "{}{}#{}#{}",
        triggers::TRIGGER_PREFIX,
        time,
        cause.execution,
        cause.status
    )
}

/// Why a status event must change nothing downstream, if it must not:
/// - an execution whose output marks it a duplicate ran nothing (its trigger was
///   claimed by another execution), so its `SUCCEEDED` is no run of the pipeline;
/// - Step Functions' `RUNNING` of a first run (redrive count 0) cannot tell a
///   duplicate from a run, so `RUNNING` is taken from the state machine's own report,
///   which it sends only once its claim holds. A redriven execution's `RUNNING` is
///   Step Functions' alone (a redrive resumes after the claim), and a duplicate, which
///   ends `SUCCEEDED`, is never redriven, so that one counts.
pub fn not_for_triggers(change: &StatusChange) -> Option<&'static str> {
    if change.duplicate {
        return Some("the execution was a duplicate delivery of a trigger and ran nothing");
    }
    if change.reporter == events::Reporter::StepFunctions
        && change.event.status.as_str() == "RUNNING"
        && change.event.redrive_count == 0
    {
        return Some(
            "RUNNING is taken from the state machine's own report, sent once its claim holds",
        );
    }
    None
}

fn reporter_name(change: &StatusChange) -> &'static str {
    match change.reporter {
        events::Reporter::StepFunctions => env::SFN_SOURCE,
        events::Reporter::StateMachine => env::PIPELINE_STATUS_SOURCE,
    }
}

/// The outcome as the Lambda's JSON answer (for logs and tests).
pub fn outcome_json(outcome: &Outcome) -> Value {
    json!({
        "duplicate": outcome.duplicate,
        "ignored": outcome.ignored,
        "fired": outcome.fired.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "sent": outcome.sent.len(),
    })
}
