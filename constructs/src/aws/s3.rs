//! S3: `AWS::S3::Bucket`, `AWS::S3::BucketPolicy` (L1) and [`Bucket`] (L2: KMS-encrypted with
//! a bucket key, public access blocked, objects owned by the bucket owner, versioned, TLS-only).

use crate::aws::iam::{PolicyDocument, Statement};
use crate::aws::{CheckovSkip, Tag};
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope, Val};
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

/// What a [`Bucket`] is made of.
#[derive(Clone, Debug)]
pub struct BucketProps {
    /// The bucket's name (global).
    pub name: String,
    /// The customer-managed key objects are encrypted with (with an S3 bucket key).
    pub key_arn: Expr,
    /// Lifecycle rules, besides the ones every bucket gets (incomplete uploads aborted
    /// after 7 days, old versions expired after `noncurrent_days`).
    pub lifecycle_rules: Vec<LifecycleRule>,
    /// How long a replaced or deleted object version is kept.
    pub noncurrent_days: u32,
    /// Statements to add to the bucket policy (which always refuses requests without TLS).
    pub policy_statements: Vec<Statement>,
}

/// Why dpc's buckets have no S3 server access logging.
pub const ACCESS_LOGS_SKIP: CheckovSkip = CheckovSkip {
    id: "CKV_AWS_18",
    reason: "Server access logs would need another bucket per account that itself goes unlogged; \
             access to this bucket is audited with CloudTrail (data events), which names the \
             IAM principal, unlike access logs.",
};

/// An S3 bucket (`AWS::S3::Bucket`, child `Resource`) with a TLS-only bucket policy
/// (child `Policy`): KMS-encrypted, public access blocked, ACLs off, versioned; retained
/// when deleted from the stack, since it holds artifacts and logs.
#[derive(Clone, Debug)]
pub struct Bucket {
    resource: ResourceRef,
    name: String,
}

impl Bucket {
    /// Adds the bucket and its policy under `scope/id`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: BucketProps) -> Result<Bucket, Diagnostic> {
        let mut scope = scope.child(id)?;
        let mut rules = vec![LifecycleRule {
            id: "expire-old-versions-and-abort-uploads".to_owned(),
            status: "Enabled".to_owned(),
            noncurrent_version_expiration: Some(NoncurrentVersionExpiration {
                noncurrent_days: props.noncurrent_days.into(),
            }),
            abort_incomplete_multipart_upload: Some(AbortIncompleteMultipartUpload {
                days_after_initiation: 7.into(),
            }),
            expired_object_delete_marker: Some(true),
            ..LifecycleRule::default()
        }];
        rules.extend(props.lifecycle_rules);
        let bucket = CfnBucket {
            bucket_name: Some(props.name.clone().into()),
            bucket_encryption: Some(BucketEncryption {
                server_side_encryption_configuration: vec![ServerSideEncryptionRule {
                    server_side_encryption_by_default: ServerSideEncryptionByDefault {
                        sse_algorithm: "aws:kms".to_owned(),
                        kms_master_key_id: Some(props.key_arn),
                    },
                    bucket_key_enabled: Some(true),
                }],
            }),
            public_access_block_configuration: Some(PublicAccessBlockConfiguration::all()),
            ownership_controls: Some(OwnershipControls {
                rules: vec![OwnershipControlsRule {
                    object_ownership: "BucketOwnerEnforced".to_owned(),
                }],
            }),
            versioning_configuration: Some(VersioningConfiguration {
                status: "Enabled".to_owned(),
            }),
            lifecycle_configuration: Some(LifecycleConfiguration { rules }),
            logging_configuration: None,
            tags: Vec::new(),
        };
        let resource = scope.add_resource_with_options(
            "Resource",
            bucket,
            crate::aws::retained(crate::aws::options_with_skips(&[ACCESS_LOGS_SKIP])),
        )?;
        let bucket = Bucket {
            resource,
            name: props.name,
        };
        let mut policy = PolicyDocument::with(props.policy_statements);
        policy.push(Statement::deny_without_tls(
            "s3:*",
            "DenyWithoutTls",
            [bucket.arn(), bucket.objects_arn("*")],
        ));
        scope.add_resource(
            "Policy",
            CfnBucketPolicy {
                bucket: bucket.resource.reference(),
                policy_document: policy,
            },
        )?;
        Ok(bucket)
    }

    /// The bucket's name as given.
    pub fn bucket_name(&self) -> &str {
        &self.name
    }

    /// The bucket's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The ARN of the objects under `pattern` (`logs/*`, `*`).
    pub fn objects_arn(&self, pattern: &str) -> Expr {
        Expr::sub_with(format!("${{Arn}}/{pattern}"), [("Arn", self.arn())])
    }

    /// Reading and writing objects under `prefix` (e.g. `emr/`), and listing them.
    pub fn read_write_statements(&self, prefix: &str) -> Vec<Statement> {
        vec![
            Statement::allow(["s3:GetObject", "s3:PutObject", "s3:DeleteObject"])
                .on([self.objects_arn(&format!("{prefix}*"))]),
            Statement::allow(["s3:ListBucket", "s3:GetBucketLocation"]).on([self.arn()]),
        ]
    }
}
