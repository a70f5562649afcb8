//! Typed EventBridge event patterns.
//!
//! An [`EventPattern`] is one level of the pattern object: named fields, each either a list
//! of [`Matcher`]s or a nested level, plus an optional `$or` of alternative levels. It
//! serialises to the JSON EventBridge reads; values may be intrinsics (CloudFormation resolves
//! them inside the `EventPattern` property).

use dpc_core::Expr;
use indexmap::IndexMap;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

/// EventBridge's default limit on an event pattern's length, in characters.
pub const MAX_PATTERN_CHARS: usize = 2048;

/// One way a value may match.
#[derive(Clone, Debug, PartialEq)]
pub enum Matcher {
    /// Exactly this value.
    Exact(Expr),
    /// A string starting with this (`{"prefix": ...}`).
    Prefix(Expr),
    /// A string ending with this (`{"suffix": ...}`).
    Suffix(Expr),
    /// Anything except these values (`{"anything-but": [...]}`).
    AnythingBut(Vec<Expr>),
    /// The field is present (`true`) or absent (`false`).
    Exists(bool),
    /// A string matching a pattern where `*` stands for any characters
    /// (`{"wildcard": ...}`). EventBridge allows 30 rules with wildcards per bus.
    Wildcard(String),
}

impl Matcher {
    /// `Matcher::Exact` of a literal or intrinsic.
    pub fn exact(value: impl Into<Expr>) -> Matcher {
        Matcher::Exact(value.into())
    }

    /// `Matcher::Prefix` of a literal or intrinsic.
    pub fn prefix(value: impl Into<Expr>) -> Matcher {
        Matcher::Prefix(value.into())
    }
}

impl Serialize for Matcher {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Matcher::Exact(v) => v.serialize(serializer),
            Matcher::Prefix(v) => Single("prefix", v).serialize(serializer),
            Matcher::Suffix(v) => Single("suffix", v).serialize(serializer),
            Matcher::AnythingBut(vs) => Single("anything-but", vs).serialize(serializer),
            Matcher::Exists(b) => Single("exists", b).serialize(serializer),
            Matcher::Wildcard(w) => Single("wildcard", w).serialize(serializer),
        }
    }
}

/// `{key: value}`: the shape of every operator matcher.
struct Single<'a, T>(&'static str, &'a T);

impl<T: Serialize> Serialize for Single<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(1))?;
        map.serialize_entry(self.0, self.1)?;
        map.end()
    }
}

/// A field of a pattern level.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// The value must match one of these.
    Match(Vec<Matcher>),
    /// The value is an object that must match this level.
    Object(EventPattern),
}

/// One level of an event pattern (the whole pattern is the top level).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EventPattern {
    /// The fields, in the order written.
    pub fields: IndexMap<String, Field>,
    /// `$or`: alternatives of which at least one must match as well.
    pub any_of: Vec<EventPattern>,
}

impl EventPattern {
    /// An empty level.
    pub fn new() -> EventPattern {
        EventPattern::default()
    }

    /// `source` is one of these.
    pub fn source<I, E>(self, sources: I) -> EventPattern
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        self.exact(&["source"], sources)
    }

    /// `detail-type` is one of these.
    pub fn detail_type<I, E>(self, types: I) -> EventPattern
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        self.exact(&["detail-type"], types)
    }

    /// The field at `path` (e.g. `["detail", "status"]`) equals one of `values`.
    pub fn exact<I, E>(self, path: &[&str], values: I) -> EventPattern
    where
        I: IntoIterator<Item = E>,
        E: Into<Expr>,
    {
        self.matching(path, values.into_iter().map(|v| Matcher::Exact(v.into())))
    }

    /// The field at `path` matches one of `matchers` (added to what is already there).
    pub fn matching(
        mut self,
        path: &[&str],
        matchers: impl IntoIterator<Item = Matcher>,
    ) -> EventPattern {
        self.add(path, matchers.into_iter().collect());
        self
    }

    /// Adds a `$or` at this level: at least one alternative must match.
    pub fn or(mut self, alternatives: impl IntoIterator<Item = EventPattern>) -> EventPattern {
        self.any_of.extend(alternatives);
        self
    }

    /// The field at `path` as a nested level (created if absent), for `$or` below the top.
    pub fn level_mut(&mut self, path: &[&str]) -> &mut EventPattern {
        let mut level = self;
        for key in path {
            let field = level
                .fields
                .entry((*key).to_owned())
                .or_insert_with(|| Field::Object(EventPattern::new()));
            if let Field::Match(_) = field {
                *field = Field::Object(EventPattern::new());
            }
            level = match field {
                Field::Object(inner) => inner,
                Field::Match(_) => unreachable!("replaced by an object just above"),
            };
        }
        level
    }

    fn add(&mut self, path: &[&str], matchers: Vec<Matcher>) {
        let Some((last, parents)) = path.split_last() else {
            return;
        };
        let level = self.level_mut(parents);
        match level
            .fields
            .entry((*last).to_owned())
            .or_insert_with(|| Field::Match(Vec::new()))
        {
            Field::Match(list) => list.extend(matchers),
            other => *other = Field::Match(matchers),
        }
    }

    /// The pattern as JSON.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::to_value(self).unwrap_or(serde_json::Value::Null)
    }

    /// Its length in characters as EventBridge counts it (compact JSON). Intrinsics inside
    /// are counted as written, so the figure is exact for literal patterns.
    pub fn len_chars(&self) -> usize {
        self.to_json().to_string().chars().count()
    }
}

impl Serialize for EventPattern {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let len = self.fields.len() + usize::from(!self.any_of.is_empty());
        let mut map = serializer.serialize_map(Some(len))?;
        for (key, field) in &self.fields {
            match field {
                Field::Match(matchers) => map.serialize_entry(key, matchers)?,
                Field::Object(level) => map.serialize_entry(key, level)?,
            }
        }
        if !self.any_of.is_empty() {
            map.serialize_entry("$or", &self.any_of)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn nested_fields_prefixes_and_or() {
        let mut pattern = EventPattern::new()
            .source(["aws.states", "dpc.pipeline"])
            .detail_type(["Step Functions Execution Status Change"])
            .matching(
                &["detail", "stateMachineArn"],
                [Matcher::prefix(
                    "arn:aws:states:eu-west-1:1:stateMachine:dpc-",
                )],
            )
            .exact(&["detail", "status"], ["SUCCEEDED"]);
        pattern
            .level_mut(&["detail"])
            .any_of
            .push(EventPattern::new().exact(&["a"], ["x"]));
        assert_eq!(
            pattern.to_json(),
            json!({
                "source": ["aws.states", "dpc.pipeline"],
                "detail-type": ["Step Functions Execution Status Change"],
                "detail": {
                    "stateMachineArn": [{"prefix": "arn:aws:states:eu-west-1:1:stateMachine:dpc-"}],
                    "status": ["SUCCEEDED"],
                    "$or": [{"a": ["x"]}]
                }
            })
        );
        assert_eq!(pattern.len_chars(), pattern.to_json().to_string().len());
    }

    #[test]
    fn other_matchers() {
        let p = EventPattern::new()
            .matching(
                &["a"],
                [
                    Matcher::AnythingBut(vec!["x".into()]),
                    Matcher::Exists(true),
                ],
            )
            .matching(&["b"], [Matcher::Suffix(Expr::reference("P"))]);
        assert_eq!(
            p.to_json(),
            json!({"a": [{"anything-but": ["x"]}, {"exists": true}], "b": [{"suffix": {"Ref": "P"}}]})
        );
    }
}
