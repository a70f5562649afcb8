//! Who hears about a pipeline's runs: an encrypted SNS topic with one subscription per
//! target, a rule that hands the state machine's status changes to the account's
//! execution tracker, and (for `FULL_EXECUTION`) the state machine's log events too.
//!
//! The execution tracker decides what to say and publishes to the topic
//! `dpc-<name>-alerts`; the topic fans out to e-mail, OpsGenie (an HTTPS endpoint kept
//! in Secrets Manager, resolved by CloudFormation at deploy time, so it is never in the
//! template) and Slack (through the account's Slack caller Lambda). With
//! `FULL_EXECUTION`, a target that gets only the run's statuses (email and OpsGenie by
//! default) has a subscription filter policy on the message attributes the tracker sets,
//! so on-call is not paged once per step. The Lambdas'
//! permissions for EventBridge, SNS and CloudWatch Logs are wildcard permissions of the
//! account setup stack, one per function, never one per pipeline.

use super::setup::AccountSetup;
use crate::aws::events::{CfnRuleTarget, EventPattern, Rule, RuleProps};
use crate::aws::logs::CfnSubscriptionFilter;
use crate::aws::sns::Topic;
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope, dynamic_ref};
use dpc_model::Status;
use dpc_model::contract::{alerts, events, params};
use dpc_model::naming::{self, LambdaRole, NameKind};
use dpc_schema::{NotificationType, Pipeline, Target};

/// The key SNS encrypts alert messages with. The AWS managed key lets the execution
/// tracker (a Lambda in the same account) publish without a key policy of its own.
pub const TOPIC_KEY: &str = "alias/aws/sns";

/// What alerting added.
#[derive(Clone, Debug, Default)]
pub struct Alerting {
    /// The topic, when the pipeline has targets.
    pub topic: Option<ResourceRef>,
    /// The status rule.
    pub status_rule: Option<ResourceRef>,
    /// Slack channels to register (as written).
    pub slack_channels: Vec<String>,
}

/// The topic's name: `dpc-<name>-alerts` ([`naming::alert_topic_name`], which the
/// execution tracker publishes to).
pub fn topic_name(pipeline: &str) -> String {
    naming::alert_topic_name(pipeline)
}

/// Subscribes an email or OpsGenie `target` to `topic` (ids `<prefix>Email <address>`,
/// `<prefix>OpsGenie <secret>`): one email subscription per address, one HTTPS
/// subscription per OpsGenie endpoint, resolved from Secrets Manager at deploy time so the
/// endpoint's key is never in the template. Slack targets are not SNS endpoints: the
/// caller routes them, and they are left alone here. `filter_policy` is set on every
/// subscription made: `None` for the platform's alarm topics, whose CloudWatch alarm
/// messages carry no dpc attributes and would all be dropped by any policy.
///
/// # Errors
/// A core diagnostic when ids collide.
pub(crate) fn subscribe_direct(
    topic: &Topic,
    scope: &mut Scope<'_>,
    prefix: &str,
    target: &Target,
    filter_policy: Option<&serde_json::Value>,
) -> Result<(), Diagnostic> {
    match target {
        Target::Email { addresses } => {
            for address in addresses {
                topic.subscribe_filtered(
                    scope,
                    &format!("{prefix}Email {address}"),
                    "email",
                    Expr::from(address.as_str()),
                    filter_policy.cloned(),
                )?;
            }
        }
        Target::OpsGenie { secret_name } => {
            topic.subscribe_filtered(
                scope,
                &format!("{prefix}OpsGenie {}", secret_name.replace('/', "--")),
                "https",
                Expr::from(dynamic_ref::secrets_manager(secret_name)),
                filter_policy.cloned(),
            )?;
        }
        Target::Slack { .. } => {}
    }
    Ok(())
}

