//! Resources: the typed-L1 trait, the raw escape hatch, the resource as the tree stores
//! it (type, JSON properties, attributes), and the [`ResourceRef`] handle constructs pass
//! around to wire resources together.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::expr::Expr;
use crate::tree::{NodeId, StackId};
use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

/// A typed CloudFormation resource (an L1): its properties as a serde struct, and its type.
///
/// ```
/// use dpc_core::CfnResource;
/// #[derive(serde::Serialize, Default)]
/// #[serde(rename_all = "PascalCase")]
/// struct CfnTopic {
///     #[serde(skip_serializing_if = "Option::is_none")]
///     topic_name: Option<String>,
/// }
/// impl CfnResource for CfnTopic {
///     const TYPE: &'static str = "AWS::SNS::Topic";
/// }
/// ```
pub trait CfnResource: Serialize {
    /// The CloudFormation type name, e.g. `AWS::SNS::Topic`.
    const TYPE: &'static str;
}

/// An untyped resource: any type name with properties as JSON. The escape hatch for
/// types no L1 struct covers yet.
#[derive(Clone, Debug, PartialEq)]
pub struct RawResource {
    /// The CloudFormation type name, e.g. `AWS::SQS::Queue`.
    pub type_name: String,
    /// The `Properties` object (`null` or `{}` for none).
    pub properties: Value,
}

impl RawResource {
    /// A raw resource of `type_name` with `properties`.
    pub fn new(type_name: impl Into<String>, properties: Value) -> Self {
        RawResource {
            type_name: type_name.into(),
            properties,
        }
    }
}

/// What [`Scope::add_resource`](crate::Scope::add_resource) accepts: every [`CfnResource`]
/// and [`RawResource`]. Turns the value into its type name and JSON properties.
pub trait IntoResource {
    /// The type name and the properties object, or why the value is not one.
    fn into_type_and_properties(self) -> Result<(String, Map<String, Value>), String>;
}

impl<T: CfnResource> IntoResource for T {
    fn into_type_and_properties(self) -> Result<(String, Map<String, Value>), String> {
        let value = serde_json::to_value(&self).map_err(|e| e.to_string())?;
        Ok((T::TYPE.to_owned(), properties_object(value)?))
    }
}

impl IntoResource for RawResource {
    fn into_type_and_properties(self) -> Result<(String, Map<String, Value>), String> {
        Ok((self.type_name, properties_object(self.properties)?))
    }
}

fn properties_object(value: Value) -> Result<Map<String, Value>, String> {
    match value {
        Value::Object(map) => Ok(map),
        Value::Null => Ok(Map::new()),
        other => Err(format!("properties must be a JSON object, found `{other}`")),
    }
}

/// What CloudFormation does with a resource's physical resource when the resource is
/// deleted (`DeletionPolicy`) or replaced (`UpdateReplacePolicy`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum DeletionPolicy {
    /// Delete it (CloudFormation's default for most types).
    Delete,
    /// Keep it, outside the stack.
    Retain,
    /// Keep it, except when the stack operation that created it is rolled back.
    RetainExceptOnCreate,
    /// Snapshot it, then delete it (types that support snapshots).
    Snapshot,
}

impl DeletionPolicy {
    /// The policy as CloudFormation spells it.
    pub fn as_str(self) -> &'static str {
        match self {
            DeletionPolicy::Delete => "Delete",
            DeletionPolicy::Retain => "Retain",
            DeletionPolicy::RetainExceptOnCreate => "RetainExceptOnCreate",
            DeletionPolicy::Snapshot => "Snapshot",
        }
    }
}

impl Serialize for DeletionPolicy {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A resource's CloudFormation attributes other than its properties.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceOptions {
    /// `DependsOn`: logical ids of resources of the same stack to create first.
    pub depends_on: Vec<String>,
    /// `Condition`: the template condition that decides whether the resource exists.
    pub condition: Option<String>,
    /// `DeletionPolicy`.
    pub deletion_policy: Option<DeletionPolicy>,
    /// `UpdateReplacePolicy`.
    pub update_replace_policy: Option<DeletionPolicy>,
    /// `Metadata`: free-form JSON attached to the resource.
    pub metadata: Map<String, Value>,
}

/// A resource in the tree: its type, its properties as JSON and its attributes. Constructs
/// reach it through [`Scope::resource_mut`](crate::Scope::resource_mut), aspects through
/// [`NodeView::resource_mut`](crate::NodeView::resource_mut).
#[derive(Clone, Debug, PartialEq)]
pub struct Resource {
    logical_id: String,
    /// The CloudFormation type name.
    pub type_name: String,
    /// The `Properties` object.
    pub properties: Map<String, Value>,
    /// `DependsOn`, `Condition`, policies and `Metadata`.
    pub options: ResourceOptions,
}

