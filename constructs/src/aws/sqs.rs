//! SQS: `AWS::SQS::Queue`, `AWS::SQS::QueuePolicy` (L1) and [`Queue`] (L2: KMS-encrypted,
//! TLS-only, 14 days' retention, as dead-letter queues need).

use crate::aws::Tag;
use crate::aws::iam::PolicyDocument;
use dpc_core::{Expr, Val};
use serde::Serialize;

/// `AWS::SQS::Queue`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queue.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnQueue {
    /// `QueueName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub queue_name: Option<Expr>,
    /// `KmsMasterKeyId`: the key that encrypts messages.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
    /// `KmsDataKeyReusePeriodSeconds`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_data_key_reuse_period_seconds: Option<Val<u32>>,
    /// `SqsManagedSseEnabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sqs_managed_sse_enabled: Option<bool>,
    /// `MessageRetentionPeriod`, in seconds (60 to 1,209,600).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_retention_period: Option<Val<u32>>,
    /// `VisibilityTimeout`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visibility_timeout: Option<Val<u32>>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::SQS::QueuePolicy`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sqs-queuepolicy.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnQueuePolicy {
    /// `Queues`: queue URLs.
    pub queues: Vec<Expr>,
    /// `PolicyDocument`.
    pub policy_document: PolicyDocument,
}

crate::aws::cfn_type!(CfnQueue, "AWS::SQS::Queue");
crate::aws::cfn_type!(CfnQueuePolicy, "AWS::SQS::QueuePolicy");