/// Adds alerting under `scope/Alerts`. Nothing is added when the pipeline has no target.
/// `log_group_name` is a `Ref` to the state machine's log group, so the subscription
/// filter is created after it.
///
/// # Errors
/// A core diagnostic when ids collide.
pub fn add(
    scope: &mut Scope<'_>,
    pipeline: &Pipeline,
    setup: &AccountSetup,
    log_group_name: Expr,
) -> Result<Alerting, Diagnostic> {
    let notifications = &pipeline.notifications;
    let mut out = Alerting::default();
    if notifications.targets.is_empty() {
        return Ok(out);
    }
    let mut alerts = scope.child("Alerts")?;
    let topic = Topic::new(
        &mut alerts,
        "Topic",
        Some(topic_name(&pipeline.name)),
        Expr::from(TOPIC_KEY),
    )?;
    // Publishing is granted to the execution tracker by its own role; the policy only
    // refuses publishing without TLS.
    topic.set_policy(&mut alerts, "TopicPolicy", Vec::new())?;
    // A target that gets only the run's statuses filters on the attributes the tracker
    // sets (`contract::alerts`); the others get every message.
    let status_filter = alerts::pipeline_status_filter(&notifications.on_status);
    let mut slack_filter = None;
    for routed in &notifications.targets {
        let filter = notifications.filters(routed).then_some(&status_filter);
        if let Target::Slack { channels } = &routed.target {
            // The loader made every Slack target agree: one subscription serves them.
            slack_filter = filter;
            for channel in channels {
                if !out.slack_channels.contains(channel) {
                    out.slack_channels.push(channel.clone());
                }
            }
        } else {
            subscribe_direct(&topic, &mut alerts, "", &routed.target, filter)?;
        }
    }
    if !out.slack_channels.is_empty() {
        topic.subscribe_filtered(
            &mut alerts,
            "Slack",
            "lambda",
            Expr::from(setup.lambda_arn(LambdaRole::SlackCaller)),
            slack_filter.cloned(),
        )?;
    }

    let tracker = Expr::from(setup.lambda_arn(LambdaRole::ExecutionTracker));
    let mut pattern = EventPattern::new()
        .source([events::SFN_SOURCE])
        .detail_type([events::SFN_STATUS_DETAIL_TYPE])
        .exact(
            &["detail", "stateMachineArn"],
            [setup.env.state_machine_arn(&pipeline.name)],
        );
    if notifications.kind == NotificationType::PipelineStatus {
        let statuses: Vec<&str> = Status::ALL
            .into_iter()
            .filter(|s| notifications.on_status.contains(s))
            .map(Status::as_str)
            .collect();
        pattern = pattern.exact(&["detail", "status"], statuses);
    }
    let rule = Rule::new(
        &mut alerts,
        "StatusRule",
        RuleProps {
            name: Some(naming::pipeline_resource_name(
                NameKind::EventRule,
                &pipeline.name,
                Some("status"),
            )),
            description: Some(format!(
                "Hands status changes of pipeline {} to the execution tracker, which notifies the pipeline's targets",
                pipeline.name
            )),
            bus: None,
            pattern: Some(pattern),
            schedule: None,
            enabled: true,
            targets: vec![
                CfnRuleTarget::new("ExecutionTracker", tracker.clone())
                    .with_retries(185, 86_400)
                    .with_dead_letter_queue(Expr::from(dynamic_ref::ssm(
                        params::DEAD_LETTER_QUEUE_ARN,
                    ))),
            ],
        },
    )?;
    out.status_rule = Some(rule.resource().clone());
    if notifications.kind == NotificationType::FullExecution {
        alerts.add_resource(
            "StepEvents",
            CfnSubscriptionFilter {
                filter_name: Some(Expr::from(naming::pipeline_resource_name(
                    NameKind::EventRule,
                    &pipeline.name,
                    Some("steps"),
                ))),
                log_group_name: Some(log_group_name),
                filter_pattern: Some(Expr::from("")),
                destination_arn: Some(tracker),
                role_arn: None,
            },
        )?;
    }
    out.topic = Some(topic.resource().clone());
    Ok(out)
}
