//! CloudFormation intrinsic functions as a typed value.
//!
//! An [`Expr`] serialises (with serde) to exactly the JSON CloudFormation expects:
//! `Expr::get_att("Fn", "Arn")` becomes `{"Fn::GetAtt":["Fn","Arn"]}`, a pseudo parameter
//! becomes `{"Ref":"AWS::Region"}`, a literal string stays a string. Properties of typed
//! resources hold `Expr`s (or [`Val`](crate::Val)s), so wiring one resource to another is
//! ordinary Rust, never string pasting.
//!
//! The constructors fold constants the way the CDK's `Fn` does: joining literals gives a
//! literal, and a `Fn::Sub` without variables serialises in its short string form.

use indexmap::IndexMap;
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Serialize, Serializer};
use std::fmt;

/// A CloudFormation value: an intrinsic function, a pseudo parameter, or a literal.
///
/// Build them with the constructors ([`Expr::reference`], [`Expr::get_att`], [`Expr::sub`],
/// [`Expr::join`], ...) or from literals (`Expr::from("text")`, `Expr::from(json!(5))`).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Expr {
    /// `{"Ref": "LogicalId"}`: a resource's or parameter's reference value.
    Ref(String),
    /// `{"Fn::GetAtt": ["LogicalId", "Attribute"]}`: an attribute of a resource.
    #[serde(rename = "Fn::GetAtt")]
    GetAtt(String, String),
    /// `{"Fn::Join": ["delimiter", [parts...]]}`.
    #[serde(rename = "Fn::Join")]
    Join(String, Vec<Expr>),
    /// `{"Fn::Sub": "template"}`, or `{"Fn::Sub": ["template", {variables}]}` when there are
    /// variables.
    #[serde(rename = "Fn::Sub", serialize_with = "serialize_sub")]
    Sub(String, IndexMap<String, Expr>),
    /// `{"Fn::Select": [index, list]}`.
    #[serde(rename = "Fn::Select")]
    Select(u32, Box<Expr>),
    /// `{"Fn::Split": ["delimiter", source]}`.
    #[serde(rename = "Fn::Split")]
    Split(String, Box<Expr>),
    /// `{"Fn::If": ["ConditionName", value_if_true, value_if_false]}`.
    #[serde(rename = "Fn::If")]
    If(String, Box<Expr>, Box<Expr>),
    /// `{"Fn::Equals": [a, b]}` (only valid inside conditions).
    #[serde(rename = "Fn::Equals")]
    Equals(Box<Expr>, Box<Expr>),
    /// `{"Fn::And": [conditions...]}` (only valid inside conditions).
    #[serde(rename = "Fn::And")]
    And(Vec<Expr>),
    /// `{"Fn::Or": [conditions...]}` (only valid inside conditions).
    #[serde(rename = "Fn::Or")]
    Or(Vec<Expr>),
    /// `{"Fn::Not": [condition]}` (only valid inside conditions).
    #[serde(rename = "Fn::Not", serialize_with = "serialize_not")]
    Not(Box<Expr>),
    /// `{"Condition": "ConditionName"}`: a reference to a named condition inside a condition.
    Condition(String),
    /// `{"Fn::GetAZs": region}`; an empty string means the stack's region.
    #[serde(rename = "Fn::GetAZs")]
    GetAZs(Box<Expr>),
    /// `{"Fn::Base64": value}`.
    #[serde(rename = "Fn::Base64")]
    Base64(Box<Expr>),
    /// `{"Ref": "AWS::Region"}` and the other pseudo parameters.
    #[serde(untagged)]
    Pseudo(Pseudo),
    /// A literal string.
    #[serde(untagged)]
    Str(String),
    /// Any other literal JSON (numbers, booleans, lists, objects), passed through unchanged.
    #[serde(untagged)]
    Json(serde_json::Value),
}

