//! DynamoDB: `AWS::DynamoDB::Table` (L1) and [`Table`] (L2: on demand, encrypted with a
//! customer-managed key, point-in-time recovery, kept on deletion and replacement).

use crate::aws::Tag;
use crate::aws::codes;
use crate::aws::iam::Statement;
use dpc_core::{Diagnostic, Expr, ResourceOptions, ResourceRef, Scope};
use indexmap::IndexMap;
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
    /// `LocalSecondaryIndexes`: same partition key, another sort key (only at creation).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub local_secondary_indexes: Vec<LocalSecondaryIndex>,
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

/// `AWS::DynamoDB::Table.LocalSecondaryIndex`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LocalSecondaryIndex {
    /// `IndexName`.
    pub index_name: String,
    /// `KeySchema`: the table's partition key, then the index's sort key.
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

/// The type of a key attribute.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttributeType {
    /// `S`.
    String,
    /// `N`.
    Number,
}

impl AttributeType {
    fn as_str(self) -> &'static str {
        match self {
            AttributeType::String => "S",
            AttributeType::Number => "N",
        }
    }
}

/// A key attribute: its name and type.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyAttribute {
    /// The attribute's name.
    pub name: String,
    /// Its type.
    pub kind: AttributeType,
}

impl KeyAttribute {
    /// A string key attribute.
    pub fn string(name: &str) -> KeyAttribute {
        KeyAttribute {
            name: name.to_owned(),
            kind: AttributeType::String,
        }
    }
}

/// A secondary index. With `global: false` it is a local index: it shares the table's
/// partition key and only sets `sort_key`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Index {
    /// The index's name.
    pub name: String,
    /// Global (own partition key) or local (the table's).
    pub global: bool,
    /// The partition key of a global index (ignored for local ones).
    pub partition_key: Option<KeyAttribute>,
    /// The sort key.
    pub sort_key: Option<KeyAttribute>,
}

/// What a [`Table`] is made of.
#[derive(Clone, Debug)]
pub struct TableProps {
    /// The table's name: other stacks and the runtime find it by name.
    pub name: String,
    /// The partition key.
    pub partition_key: KeyAttribute,
    /// The sort key.
    pub sort_key: Option<KeyAttribute>,
    /// Secondary indexes (all attributes projected).
    pub indexes: Vec<Index>,
    /// The number attribute holding each item's expiry time (epoch seconds), if items
    /// expire.
    pub ttl_attribute: Option<String>,
    /// The customer-managed key that encrypts the table.
    pub key_arn: Expr,
}

/// A DynamoDB table (`AWS::DynamoDB::Table`, child `Resource`): on-demand, encrypted with a
/// customer-managed key, point-in-time recovery on, deletion protection on, and retained
/// when deleted from the stack or replaced: what it holds outlives any deployment.
#[derive(Clone, Debug)]
pub struct Table {
    resource: ResourceRef,
    index_names: Vec<String>,
}

