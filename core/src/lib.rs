//! The CloudFormation engine behind dpc (being built).

pub mod diagnostic;
pub mod expr;
pub mod value;

pub use diagnostic::{Diagnostic, Location, Severity};
pub use expr::{Expr, Pseudo, dynamic_ref};
pub use value::Val;
