//! Template elements besides resources: parameters, conditions' bodies and outputs.

use crate::expr::Expr;
use serde::Serialize;
use serde_json::Value;

/// A template parameter (`Parameters` section). Its logical id comes from its construct
/// path, like a resource's; refer to it with `Expr::reference(id)`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Parameter {
    /// `Type`: `String`, `Number`, `CommaDelimitedList`, `AWS::SSM::Parameter::Value<String>`, ...
    #[serde(rename = "Type")]
    pub type_name: String,
    /// `Default`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<Value>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// `AllowedValues`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub allowed_values: Vec<Value>,
    /// `AllowedPattern`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_pattern: Option<String>,
    /// `NoEcho`: hide the value in the console and API.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub no_echo: bool,
}

impl Parameter {
    /// A parameter of `type_name` with nothing else set.
    pub fn new(type_name: impl Into<String>) -> Self {
        Parameter {
            type_name: type_name.into(),
            ..Parameter::default()
        }
    }
}

/// A stack output (`Outputs` section).
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// `Value`.
    pub value: Expr,
    /// `Description`.
    pub description: Option<String>,
    /// `Export.Name`, when other stacks of the account should be able to import it.
    pub export_name: Option<Expr>,
    /// `Condition`: a template condition's logical id.
    pub condition: Option<String>,
}

impl Output {
    /// An output of `value` with nothing else set.
    pub fn new(value: impl Into<Expr>) -> Self {
        Output {
            value: value.into(),
            description: None,
            export_name: None,
            condition: None,
        }
    }

    /// Sets the description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

impl Serialize for Output {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        if let Some(description) = &self.description {
            map.serialize_entry("Description", description)?;
        }
        map.serialize_entry("Value", &self.value)?;
        if let Some(name) = &self.export_name {
            map.serialize_entry("Export", &serde_json::json!({ "Name": name }))?;
        }
        if let Some(condition) = &self.condition {
            map.serialize_entry("Condition", condition)?;
        }
        map.end()
    }
}
