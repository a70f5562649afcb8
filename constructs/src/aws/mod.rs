//! Typed CloudFormation resources (L1) and constructs with secure defaults (L2), one module per AWS service.
//!
//! L1 structs (`Cfn*`, in each service's `cfn` module) are data only: one field per
//! CloudFormation property, `None`/empty fields left out of the template. L2 constructs own
//! the defaults a reviewer expects (encryption, retention, least-privilege roles) and validate
//! what they can before anything is rendered.

pub mod apigateway;
pub mod cloudwatch;
pub mod dynamodb;
pub mod ec2;
pub mod emr;
pub mod events;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod s3;
pub mod secretsmanager;
pub mod sns;
pub mod sqs;
pub mod ssm;

use dpc_core::Expr;
use serde::Serialize;

/// A resource tag, `{"Key": ..., "Value": ...}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Tag {
    /// `Key`.
    pub key: String,
    /// `Value`.
    pub value: Expr,
}

impl Tag {
    /// A tag with a literal or computed value.
    pub fn new(key: impl Into<String>, value: impl Into<Expr>) -> Tag {
        Tag {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// Declares the CloudFormation resource type of an L1 struct.
macro_rules! cfn_type {
    ($t:ty, $name:literal) => {
        impl $t {
            /// The CloudFormation resource type this struct renders.
            pub const TYPE: &'static str = $name;
        }
    };
}
pub(crate) use cfn_type;