/// A CloudFormation pseudo parameter; serialises as `{"Ref": "AWS::..."}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Pseudo {
    /// `AWS::AccountId`: the account the stack is deployed in.
    AccountId,
    /// `AWS::Region`: the region the stack is deployed in.
    Region,
    /// `AWS::Partition`: `aws`, `aws-cn`, `aws-us-gov`, ...
    Partition,
    /// `AWS::StackName`: the stack's name.
    StackName,
    /// `AWS::StackId`: the stack's ARN.
    StackId,
    /// `AWS::URLSuffix`: `amazonaws.com` (or the partition's suffix).
    UrlSuffix,
    /// `AWS::NoValue`: removes the property it is assigned to (useful in `Fn::If`).
    NoValue,
}

impl Pseudo {
    /// The parameter's name as CloudFormation spells it, e.g. `AWS::Region`.
    pub fn name(self) -> &'static str {
        match self {
            Pseudo::AccountId => "AWS::AccountId",
            Pseudo::Region => "AWS::Region",
            Pseudo::Partition => "AWS::Partition",
            Pseudo::StackName => "AWS::StackName",
            Pseudo::StackId => "AWS::StackId",
            Pseudo::UrlSuffix => "AWS::URLSuffix",
            Pseudo::NoValue => "AWS::NoValue",
        }
    }
}

impl Serialize for Pseudo {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry("Ref", self.name())?;
        map.end()
    }
}

fn serialize_sub<S: Serializer>(
    template: &String,
    vars: &IndexMap<String, Expr>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    if vars.is_empty() {
        serializer.serialize_str(template)
    } else {
        let mut seq = serializer.serialize_seq(Some(2))?;
        seq.serialize_element(template)?;
        seq.serialize_element(vars)?;
        seq.end()
    }
}

// CloudFormation wants `Fn::Not` to take a one-element list, not the bare condition.
fn serialize_not<S: Serializer>(condition: &Expr, serializer: S) -> Result<S::Ok, S::Error> {
    let mut seq = serializer.serialize_seq(Some(1))?;
    seq.serialize_element(condition)?;
    seq.end()
}

impl Expr {
    /// `{"Ref": logical_id}`: the reference value of a resource or parameter in the same stack.
    /// (Prefer [`ResourceRef::reference`](crate::ResourceRef::reference) for resources.)
    pub fn reference(logical_id: impl Into<String>) -> Expr {
        Expr::Ref(logical_id.into())
    }

    /// `{"Fn::GetAtt": [logical_id, attribute]}`.
    pub fn get_att(logical_id: impl Into<String>, attribute: impl Into<String>) -> Expr {
        Expr::GetAtt(logical_id.into(), attribute.into())
    }

    /// `{"Fn::Sub": template}`: `${Name}` refers to a logical id or `AWS::` pseudo parameter
    /// of the same template; `${!Literal}` writes `${Literal}`.
    pub fn sub(template: impl Into<String>) -> Expr {
        Expr::Sub(template.into(), IndexMap::new())
    }

    /// `{"Fn::Sub": [template, {variables}]}`; with no variables this is [`Expr::sub`].
    pub fn sub_with<K: Into<String>>(
        template: impl Into<String>,
        variables: impl IntoIterator<Item = (K, Expr)>,
    ) -> Expr {
        let vars = variables.into_iter().map(|(k, v)| (k.into(), v)).collect();
        Expr::Sub(template.into(), vars)
    }

    /// `{"Fn::Join": [delimiter, parts]}`, folded: neighbouring literal strings are joined
    /// at synth time, and a join of literals only is a literal string.
    pub fn join<P: Into<Expr>>(
        delimiter: impl Into<String>,
        parts: impl IntoIterator<Item = P>,
    ) -> Expr {
        let delimiter = delimiter.into();
        let mut folded: Vec<Expr> = Vec::new();
        for part in parts.into_iter().map(Into::into) {
            match (folded.last_mut(), part) {
                (Some(Expr::Str(prev)), Expr::Str(next)) => {
                    prev.push_str(&delimiter);
                    prev.push_str(&next);
                }
                (_, part) => folded.push(part),
            }
        }
        match folded.len() {
            0 => Expr::Str(String::new()),
            1 if matches!(folded[0], Expr::Str(_)) => folded.remove(0),
            _ => Expr::Join(delimiter, folded),
        }
    }

