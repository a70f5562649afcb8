//! DynamoDB items as JSON: the runtime keeps its records as native DynamoDB maps (so
//! they read well in the console) and converts them with serde through JSON.

use aws_sdk_dynamodb::types::AttributeValue;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Number, Value};

/// An item as the SDK holds it (the SDK's own map type; the runtime never iterates it
/// for output).
#[allow(clippy::disallowed_types)]
pub type Item = std::collections::HashMap<String, AttributeValue>;

/// A JSON value as a DynamoDB attribute (numbers as `N`, `null` as `NULL`).
pub fn to_attr(value: &Value) -> AttributeValue {
    match value {
        Value::Null => AttributeValue::Null(true),
        Value::Bool(b) => AttributeValue::Bool(*b),
        Value::Number(n) => AttributeValue::N(n.to_string()),
        Value::String(s) => AttributeValue::S(s.clone()),
        Value::Array(items) => AttributeValue::L(items.iter().map(to_attr).collect()),
        Value::Object(map) => {
            AttributeValue::M(map.iter().map(|(k, v)| (k.clone(), to_attr(v))).collect())
        }
    }
}

/// A DynamoDB attribute as JSON; sets become arrays, binary becomes `null`.
pub fn from_attr(attr: &AttributeValue) -> Value {
    match attr {
        AttributeValue::S(s) => Value::String(s.clone()),
        AttributeValue::N(n) => parse_number(n),
        AttributeValue::Bool(b) => Value::Bool(*b),
        AttributeValue::L(items) => Value::Array(items.iter().map(from_attr).collect()),
        AttributeValue::M(map) => {
            // Sorted, so the JSON does not depend on the SDK's map order.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            Value::Object(
                keys.into_iter()
                    .map(|k| (k.clone(), from_attr(&map[k])))
                    .collect::<Map<String, Value>>(),
            )
        }
        AttributeValue::Ss(items) => {
            Value::Array(items.iter().cloned().map(Value::String).collect())
        }
        AttributeValue::Ns(items) => Value::Array(items.iter().map(|n| parse_number(n)).collect()),
        _ => Value::Null,
    }
}

fn parse_number(text: &str) -> Value {
    if let Ok(i) = text.parse::<i64>() {
        return Value::Number(i.into());
    }
    text.parse::<f64>()
        .ok()
        .and_then(Number::from_f64)
        .map_or_else(|| Value::String(text.to_string()), Value::Number)
}

/// A serde value as a DynamoDB map attribute.
///
/// # Errors
/// When `value` does not serialise to JSON.
pub fn encode<T: Serialize>(value: &T) -> Result<AttributeValue, serde_json::Error> {
    Ok(to_attr(&serde_json::to_value(value)?))
}

/// A DynamoDB attribute read back into a serde value.
///
/// # Errors
/// When the stored shape does not fit `T`.
pub fn decode<T: DeserializeOwned>(attr: &AttributeValue) -> Result<T, serde_json::Error> {
    serde_json::from_value(from_attr(attr))
}

/// A string attribute.
pub fn s(text: impl Into<String>) -> AttributeValue {
    AttributeValue::S(text.into())
}

/// A number attribute.
pub fn n(number: i64) -> AttributeValue {
    AttributeValue::N(number.to_string())
}

/// The string attribute `name` of `item`.
pub fn get_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    item.get(name)
        .and_then(|v| v.as_s().ok())
        .map(String::as_str)
}

/// The integer attribute `name` of `item`.
pub fn get_n(item: &Item, name: &str) -> Option<i64> {
    item.get(name)
        .and_then(|v| v.as_n().ok())
        .and_then(|n| n.parse().ok())
}

/// Whether an SDK error is a failed condition (of a put, update, delete or
/// transaction).
pub fn is_condition_failure<E, R>(err: &aws_sdk_dynamodb::error::SdkError<E, R>) -> bool
where
    E: aws_sdk_dynamodb::error::ProvideErrorMetadata,
{
    err.as_service_error()
        .and_then(|e| e.code())
        .is_some_and(|code| {
            code == "ConditionalCheckFailedException" || code == "TransactionCanceledException"
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_round_trips_through_attributes() {
        let value = json!({"b": [1, "two", true, null, {"x": -3}], "a": 1.5, "s": "t"});
        let back = from_attr(&to_attr(&value));
        assert_eq!(back, value);
        assert_eq!(
            serde_json::to_string(&back).unwrap(),
            r#"{"a":1.5,"b":[1,"two",true,null,{"x":-3}],"s":"t"}"#
        );
    }
}
