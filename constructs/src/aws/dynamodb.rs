//! DynamoDB: `AWS::DynamoDB::Table` (L1) and [`Table`] (L2: on demand, encrypted with a
//! customer-managed key, point-in-time recovery, kept on deletion and replacement).

use crate::aws::Tag;
use dpc_core::Expr;
use serde::Serialize;

/// `AWS::DynamoDB::Table`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-dynamodb-table.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnTable {
    /// `TableName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub table_name: Option<Expr>,
    /// `AttributeDefinitions`: every attribute used in a key of the table or an index.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub attribute_definitions: Vec<AttributeDefinition>,
    /// `KeySchema`: partition key, then optional sort key.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub key_schema: Vec<KeySchemaElement>,
    /// `BillingMode`: `PAY_PER_REQUEST` or `PROVISIONED`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub billing_mode: Option<String>,
    /// `GlobalSecondaryIndexes`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub global_secondary_indexes: Vec<GlobalSecondaryIndex>,
    /// `PointInTimeRecoverySpecification`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub point_in_time_recovery_specification: Option<PointInTimeRecoverySpecification>,
    /// `SSESpecification`.
    #[serde(rename = "SSESpecification", skip_serializing_if = "Option::is_none")]
    pub sse_specification: Option<SseSpecification>,
    /// `TimeToLiveSpecification`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time_to_live_specification: Option<TimeToLiveSpecification>,
    /// `DeletionProtectionEnabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deletion_protection_enabled: Option<bool>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::DynamoDB::Table.AttributeDefinition`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeDefinition {
    /// `AttributeName`.
    pub attribute_name: String,
    /// `AttributeType`: `S`, `N` or `B`.
    pub attribute_type: String,
}

/// `AWS::DynamoDB::Table.KeySchema`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct KeySchemaElement {
    /// `AttributeName`.
    pub attribute_name: String,
    /// `KeyType`: `HASH` or `RANGE`.
    pub key_type: String,
}

/// `AWS::DynamoDB::Table.GlobalSecondaryIndex`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GlobalSecondaryIndex {
    /// `IndexName`.
    pub index_name: String,
    /// `KeySchema`.
    pub key_schema: Vec<KeySchemaElement>,
    /// `Projection`.
    pub projection: Projection,
}

/// `AWS::DynamoDB::Table.Projection`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Projection {
    /// `ProjectionType`: `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection_type: String,
    /// `NonKeyAttributes` (with `INCLUDE`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub non_key_attributes: Vec<String>,
}

/// `AWS::DynamoDB::Table.PointInTimeRecoverySpecification`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PointInTimeRecoverySpecification {
    /// `PointInTimeRecoveryEnabled`.
    pub point_in_time_recovery_enabled: bool,
}

/// `AWS::DynamoDB::Table.SSESpecification`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SseSpecification {
    /// `SSEEnabled`.
    #[serde(rename = "SSEEnabled")]
    pub sse_enabled: bool,
    /// `SSEType`: `KMS`.
    #[serde(rename = "SSEType", skip_serializing_if = "Option::is_none")]
    pub sse_type: Option<String>,
    /// `KMSMasterKeyId`: a customer-managed key.
    #[serde(rename = "KMSMasterKeyId", skip_serializing_if = "Option::is_none")]
    pub kms_master_key_id: Option<Expr>,
}

/// `AWS::DynamoDB::Table.TimeToLiveSpecification`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TimeToLiveSpecification {
    /// `AttributeName`: a number attribute holding the expiry time in epoch seconds.
    pub attribute_name: String,
    /// `Enabled`.
    pub enabled: bool,
}

crate::aws::cfn_type!(CfnTable, "AWS::DynamoDB::Table");
