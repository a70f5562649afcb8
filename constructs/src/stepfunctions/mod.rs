//! Amazon States Language as typed Rust, and the state machine resource.
//!
//! - [`asl`]: the states and the definition, serialised by serde into the JSON Step
//!   Functions reads (no JSON is ever written as a string).
//! - [`intrinsic`]: `States.Format(...)` and friends, with escaping in one place.
//! - [`chain`]: wiring states together in order, with unique names.
//! - [`dag`]: a DAG of steps as series and `Parallel` states.
//! - [`check`]: structural checks and the size limit.
//! - [`cfn`] / [`state_machine`]: `AWS::StepFunctions::StateMachine` (L1) and
//!   [`StateMachine`] (L2).

pub mod asl;
pub mod cfn;
pub mod chain;
pub mod check;
pub mod dag;
pub mod intrinsic;
pub mod state_machine;

pub use asl::{
    Branch, Catcher, Choice, ChoiceRule, Comparison, Condition, Definition, Fail, Parallel, Pass,
    QueryLanguage, ResultPath, Retrier, State, Succeed, Task, Transition, Wait, WaitFor,
};
pub use chain::{Chain, ChainError};
pub use dag::{DagError, Plan};
pub use state_machine::{StateMachine, StateMachineProps};
