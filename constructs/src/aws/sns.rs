//! SNS: `AWS::SNS::Topic`, `AWS::SNS::Subscription`, `AWS::SNS::TopicPolicy` (L1) and
//! [`Topic`] (L2: KMS-encrypted, TLS-only publishing).

use crate::aws::Tag;
use crate::aws::iam::PolicyDocument;
use dpc_core::Expr;
use serde::Serialize;

/// `AWS::SNS::Topic`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topic.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnTopic {
    /// `TopicName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_name: Option<Expr>,
    /// `DisplayName`: the sender name of e-mail notifications.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub display_name: Option<Expr>,
    /// `KmsMasterKeyId`: the key that encrypts messages at rest.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::SNS::Subscription`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-subscription.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSubscription {
    /// `TopicArn`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub topic_arn: Option<Expr>,
    /// `Protocol`: `email`, `https`, `lambda`, `sqs`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub protocol: Option<Expr>,
    /// `Endpoint`: the address, URL or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<Expr>,
    /// `RawMessageDelivery`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_message_delivery: Option<bool>,
    /// `FilterPolicy`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub filter_policy: Option<serde_json::Value>,
    /// `RedrivePolicy`: `{"deadLetterTargetArn": ...}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub redrive_policy: Option<serde_json::Value>,
}

/// `AWS::SNS::TopicPolicy`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-sns-topicpolicy.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnTopicPolicy {
    /// `Topics`: topic ARNs.
    pub topics: Vec<Expr>,
    /// `PolicyDocument`.
    pub policy_document: PolicyDocument,
}

crate::aws::cfn_type!(CfnTopic, "AWS::SNS::Topic");
crate::aws::cfn_type!(CfnSubscription, "AWS::SNS::Subscription");
crate::aws::cfn_type!(CfnTopicPolicy, "AWS::SNS::TopicPolicy");
