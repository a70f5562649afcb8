//! What the execution tracker says about a run: published to the pipeline's topic
//! (human text as the SNS message, the structured [`Notification`] as the message
//! attribute [`ATTRIBUTE`]), forwarded by the Slack caller to the central
//! `POST /messages`, and posted by the Slack poster.

use serde::{Deserialize, Serialize};

/// The SNS message attribute holding the notification as JSON.
pub const ATTRIBUTE: &str = "dpc.notification";
/// The version of [`Notification`]'s shape.
pub const VERSION: &str = "1";
/// The longest text a notification may carry (Slack's own limit for a message's
/// text is far above; this keeps messages readable and bodies small).
pub const MAX_TEXT_CHARS: usize = 3000;
/// The longest [`Notification::id`] (an execution ARN and a CloudWatch event id fit).
pub const MAX_ID_CHARS: usize = 1024;

/// Whether a notification is about the whole run or one step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The run's status changed.
    Pipeline,
    /// A step started, succeeded or failed (`FULL_EXECUTION` only).
    Step,
}

/// One message about one execution of one pipeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notification {
    /// Always [`VERSION`].
    pub version: String,
    /// The pipeline's name.
    pub pipeline: String,
    /// The pipeline's account id.
    pub account: String,
    /// The execution's ARN (the Slack thread is per execution).
    pub execution_arn: String,
    /// Pipeline or step.
    pub kind: Kind,
    /// The run's status (`RUNNING`, `SUCCEEDED`, ...) or the step's (`STARTED`,
    /// `SUCCEEDED`, `FAILED`, `TIMED_OUT`).
    pub status: String,
    /// The step's name (step notifications).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<String>,
    /// The text people read.
    pub text: String,
    /// What makes a message the same message on every delivery: the tracker's
    /// deduplication id, or else the SNS message id. The Slack poster posts a message
    /// with an id at most once per channel, so a retried delivery (SNS, Lambda, a
    /// 502 for one channel) does not post it again where it was posted. Messages
    /// without one (older callers) are posted on every delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Whether `id` may be a [`Notification::id`]: 1 to [`MAX_ID_CHARS`] characters,
/// none of them whitespace or control characters.
pub fn is_valid_id(id: &str) -> bool {
    let count = id.chars().count();
    (1..=MAX_ID_CHARS).contains(&count) && !id.chars().any(|c| c.is_whitespace() || c.is_control())
}
