//! CloudWatch Logs: `AWS::Logs::LogGroup`, `AWS::Logs::SubscriptionFilter` (L1) and
//! [`LogGroup`] (L2: retention from platform.yaml, KMS-encrypted, kept on deletion).

use crate::aws::Tag;
use dpc_core::{Expr, Val};
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

crate::aws::cfn_type!(CfnLogGroup, "AWS::Logs::LogGroup");
crate::aws::cfn_type!(CfnSubscriptionFilter, "AWS::Logs::SubscriptionFilter");
