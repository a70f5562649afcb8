//! S3: `AWS::S3::Bucket`, `AWS::S3::BucketPolicy` (L1) and [`Bucket`] (L2: KMS-encrypted with
//! a bucket key, public access blocked, objects owned by the bucket owner, versioned, TLS-only).

use crate::aws::Tag;
use crate::aws::iam::PolicyDocument;
use dpc_core::{Expr, Val};
use serde::Serialize;

/// `AWS::S3::Bucket`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucket.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnBucket {
    /// `BucketName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_name: Option<Expr>,
    /// `BucketEncryption`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_encryption: Option<BucketEncryption>,
    /// `PublicAccessBlockConfiguration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_access_block_configuration: Option<PublicAccessBlockConfiguration>,
    /// `OwnershipControls`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ownership_controls: Option<OwnershipControls>,
    /// `VersioningConfiguration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub versioning_configuration: Option<VersioningConfiguration>,
    /// `LifecycleConfiguration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lifecycle_configuration: Option<LifecycleConfiguration>,
    /// `LoggingConfiguration`: server access logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_configuration: Option<LoggingConfiguration>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::S3::Bucket.BucketEncryption`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BucketEncryption {
    /// `ServerSideEncryptionConfiguration`.
    pub server_side_encryption_configuration: Vec<ServerSideEncryptionRule>,
}

/// `AWS::S3::Bucket.ServerSideEncryptionRule`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ServerSideEncryptionRule {
    /// `ServerSideEncryptionByDefault`.
    pub server_side_encryption_by_default: ServerSideEncryptionByDefault,
    /// `BucketKeyEnabled`: fewer KMS calls, lower cost.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bucket_key_enabled: Option<bool>,
}

/// `AWS::S3::Bucket.ServerSideEncryptionByDefault`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ServerSideEncryptionByDefault {
    /// `SSEAlgorithm`: `aws:kms` or `AES256`.
    #[serde(rename = "SSEAlgorithm")]
    pub sse_algorithm: String,
    /// `KMSMasterKeyID`.
    #[serde(rename = "KMSMasterKeyID", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
}

/// `AWS::S3::Bucket.PublicAccessBlockConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PublicAccessBlockConfiguration {
    /// `BlockPublicAcls`.
    pub block_public_acls: bool,
    /// `BlockPublicPolicy`.
    pub block_public_policy: bool,
    /// `IgnorePublicAcls`.
    pub ignore_public_acls: bool,
    /// `RestrictPublicBuckets`.
    pub restrict_public_buckets: bool,
}

impl PublicAccessBlockConfiguration {
    /// Everything blocked.
    pub fn all() -> PublicAccessBlockConfiguration {
        PublicAccessBlockConfiguration {
            block_public_acls: true,
            block_public_policy: true,
            ignore_public_acls: true,
            restrict_public_buckets: true,
        }
    }
}

/// `AWS::S3::Bucket.OwnershipControls`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControls {
    /// `Rules`.
    pub rules: Vec<OwnershipControlsRule>,
}

/// `AWS::S3::Bucket.OwnershipControlsRule`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct OwnershipControlsRule {
    /// `ObjectOwnership`: `BucketOwnerEnforced` turns ACLs off.
    pub object_ownership: String,
}

/// `AWS::S3::Bucket.VersioningConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VersioningConfiguration {
    /// `Status`: `Enabled` or `Suspended`.
    pub status: String,
}

/// `AWS::S3::Bucket.LifecycleConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleConfiguration {
    /// `Rules`.
    pub rules: Vec<LifecycleRule>,
}

/// `AWS::S3::Bucket.Rule`: one lifecycle rule.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LifecycleRule {
    /// `Id`.
    pub id: String,
    /// `Status`: `Enabled` or `Disabled`.
    pub status: String,
    /// `Prefix`: the objects the rule applies to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
    /// `ExpirationInDays`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expiration_in_days: Option<Val<u32>>,
    /// `NoncurrentVersionExpiration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub noncurrent_version_expiration: Option<NoncurrentVersionExpiration>,
    /// `AbortIncompleteMultipartUpload`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abort_incomplete_multipart_upload: Option<AbortIncompleteMultipartUpload>,
    /// `ExpiredObjectDeleteMarker`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expired_object_delete_marker: Option<bool>,
}

/// `AWS::S3::Bucket.NoncurrentVersionExpiration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NoncurrentVersionExpiration {
    /// `NoncurrentDays`.
    pub noncurrent_days: Val<u32>,
}

/// `AWS::S3::Bucket.AbortIncompleteMultipartUpload`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AbortIncompleteMultipartUpload {
    /// `DaysAfterInitiation`.
    pub days_after_initiation: Val<u32>,
}

/// `AWS::S3::Bucket.LoggingConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingConfiguration {
    /// `DestinationBucketName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destination_bucket_name: Option<Expr>,
    /// `LogFilePrefix`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_file_prefix: Option<String>,
}

/// `AWS::S3::BucketPolicy`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-s3-bucketpolicy.html>
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnBucketPolicy {
    /// `Bucket`: the bucket's name.
    pub bucket: Expr,
    /// `PolicyDocument`.
    pub policy_document: PolicyDocument,
}

crate::aws::cfn_type!(CfnBucket, "AWS::S3::Bucket");
crate::aws::cfn_type!(CfnBucketPolicy, "AWS::S3::BucketPolicy");
