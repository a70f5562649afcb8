//! The CloudFormation engine behind dpc (being built).

pub mod diagnostic;

pub use diagnostic::{Diagnostic, Location, Severity};
