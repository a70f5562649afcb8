//! EMR: `AWS::EMR::SecurityConfiguration` (L1) and [`SecurityConfiguration`] (L2, encryption
//! settings as typed Rust).

use dpc_core::{Diagnostic, Expr, ResourceRef, Scope};
use serde::Serialize;
use serde_json::json;

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

/// An EMR security configuration (`AWS::EMR::SecurityConfiguration`, child `Resource`)
/// that encrypts at rest with one customer-managed key: EMRFS objects in S3 (SSE-KMS),
/// local disks and EBS volumes.
///
/// In-transit encryption stays off: EMR on EC2 turns it on only with a TLS certificate
/// provider (a zip of PEM files in S3 or a custom Java class), i.e. with certificates the
/// user owns. Traffic between EMRFS and S3 uses TLS regardless.
#[derive(Clone, Debug)]
pub struct SecurityConfiguration {
    resource: ResourceRef,
}

impl SecurityConfiguration {
    /// Adds the configuration named `name`, encrypting with `key_arn`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: &str,
        key_arn: Expr,
    ) -> Result<SecurityConfiguration, Diagnostic> {
        let mut scope = scope.child(id)?;
        let configuration = json!({
            "EncryptionConfiguration": {
                "EnableAtRestEncryption": true,
                "EnableInTransitEncryption": false,
                "AtRestEncryptionConfiguration": {
                    "S3EncryptionConfiguration": {
                        "EncryptionMode": "SSE-KMS",
                        "AwsKmsKey": key_arn.to_json(),
                    },
                    "LocalDiskEncryptionConfiguration": {
                        "EncryptionKeyProviderType": "AwsKms",
                        "AwsKmsKey": key_arn.to_json(),
                        "EnableEbsEncryption": true,
                    },
                },
            },
        });
        let resource = scope.add_resource(
            "Resource",
            CfnSecurityConfiguration {
                name: Some(name.into()),
                security_configuration: Some(configuration),
            },
        )?;
        Ok(SecurityConfiguration { resource })
    }

    /// The configuration's name.
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }
}
