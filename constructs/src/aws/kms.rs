//! KMS: `AWS::KMS::Key`, `AWS::KMS::Alias` (L1) and [`Key`] (L2: rotation on, a key policy
//! that delegates to IAM in its own account and lets the services dpc uses encrypt with it).

use crate::aws::Tag;
use crate::aws::iam::PolicyDocument;
use dpc_core::{Expr, Val};
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
