//! CloudWatch Logs: `AWS::Logs::LogGroup`, `AWS::Logs::SubscriptionFilter`,
//! `AWS::Logs::MetricFilter` (L1) and
//! [`LogGroup`] (L2: retention from platform.yaml, KMS-encrypted, kept on deletion).

use crate::aws::Tag;
use crate::aws::codes;
use crate::aws::iam::Statement;
use dpc_core::{Diagnostic, Expr, ResourceOptions, ResourceRef, Scope, Val};
use serde::Serialize;

/// `AWS::Logs::LogGroup`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-loggroup.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnLogGroup {
    /// `LogGroupName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<Expr>,
    /// `RetentionInDays`: one of CloudWatch Logs' allowed values.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retention_in_days: Option<Val<u32>>,
    /// `KmsKeyId`: the ARN of the key that encrypts the logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_key_id: Option<Expr>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::Logs::SubscriptionFilter`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-subscriptionfilter.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSubscriptionFilter {
    /// `FilterName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_name: Option<Expr>,
    /// `LogGroupName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<Expr>,
    /// `FilterPattern`: `""` matches every event.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_pattern: Option<Expr>,
    /// `DestinationArn`: a Lambda, Kinesis stream or Firehose stream.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_arn: Option<Expr>,
    /// `RoleArn`: needed for Kinesis and Firehose destinations, not for Lambda.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<Expr>,
}

/// `AWS::Logs::MetricFilter`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-logs-metricfilter.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnMetricFilter {
    /// `FilterName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_name: Option<Expr>,
    /// `LogGroupName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_group_name: Option<Expr>,
    /// `FilterPattern`, e.g. `{ $.level = "ERROR" }` for JSON log lines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_pattern: Option<Expr>,
    /// `MetricTransformations`: exactly one.
    pub metric_transformations: Vec<MetricTransformation>,
}

/// `AWS::Logs::MetricFilter.MetricTransformation`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricTransformation {
    /// `MetricName`.
    pub metric_name: String,
    /// `MetricNamespace`.
    pub metric_namespace: String,
    /// `MetricValue`: what each matching line adds, e.g. `1`.
    pub metric_value: String,
    /// `Unit`, e.g. `Count`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
}

crate::aws::cfn_type!(CfnMetricFilter, "AWS::Logs::MetricFilter");
crate::aws::cfn_type!(CfnLogGroup, "AWS::Logs::LogGroup");
crate::aws::cfn_type!(CfnSubscriptionFilter, "AWS::Logs::SubscriptionFilter");

/// The retention periods CloudWatch Logs accepts, in days (its `PutRetentionPolicy` API).
pub const RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

/// What a [`LogGroup`] is made of.
#[derive(Clone, Debug)]
pub struct LogGroupProps {
    /// The group's name (a literal or, e.g., an `Fn::Sub` naming an API's execution
    /// logs); generated when absent.
    pub name: Option<Expr>,
    /// How long events are kept, one of [`RETENTION_DAYS`].
    pub retention_days: u32,
    /// The KMS key (ARN) that encrypts the group. Its key policy must let
    /// `logs.<region>.amazonaws.com` use it ([`crate::aws::kms::KeyProps::logs`]).
    pub key_arn: Expr,
}

/// A log group (`AWS::Logs::LogGroup`, child `Resource`): retention always set, always
/// encrypted with a customer-managed key.
///
/// Deleted with its stack, on purpose: dpc names its log groups (`/aws/lambda/dpc-…`), and a
/// retained group with that name would make the next deployment of the stack fail.
#[derive(Clone, Debug)]
pub struct LogGroup {
    resource: ResourceRef,
}

impl LogGroup {
    /// Adds the log group under `scope/id`.
    ///
    /// # Errors
    /// `DM0306` when the retention is not one CloudWatch Logs accepts.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: LogGroupProps,
    ) -> Result<LogGroup, Diagnostic> {
        let mut scope = scope.child(id)?;
        if !RETENTION_DAYS.contains(&props.retention_days) {
            return Err(Diagnostic::error(
                codes::INVALID_RETENTION,
                format!(
                    "CloudWatch Logs cannot keep logs for {} days",
                    props.retention_days
                ),
            )
            .in_construct(scope.path())
            .with_help(format!("use one of {RETENTION_DAYS:?}")));
        }
        let resource = scope.add_resource_with_options(
            "Resource",
            CfnLogGroup {
                log_group_name: props.name,
                retention_in_days: Some(props.retention_days.into()),
                kms_key_id: Some(props.key_arn),
                tags: Vec::new(),
            },
            crate::aws::deleted(ResourceOptions::default()),
        )?;
        Ok(LogGroup { resource })
    }

    /// The group's name.
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The group's ARN, `arn:…:log-group:<name>:*` (it covers the group's streams).
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The group's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// The statement a writer needs to put events into this group.
    pub fn write_statement(&self) -> Statement {
        Statement::allow(["logs:CreateLogStream", "logs:PutLogEvents"]).on([self.arn()])
    }
}

impl LogGroup {
    /// The group's ARN without the trailing `:*`, as API Gateway's access log setting and
    /// subscription destinations want it.
    pub fn arn_without_suffix(&self) -> Expr {
        Expr::sub_with(
            "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:${Name}",
            [("Name", self.name())],
        )
    }
}
