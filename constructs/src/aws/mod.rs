//! Typed CloudFormation resources (L1) and constructs with secure defaults (L2), one module per AWS service.
//!
//! L1 structs (`Cfn*`, in each service's `cfn` module) are data only: one field per
//! CloudFormation property, `None`/empty fields left out of the template. L2 constructs own
//! the defaults a reviewer expects (encryption, retention, least-privilege roles) and validate
//! what they can before anything is rendered.

pub mod apigateway;
pub mod cloudwatch;
pub mod codes;
pub mod dynamodb;
pub mod ec2;
pub mod emr;
pub mod events;
pub mod iam;
pub mod kms;
pub mod lambda;
pub mod logs;
pub mod s3;
pub mod scheduler;
pub mod secretsmanager;
pub mod size;
pub mod sns;
pub mod sqs;
pub mod ssm;

#[cfg(test)]
mod tests;

use dpc_core::{DeletionPolicy, Expr, ResourceOptions};
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
        impl dpc_core::CfnResource for $t {
            const TYPE: &'static str = $name;
        }
    };
}
pub(crate) use cfn_type;

/// A checkov finding dpc accepts on one resource, with the reason a reviewer reads.
/// Written into the resource's `Metadata.checkov.skip`, where checkov looks for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckovSkip {
    /// The check id, e.g. `CKV_AWS_117`.
    pub id: &'static str,
    /// Why the check does not apply or is outweighed.
    pub reason: &'static str,
}

/// Resource options carrying `skips` in `Metadata.checkov.skip` (empty options when none).
pub fn options_with_skips(skips: &[CheckovSkip]) -> ResourceOptions {
    let mut options = ResourceOptions::default();
    if !skips.is_empty() {
        let list: Vec<serde_json::Value> = skips
            .iter()
            .map(|s| serde_json::json!({"id": s.id, "comment": s.reason}))
            .collect();
        options
            .metadata
            .insert("checkov".into(), serde_json::json!({ "skip": list }));
    }
    options
}

/// Options that keep the resource when it is deleted from the stack or replaced: for state
/// that must outlive a stack (tables, keys, buckets).
pub fn retained(mut options: ResourceOptions) -> ResourceOptions {
    options.deletion_policy = Some(DeletionPolicy::Retain);
    options.update_replace_policy = Some(DeletionPolicy::Retain);
    options
}

/// Options that delete the resource with the stack, said explicitly so a reviewer (and
/// cfn-lint's I3011) sees the decision.
pub fn deleted(mut options: ResourceOptions) -> ResourceOptions {
    options.deletion_policy = Some(DeletionPolicy::Delete);
    options.update_replace_policy = Some(DeletionPolicy::Delete);
    options
}
