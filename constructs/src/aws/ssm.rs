//! SSM Parameter Store: `AWS::SSM::Parameter` (L1) and [`StringParameter`] (L2). dpc
//! publishes values AWS makes up (security group ids, key ARNs) under `/dpc/` so other stacks
//! of the same account read them with `{{resolve:ssm:...}}` instead of cross-stack references.

use dpc_core::{Diagnostic, Expr, ResourceRef, Scope};
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

/// A `String` parameter (`AWS::SSM::Parameter`, child `Resource`) holding a value that is
/// not secret (an id, an ARN, a URL).
#[derive(Clone, Debug)]
pub struct StringParameter {
    resource: ResourceRef,
}

impl StringParameter {
    /// Adds parameter `name` (e.g. `/dpc/emr/primary-security-group-id`) with `value`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: &str,
        value: Expr,
        description: &str,
    ) -> Result<StringParameter, Diagnostic> {
        let mut scope = scope.child(id)?;
        let resource = scope.add_resource(
            "Resource",
            CfnParameter {
                name: Some(name.into()),
                r#type: Some("String".to_owned()),
                value: Some(value),
                description: Some(description.into()),
                tier: Some("Standard".to_owned()),
                tags: IndexMap::new(),
            },
        )?;
        Ok(StringParameter { resource })
    }

    /// The parameter's name.
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }
}
