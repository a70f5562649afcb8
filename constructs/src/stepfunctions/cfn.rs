//! `AWS::StepFunctions::StateMachine` (L1).

use crate::aws::Tag;
use dpc_core::{CfnResource, Expr};
use indexmap::IndexMap;
use serde::Serialize;

/// `AWS::StepFunctions::StateMachine`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-stepfunctions-statemachine.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnStateMachine {
    /// `StateMachineName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_machine_name: Option<Expr>,
    /// `StateMachineType`: `STANDARD` or `EXPRESS`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_machine_type: Option<String>,
    /// `Definition`: the ASL definition as a JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definition: Option<serde_json::Value>,
    /// `DefinitionSubstitutions`: `${Name}` in the definition → value.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub definition_substitutions: IndexMap<String, Expr>,
    /// `RoleArn`: the role the state machine assumes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<Expr>,
    /// `LoggingConfiguration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<LoggingConfiguration>,
    /// `TracingConfiguration`: X-Ray.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_configuration: Option<TracingConfiguration>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

impl CfnResource for CfnStateMachine {
    const TYPE: &'static str = "AWS::StepFunctions::StateMachine";
}

/// `AWS::StepFunctions::StateMachine.LoggingConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration {
    /// `Destinations`: one log group.
    pub destinations: Vec<LogDestination>,
    /// `IncludeExecutionData`: whether inputs and outputs are logged.
    pub include_execution_data: bool,
    /// `Level`: `ALL`, `ERROR`, `FATAL` or `OFF`.
    pub level: LogLevel,
}

/// `AWS::StepFunctions::StateMachine.LogDestination`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogDestination {
    /// `CloudWatchLogsLogGroup`.
    pub cloud_watch_logs_log_group: LogGroupDestination,
}

/// `AWS::StepFunctions::StateMachine.CloudWatchLogsLogGroup`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LogGroupDestination {
    /// `LogGroupArn`: the log group's ARN (ending in `:*`).
    pub log_group_arn: Expr,
}

/// What a state machine logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum LogLevel {
    /// Every event of every execution.
    All,
    /// Errors only.
    Error,
    /// Only failures of the execution itself.
    Fatal,
    /// Nothing.
    Off,
}

/// `AWS::StepFunctions::StateMachine.TracingConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfiguration {
    /// `Enabled`.
    pub enabled: bool,
}
