//! The statuses of a pipeline run, as Step Functions reports them.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The status of one execution of a pipeline's state machine.
///
/// These are the Step Functions execution statuses a downstream condition may wait
/// for; `PENDING_REDRIVE` and other statuses AWS may add are not represented: the
/// semantics say a status they do not know matches nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Status {
    /// The execution started and has not finished.
    Running,
    /// The execution finished successfully.
    Succeeded,
    /// The execution failed.
    Failed,
    /// The execution ran longer than its timeout.
    TimedOut,
    /// The execution was stopped by hand or by the API.
    Aborted,
}

impl Status {
    /// Every status, in the order SPEC lists them.
    pub const ALL: [Status; 5] = [
        Status::Running,
        Status::Succeeded,
        Status::Failed,
        Status::TimedOut,
        Status::Aborted,
    ];

    /// The status as Step Functions and the trigger event spell it (`TIMED_OUT`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Running => "RUNNING",
            Status::Succeeded => "SUCCEEDED",
            Status::Failed => "FAILED",
            Status::TimedOut => "TIMED_OUT",
            Status::Aborted => "ABORTED",
        }
    }

    /// Parses Step Functions' spelling; `None` for a status dpc does not know.
    pub fn parse(s: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// Whether the execution has ended with this status.
    pub fn is_terminal(self) -> bool {
        self != Status::Running
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
