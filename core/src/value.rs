//! [`Val<T>`]: a typed property value that is either a literal or an intrinsic.

use crate::expr::Expr;
use serde::Serialize;

/// A property value of a typed resource: a literal of the property's type, or an [`Expr`].
///
/// L1 structs use `Option<Val<u32>>`, `Option<Val<bool>>` ... for properties that are usually
/// literal but may be computed; string properties can simply hold an [`Expr`].
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Val<T> {
    /// A literal of the property's type.
    Lit(T),
    /// An intrinsic function or pseudo parameter.
    Expr(Expr),
}

impl<T> From<Expr> for Val<T> {
    fn from(e: Expr) -> Self {
        Val::Expr(e)
    }
}

impl From<&str> for Val<String> {
    fn from(s: &str) -> Self {
        Val::Lit(s.to_owned())
    }
}

impl From<String> for Val<String> {
    fn from(s: String) -> Self {
        Val::Lit(s)
    }
}

macro_rules! val_from_literal {
    ($($t:ty),*) => {$(
        impl From<$t> for Val<$t> {
            fn from(v: $t) -> Self {
                Val::Lit(v)
            }
        }
    )*};
}
val_from_literal!(bool, u16, u32, u64, i32, i64, f64);

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn literal_or_expression() {
        let lit: Val<u32> = 128.into();
        let expr: Val<u32> = Expr::reference("Memory").into();
        assert_eq!(serde_json::to_value(lit).ok(), Some(json!(128)));
        assert_eq!(
            serde_json::to_value(expr).ok(),
            Some(json!({"Ref": "Memory"}))
        );
    }
}
