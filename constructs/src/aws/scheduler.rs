//! EventBridge Scheduler: `AWS::Scheduler::Schedule` (L1), for schedules in a time zone
//! (EventBridge rules run cron expressions in UTC only).

use dpc_core::Expr;
use serde::Serialize;

/// `AWS::Scheduler::Schedule`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-scheduler-schedule.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSchedule {
    /// `Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `ScheduleExpression`: `cron(...)`, `rate(...)` or `at(...)`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression: Option<Expr>,
    /// `ScheduleExpressionTimezone`: an IANA time zone.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule_expression_timezone: Option<Expr>,
    /// `FlexibleTimeWindow`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flexible_time_window: Option<FlexibleTimeWindow>,
    /// `State`: `ENABLED` or `DISABLED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<Expr>,
    /// `Target`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<ScheduleTarget>,
}

/// `AWS::Scheduler::Schedule.FlexibleTimeWindow`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FlexibleTimeWindow {
    /// `Mode`: `OFF` runs exactly on time.
    pub mode: String,
}

/// `AWS::Scheduler::Schedule.Target`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleTarget {
    /// `Arn`: what the schedule starts (a state machine, ...).
    pub arn: Expr,
    /// `RoleArn`: the role Scheduler assumes.
    pub role_arn: Expr,
    /// `Input`: the target's input (context attributes such as
    /// `<aws.scheduler.scheduled-time>` are filled in).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input: Option<Expr>,
    /// `RetryPolicy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_policy: Option<ScheduleRetryPolicy>,
    /// `DeadLetterConfig`: where Scheduler puts an invocation it gave up on. Scheduler
    /// sends it with the target's role (`RoleArn`), which therefore needs
    /// `sqs:SendMessage` on the queue (and the use of the queue's key).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<ScheduleDeadLetterConfig>,
}

/// `AWS::Scheduler::Schedule.DeadLetterConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleDeadLetterConfig {
    /// `Arn`: a standard SQS queue's ARN (a literal ARN: CloudFormation checks it against
    /// `arn:aws[a-z-]*:sqs:<region>:<account>:<name>`).
    pub arn: Expr,
}

/// `AWS::Scheduler::Schedule.RetryPolicy`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScheduleRetryPolicy {
    /// `MaximumEventAgeInSeconds`: 60 to 86,400.
    pub maximum_event_age_in_seconds: u32,
    /// `MaximumRetryAttempts`: 0 to 185.
    pub maximum_retry_attempts: u32,
}

crate::aws::cfn_type!(CfnSchedule, "AWS::Scheduler::Schedule");
