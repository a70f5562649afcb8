//! The cleanup function (user accounts): when an execution is ABORTED or TIMED_OUT,
//! its state machine never reaches the state that terminates its EMR cluster, so
//! this terminates every active cluster tagged with the execution's ARN
//! ([`env::EXECUTION_TAG`], default `dpc:execution`).
//!
//! Clusters are found with `ListClusters` (active states, created since the
//! execution started) and `DescribeCluster` (tags). A cluster already terminating is
//! not active and is left alone, so a repeated event does nothing twice.

use crate::aws::error_text;
use crate::env::{self, Vars};
use crate::events;
use crate::trigger_manager::Error;
use aws_sdk_emr::types::ClusterState;
use dpc_model::Status;
use serde_json::Value;
use tracing::{Instrument, info, info_span, warn};

/// The cleanup function.
#[derive(Clone, Debug)]
pub struct Cleanup {
    emr: aws_sdk_emr::Client,
    tag: String,
}

/// The clusters one invocation terminated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terminated {
    /// Their ids.
    pub clusters: Vec<String>,
}

impl Cleanup {
    /// A cleanup function over `config`'s EMR client.
    pub fn from_vars(config: &aws_config::SdkConfig, vars: &dyn Vars) -> Cleanup {
        Cleanup {
            emr: crate::aws::emr(config),
            tag: vars
                .get(env::EXECUTION_TAG)
                .unwrap_or_else(|| env::DEFAULT_EXECUTION_TAG.to_string()),
        }
    }

    /// Handles one status-change event.
    ///
    /// # Errors
    /// An EMR failure (the event is retried).
    pub async fn handle(&self, event: &Value) -> Result<Terminated, Error> {
        let change = match events::status_change(event) {
            Ok(c) => c,
            Err(why) => {
                warn!(reason = %why, "ignoring an event that is not a dpc status change");
                return Ok(Terminated::default());
            }
        };
        let status = change.event.status.known();
        if !matches!(status, Some(Status::Aborted | Status::TimedOut)) {
            info!(status = %change.event.status, "nothing to clean up for this status");
            return Ok(Terminated::default());
        }
        let started = event
            .pointer("/detail/startDate")
            .and_then(Value::as_i64)
            // An hour of slack for clocks and for clusters created just before.
            .map(|ms| aws_smithy_types::DateTime::from_millis(ms - 3_600_000));
        let span = info_span!("cleanup", executionArn = %change.event.execution);
        self.terminate_tagged(&change.event.execution, started)
            .instrument(span)
            .await
    }

    async fn terminate_tagged(
        &self,
        execution: &str,
        created_after: Option<aws_smithy_types::DateTime>,
    ) -> Result<Terminated, Error> {
        let mut candidates = Vec::new();
        let mut marker: Option<String> = None;
        loop {
            let page = self
                .emr
                .list_clusters()
                .cluster_states(ClusterState::Starting)
                .cluster_states(ClusterState::Bootstrapping)
                .cluster_states(ClusterState::Running)
                .cluster_states(ClusterState::Waiting)
                .set_created_after(created_after)
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| format!("listing EMR clusters: {}", error_text(&e)))?;
            candidates.extend(
                page.clusters()
                    .iter()
                    .filter_map(|c| c.id().map(str::to_string)),
            );
            match page.marker() {
                Some(m) if !m.is_empty() => marker = Some(m.to_string()),
                _ => break,
            }
        }
        let mut ours = Vec::new();
        for id in candidates {
            let described = self
                .emr
                .describe_cluster()
                .cluster_id(&id)
                .send()
                .await
                .map_err(|e| format!("describing EMR cluster {id}: {}", error_text(&e)))?;
            let tagged = described.cluster().is_some_and(|c| {
                c.tags()
                    .iter()
                    .any(|t| t.key() == Some(self.tag.as_str()) && t.value() == Some(execution))
            });
            if tagged {
                ours.push(id);
            }
        }
        if ours.is_empty() {
            info!("no active cluster carries this execution's tag");
            return Ok(Terminated::default());
        }
        self.emr
            .terminate_job_flows()
            .set_job_flow_ids(Some(ours.clone()))
            .send()
            .await
            .map_err(|e| format!("terminating EMR clusters {ours:?}: {}", error_text(&e)))?;
        info!(clusters = ?ours, "terminated the execution's EMR clusters");
        Ok(Terminated { clusters: ours })
    }
}