    /// `{"Fn::Select": [index, list]}`.
    pub fn select(index: u32, list: impl Into<Expr>) -> Expr {
        Expr::Select(index, Box::new(list.into()))
    }

    /// `{"Fn::Split": [delimiter, source]}`.
    pub fn split(delimiter: impl Into<String>, source: impl Into<Expr>) -> Expr {
        Expr::Split(delimiter.into(), Box::new(source.into()))
    }

    /// `{"Fn::If": [condition, if_true, if_false]}`; `condition` names a template condition.
    pub fn if_(
        condition: impl Into<String>,
        if_true: impl Into<Expr>,
        if_false: impl Into<Expr>,
    ) -> Expr {
        Expr::If(
            condition.into(),
            Box::new(if_true.into()),
            Box::new(if_false.into()),
        )
    }

    /// `{"Fn::Equals": [a, b]}`, for template conditions.
    pub fn equals(a: impl Into<Expr>, b: impl Into<Expr>) -> Expr {
        Expr::Equals(Box::new(a.into()), Box::new(b.into()))
    }

    /// `{"Fn::And": [...]}`, for template conditions.
    pub fn and(conditions: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::And(conditions.into_iter().collect())
    }

    /// `{"Fn::Or": [...]}`, for template conditions.
    pub fn or(conditions: impl IntoIterator<Item = Expr>) -> Expr {
        Expr::Or(conditions.into_iter().collect())
    }

    /// `{"Fn::Not": [condition]}`, for template conditions.
    pub fn not(condition: impl Into<Expr>) -> Expr {
        Expr::Not(Box::new(condition.into()))
    }

    /// `{"Condition": name}`: refers to another template condition inside a condition.
    pub fn condition(name: impl Into<String>) -> Expr {
        Expr::Condition(name.into())
    }

    /// `{"Fn::GetAZs": ""}`: the availability zones of the stack's region.
    pub fn get_azs() -> Expr {
        Expr::GetAZs(Box::new(Expr::Str(String::new())))
    }

    /// `{"Fn::Base64": value}`.
    pub fn base64(value: impl Into<Expr>) -> Expr {
        Expr::Base64(Box::new(value.into()))
    }

    /// A literal JSON value (number, boolean, list, object) passed through as is.
    pub fn json(value: serde_json::Value) -> Expr {
        match value {
            serde_json::Value::String(s) => Expr::Str(s),
            other => Expr::Json(other),
        }
    }

    /// The literal string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Expr::Str(s) => Some(s),
            Expr::Json(serde_json::Value::String(s)) => Some(s),
            _ => None,
        }
    }

    /// The CloudFormation JSON of this value.
    pub fn to_json(&self) -> serde_json::Value {
        // Serialising an Expr cannot fail: every key is a string and every number finite
        // unless a caller put a non-finite float into `Json`, which serde_json cannot hold.
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }
}

impl From<&str> for Expr {
    fn from(s: &str) -> Expr {
        Expr::Str(s.to_owned())
    }
}

impl From<String> for Expr {
    fn from(s: String) -> Expr {
        Expr::Str(s)
    }
}

impl From<&String> for Expr {
    fn from(s: &String) -> Expr {
        Expr::Str(s.clone())
    }
}

impl From<Pseudo> for Expr {
    fn from(p: Pseudo) -> Expr {
        Expr::Pseudo(p)
    }
}

impl From<serde_json::Value> for Expr {
    fn from(v: serde_json::Value) -> Expr {
        Expr::json(v)
    }
}

impl From<&Expr> for Expr {
    fn from(e: &Expr) -> Expr {
        e.clone()
    }
}

impl fmt::Display for Expr {
    /// The compact CloudFormation JSON, for logs and messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_json())
    }
}

