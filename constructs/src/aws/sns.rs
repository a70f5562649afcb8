//! SNS: `AWS::SNS::Topic`, `AWS::SNS::Subscription`, `AWS::SNS::TopicPolicy` (L1) and
//! [`Topic`] (L2: KMS-encrypted, TLS-only publishing).

use crate::aws::Tag;
use crate::aws::iam::{PolicyDocument, Statement};
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope};
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

/// A topic (`AWS::SNS::Topic`, child `Resource`) encrypted with a customer-managed key.
#[derive(Clone, Debug)]
pub struct Topic {
    resource: ResourceRef,
}

impl Topic {
    /// Adds a topic named `name` (generated when absent), encrypted with `key_arn`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: Option<String>,
        key_arn: Expr,
    ) -> Result<Topic, Diagnostic> {
        let mut scope = scope.child(id)?;
        let resource = scope.add_resource(
            "Resource",
            CfnTopic {
                topic_name: name.map(Expr::from),
                kms_master_key_id: Some(key_arn),
                ..CfnTopic::default()
            },
        )?;
        Ok(Topic { resource })
    }

    /// The topic's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.reference()
    }

    /// The topic's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// Sets the topic's resource policy: `statements` plus a statement refusing publishing
    /// without TLS. SNS keeps one policy per topic, so call this once.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn set_policy(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        statements: Vec<Statement>,
    ) -> Result<ResourceRef, Diagnostic> {
        let mut policy = PolicyDocument::with(statements);
        policy.push(Statement::deny_without_tls(
            "sns:Publish",
            "DenyPublishWithoutTls",
            [self.arn()],
        ));
        scope.add_resource(
            id,
            CfnTopicPolicy {
                topics: vec![self.arn()],
                policy_document: policy,
            },
        )
    }

    /// Subscribes `endpoint` over `protocol` (`email`, `https`, `sqs`, `lambda`).
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn subscribe(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        protocol: &str,
        endpoint: impl Into<Expr>,
    ) -> Result<ResourceRef, Diagnostic> {
        self.subscribe_filtered(scope, id, protocol, endpoint, None)
    }

    /// Subscribes `endpoint` over `protocol`, delivering only the messages whose
    /// attributes match `filter_policy` (SNS's default scope, `MessageAttributes`; a
    /// message without an attribute the policy names is not delivered). `None`: every
    /// message.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn subscribe_filtered(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        protocol: &str,
        endpoint: impl Into<Expr>,
        filter_policy: Option<serde_json::Value>,
    ) -> Result<ResourceRef, Diagnostic> {
        scope.add_resource(
            id,
            CfnSubscription {
                topic_arn: Some(self.arn()),
                protocol: Some(protocol.into()),
                endpoint: Some(endpoint.into()),
                filter_policy,
                ..CfnSubscription::default()
            },
        )
    }
}
