//! What dpc's compiler (`dpc-schema`, `dpc-constructs`, `dpc`) and its Lambda runtime
//! (`dpc-runtime`) share, and nothing heavier: pipeline identities, run statuses,
//! durations, the resolved condition tree, the trigger semantics and the naming rules.
//!
//! Everything here is resolved: accounts are 12-digit ids, never aliases. The YAML
//! language (aliases, positions, diagnostics) lives in `dpc-schema`, which resolves a
//! user's `pipeline.yaml` into these types.
//!
//! The trigger semantics (SPEC: "Trigger semantics") are [`evaluate`]: one pure
//! function the central Lambda, `dpc simulate` ([`simulate()`]) and the tests share.
//! The state it needs, in the shape a table holds, is in [`state`]; the names dpc
//! gives things are in [`naming`]; the names the templates and the runtime must agree
//! on (tables and their keys, environment variables, parameters, event sources) are in
//! [`contract`].

pub mod condition;
pub mod contract;
pub mod duration;
pub mod event;
pub mod naming;
pub mod semantics;
pub mod simulate;
pub mod state;
pub mod status;
pub mod time;
pub mod trigger_event;

pub use condition::{
    Condition, ConditionItem, ConditionNode, ExecutionsTrigger, Operator, PipelineId,
};
pub use duration::{Duration, DurationError};
pub use event::{EventKey, EventStatus, StatusEvent};
pub use semantics::{
    Decision, Firing, Unmet, UnmetReason, Waiting, check_item, evaluate, explain, holds, upstream,
};
pub use simulate::{Fired, Pending, ScenarioEvent, Step, Timeline, resolve_executions, simulate};
pub use state::{ChildState, Recorded, RunLog};
pub use status::Status;
pub use time::{Timestamp, TimestampError};
pub use trigger_event::{
    TRIGGER_DETAIL_TYPE, TRIGGER_EVENT_VERSION, TRIGGER_SOURCE, TimedTriggerEvent, TriggerCause,
    TriggerDetail, TriggerEvent, Upstream,
};
