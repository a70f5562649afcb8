//! Intrinsic functions (`States.Format(...)` and friends) as typed values, and text
//! templates that become a literal string or a `States.Format` call.
//!
//! Intrinsic calls are strings inside the definition, so this is the one place that
//! writes them: string literals are quoted and escaped here (`'`, `{`, `}` and `\` take
//! a backslash, as the Step Functions guide requires), so a user's text can never break
//! out of its literal.

use serde_json::{Map, Value};

/// An argument of an intrinsic function, or a call itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Intrinsic {
    /// A string literal, quoted and escaped when rendered.
    Str(String),
    /// An integer literal.
    Int(i64),
    /// A path into the input (`$.time`), the context (`$$.Execution.Name`) or a
    /// variable (`$ds`), written as is.
    Path(String),
    /// A call: `States.<name>(args...)`.
    Call(&'static str, Vec<Intrinsic>),
    /// `States.Format(...)`: the literal parts around the placeholders (one more than
    /// `args`), escaped when rendered, and the values for the placeholders.
    Format {
        /// Literal text between placeholders.
        parts: Vec<String>,
        /// One value per placeholder.
        args: Vec<Intrinsic>,
    },
}

impl Intrinsic {
    /// `States.Format(...)` from literal text and run-time values, in order: each
    /// value becomes a `{}` placeholder, each text is escaped.
    pub fn format(pieces: &[Piece]) -> Intrinsic {
        let mut parts = vec![String::new()];
        let mut args = Vec::new();
        for piece in pieces {
            match piece {
                Piece::Text(t) => {
                    if let Some(last) = parts.last_mut() {
                        last.push_str(t);
                    }
                }
                Piece::Value(v) => {
                    args.push(Intrinsic::Path(v.clone()));
                    parts.push(String::new());
                }
            }
        }
        Intrinsic::Format { parts, args }
    }

    /// `States.ArrayGetItem(array, index)`.
    pub fn array_get_item(array: Intrinsic, index: i64) -> Intrinsic {
        Intrinsic::Call("ArrayGetItem", vec![array, Intrinsic::Int(index)])
    }

    /// `States.StringSplit(text, separator)`.
    pub fn string_split(text: Intrinsic, separator: &str) -> Intrinsic {
        Intrinsic::Call(
            "StringSplit",
            vec![text, Intrinsic::Str(separator.to_owned())],
        )
    }

    /// `States.MathAdd(a, b)`.
    pub fn math_add(a: Intrinsic, b: i64) -> Intrinsic {
        Intrinsic::Call("MathAdd", vec![a, Intrinsic::Int(b)])
    }

    /// The call as ASL writes it, e.g. `States.Format('{}-x', $.a)`.
    pub fn render(&self) -> String {
        match self {
            Intrinsic::Str(s) => format!("'{}'", escape(s)),
            Intrinsic::Int(n) => n.to_string(),
            Intrinsic::Path(p) => p.clone(),
            // Without placeholders the text goes in as an argument, so the call always
            // has one (States.Format's examples never show a call without).
            Intrinsic::Format { parts, args } if args.is_empty() => {
                format!("States.Format('{{}}', '{}')", escape(&parts.concat()))
            }
            Intrinsic::Format { parts, args } => {
                let template: Vec<String> = parts.iter().map(|p| escape(p)).collect();
                let mut out = format!("States.Format('{}'", template.join("{}"));
                for arg in args {
                    out.push_str(", ");
                    out.push_str(&arg.render());
                }
                out.push(')');
                out
            }
            Intrinsic::Call(name, args) => {
                let args: Vec<String> = args.iter().map(Intrinsic::render).collect();
                format!("States.{name}({})", args.join(", "))
            }
        }
    }
}

/// Escapes a string for an intrinsic function's single-quoted literal.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '\'' | '{' | '}' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A piece of a text template: literal text, or a value known only at run time.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    /// Literal text.
    Text(String),
    /// A run-time value (a path or variable such as `$ds`).
    Value(String),
}

/// A string some of whose parts are known only at run time.
///
/// It renders to a plain JSON string when every piece is literal, and to a
/// `States.Format` call otherwise; [`Template::put`] writes it under the right key
/// (`Key` or `Key.$`) of a payload template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Template {
    pieces: Vec<Piece>,
}

impl Template {
    /// A template from its pieces.
    pub fn new(pieces: Vec<Piece>) -> Template {
        let mut merged: Vec<Piece> = Vec::new();
        for piece in pieces {
            match (merged.last_mut(), piece) {
                (Some(Piece::Text(prev)), Piece::Text(next)) => prev.push_str(&next),
                (_, Piece::Text(t)) if t.is_empty() => {}
                (_, piece) => merged.push(piece),
            }
        }
        Template { pieces: merged }
    }

