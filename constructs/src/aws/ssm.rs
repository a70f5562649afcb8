//! SSM Parameter Store: `AWS::SSM::Parameter` (L1) and [`StringParameter`] (L2). dpc
//! publishes values AWS makes up (security group ids, key ARNs) under `/dpc/` so other stacks
//! of the same account read them with `{{resolve:ssm:...}}` instead of cross-stack references.

use dpc_core::Expr;
use indexmap::IndexMap;
use serde::Serialize;

/// `AWS::SSM::Parameter`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-ssm-parameter.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnParameter {
    /// `Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `Type`: `String` or `StringList` (CloudFormation cannot create `SecureString`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub r#type: Option<String>,
    /// `Value`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `Tier`: `Standard`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tier: Option<String>,
    /// `Tags`: a map, unlike most resources.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub tags: IndexMap<String, String>,
}

crate::aws::cfn_type!(CfnParameter, "AWS::SSM::Parameter");
