//! The Slack caller (user accounts): subscribed to pipelines' topics, it forwards each
//! notification to the central Slack API's `POST /messages`, signed with SigV4.
//!
//! A 4xx answer is a message the API will never take (logged and dropped, so SNS
//! does not retry it forever); no answer, a 429 or a 5xx fails the invocation so
//! SNS/Lambda retry it. A notification without an id (from an older tracker) gets the
//! SNS message's id, which SNS keeps across its own redeliveries, so that the poster
//! posts it once per channel however often it arrives.

use crate::env;
use crate::notification::{self, Notification};
use crate::registration::ApiCaller;
use crate::trigger_manager::Error;
use serde_json::Value;
use tracing::{Instrument, error, info, info_span, warn};

/// The Slack caller.
#[derive(Clone, Debug)]
pub struct SlackCaller {
    caller: ApiCaller,
}

/// What one invocation did with each record.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Forwarded {
    /// Messages the API took.
    pub delivered: usize,
    /// Messages dropped (not a dpc notification, or refused for good).
    pub dropped: usize,
}

impl SlackCaller {
    /// A caller of the Slack API at [`env::SLACK_API_URL`].
    pub fn new(caller: ApiCaller) -> SlackCaller {
        SlackCaller { caller }
    }

    /// Handles one SNS event.
    ///
    /// # Errors
    /// When a message could not be delivered but may be later.
    pub async fn handle(&self, event: &Value) -> Result<Forwarded, Error> {
        let mut out = Forwarded::default();
        let records = event
            .get("Records")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if records.is_empty() {
            warn!("not an SNS event: no Records");
        }
        for record in &records {
            // Before the notification is read, the topic (`dpc-<pipeline>-alerts`) and
            // the message id are all that say which message a line is about.
            let sns = |field: &str| {
                record
                    .pointer(&format!("/Sns/{field}"))
                    .and_then(Value::as_str)
                    .unwrap_or("-")
                    .to_string()
            };
            let attribute = record
                .pointer(&format!(
                    "/Sns/MessageAttributes/{}/Value",
                    notification::ATTRIBUTE
                ))
                .and_then(Value::as_str);
            let mut message = match attribute.map(serde_json::from_str::<Notification>) {
                Some(Ok(m)) => m,
                Some(Err(e)) => {
                    error!(topic = %sns("TopicArn"), messageId = %sns("MessageId"), error = %e,
                        "the notification attribute is unreadable: dropped");
                    out.dropped += 1;
                    continue;
                }
                None => {
                    warn!(topic = %sns("TopicArn"), messageId = %sns("MessageId"),
                        "an SNS message without a dpc notification (only the execution tracker's carry one): dropped");
                    out.dropped += 1;
                    continue;
                }
            };
            if message.id.is_none() {
                message.id = record
                    .pointer("/Sns/MessageId")
                    .and_then(Value::as_str)
                    .filter(|id| notification::is_valid_id(id))
                    .map(str::to_string);
            }
            let span = info_span!("message", executionArn = %message.execution_arn, pipeline = %message.pipeline);
            if self.forward(&message).instrument(span).await? {
                out.delivered += 1;
            } else {
                out.dropped += 1;
            }
        }
        Ok(out)
    }

    /// `Ok(true)` delivered, `Ok(false)` refused for good.
    async fn forward(&self, message: &Notification) -> Result<bool, Error> {
        let base = self
            .caller
            .apis()
            .slack_api
            .clone()
            .ok_or_else(|| format!("{} is not set on the Slack caller", env::SLACK_API_URL))?;
        let body = serde_json::to_value(message)?;
        let path = format!("/{}", env::MESSAGES_RESOURCE);
        match self
            .caller
            .call(http::Method::POST, &base, &path, Some(&body))
            .await
        {
            Ok(_) => {
                info!("delivered to the Slack API");
                Ok(true)
            }
            Err(f)
                if f.status
                    .is_some_and(|s| (400..500).contains(&s) && s != 429) =>
            {
                error!(reason = %f.reason, "the Slack API refused the message: dropped");
                Ok(false)
            }
            Err(f) => {
                warn!(reason = %f.reason,
                    "the Slack API did not take the message; the invocation fails so it is delivered again");
                // The dead-letter queue keeps this text without the span: it names the
                // message itself.
                Err(format!(
                    "forwarding the {} notification of execution {} to the Slack API: {}",
                    message.status, message.execution_arn, f.reason
                )
                .into())
            }
        }
    }
}
