//! KMS: `AWS::KMS::Key`, `AWS::KMS::Alias` (L1) and [`Key`] (L2: rotation on, a key policy
//! that delegates to IAM in its own account and lets the services dpc uses encrypt with it).

use crate::aws::Tag;
use crate::aws::iam::{PolicyDocument, Principal, Statement};
use dpc_core::{Diagnostic, Expr, ResourceOptions, ResourceRef, Scope, Val};
use serde::Serialize;

/// `AWS::KMS::Key`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-key.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnKey {
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `EnableKeyRotation`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub enable_key_rotation: Option<bool>,
    /// `KeyPolicy`: in a key policy, `"Resource": "*"` means this key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_policy: Option<PolicyDocument>,
    /// `PendingWindowInDays`: 7 to 30.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pending_window_in_days: Option<Val<u32>>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::KMS::Alias`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-kms-alias.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnAlias {
    /// `AliasName`: `alias/...`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias_name: Option<Expr>,
    /// `TargetKeyId`: the key's id or ARN.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target_key_id: Option<Expr>,
}

crate::aws::cfn_type!(CfnKey, "AWS::KMS::Key");
crate::aws::cfn_type!(CfnAlias, "AWS::KMS::Alias");

/// What a [`Key`] is made of.
#[derive(Clone, Debug, Default)]
pub struct KeyProps {
    /// What the key protects.
    pub description: String,
    /// `alias/<alias>` is created for it when given.
    pub alias: Option<String>,
    /// Let CloudWatch Logs of this region encrypt log groups of this account with it.
    pub logs: bool,
    /// AWS services (by principal, e.g. `events.amazonaws.com`) that may encrypt and
    /// decrypt with it on this account's behalf (SQS queues and SNS topics they write to).
    pub services: Vec<String>,
}

/// The actions an account's administrators need on a key; never `kms:*`, so no statement
/// dpc writes grants a wildcard action.
pub const ADMIN_ACTIONS: [&str; 24] = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:CreateGrant",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
    "kms:ListKeyPolicies",
    "kms:ListKeyRotations",
    "kms:RotateKeyOnDemand",
];

/// What a user of the key needs to encrypt and decrypt data keys.
pub const USE_ACTIONS: [&str; 4] = [
    "kms:Decrypt",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
];

/// A customer-managed KMS key (`AWS::KMS::Key`, child `Resource`), rotated yearly.
///
/// Its policy lets the account's IAM policies grant its use (the account root gets the
/// administrative and cryptographic actions, which delegates to IAM), and lets the listed
/// AWS services use it. It is retained on deletion and replacement: data it encrypted (a
/// retained table, bucket or log archive) would otherwise be unreadable.
#[derive(Clone, Debug)]
pub struct Key {
    resource: ResourceRef,
}

impl Key {
    /// Adds the key (and its alias) under `scope/id`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: KeyProps) -> Result<Key, Diagnostic> {
        let mut scope = scope.child(id)?;
        let mut policy = PolicyDocument::with([Statement::allow(
            ADMIN_ACTIONS
                .into_iter()
                .chain(USE_ACTIONS)
                .chain(["kms:GenerateDataKeyWithoutPlaintext", "kms:ReEncryptTo"]),
        )
        .sid("AccountAdministersAndDelegatesToIam")
        .to(Principal::this_account())
        .on(["*"])]);
        if props.logs {
            policy.push(
                Statement::allow(
                    USE_ACTIONS
                        .into_iter()
                        .chain(["kms:DescribeKey", "kms:ReEncryptTo"]),
                )
                .sid("CloudWatchLogsEncryptsThisAccountsLogGroups")
                .to(Principal::service(Expr::sub(
                    "logs.${AWS::Region}.amazonaws.com",
                )))
                .on(["*"])
                .when(
                    "ArnLike",
                    "kms:EncryptionContext:aws:logs:arn",
                    [Expr::sub(
                        "arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*",
                    )],
                ),
            );
        }
        if !props.services.is_empty() {
            policy.push(
                Statement::allow(["kms:Decrypt", "kms:GenerateDataKey"])
                    .sid("ServicesDeliverToThisAccountsEncryptedResources")
                    .to(Principal::Service(
                        props.services.into_iter().map(Expr::from).collect(),
                    ))
                    .on(["*"])
                    .when(
                        "StringEquals",
                        "aws:SourceAccount",
                        [Expr::Pseudo(dpc_core::Pseudo::AccountId)],
                    ),
            );
        }
        let resource = scope.add_resource_with_options(
            "Resource",
            CfnKey {
                description: Some(props.description.into()),
                enable_key_rotation: Some(true),
                key_policy: Some(policy),
                pending_window_in_days: Some(30.into()),
                tags: Vec::new(),
            },
            crate::aws::retained(ResourceOptions::default()),
        )?;
        let key = Key { resource };
        if let Some(alias) = props.alias {
            scope.add_resource(
                "Alias",
                CfnAlias {
                    alias_name: Some(format!("alias/{alias}").into()),
                    target_key_id: Some(key.resource.reference()),
                },
            )?;
        }
        Ok(key)
    }

    /// The key's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// What a principal needs to read and write data this key protects.
    pub fn use_statement(&self) -> Statement {
        Statement::allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]).on([self.arn()])
    }
}