/// CloudFormation dynamic references: strings CloudFormation resolves at deploy time, so
/// secret values never appear in a template. Every such string dpc writes is built here.
pub mod dynamic_ref {
    /// `{{resolve:ssm:NAME}}`: the current value of an SSM String parameter.
    pub fn ssm(parameter_name: &str) -> String {
        format!("{{{{resolve:ssm:{parameter_name}}}}}")
    }

    /// `{{resolve:secretsmanager:SECRET:SecretString:KEY}}`: one JSON key of a Secrets
    /// Manager secret's string (the secret is a name or ARN).
    pub fn secrets_manager_key(secret: &str, json_key: &str) -> String {
        format!("{{{{resolve:secretsmanager:{secret}:SecretString:{json_key}}}}}")
    }

    /// `{{resolve:secretsmanager:SECRET}}`: the whole secret string.
    pub fn secrets_manager(secret: &str) -> String {
        format!("{{{{resolve:secretsmanager:{secret}}}}}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes_match_cloudformation() {
        let join = Expr::join(
            "",
            [
                Expr::from("arn:aws:s3:::"),
                Expr::reference("Bucket"),
                Expr::get_att("Fn", "Arn"),
            ],
        );
        assert_eq!(
            join.to_json(),
            json!({"Fn::Join":["",["arn:aws:s3:::",{"Ref":"Bucket"},{"Fn::GetAtt":["Fn","Arn"]}]]})
        );
        assert_eq!(
            Expr::sub_with("${B}-x", [("B", Expr::reference("X"))]).to_json(),
            json!({"Fn::Sub":["${B}-x",{"B":{"Ref":"X"}}]})
        );
        assert_eq!(
            Expr::sub("${AWS::Region}-x").to_json(),
            json!({"Fn::Sub":"${AWS::Region}-x"})
        );
        assert_eq!(
            Expr::select(1, "a").to_json(),
            json!({"Fn::Select":[1,"a"]})
        );
        assert_eq!(
            Expr::select(0, Expr::split(",", Expr::reference("P"))).to_json(),
            json!({"Fn::Select":[0,{"Fn::Split":[",",{"Ref":"P"}]}]})
        );
        assert_eq!(
            Expr::if_("IsProd", "a", Pseudo::NoValue).to_json(),
            json!({"Fn::If":["IsProd","a",{"Ref":"AWS::NoValue"}]})
        );
        assert_eq!(
            Expr::equals(Pseudo::Region, "eu-west-1").to_json(),
            json!({"Fn::Equals":[{"Ref":"AWS::Region"},"eu-west-1"]})
        );
        assert_eq!(
            Expr::not(Expr::condition("IsProd")).to_json(),
            json!({"Fn::Not":[{"Condition":"IsProd"}]})
        );
        assert_eq!(Expr::get_azs().to_json(), json!({"Fn::GetAZs":""}));
        assert_eq!(
            Expr::Pseudo(Pseudo::UrlSuffix).to_json(),
            json!({"Ref":"AWS::URLSuffix"})
        );
        assert_eq!(Expr::from(json!(5)).to_json(), json!(5));
        assert_eq!(
            Expr::from(json!({"a": [true]})).to_json(),
            json!({"a": [true]})
        );
    }

    #[test]
    fn join_folds_literals() {
        assert_eq!(Expr::join("-", ["a", "b", "c"]), Expr::from("a-b-c"));
        assert_eq!(Expr::join::<Expr>("-", []), Expr::from(""));
        assert_eq!(
            Expr::join(
                "",
                [
                    Expr::from("a"),
                    Expr::from("b"),
                    Expr::reference("X"),
                    Expr::from("c")
                ]
            )
            .to_json(),
            json!({"Fn::Join":["",["ab",{"Ref":"X"},"c"]]})
        );
    }

    #[test]
    fn dynamic_references() {
        assert_eq!(
            dynamic_ref::ssm("/dpc/api/url"),
            "{{resolve:ssm:/dpc/api/url}}"
        );
        assert_eq!(
            dynamic_ref::secrets_manager_key("dpc/db", "password"),
            "{{resolve:secretsmanager:dpc/db:SecretString:password}}"
        );
    }
}
