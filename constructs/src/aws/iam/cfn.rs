//! `AWS::IAM::*` resources (L1).

use super::policy::PolicyDocument;
use crate::aws::Tag;
use dpc_core::{Expr, Val};
use serde::Serialize;

/// `AWS::IAM::Role`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-role.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnRole {
    /// `RoleName`: the physical name; a generated name when absent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `AssumeRolePolicyDocument`: the trust policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assume_role_policy_document: Option<PolicyDocument>,
    /// `ManagedPolicyArns`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Expr>,
    /// `Policies`: inline policies, created and deleted with the role.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<InlinePolicy>,
    /// `PermissionsBoundary`: the ARN of the managed policy that bounds the role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions_boundary: Option<Expr>,
    /// `Path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Expr>,
    /// `MaxSessionDuration`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_session_duration: Option<Val<u32>>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// An entry of `AWS::IAM::Role.Policies`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    /// `PolicyName`: unique among the role's inline policies.
    pub policy_name: String,
    /// `PolicyDocument`.
    pub policy_document: PolicyDocument,
}

/// `AWS::IAM::Policy`: an inline policy attached to roles from outside them.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-policy.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnPolicy {
    /// `PolicyName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_name: Option<Expr>,
    /// `PolicyDocument`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<PolicyDocument>,
    /// `Roles`: role names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Expr>,
}

/// `AWS::IAM::ManagedPolicy`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-managedpolicy.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnManagedPolicy {
    /// `ManagedPolicyName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub managed_policy_name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `PolicyDocument`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy_document: Option<PolicyDocument>,
    /// `Roles`: role names the policy is attached to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Expr>,
    /// `Path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Expr>,
}

/// `AWS::IAM::InstanceProfile`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-iam-instanceprofile.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnInstanceProfile {
    /// `InstanceProfileName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance_profile_name: Option<Expr>,
    /// `Roles`: exactly one role name.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<Expr>,
    /// `Path`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<Expr>,
}

crate::aws::cfn_type!(CfnRole, "AWS::IAM::Role");
crate::aws::cfn_type!(CfnPolicy, "AWS::IAM::Policy");
crate::aws::cfn_type!(CfnManagedPolicy, "AWS::IAM::ManagedPolicy");
crate::aws::cfn_type!(CfnInstanceProfile, "AWS::IAM::InstanceProfile");
