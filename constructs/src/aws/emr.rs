//! EMR: `AWS::EMR::SecurityConfiguration` (L1) and [`SecurityConfiguration`] (L2, encryption
//! settings as typed Rust).

use dpc_core::Expr;
use serde::Serialize;

/// `AWS::EMR::SecurityConfiguration`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-emr-securityconfiguration.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnSecurityConfiguration {
    /// `Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `SecurityConfiguration`: the configuration JSON.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub security_configuration: Option<serde_json::Value>,
}

crate::aws::cfn_type!(CfnSecurityConfiguration, "AWS::EMR::SecurityConfiguration");
