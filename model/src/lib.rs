//! What dpc's compiler (`dpc-schema`, `dpc-constructs`, `dpc`) and its Lambda runtime
//! (`dpc-runtime`) share, and nothing heavier: pipeline identities, run statuses,
//! durations, the resolved condition tree, the trigger semantics and the naming rules.
//!
//! Everything here is resolved: accounts are 12-digit ids, never aliases. The YAML
//! language (aliases, positions, diagnostics) lives in `dpc-schema`, which resolves a
//! user's `pipeline.yaml` into these types.

pub mod condition;
pub mod duration;
pub mod status;

pub use condition::{
    Condition, ConditionItem, ConditionNode, ExecutionsTrigger, Operator, PipelineId,
};
pub use duration::{Duration, DurationError};
pub use status::Status;