impl Resource {
    pub(crate) fn new(
        logical_id: String,
        type_name: String,
        properties: Map<String, Value>,
        options: ResourceOptions,
    ) -> Self {
        Resource {
            logical_id,
            type_name,
            properties,
            options,
        }
    }

    /// The logical id, fixed when the resource was added.
    pub fn logical_id(&self) -> &str {
        &self.logical_id
    }

    /// Makes this resource depend on `other` (same stack), once.
    pub fn add_depends_on(&mut self, other: &ResourceRef) -> &mut Self {
        if !self
            .options
            .depends_on
            .iter()
            .any(|d| d == other.logical_id())
        {
            self.options.depends_on.push(other.logical_id().to_owned());
        }
        self
    }

    /// Sets the `Condition` attribute to a template condition's logical id.
    pub fn set_condition(&mut self, condition: impl Into<String>) -> &mut Self {
        self.options.condition = Some(condition.into());
        self
    }

    /// Sets `DeletionPolicy`.
    pub fn set_deletion_policy(&mut self, policy: DeletionPolicy) -> &mut Self {
        self.options.deletion_policy = Some(policy);
        self
    }

    /// Sets `UpdateReplacePolicy`.
    pub fn set_update_replace_policy(&mut self, policy: DeletionPolicy) -> &mut Self {
        self.options.update_replace_policy = Some(policy);
        self
    }

    /// Merges `value` into `Metadata[key]`: objects merge key by key (recursively),
    /// anything else replaces what was there.
    pub fn add_metadata(&mut self, key: impl Into<String>, value: Value) -> &mut Self {
        let key = key.into();
        match self.options.metadata.get_mut(&key) {
            Some(existing) => deep_merge(existing, value),
            None => {
                self.options.metadata.insert(key, value);
            }
        }
        self
    }

    /// Sets the property at a dotted `path` (`"Code.S3Key"`, `"Tags.0.Value"`) to `value`,
    /// creating missing objects on the way: the CDK's `addPropertyOverride`. A literal dot
    /// in a key is written `\.`. Going through a value that is neither object nor array,
    /// or past the end of an array, is an error.
    pub fn override_property(&mut self, path: &str, value: Value) -> Result<&mut Self, Diagnostic> {
        let keys = split_path(path).map_err(|m| self.path_error(path, &m))?;
        let mut root = Value::Object(std::mem::take(&mut self.properties));
        let result = set_path(&mut root, &keys, value);
        if let Value::Object(map) = root {
            self.properties = map;
        }
        result.map_err(|m| self.path_error(path, &m))?;
        Ok(self)
    }

    /// Removes the property at a dotted `path` (the CDK's `addPropertyDeletionOverride`);
    /// removing something that is not there is not an error.
    pub fn delete_property(&mut self, path: &str) -> Result<&mut Self, Diagnostic> {
        let keys = split_path(path).map_err(|m| self.path_error(path, &m))?;
        let Some((last, parents)) = keys.split_last() else {
            return Err(self.path_error(path, "the path is empty"));
        };
        let mut cursor = &mut self.properties;
        for key in parents {
            cursor = match cursor.get_mut(key) {
                Some(Value::Object(map)) => map,
                _ => return Ok(self),
            };
        }
        cursor.shift_remove(last);
        Ok(self)
    }

    fn path_error(&self, path: &str, why: &str) -> Diagnostic {
        Diagnostic::error(
            codes::INVALID_PROPERTIES,
            format!(
                "cannot override property `{path}` of `{}`: {why}",
                self.logical_id
            ),
        )
    }
}

fn deep_merge(into: &mut Value, from: Value) {
    match (into, from) {
        (Value::Object(into), Value::Object(from)) => {
            for (k, v) in from {
                match into.get_mut(&k) {
                    Some(existing) => deep_merge(existing, v),
                    None => {
                        into.insert(k, v);
                    }
                }
            }
        }
        (into, from) => *into = from,
    }
}

fn set_path(root: &mut Value, keys: &[String], value: Value) -> Result<(), String> {
    let Some((last, parents)) = keys.split_last() else {
        return Err("the path is empty".to_owned());
    };
    let mut cursor = root;
    for key in parents {
        cursor = match cursor {
            Value::Object(map) => map
                .entry(key.clone())
                .or_insert_with(|| Value::Object(Map::new())),
            Value::Array(items) => array_slot(items, key)?,
            _ => {
                return Err(format!(
                    "`{key}` is inside a value that is neither object nor array"
                ));
            }
        };
    }
    match cursor {
        Value::Object(map) => {
            map.insert(last.clone(), value);
        }
        Value::Array(items) => *array_slot(items, last)? = value,
        _ => {
            return Err(format!(
                "`{last}` is inside a value that is neither object nor array"
            ));
        }
    }
    Ok(())
}

