//! `AWS::Lambda::*` resources (L1).

use crate::aws::Tag;
use dpc_core::{Expr, Val};
use indexmap::IndexMap;
use serde::Serialize;

/// `AWS::Lambda::Function`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-function.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnFunction {
    /// `FunctionName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `Code`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<Code>,
    /// `Handler`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handler: Option<Expr>,
    /// `Runtime`, e.g. `provided.al2023`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub runtime: Option<Expr>,
    /// `Architectures`: `x86_64` or `arm64`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub architectures: Vec<String>,
    /// `Role`: the execution role's ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<Expr>,
    /// `MemorySize`, in MB.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_size: Option<Val<u32>>,
    /// `Timeout`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Val<u32>>,
    /// `Environment`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<Environment>,
    /// `KmsKeyArn`: the key that encrypts the environment variables.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_arn: Option<Expr>,
    /// `LoggingConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_config: Option<LoggingConfig>,
    /// `DeadLetterConfig`: where failed asynchronous invocations go.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_letter_config: Option<DeadLetterConfig>,
    /// `ReservedConcurrentExecutions`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reserved_concurrent_executions: Option<Val<u32>>,
    /// `TracingConfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_config: Option<TracingConfig>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::Lambda::Function.Code`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Code {
    /// `S3Bucket`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_bucket: Option<Expr>,
    /// `S3Key`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub s3_key: Option<Expr>,
    /// `ZipFile`: inline source (interpreted runtimes only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zip_file: Option<Expr>,
}

/// `AWS::Lambda::Function.Environment`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Environment {
    /// `Variables`.
    pub variables: IndexMap<String, Expr>,
}

/// `AWS::Lambda::Function.LoggingConfig`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfig {
    /// `LogGroup`: the name of the log group the function writes to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group: Option<Expr>,
    /// `LogFormat`: `Text` or `JSON`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_format: Option<Expr>,
    /// `ApplicationLogLevel` (JSON format only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_log_level: Option<Expr>,
    /// `SystemLogLevel` (JSON format only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub system_log_level: Option<Expr>,
}

/// `AWS::Lambda::Function.DeadLetterConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterConfig {
    /// `TargetArn`: an SQS queue or SNS topic.
    pub target_arn: Expr,
}

/// `AWS::Lambda::Function.TracingConfig`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TracingConfig {
    /// `Mode`: `Active` or `PassThrough`.
    pub mode: String,
}

/// `AWS::Lambda::Permission`: one statement of a function's resource policy.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-permission.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnPermission {
    /// `Action`, e.g. `lambda:InvokeFunction`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<Expr>,
    /// `FunctionName`: name or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<Expr>,
    /// `Principal`: a service (`events.amazonaws.com`) or an account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub principal: Option<Expr>,
    /// `SourceArn`: the resource allowed to invoke (wildcards allowed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<Expr>,
    /// `SourceAccount`: the account that owns the source.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_account: Option<Expr>,
    /// `PrincipalOrgID`.
    #[serde(rename = "PrincipalOrgID", skip_serializing_if = "Option::is_none")]
    pub principal_org_id: Option<Expr>,
}

/// `AWS::Lambda::EventInvokeConfig`: retries and destinations of asynchronous invocations.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-lambda-eventinvokeconfig.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnEventInvokeConfig {
    /// `FunctionName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub function_name: Option<Expr>,
    /// `Qualifier`: `$LATEST`, a version or an alias.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qualifier: Option<Expr>,
    /// `MaximumRetryAttempts`: 0 to 2.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_retry_attempts: Option<Val<u32>>,
    /// `MaximumEventAgeInSeconds`: 60 to 21,600.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum_event_age_in_seconds: Option<Val<u32>>,
}

crate::aws::cfn_type!(CfnFunction, "AWS::Lambda::Function");
crate::aws::cfn_type!(CfnPermission, "AWS::Lambda::Permission");
crate::aws::cfn_type!(CfnEventInvokeConfig, "AWS::Lambda::EventInvokeConfig");
