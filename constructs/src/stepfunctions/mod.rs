//! Amazon States Language as typed Rust, and the state machine resource.
//!
//! - [`asl`]: the states and the definition, serialised by serde into the JSON Step
//!   Functions reads (no JSON is ever written as a string).
//! - [`intrinsic`]: `States.Format(...)` and friends, with escaping in one place.
//! - [`chain`]: wiring states together in order, with unique names.
//! - [`dag`]: a DAG of steps as series and `Parallel` states.

pub mod asl;
pub mod chain;
pub mod dag;
pub mod intrinsic;

pub use asl::{
    Branch, Catcher, Choice, ChoiceRule, Comparison, Condition, Definition, Fail, Parallel, Pass,
    QueryLanguage, ResultPath, Retrier, State, Succeed, Task, Transition, Wait, WaitFor,
};
pub use chain::{Chain, ChainError};
pub use dag::{DagError, Plan};