fn array_slot<'v>(items: &'v mut [Value], key: &str) -> Result<&'v mut Value, String> {
    let len = items.len();
    key.parse::<usize>()
        .ok()
        .and_then(|i| items.get_mut(i))
        .ok_or_else(|| format!("`{key}` is not an index of a list of {len}"))
}

fn split_path(path: &str) -> Result<Vec<String>, String> {
    let mut keys = vec![String::new()];
    let mut chars = path.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.next() {
                Some(escaped) => keys.last_mut().into_iter().for_each(|k| k.push(escaped)),
                None => return Err("the path ends with `\\`".to_owned()),
            },
            '.' => keys.push(String::new()),
            c => keys.last_mut().into_iter().for_each(|k| k.push(c)),
        }
    }
    if keys.iter().any(String::is_empty) {
        return Err("the path has an empty key".to_owned());
    }
    Ok(keys)
}

/// A handle to a resource: what constructs keep and pass around instead of borrows.
/// Its logical id is final, so its expressions can be used right away.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResourceRef {
    pub(crate) node: NodeId,
    pub(crate) stack: StackId,
    pub(crate) logical_id: String,
    pub(crate) type_name: String,
}

impl ResourceRef {
    /// `{"Ref": logical_id}`: the resource's reference value (name, id or ARN, per type).
    pub fn reference(&self) -> Expr {
        Expr::Ref(self.logical_id.clone())
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    pub fn attr(&self, attribute: &str) -> Expr {
        Expr::GetAtt(self.logical_id.clone(), attribute.to_owned())
    }

    /// The resource's logical id.
    pub fn logical_id(&self) -> &str {
        &self.logical_id
    }

    /// The resource's CloudFormation type name when it was added.
    pub fn type_name(&self) -> &str {
        &self.type_name
    }

    /// The stack the resource belongs to.
    pub fn stack(&self) -> StackId {
        self.stack
    }

    /// The resource's node in the tree.
    pub fn node(&self) -> NodeId {
        self.node
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn resource(props: Value) -> Resource {
        let Value::Object(map) = props else {
            panic!("object expected")
        };
        Resource::new(
            "Fn".into(),
            "AWS::Lambda::Function".into(),
            map,
            ResourceOptions::default(),
        )
    }

    #[test]
    fn override_creates_missing_objects_and_replaces_values() {
        let mut r = resource(json!({"Code": {"S3Bucket": "b"}}));
        r.override_property("Code.S3Key", json!("k.zip")).unwrap();
        r.override_property("Environment.Variables.A\\.B", json!("1"))
            .unwrap();
        assert_eq!(
            Value::Object(r.properties.clone()),
            json!({"Code": {"S3Bucket": "b", "S3Key": "k.zip"}, "Environment": {"Variables": {"A.B": "1"}}})
        );
    }

    #[test]
    fn override_through_a_scalar_is_an_error() {
        let mut r = resource(json!({"Code": "inline"}));
        let err = r.override_property("Code.S3Key", json!("k")).unwrap_err();
        assert_eq!(err.code, codes::INVALID_PROPERTIES);
        assert!(
            err.message
                .contains("`S3Key` is inside a value that is neither"),
            "{}",
            err.message
        );
        assert_eq!(
            Value::Object(r.properties.clone()),
            json!({"Code": "inline"})
        );
        assert!(r.override_property("", json!(1)).is_err());
        assert!(r.override_property("A..B", json!(1)).is_err());
    }

    #[test]
    fn override_indexes_into_lists() {
        let mut r = resource(json!({"Tags": [{"Key": "a", "Value": "1"}]}));
        r.override_property("Tags.0.Value", json!("2")).unwrap();
        assert_eq!(r.properties["Tags"], json!([{"Key": "a", "Value": "2"}]));
        let err = r.override_property("Tags.1.Value", json!("3")).unwrap_err();
        assert!(
            err.message.contains("`1` is not an index of a list of 1"),
            "{}",
            err.message
        );
    }

    #[test]
    fn delete_and_metadata_merge() {
        let mut r = resource(json!({"A": {"B": 1, "C": 2}}));
        r.delete_property("A.B")
            .unwrap()
            .delete_property("X.Y")
            .unwrap();
        assert_eq!(Value::Object(r.properties.clone()), json!({"A": {"C": 2}}));
        r.add_metadata("cfn_nag", json!({"rules": ["W1"]}));
        r.add_metadata("cfn_nag", json!({"reason": "x"}));
        assert_eq!(
            r.options.metadata["cfn_nag"],
            json!({"rules": ["W1"], "reason": "x"})
        );
    }
}
