//! A YAML document as a small tree that remembers where each node was written.
//!
//! [`crate::load`] builds it from the parser's events; the checks find a node by a JSON
//! pointer (`/steps/1/script`) to report a problem at the right line and column.

use serde_json::{Map, Number, Value};

/// Where a node is: 1-based line and column (in characters), and how many characters of
/// that line it covers (at least 1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Span {
    pub line: usize,
    pub column: usize,
    pub length: usize,
}

/// A node of the document.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Node {
    pub span: Span,
    pub value: NodeValue,
}

/// What a node holds.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum NodeValue {
    /// A scalar: its text, and whether it was written plain (unquoted), so its type comes
    /// from its text (`4` is a number, `"4"` is text).
    Scalar { text: String, plain: bool },
    /// A sequence.
    Seq(Vec<Node>),
    /// A mapping, keys in the order written (duplicates already reported and dropped).
    Map(Vec<Entry>),
}

/// One key and value of a mapping.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Entry {
    pub key: String,
    pub key_span: Span,
    pub value: Node,
}

/// Splits a JSON pointer (`/steps/0/dependsOn`) into segments; `~1` and `~0` unescaped.
pub(crate) fn parse_pointer(pointer: &str) -> Vec<String> {
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .trim_start_matches('/')
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// Builds a JSON pointer from segments.
fn join_pointer(segments: &[String]) -> String {
    let mut out = String::new();
    for s in segments {
        out.push('/');
        out.push_str(&s.replace('~', "~0").replace('/', "~1"));
    }
    out
}

/// What a pointer found: the node, and the span of the key it is the value of (when it
/// is the value of a mapping entry).
pub(crate) struct Found<'a> {
    pub node: &'a Node,
    pub key_span: Option<Span>,
}

impl Node {
    /// The node a JSON pointer names, if the document has it.
    pub fn find(&self, pointer: &str) -> Option<Found<'_>> {
        let mut node = self;
        let mut key_span = None;
        for segment in parse_pointer(pointer) {
            match &node.value {
                NodeValue::Map(entries) => {
                    let entry = entries.iter().find(|e| e.key == segment)?;
                    key_span = Some(entry.key_span);
                    node = &entry.value;
                }
                NodeValue::Seq(items) => {
                    node = items.get(segment.parse::<usize>().ok()?)?;
                    key_span = None;
                }
                NodeValue::Scalar { .. } => return None,
            }
        }
        Some(Found { node, key_span })
    }

    /// The deepest node on the way to `pointer` (the pointer itself when it exists).
    pub fn find_nearest(&self, pointer: &str) -> Found<'_> {
        let segments = parse_pointer(pointer);
        for len in (0..=segments.len()).rev() {
            if let Some(found) = self.find(&join_pointer(&segments[..len])) {
                return found;
            }
        }
        Found {
            node: self,
            key_span: None,
        }
    }

    /// Whether the node is a plain scalar that YAML reads as null (`~`, `null`, nothing).
    pub fn is_null(&self) -> bool {
        matches!(&self.value, NodeValue::Scalar { text, plain: true } if is_null_text(text))
    }

    /// The node as JSON, plain scalars typed by YAML 1.2's core schema.
    pub fn to_json(&self) -> Value {
        match &self.value {
            NodeValue::Scalar { text, plain } => {
                if *plain {
                    plain_scalar(text)
                } else {
                    Value::String(text.clone())
                }
            }
            NodeValue::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Map(entries) => {
                let mut map = Map::new();
                for e in entries {
                    map.insert(e.key.clone(), e.value.to_json());
                }
                Value::Object(map)
            }
        }
    }
}

fn is_null_text(text: &str) -> bool {
    matches!(text, "" | "~" | "null" | "Null" | "NULL")
}

/// Types a plain scalar the way YAML 1.2's core schema does. Text that looks like a
/// number but does not fit one stays text; the raw text is kept in the tree, so a field
/// that wants text gets every digit back (`012345678901` stays `012345678901`).
fn plain_scalar(text: &str) -> Value {
    if is_null_text(text) {
        return Value::Null;
    }
    match text {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        if let Ok(i) = text.parse::<i64>() {
            return Value::Number(i.into());
        }
        if let Ok(u) = text.trim_start_matches('+').parse::<u64>() {
            return Value::Number(u.into());
        }
        return Value::String(text.to_string());
    }
    if let Some(hex) = text.strip_prefix("0x")
        && let Ok(i) = i64::from_str_radix(hex, 16)
    {
        return Value::Number(i.into());
    }
    if let Some(oct) = text.strip_prefix("0o")
        && let Ok(i) = i64::from_str_radix(oct, 8)
    {
        return Value::Number(i.into());
    }
    if is_float(text)
        && let Ok(f) = text.parse::<f64>()
        && let Some(n) = Number::from_f64(f)
    {
        return Value::Number(n);
    }
    Value::String(text.to_string())
}

/// `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
fn is_float(text: &str) -> bool {
    let s = text.strip_prefix(['-', '+']).unwrap_or(text);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let (int, frac) = match mantissa.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (mantissa, None),
    };
    let all_digits = |p: &str| p.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match frac {
        Some(f) => all_digits(int) && all_digits(f) && !(int.is_empty() && f.is_empty()),
        None => !int.is_empty() && all_digits(int),
    };
    let exponent_ok = exponent.is_none_or(|e| {
        let e = e.strip_prefix(['-', '+']).unwrap_or(e);
        !e.is_empty() && all_digits(e)
    });
    mantissa_ok && exponent_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_scalars_follow_the_core_schema() {
        assert_eq!(plain_scalar("4"), Value::from(4));
        assert_eq!(plain_scalar("012345678901"), Value::from(12_345_678_901i64));
        assert_eq!(plain_scalar("1.5"), Value::from(1.5));
        assert_eq!(plain_scalar("true"), Value::Bool(true));
        assert_eq!(plain_scalar("yes"), Value::from("yes"));
        assert_eq!(plain_scalar("~"), Value::Null);
        assert_eq!(plain_scalar("4g"), Value::from("4g"));
        assert_eq!(plain_scalar("1e3"), Value::from(1000.0));
        assert_eq!(plain_scalar("."), Value::from("."));
        assert_eq!(
            plain_scalar("99999999999999999999999"),
            Value::from("99999999999999999999999")
        );
    }
}
