//! SQS: `AWS::SQS::Queue`, `AWS::SQS::QueuePolicy` (L1) and [`Queue`] (L2: KMS-encrypted,
//! TLS-only, 14 days' retention, as dead-letter queues need).

use crate::aws::Tag;
use crate::aws::iam::{PolicyDocument, Principal, Statement};
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope, Val};
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

/// SQS's longest message retention: 14 days, so a dead letter waits as long as possible.
pub const MAX_RETENTION_SECONDS: u32 = 1_209_600;

/// A queue (`AWS::SQS::Queue`, child `Resource`) encrypted with a customer-managed key,
/// keeping messages 14 days.
#[derive(Clone, Debug)]
pub struct Queue {
    resource: ResourceRef,
}

impl Queue {
    /// Adds a queue named `name` (generated when absent), encrypted with `key_arn`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: Option<String>,
        key_arn: Expr,
    ) -> Result<Queue, Diagnostic> {
        let mut scope = scope.child(id)?;
        // Deleted with the stack: the name is fixed, and a retained queue would block the
        // next deployment; what it holds is a copy of events kept for diagnosis.
        let resource = scope.add_resource_with_options(
            "Resource",
            CfnQueue {
                queue_name: name.map(Expr::from),
                kms_master_key_id: Some(key_arn),
                message_retention_period: Some(MAX_RETENTION_SECONDS.into()),
                ..CfnQueue::default()
            },
            crate::aws::deleted(dpc_core::ResourceOptions::default()),
        )?;
        Ok(Queue { resource })
    }

    /// The queue's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The queue's URL.
    pub fn url(&self) -> Expr {
        self.resource.reference()
    }

    /// The queue's name.
    pub fn name(&self) -> Expr {
        self.resource.attr("QueueName")
    }

    /// The queue's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }

    /// What a writer needs to send to this queue (besides the key's use).
    pub fn send_statement(&self) -> Statement {
        Statement::allow(["sqs:SendMessage"]).on([self.arn()])
    }

    /// Sets the queue's resource policy: `statements` plus a statement refusing every
    /// request not made over TLS. SQS keeps one policy per queue, so call this once.
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
            "sqs:*",
            "DenyWithoutTls",
            [self.arn()],
        ));
        scope.add_resource(
            id,
            CfnQueuePolicy {
                queues: vec![self.url()],
                policy_document: policy,
            },
        )
    }

    /// The statement letting an AWS service (`events.amazonaws.com`) send to this queue
    /// on behalf of exactly `source_arn`.
    pub fn service_send_statement(&self, service: &str, source_arn: Expr) -> Statement {
        Statement::allow(["sqs:SendMessage"])
            .to(Principal::service(service))
            .on([self.arn()])
            .when("ArnEquals", "aws:SourceArn", [source_arn])
    }
}