impl Table {
    /// Adds the table under `scope/id`.
    ///
    /// # Errors
    /// `DM0321` when a key attribute is used with two types or an index lacks a key.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: TableProps) -> Result<Table, Diagnostic> {
        let mut scope = scope.child(id)?;
        let path = scope.path();
        let invalid = |message: String| {
            Diagnostic::error(codes::INVALID_TABLE, message).in_construct(path.clone())
        };
        let mut attributes: IndexMap<String, AttributeType> = IndexMap::new();
        let mut define = |key: &KeyAttribute| -> Result<(), Diagnostic> {
            match attributes.get(&key.name) {
                Some(kind) if *kind != key.kind => Err(invalid(format!(
                    "key attribute `{}` is used with two types",
                    key.name
                ))),
                Some(_) => Ok(()),
                None => {
                    attributes.insert(key.name.clone(), key.kind);
                    Ok(())
                }
            }
        };
        define(&props.partition_key)?;
        if let Some(sort) = &props.sort_key {
            define(sort)?;
        }
        let schema = |hash: &KeyAttribute, range: Option<&KeyAttribute>| {
            let mut keys = vec![KeySchemaElement {
                attribute_name: hash.name.clone(),
                key_type: "HASH".to_owned(),
            }];
            if let Some(range) = range {
                keys.push(KeySchemaElement {
                    attribute_name: range.name.clone(),
                    key_type: "RANGE".to_owned(),
                });
            }
            keys
        };
        let all = || Projection {
            projection_type: "ALL".to_owned(),
            non_key_attributes: Vec::new(),
        };
        let mut global = Vec::new();
        let mut local = Vec::new();
        for index in &props.indexes {
            if index.global {
                let Some(hash) = &index.partition_key else {
                    return Err(invalid(format!(
                        "global index `{}` has no partition key",
                        index.name
                    )));
                };
                define(hash)?;
                if let Some(sort) = &index.sort_key {
                    define(sort)?;
                }
                global.push(GlobalSecondaryIndex {
                    index_name: index.name.clone(),
                    key_schema: schema(hash, index.sort_key.as_ref()),
                    projection: all(),
                });
            } else {
                let Some(sort) = &index.sort_key else {
                    return Err(invalid(format!(
                        "local index `{}` has no sort key",
                        index.name
                    )));
                };
                define(sort)?;
                local.push(LocalSecondaryIndex {
                    index_name: index.name.clone(),
                    key_schema: schema(&props.partition_key, Some(sort)),
                    projection: all(),
                });
            }
        }
        let table = CfnTable {
            table_name: Some(props.name.into()),
            attribute_definitions: attributes
                .into_iter()
                .map(|(name, kind)| AttributeDefinition {
                    attribute_name: name,
                    attribute_type: kind.as_str().to_owned(),
                })
                .collect(),
            key_schema: schema(&props.partition_key, props.sort_key.as_ref()),
            billing_mode: Some("PAY_PER_REQUEST".to_owned()),
            global_secondary_indexes: global,
            local_secondary_indexes: local,
            point_in_time_recovery_specification: Some(PointInTimeRecoverySpecification {
                point_in_time_recovery_enabled: true,
            }),
            sse_specification: Some(SseSpecification {
                sse_enabled: true,
                sse_type: Some("KMS".to_owned()),
                kms_master_key_id: Some(props.key_arn),
            }),
            time_to_live_specification: props.ttl_attribute.map(|attribute_name| {
                TimeToLiveSpecification {
                    attribute_name,
                    enabled: true,
                }
            }),
            deletion_protection_enabled: Some(true),
            tags: Vec::new(),
        };
        let resource = scope.add_resource_with_options(
            "Resource",
            table,
            crate::aws::retained(ResourceOptions::default()),
        )?;
        Ok(Table {
            resource,
            index_names: props.indexes.into_iter().map(|i| i.name).collect(),
        })
    }

    /// The table's name.
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The table's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The ARNs a statement needs to reach the table and each of its indexes.
    fn arns(&self) -> Vec<Expr> {
        let mut arns = vec![self.arn()];
        arns.extend(
            self.index_names.iter().map(|index| {
                Expr::sub_with(format!("${{Arn}}/index/{index}"), [("Arn", self.arn())])
            }),
        );
        arns
    }

    /// Reading items and querying the table and its indexes.
    pub fn read_statement(&self) -> Statement {
        Statement::allow(["dynamodb:GetItem", "dynamodb:Query"]).on(self.arns())
    }

    /// Reading and writing items (conditional writes included) and querying.
    pub fn read_write_statement(&self) -> Statement {
        Statement::allow([
            "dynamodb:GetItem",
            "dynamodb:Query",
            "dynamodb:PutItem",
            "dynamodb:UpdateItem",
            "dynamodb:DeleteItem",
            "dynamodb:ConditionCheckItem",
        ])
        .on(self.arns())
    }
}
