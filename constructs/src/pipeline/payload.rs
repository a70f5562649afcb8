//! Putting user text into a state's request (a JSONPath payload template) safely.
//!
//! Two kinds of string have a meaning there that a user never intends: a key ending in
//! `.$` is evaluated as a path, and `${Name}` anywhere in the definition is a
//! CloudFormation `DefinitionSubstitutions` placeholder. [`literal`] turns arbitrary user
//! JSON (EMR configuration properties, bootstrap arguments, tags) into a payload that
//! means exactly that JSON at run time: a string with `${` goes through
//! `States.Format`, whose escaping hides the `${`.

use crate::stepfunctions::intrinsic::{Intrinsic, Template};
use serde_json::{Map, Value};

/// Why user JSON cannot be put into a payload template.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PayloadError {
    /// The key (or list item) that cannot be written.
    pub key: String,
}

/// `value` as a payload template that evaluates to `value` itself.
///
/// # Errors
/// A key ending in `.$` (it would be read as a path, and no escape exists for keys), or
/// a `${` in a list that also holds non-strings.
pub fn literal(value: &Value) -> Result<Value, PayloadError> {
    match value {
        Value::Object(map) => {
            let mut out = Map::new();
            for (key, item) in map {
                if key.ends_with(".$") {
                    return Err(PayloadError { key: key.clone() });
                }
                put(&mut out, key, item)?;
            }
            Ok(Value::Object(out))
        }
        Value::Array(items) => items
            .iter()
            .map(literal)
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array),
        // Strings reach here only inside lists that also hold non-strings, which no
        // payload dpc writes has; refuse rather than leak a placeholder.
        Value::String(text) if text.contains("${") => Err(PayloadError { key: text.clone() }),
        other => Ok(other.clone()),
    }
}

/// Writes user JSON `value` under `key` of a payload template (as `key.$` when it must
/// be computed).
///
/// # Errors
/// As [`literal`].
pub fn put(payload: &mut Map<String, Value>, key: &str, value: &Value) -> Result<(), PayloadError> {
    match value {
        Value::String(text) => Template::text(text.clone()).put(payload, key),
        Value::Array(items) if items.iter().any(has_placeholder_text) => {
            if items.iter().all(Value::is_string) {
                let args: Vec<String> = items
                    .iter()
                    .map(|i| {
                        let text = i.as_str().unwrap_or_default();
                        Intrinsic::Str(text.to_owned()).render()
                    })
                    .collect();
                payload.insert(
                    format!("{key}.$"),
                    Value::String(format!("States.Array({})", args.join(", "))),
                );
            } else {
                payload.insert(key.to_owned(), literal(value)?);
            }
        }
        other => {
            payload.insert(key.to_owned(), literal(other)?);
        }
    }
    Ok(())
}

fn has_placeholder_text(value: &Value) -> bool {
    value.as_str().is_some_and(|s| s.contains("${"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_and_path_keys_cannot_leak() {
        let user = json!({
            "Classification": "core-site",
            "Properties": {"hadoop.tmp.dir": "/mnt/${user.name}", "plain": "x"},
            "Args": ["a", "${b}"],
            "Nested": [{"k": "${c}"}]
        });
        let out = literal(&user).unwrap();
        assert_eq!(
            out,
            json!({
                "Classification": "core-site",
                "Properties": {
                    "hadoop.tmp.dir.$": "States.Format('{}', '/mnt/$\\{user.name\\}')",
                    "plain": "x"
                },
                "Args.$": "States.Array('a', '$\\{b\\}')",
                "Nested": [{"k.$": "States.Format('{}', '$\\{c\\}')"}]
            })
        );
        assert!(!out.to_string().contains("${"));
        assert_eq!(
            literal(&json!({"a.$": "x"})),
            Err(PayloadError { key: "a.$".into() })
        );
    }
}
