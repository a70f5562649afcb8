//! The cleanup function (user accounts): whenever an execution ends (SUCCEEDED,
//! FAILED, TIMED_OUT, ABORTED), it terminates every active cluster still tagged with
//! the execution's ARN ([`env::EXECUTION_TAG`], default [`env::tags::EXECUTION`]).
//! An ABORTED or TIMED_OUT execution never reaches the state that terminates its
//! cluster; a FAILED one may have failed to terminate it, or lost the id of a
//! cluster EMR created while the start call timed out. After a normal run the
//! cluster is already terminating, so this finds nothing to do.
//!
//! Clusters are found with `ListClusters` (active states, created since the
//! execution started) and `DescribeCluster` (tags). A cluster already terminating is
//! not active and is left alone, so a repeated event does nothing twice.

use crate::aws::error_text;
use crate::cfn;
use crate::ec2::Ec2;
use crate::env::{self, Vars};
use crate::events;
use crate::http::HttpClient;
use crate::trigger_manager::Error;
use aws_sdk_emr::types::ClusterState;
use dpc_model::Status;
use serde_json::{Value, json};
use tracing::{Instrument, error, info, info_span, warn};

/// The cleanup function.
#[derive(Clone, Debug)]
pub struct Cleanup {
    emr: aws_sdk_emr::Client,
    ec2: Ec2,
    http: HttpClient,
    tag: String,
}

/// The clusters one invocation terminated.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terminated {
    /// Their ids.
    pub clusters: Vec<String>,
}

impl Cleanup {
    /// A cleanup function over `config`'s clients.
    pub fn from_vars(config: &aws_config::SdkConfig, vars: &dyn Vars, http: HttpClient) -> Cleanup {
        Cleanup {
            emr: crate::aws::emr(config),
            ec2: Ec2::new(config, http.clone()),
            http,
            tag: vars
                .get(env::EXECUTION_TAG)
                .unwrap_or_else(|| env::tags::EXECUTION.to_string()),
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
        if !matches!(
            status,
            Some(Status::Aborted | Status::TimedOut | Status::Failed | Status::Succeeded)
        ) {
            info!(status = %change.event.status, "nothing to clean up for this status");
            return Ok(Terminated::default());
        }
        let started = event
            .pointer("/detail/startDate")
            .and_then(Value::as_i64)
            // An hour of slack for clocks and for clusters created just before.
            .map(|ms| aws_smithy_types::DateTime::from_millis(ms - 3_600_000));
        let span = info_span!("cleanup", executionArn = %change.event.execution,
            pipeline = %change.event.pipeline);
        self.terminate_tagged(&change.event.execution, started)
            .instrument(span.clone())
            .await
            .inspect_err(|e| {
                span.in_scope(|| {
                    error!(error = %e, "the execution's EMR clusters may still be running; the invocation fails so the event is delivered again");
                });
            })
    }

    /// `Custom::DpcEmrSecurityGroups` (property `SecurityGroupIds`): on delete,
    /// revokes every rule of the groups, so CloudFormation can delete them although
    /// EMR made them refer to each other. Create and update have nothing to do. The
    /// answer is always SUCCESS with the same physical id, so a failure here never
    /// blocks a stack (it is logged; the groups' own deletion then reports it).
    ///
    /// # Errors
    /// Only when CloudFormation cannot be answered.
    pub async fn handle_custom_resource(&self, event: &Value) -> Result<Value, Error> {
        let request = cfn::parse(event)?;
        let physical = request
            .physical_resource_id
            .clone()
            .unwrap_or_else(|| format!("emr-security-group-rules/{}", request.logical_resource_id));
        let mut revoked = 0;
        let mut failures = Vec::new();
        if request.request_type == cfn::RequestType::Delete {
            let groups: Vec<String> = request
                .properties
                .get("SecurityGroupIds")
                .and_then(Value::as_array)
                .map(|ids| {
                    ids.iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default();
            for group in &groups {
                match self.ec2.revoke_all(group).await {
                    Ok(n) => revoked += n,
                    Err(why) => {
                        error!(group, stackId = %request.stack_id, error = %why,
                            "could not revoke the security group's rules; CloudFormation may then fail to delete the group");
                        failures.push(format!("{group}: {why}"));
                    }
                }
            }
        }
        // Shown in the CloudFormation console next to the resource; every group that
        // failed, and what to do should its deletion fail.
        let reason = if failures.is_empty() {
            String::new()
        } else {
            format!(
                "could not revoke the rules of {}. If CloudFormation cannot delete a group, \
                 revoke its rules by hand (EMR's rules refer to the other groups) and delete the stack again",
                failures.join("; ")
            )
        };
        cfn::respond(&self.http, &request, true, &reason, &physical).await?;
        Ok(json!({"success": true, "physicalResourceId": physical, "revokedRules": revoked}))
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
                .map_err(|e| {
                    format!(
                        "listing the EMR clusters of execution {execution}: {}",
                        error_text(&e)
                    )
                })?;
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
                .map_err(|e| {
                    format!(
                        "describing EMR cluster {id} (looking for execution {execution}'s): {}",
                        error_text(&e)
                    )
                })?;
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
            .map_err(|e| {
                format!(
                    "terminating EMR clusters {ours:?} of execution {execution}: {}; \
                     terminate them by hand if they keep running",
                    error_text(&e)
                )
            })?;
        info!(clusters = ?ours, "terminated the execution's EMR clusters");
        Ok(Terminated { clusters: ours })
    }
}
