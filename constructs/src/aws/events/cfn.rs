//! `AWS::Events::*` resources (L1).

use super::pattern::EventPattern;
use crate::aws::Tag;
use crate::aws::iam::Statement;
use dpc_core::{Expr, Val};
use serde::Serialize;

/// `AWS::Events::EventBus`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-eventbus.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnEventBus {
    /// `Name`: the bus's name (its identity: other accounts address it by name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::Events::EventBusPolicy`: one statement of a bus's resource policy.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-eventbuspolicy.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnEventBusPolicy {
    /// `EventBusName`: the bus the statement is added to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_bus_name: Option<Expr>,
    /// `StatementId`: the statement's `Sid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement_id: Option<Expr>,
    /// `Statement`: the whole statement (principal, action, resource, condition).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Statement>,
}

/// `AWS::Events::Rule`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-events-rule.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnRule {
    /// `Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `EventBusName`: name or ARN of the bus; the default bus when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_bus_name: Option<Expr>,
    /// `EventPattern`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_pattern: Option<EventPattern>,
    /// `ScheduleExpression`: `cron(...)` or `rate(...)` (default bus only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<Expr>,
    /// `State`: `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Expr>,
    /// `Targets`: at most 5.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub targets: Vec<CfnRuleTarget>,
}

/// `AWS::Events::Rule.Target`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnRuleTarget {
    /// `Id`: unique within the rule.
    pub id: String,
    /// `Arn`: the target's ARN.
    pub arn: Expr,
    /// `RoleArn`: the role EventBridge assumes (buses in other accounts, state machines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<Expr>,
    /// `Input`: constant JSON text sent instead of the event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Expr>,
    /// `InputPath`: the part of the event to send.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_path: Option<Expr>,
    /// `InputTransformer`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_transformer: Option<InputTransformer>,
    /// `DeadLetterConfig`: the SQS queue that keeps events EventBridge could not deliver.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfig>,
    /// `RetryPolicy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<RetryPolicy>,
}

/// `AWS::Events::Rule.InputTransformer`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InputTransformer {
    /// `InputPathsMap`: variable name → JSON path in the event.
    #[serde(skip_serializing_if = "indexmap::IndexMap::is_empty")]
    pub input_paths_map: indexmap::IndexMap<String, String>,
    /// `InputTemplate`: the text sent, with `<variable>` placeholders.
    pub input_template: Expr,
}

/// `AWS::Events::Rule.DeadLetterConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    /// `Arn`: the SQS queue's ARN.
    pub arn: Expr,
}

/// `AWS::Events::Rule.RetryPolicy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RetryPolicy {
    /// `MaximumEventAgeInSeconds`: 60 to 86,400.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<Val<u32>>,
    /// `MaximumRetryAttempts`: 0 to 185.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<Val<u32>>,
}

crate::aws::cfn_type!(CfnEventBus, "AWS::Events::EventBus");
crate::aws::cfn_type!(CfnEventBusPolicy, "AWS::Events::EventBusPolicy");
crate::aws::cfn_type!(CfnRule, "AWS::Events::Rule");