    /// A literal text.
    pub fn text(text: impl Into<String>) -> Template {
        Template::new(vec![Piece::Text(text.into())])
    }

    /// Whether the template can be written as a plain JSON string: every piece is
    /// literal, and no text holds `${`. CloudFormation reads `${Name}` in a definition as
    /// a `DefinitionSubstitutions` placeholder, so a user's `${HOME}` goes through
    /// `States.Format`, whose escaping writes it as `$\{HOME\}`.
    pub fn is_literal(&self) -> bool {
        self.pieces
            .iter()
            .all(|p| matches!(p, Piece::Text(t) if !t.contains("${")))
    }

    /// The literal text, if the template has no run-time piece.
    pub fn as_literal(&self) -> Option<String> {
        if !self.is_literal() {
            return None;
        }
        Some(
            self.pieces
                .iter()
                .map(|p| match p {
                    Piece::Text(t) => t.as_str(),
                    Piece::Value(_) => "",
                })
                .collect(),
        )
    }

    /// The `States.Format(...)` call for this template (also for a literal one).
    pub fn to_intrinsic(&self) -> Intrinsic {
        Intrinsic::format(&self.pieces)
    }

    /// The JSON value of a payload field for this template: a string for a literal,
    /// else the intrinsic call (the key must then end in `.$`).
    pub fn to_value(&self) -> Value {
        match self.as_literal() {
            Some(text) => Value::String(text),
            None => Value::String(self.to_intrinsic().render()),
        }
    }

    /// Writes the template into a payload template under `key` (as `key.$` when it has
    /// run-time pieces).
    pub fn put(&self, payload: &mut Map<String, Value>, key: &str) {
        if self.is_literal() {
            payload.insert(key.to_owned(), self.to_value());
        } else {
            payload.insert(format!("{key}.$"), self.to_value());
        }
    }
}

/// Builds an array of templates: a literal JSON array when all are literal, else a
/// `States.Array(...)` call of the pieces.
pub fn array_value(items: &[Template]) -> (bool, Value) {
    if items.iter().all(Template::is_literal) {
        let values = items
            .iter()
            .map(|t| Value::String(t.as_literal().unwrap_or_default()))
            .collect();
        return (false, Value::Array(values));
    }
    let args: Vec<String> = items
        .iter()
        .map(|t| match t.as_literal() {
            Some(text) => Intrinsic::Str(text).render(),
            None => t.to_intrinsic().render(),
        })
        .collect();
    (
        true,
        Value::String(format!("States.Array({})", args.join(", "))),
    )
}

/// Writes an array of templates into a payload template under `key` (as `key.$` with a
/// `States.Array` call when any item has run-time pieces).
pub fn put_array(payload: &mut Map<String, Value>, key: &str, items: &[Template]) {
    let (dynamic, value) = array_value(items);
    if dynamic {
        payload.insert(format!("{key}.$"), value);
    } else {
        payload.insert(key.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_are_escaped_and_placeholders_kept() {
        let t = Template::new(vec![
            Piece::Text("it's {x} at ".into()),
            Piece::Value("$ds".into()),
            Piece::Text(" \\ {}".into()),
        ]);
        assert_eq!(
            t.to_value(),
            Value::String(r"States.Format('it\'s \{x\} at {} \\ \{\}', $ds)".into())
        );
        assert_eq!(
            Template::text("plain").to_value(),
            Value::String("plain".into())
        );
        let mut payload = Map::new();
        t.put(&mut payload, "Name");
        Template::text("x").put(&mut payload, "Other");
        assert!(payload.contains_key("Name.$") && payload.contains_key("Other"));
    }

    #[test]
    fn arrays_become_states_array_only_when_needed() {
        let shell = Template::text("echo ${HOME}");
        assert_eq!(
            shell.to_value(),
            Value::String(r"States.Format('{}', 'echo $\{HOME\}')".into())
        );
        let lit = [Template::text("a"), Template::text("b'")];
        assert_eq!(array_value(&lit), (false, serde_json::json!(["a", "b'"])));
        let dynamic = [
            Template::text("--date"),
            Template::new(vec![Piece::Value("$ds".into())]),
        ];
        assert_eq!(
            array_value(&dynamic),
            (
                true,
                Value::String("States.Array('--date', States.Format('{}', $ds))".into())
            )
        );
    }

    #[test]
    fn nested_calls_render() {
        let ds = Intrinsic::array_get_item(
            Intrinsic::string_split(Intrinsic::Path("$.time".into()), "T"),
            0,
        );
        assert_eq!(
            ds.render(),
            "States.ArrayGetItem(States.StringSplit($.time, 'T'), 0)"
        );
    }
}
