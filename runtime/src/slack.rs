//! The Slack API (central): the Slack channel writer (`PUT`/`DELETE
//! /channels/{account}/{pipeline}`) and the Slack poster (`POST /messages`).
//!
//! The poster reads the pipeline's channels from the Slack channels table and the bot
//! token from Secrets Manager, and posts through Slack's Web API (`chat.postMessage`,
//! base URL [`env::SLACK_API_BASE_URL`]). The first message of an execution in a
//! channel starts a thread: the poster claims the thread item
//! (`attribute_not_exists`), posts, and stores Slack's `ts` as `rootMessageTs`;
//! later messages reply in that thread.
//!
//! A message is posted once per channel. Deliveries repeat (SNS and Lambda retry, and
//! a 502 because one channel of three failed makes the caller send the message
//! again), so a message with an id claims `sent#<id>#<channel>` in the threads table
//! before posting there, and marks it sent after Slack answered `ok`. A channel whose
//! marker says sent is skipped (listed in `alreadyPosted`); one whose claim is held
//! by a delivery still posting counts as failed, so the caller retries later rather
//! than posting twice. A claim left by a poster that died between claiming and
//! posting is taken over after [`SEND_LEASE_SECS`].

use crate::api::{self, ApiRequest, ApiResponse};
use crate::aws::error_text;
use crate::dynamo::{get_s, n, s};
use crate::env::{self, Vars, slack_channels, slack_threads};
use crate::events::ExecutionArn;
use crate::http::HttpClient;
use crate::model_keys::pipeline_key;
use crate::notification::{self, Notification};
use crate::trigger_manager::Error;
use aws_sdk_dynamodb::types::AttributeValue;
use dpc_model::PipelineId;
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;
use tokio::sync::Mutex;
use tracing::{Instrument, info, info_span, warn};

/// The most channels one pipeline may register.
pub const MAX_CHANNELS: usize = 20;
/// How long a thread is remembered (executions may run up to a year; threads of
/// older ones start afresh).
pub const THREAD_RETENTION_SECS: i64 = 400 * 86_400;

/// How long a posted message's markers are kept: longer than SNS and Lambda go on
/// retrying a delivery.
pub const SENT_RETENTION_SECS: i64 = 86_400;
/// How long a claim to post a message to a channel holds before another delivery may
/// take it over (longer than a post with its rate-limit wait takes).
pub const SEND_LEASE_SECS: i64 = 60;

/// The threads table's key of the marker of message `id` in `channel`.
pub fn sent_key(id: &str, channel: &str) -> String {
    format!("sent#{id}#{channel}")
}

/// Whether this delivery may post a message to a channel.
enum SendClaim {
    /// Claimed (or no id to claim by): post.
    Post,
    /// An earlier delivery posted it.
    Sent,
    /// Another delivery is posting it now.
    InFlight,
}

/// The body of `PUT /channels/{account}/{pipeline}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelsRequest {
    /// `#name`, `name` or a channel id `C…`.
    pub channels: Vec<String>,
}

/// Checks and normalises channels: `#name`/`name` become `#name`, ids stay.
///
/// # Errors
/// 400 for an empty list, too many, or a channel that is neither.
pub fn check_channels(channels: &[String]) -> Result<Vec<String>, ApiResponse> {
    if channels.is_empty() {
        return Err(ApiResponse::bad_request(
            "channels is empty: DELETE the registration instead",
        ));
    }
    if channels.len() > MAX_CHANNELS {
        return Err(ApiResponse::bad_request(format!(
            "{} channels; at most {MAX_CHANNELS} are allowed",
            channels.len()
        )));
    }
    let mut out: Vec<String> = Vec::new();
    for channel in channels {
        let normal = normalise_channel(channel).ok_or_else(|| {
            ApiResponse::bad_request(format!(
                "`{channel}` is not a Slack channel: write `#name`, `name` (lower case letters, digits, `-`, `_`) or a channel id `C…`"
            ))
        })?;
        if !out.contains(&normal) {
            out.push(normal);
        }
    }
    Ok(out)
}

/// `#name` for names, the id for ids; `None` for anything else.
pub fn normalise_channel(channel: &str) -> Option<String> {
    let is_id = channel.len() >= 9
        && channel.len() <= 21
        && matches!(channel.as_bytes().first(), Some(b'C' | b'G'))
        && channel
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
    if is_id {
        return Some(channel.to_string());
    }
    let name = channel.strip_prefix('#').unwrap_or(channel);
    let ok = !name.is_empty()
        && name.len() <= 80
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_');
    ok.then(|| format!("#{name}"))
}

/// The Slack channel writer.
#[derive(Clone, Debug)]
pub struct ChannelWriter {
    ddb: aws_sdk_dynamodb::Client,
    table: String,
}

impl ChannelWriter {
    /// A writer of the table named by [`env::SLACK_CHANNELS_TABLE`].
    ///
    /// # Errors
    /// The variable is missing.
    pub fn from_vars(
        config: &aws_config::SdkConfig,
        vars: &dyn Vars,
    ) -> Result<Self, env::MissingVar> {
        Ok(ChannelWriter {
            ddb: crate::aws::dynamodb(config),
            table: vars.require(env::SLACK_CHANNELS_TABLE)?,
        })
    }

    /// Answers one proxy integration event.
    ///
    /// # Errors
    /// A DynamoDB failure.
    pub async fn handle(&self, event: &Value) -> Result<Value, Error> {
        let response = match api::parse_request(event) {
            Ok(request) => {
                let span = info_span!("request", method = %request.method, path = %request.path);
                // Logged in the span: the line names the request it answers.
                async {
                    let answer = self.route(&request).await;
                    api::log_answer(&answer);
                    answer
                }
                .instrument(span)
                .await?
            }
            Err(r) => {
                r.log();
                r
            }
        };
        Ok(response.to_proxy())
    }

    async fn route(&self, request: &ApiRequest) -> Result<ApiResponse, Error> {
        let pipeline = match request.pipeline(env::CHANNELS_RESOURCE) {
            Ok(p) => p,
            Err(r) => return Ok(r),
        };
        if !matches!(request.method.as_str(), "PUT" | "DELETE") {
            return Ok(request.method_not_allowed(&["PUT", "DELETE"]));
        }
        if let Err(r) = request.authorize(&pipeline) {
            return Ok(r);
        }
        if request.method == "DELETE" {
            self.ddb
                .delete_item()
                .table_name(&self.table)
                .key(slack_channels::PARTITION, s(pipeline_key(&pipeline)))
                .send()
                .await
                .map_err(|e| format!("deleting the channels of {pipeline}: {}", error_text(&e)))?;
            info!(pipeline = %pipeline, "Slack channels removed");
            return Ok(ApiResponse::ok(
                json!({"pipeline": pipeline, "channels": []}),
            ));
        }
        let body: ChannelsRequest = match request.json() {
            Ok(b) => b,
            Err(r) => return Ok(r),
        };
        let channels = match check_channels(&body.channels) {
            Ok(c) => c,
            Err(r) => return Ok(r),
        };
        self.ddb
            .put_item()
            .table_name(&self.table)
            .item(slack_channels::PARTITION, s(pipeline_key(&pipeline)))
            .item(
                "channels",
                AttributeValue::L(channels.iter().map(s).collect()),
            )
            .item("updatedAt", s(crate::clock::system_now().to_string()))
            .send()
            .await
            .map_err(|e| format!("writing the channels of {pipeline}: {}", error_text(&e)))?;
        info!(pipeline = %pipeline, channels = channels.len(), "Slack channels registered");
        Ok(ApiResponse::ok(
            json!({"pipeline": pipeline, "channels": channels}),
        ))
    }
}

/// The Slack poster's settings.
#[derive(Clone, Debug)]
pub struct PosterSettings {
    /// The Slack channels table.
    pub channels_table: String,
    /// The Slack threads table.
    pub threads_table: String,
    /// The token's secret.
    pub token_secret: String,
    /// Slack's Web API base URL.
    pub slack_api: String,
    /// How often a message that lost the race for a thread looks for its root.
    pub thread_wait: (u32, Duration),
}

impl PosterSettings {
    /// From [`env::SLACK_CHANNELS_TABLE`], [`env::SLACK_THREADS_TABLE`],
    /// [`env::SLACK_TOKEN_SECRET_NAME`] and [`env::SLACK_API_BASE_URL`].
    ///
    /// # Errors
    /// A missing variable.
    pub fn from_vars(vars: &dyn Vars) -> Result<PosterSettings, env::MissingVar> {
        Ok(PosterSettings {
            channels_table: vars.require(env::SLACK_CHANNELS_TABLE)?,
            threads_table: vars.require(env::SLACK_THREADS_TABLE)?,
            token_secret: vars.require(env::SLACK_TOKEN_SECRET_NAME)?,
            slack_api: vars
                .get(env::SLACK_API_BASE_URL)
                .unwrap_or_else(|| env::DEFAULT_SLACK_API_BASE_URL.to_string()),
            thread_wait: (10, Duration::from_millis(300)),
        })
    }
}

/// The Slack poster.
#[derive(Debug)]
pub struct Poster {
    ddb: aws_sdk_dynamodb::Client,
    secrets: aws_sdk_secretsmanager::Client,
    http: HttpClient,
    settings: PosterSettings,
    token: Mutex<Option<String>>,
}

/// One message posted to one channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Posted {
    /// The channel as registered.
    pub channel: String,
    /// Slack's `ts` of the message.
    pub ts: String,
    /// The thread it replied in (`None`: it started the thread).
    pub thread_ts: Option<String>,
}

impl Poster {
    /// A poster over `config`'s clients.
    pub fn new(config: &aws_config::SdkConfig, http: HttpClient, settings: PosterSettings) -> Self {
        Poster {
            ddb: crate::aws::dynamodb(config),
            secrets: crate::aws::secretsmanager(config),
            http,
            settings,
            token: Mutex::new(None),
        }
    }

    /// Answers one proxy integration event (`POST /messages`).
    ///
    /// # Errors
    /// A DynamoDB or Secrets Manager failure.
    pub async fn handle(&self, event: &Value) -> Result<Value, Error> {
        let (message, pipeline) = match Self::accept(event) {
            Ok(accepted) => accepted,
            Err(refusal) => {
                refusal.log();
                return Ok(refusal.to_proxy());
            }
        };
        let span =
            info_span!("message", executionArn = %message.execution_arn, pipeline = %pipeline);
        let response = async {
            let answer = self.post(&pipeline, &message).await;
            api::log_answer(&answer);
            answer
        }
        .instrument(span)
        .await?;
        Ok(response.to_proxy())
    }

    /// The request's message and its pipeline, or the 4xx refusing it.
    fn accept(event: &Value) -> Result<(Notification, PipelineId), ApiResponse> {
        let request = api::parse_request(event)?;
        if request
            .segments_after(env::MESSAGES_RESOURCE)
            .is_none_or(|rest| !rest.is_empty())
        {
            return Err(ApiResponse::client_error(
                404,
                format!("no such resource `{}`: use /messages", request.path),
            ));
        }
        if request.method != "POST" {
            return Err(request.method_not_allowed(&["POST"]));
        }
        let message: Notification = request.json()?;
        let pipeline = check_notification(&message)?;
        request.authorize(&pipeline)?;
        Ok((message, pipeline))
    }

    async fn post(
        &self,
        pipeline: &PipelineId,
        message: &Notification,
    ) -> Result<ApiResponse, Error> {
        let channels = self.channels(pipeline).await?;
        if channels.is_empty() {
            return Ok(ApiResponse::client_error(
                404,
                format!(
                    "pipeline {pipeline} has no Slack channels registered: list them under `alerts.slack.channels` in its pipeline.yaml and deploy its stack"
                ),
            ));
        }
        let token = self.token().await?;
        let mut posted = Vec::new();
        let mut already = Vec::new();
        let mut failures = Vec::new();
        for channel in &channels {
            let marker = message.id.as_deref().map(|id| sent_key(id, channel));
            match self.claim_send(marker.as_deref()).await? {
                SendClaim::Post => {}
                SendClaim::Sent => {
                    info!(channel = %channel, "already posted by an earlier delivery");
                    already.push(json!(channel));
                    continue;
                }
                SendClaim::InFlight => {
                    failures.push(json!({"channel": channel, "error": "another delivery of this message is posting it now; retry later"}));
                    continue;
                }
            }
            let answer = match self.post_to(channel, message, &token).await {
                Ok(answer) => answer,
                Err(platform) => {
                    if let Some(marker) = &marker {
                        let _ = self.release_send(marker).await;
                    }
                    return Err(platform);
                }
            };
            match answer {
                Ok(p) => {
                    if let Some(marker) = &marker {
                        // Slack has it: a failure here only risks one repeat, so it is
                        // logged rather than failing the channels still to post.
                        if let Err(e) = self.mark_sent(marker, &p.ts).await {
                            warn!(channel = %channel, error = %e,
                                "posted, but not marked as posted: a retried delivery may post it to this channel again");
                        }
                    }
                    posted.push(json!({"channel": p.channel, "ts": p.ts, "threadTs": p.thread_ts}))
                }
                Err(why) => {
                    if let Some(marker) = &marker {
                        self.release_send(marker).await?;
                    }
                    let why = with_hint(&why);
                    warn!(channel = %channel, error = %why, "Slack refused the message");
                    failures.push(json!({"channel": channel, "error": why}));
                }
            }
        }
        if failures.is_empty() {
            Ok(ApiResponse::ok(
                json!({"posted": posted, "alreadyPosted": already}),
            ))
        } else {
            Ok(ApiResponse {
                status: 502,
                body: json!({
                    "message": "Slack did not take the message for some channels; a retry posts it to those only",
                    "posted": posted,
                    "alreadyPosted": already,
                    "failed": failures,
                }),
            })
        }
    }

    /// Claims the right to post a message to a channel (`marker`: its [`sent_key`]).
    async fn claim_send(&self, marker: Option<&str>) -> Result<SendClaim, Error> {
        let Some(marker) = marker else {
            return Ok(SendClaim::Post);
        };
        let now = crate::clock::system_now().as_unix_seconds();
        let put = self
            .ddb
            .put_item()
            .table_name(&self.settings.threads_table)
            .item(slack_threads::PARTITION, s(marker))
            .item("claimedAt", n(now))
            .item(env::TTL_ATTRIBUTE, n(now + SENT_RETENTION_SECS))
            .condition_expression(
                "attribute_not_exists(#k) OR (attribute_not_exists(sentTs) AND claimedAt < :stale)",
            )
            .expression_attribute_names("#k", slack_threads::PARTITION)
            .expression_attribute_values(":stale", n(now - SEND_LEASE_SECS))
            .send()
            .await;
        match put {
            Ok(_) => return Ok(SendClaim::Post),
            Err(e) if crate::dynamo::is_condition_failure(&e) => {}
            Err(e) => return Err(format!("claiming the Slack message: {}", error_text(&e)).into()),
        }
        let got = self
            .ddb
            .get_item()
            .table_name(&self.settings.threads_table)
            .key(slack_threads::PARTITION, s(marker))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("reading the Slack message's marker: {}", error_text(&e)))?;
        Ok(match got.item() {
            Some(item) if item.contains_key("sentTs") => SendClaim::Sent,
            Some(_) => SendClaim::InFlight,
            // Released between the put and the get: this delivery may try again later.
            None => SendClaim::InFlight,
        })
    }

    async fn mark_sent(&self, marker: &str, ts: &str) -> Result<(), Error> {
        self.ddb
            .update_item()
            .table_name(&self.settings.threads_table)
            .key(slack_threads::PARTITION, s(marker))
            .update_expression("SET sentTs = :t")
            .expression_attribute_values(":t", s(ts))
            .send()
            .await
            .map_err(|e| format!("marking the Slack message as posted: {}", error_text(&e)))?;
        Ok(())
    }

    /// Gives the claim up, unless the message was posted after all.
    async fn release_send(&self, marker: &str) -> Result<(), Error> {
        let deleted = self
            .ddb
            .delete_item()
            .table_name(&self.settings.threads_table)
            .key(slack_threads::PARTITION, s(marker))
            .condition_expression("attribute_not_exists(sentTs)")
            .send()
            .await;
        match deleted {
            Ok(_) => Ok(()),
            Err(e) if crate::dynamo::is_condition_failure(&e) => Ok(()),
            Err(e) => Err(format!("releasing the Slack message: {}", error_text(&e)).into()),
        }
    }

    async fn channels(&self, pipeline: &PipelineId) -> Result<Vec<String>, Error> {
        let got = self
            .ddb
            .get_item()
            .table_name(&self.settings.channels_table)
            .key(slack_channels::PARTITION, s(pipeline_key(pipeline)))
            .send()
            .await
            .map_err(|e| format!("reading the channels of {pipeline}: {}", error_text(&e)))?;
        Ok(got
            .item()
            .and_then(|i| i.get("channels"))
            .and_then(|c| c.as_l().ok())
            .map(|l| l.iter().filter_map(|v| v.as_s().ok().cloned()).collect())
            .unwrap_or_default())
    }

    async fn token(&self) -> Result<String, Error> {
        let mut cached = self.token.lock().await;
        if let Some(token) = cached.as_ref() {
            return Ok(token.clone());
        }
        let name = &self.settings.token_secret;
        let secret = self
            .secrets
            .get_secret_value()
            .secret_id(name)
            .send()
            .await
            .map_err(|e| {
                format!(
                    "reading the Slack token secret {name}: {}; check that the secret exists and that the poster's role may read it",
                    error_text(&e)
                )
            })?;
        let store = "store the bot token (xoxb-…) as its text, or as JSON {\"token\": \"xoxb-…\"}";
        let text = secret
            .secret_string()
            .ok_or_else(|| format!("the Slack token secret {name} has no string value: {store}"))?;
        let token = token_from_secret(text)
            .ok_or_else(|| format!("the Slack token secret {name} holds no token: {store}"))?;
        *cached = Some(token.clone());
        Ok(token)
    }

    /// Posts to one channel in the execution's thread. The outer error is the
    /// platform's (DynamoDB), the inner one Slack's answer.
    async fn post_to(
        &self,
        channel: &str,
        message: &Notification,
        token: &str,
    ) -> Result<Result<Posted, String>, Error> {
        let key = format!("{}#{channel}", message.execution_arn);
        if let Some((slack_channel, root)) = self.thread(&key).await? {
            return Ok(self
                .chat_post(&slack_channel, &message.text, Some(&root), token)
                .await
                .map(|(_, ts)| Posted {
                    channel: channel.to_string(),
                    ts,
                    thread_ts: Some(root),
                }));
        }
        if self.claim_thread(&key).await? {
            let answer = self.chat_post(channel, &message.text, None, token).await;
            match &answer {
                Ok((slack_channel, ts)) => self.store_thread(&key, slack_channel, ts).await?,
                // Let the next message start the thread instead.
                Err(_) => self.release_thread(&key).await?,
            }
            return Ok(answer.map(|(_, ts)| Posted {
                channel: channel.to_string(),
                ts,
                thread_ts: None,
            }));
        }
        // Another invocation is starting the thread: wait for its root.
        let (tries, pause) = self.settings.thread_wait;
        for _ in 0..tries {
            tokio::time::sleep(pause).await;
            if let Some((slack_channel, root)) = self.thread(&key).await? {
                return Ok(self
                    .chat_post(&slack_channel, &message.text, Some(&root), token)
                    .await
                    .map(|(_, ts)| Posted {
                        channel: channel.to_string(),
                        ts,
                        thread_ts: Some(root),
                    }));
            }
        }
        warn!(
            channel,
            "the thread's first message never arrived; posting outside the thread"
        );
        Ok(self
            .chat_post(channel, &message.text, None, token)
            .await
            .map(|(_, ts)| Posted {
                channel: channel.to_string(),
                ts,
                thread_ts: None,
            }))
    }

    async fn thread(&self, key: &str) -> Result<Option<(String, String)>, Error> {
        let got = self
            .ddb
            .get_item()
            .table_name(&self.settings.threads_table)
            .key(slack_threads::PARTITION, s(key))
            .consistent_read(true)
            .send()
            .await
            .map_err(|e| format!("reading the Slack thread: {}", error_text(&e)))?;
        Ok(got.item().and_then(|i| {
            Some((
                get_s(i, "channel")?.to_string(),
                get_s(i, "rootMessageTs")?.to_string(),
            ))
        }))
    }

    async fn claim_thread(&self, key: &str) -> Result<bool, Error> {
        let now = crate::clock::system_now().as_unix_seconds();
        let put = self
            .ddb
            .put_item()
            .table_name(&self.settings.threads_table)
            .item(slack_threads::PARTITION, s(key))
            .item("claimedAt", n(now))
            .item(env::TTL_ATTRIBUTE, n(now + THREAD_RETENTION_SECS))
            .condition_expression("attribute_not_exists(#k)")
            .expression_attribute_names("#k", slack_threads::PARTITION)
            .send()
            .await;
        match put {
            Ok(_) => Ok(true),
            Err(e) if crate::dynamo::is_condition_failure(&e) => Ok(false),
            Err(e) => Err(format!("claiming the Slack thread: {}", error_text(&e)).into()),
        }
    }

    async fn store_thread(&self, key: &str, channel: &str, ts: &str) -> Result<(), Error> {
        self.ddb
            .update_item()
            .table_name(&self.settings.threads_table)
            .key(slack_threads::PARTITION, s(key))
            .update_expression("SET channel = :c, rootMessageTs = :t")
            .expression_attribute_values(":c", s(channel))
            .expression_attribute_values(":t", s(ts))
            .send()
            .await
            .map_err(|e| format!("storing the Slack thread: {}", error_text(&e)))?;
        Ok(())
    }

    async fn release_thread(&self, key: &str) -> Result<(), Error> {
        self.ddb
            .delete_item()
            .table_name(&self.settings.threads_table)
            .key(slack_threads::PARTITION, s(key))
            .send()
            .await
            .map_err(|e| format!("releasing the Slack thread: {}", error_text(&e)))?;
        Ok(())
    }

    /// `chat.postMessage`; Slack's channel id and the message's `ts`, or Slack's error.
    async fn chat_post(
        &self,
        channel: &str,
        text: &str,
        thread_ts: Option<&str>,
        token: &str,
    ) -> Result<(String, String), String> {
        let url = format!(
            "{}/chat.postMessage",
            self.settings.slack_api.trim_end_matches('/')
        );
        let mut body = json!({"channel": channel, "text": text, "unfurl_links": false});
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        for attempt in 0..2 {
            let request = http::Request::builder()
                .method(http::Method::POST)
                .uri(&url)
                .header("authorization", format!("Bearer {token}"))
                .header("content-type", "application/json; charset=utf-8")
                .body(body.to_string().into_bytes())
                .map_err(|e| e.to_string())?;
            let response = self.http.send(request).await.map_err(|e| e.to_string())?;
            if response.status == 429 && attempt == 0 {
                let wait = response
                    .headers
                    .get("retry-after")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.parse::<u64>().ok())
                    .unwrap_or(1)
                    .min(5);
                tokio::time::sleep(Duration::from_secs(wait)).await;
                continue;
            }
            if !response.is_success() {
                return Err(format!(
                    "Slack answered HTTP {}: {}",
                    response.status,
                    response.text(300)
                ));
            }
            let answer: Value = serde_json::from_slice(&response.body).map_err(|_| {
                format!(
                    "Slack answered something that is not JSON: {}",
                    response.text(300)
                )
            })?;
            if answer.get("ok") != Some(&Value::Bool(true)) {
                let error = answer
                    .get("error")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown error");
                return Err(format!("Slack: {error}"));
            }
            let ts = answer
                .get("ts")
                .and_then(Value::as_str)
                .ok_or("Slack's answer has no ts")?;
            let channel_id = answer
                .get("channel")
                .and_then(Value::as_str)
                .unwrap_or(channel);
            return Ok((channel_id.to_string(), ts.to_string()));
        }
        Err("Slack kept rate-limiting the message".into())
    }
}

/// Slack's error with what a person can do about it, for the errors that need one.
pub fn with_hint(error: &str) -> String {
    let code = error.strip_prefix("Slack: ").unwrap_or(error);
    let hint = match code {
        "not_in_channel" => "invite the dpc app to the channel (/invite @<app> in Slack)",
        "channel_not_found" => {
            "the channel does not exist or is private without the app: fix `alerts.slack.channels` or invite the app"
        }
        "is_archived" => "the channel is archived: unarchive it or register another",
        "invalid_auth" | "not_authed" | "account_inactive" | "token_revoked" => {
            "the bot token in the Slack token secret is not valid: store a current xoxb- token"
        }
        "missing_scope" => "the Slack app needs the chat:write scope",
        _ => return error.to_string(),
    };
    format!("{error} ({hint})")
}

/// The bot token in a secret: the bare string, or JSON with `token` or `botToken`.
pub fn token_from_secret(text: &str) -> Option<String> {
    let trimmed = text.trim();
    if let Ok(Value::Object(map)) = serde_json::from_str::<Value>(trimmed) {
        return ["token", "botToken", "slackToken"]
            .iter()
            .find_map(|k| map.get(*k).and_then(Value::as_str))
            .map(str::to_string)
            .filter(|t| !t.is_empty());
    }
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

/// A message's fields agree with each other; returns its pipeline.
///
/// # Errors
/// 400 with the first problem.
pub fn check_notification(message: &Notification) -> Result<PipelineId, ApiResponse> {
    if message.version != notification::VERSION {
        return Err(ApiResponse::bad_request(format!(
            "version `{}` is not supported (use \"{}\")",
            message.version,
            notification::VERSION
        )));
    }
    api::check_account(&message.account)?;
    api::check_pipeline_name(&message.pipeline)?;
    let pipeline = PipelineId::new(&message.account, &message.pipeline);
    let arn = ExecutionArn::parse(&message.execution_arn)
        .map_err(|e| ApiResponse::bad_request(e.to_string()))?;
    match arn.pipeline() {
        Ok(owner) if owner == pipeline => {}
        _ => {
            return Err(ApiResponse::bad_request(format!(
                "execution {} is not one of pipeline {pipeline}",
                message.execution_arn
            )));
        }
    }
    if message.text.trim().is_empty() {
        return Err(ApiResponse::bad_request("text is empty"));
    }
    if message.text.chars().count() > notification::MAX_TEXT_CHARS {
        return Err(ApiResponse::bad_request(format!(
            "text has more than {} characters",
            notification::MAX_TEXT_CHARS
        )));
    }
    if let Some(id) = &message.id
        && !notification::is_valid_id(id)
    {
        return Err(ApiResponse::bad_request(format!(
            "id must be 1 to {} characters without spaces",
            notification::MAX_ID_CHARS
        )));
    }
    if message.status.is_empty() || message.status.len() > 32 {
        return Err(ApiResponse::bad_request(
            "status must be 1 to 32 characters",
        ));
    }
    Ok(pipeline)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_are_names_or_ids() {
        assert_eq!(
            normalise_channel("data-pipeline-alerts").as_deref(),
            Some("#data-pipeline-alerts")
        );
        assert_eq!(normalise_channel("#alerts_x").as_deref(), Some("#alerts_x"));
        assert_eq!(
            normalise_channel("C0123456789").as_deref(),
            Some("C0123456789")
        );
        assert_eq!(normalise_channel("Alerts"), None);
        assert_eq!(normalise_channel("#"), None);
        assert_eq!(normalise_channel("a b"), None);
        let checked = check_channels(&["a".into(), "#a".into(), "C0123456789".into()]).unwrap();
        assert_eq!(checked, ["#a", "C0123456789"]);
        assert_eq!(check_channels(&[]).unwrap_err().status, 400);
        let many: Vec<String> = (0..=MAX_CHANNELS).map(|i| format!("c{i}")).collect();
        assert_eq!(check_channels(&many).unwrap_err().status, 400);
    }

    #[test]
    fn tokens_come_bare_or_in_json() {
        assert_eq!(token_from_secret(" xoxb-1 \n").as_deref(), Some("xoxb-1"));
        assert_eq!(
            token_from_secret(r#"{"token":"xoxb-2"}"#).as_deref(),
            Some("xoxb-2")
        );
        assert_eq!(token_from_secret(r#"{"other":"x"}"#), None);
        assert_eq!(token_from_secret(""), None);
    }

    #[test]
    fn notifications_must_agree_with_their_execution() {
        let ok = Notification {
            version: "1".into(),
            pipeline: "pipeline-x".into(),
            account: "444444444444".into(),
            execution_arn: "arn:aws:states:eu-west-1:444444444444:execution:dpc-pipeline-x:r1"
                .into(),
            kind: notification::Kind::Pipeline,
            status: "FAILED".into(),
            step: None,
            text: "pipeline-x failed".into(),
            id: Some("444444444444#pipeline-x#r1#FAILED#0".into()),
        };
        assert!(check_notification(&ok).is_ok());
        let mut other = ok.clone();
        other.execution_arn =
            "arn:aws:states:eu-west-1:444444444444:execution:dpc-listings:r1".into();
        assert_eq!(check_notification(&other).unwrap_err().status, 400);
        let mut empty = ok.clone();
        empty.text = " ".into();
        assert_eq!(check_notification(&empty).unwrap_err().status, 400);
        for bad in [
            String::new(),
            "a b".into(),
            "x".repeat(notification::MAX_ID_CHARS + 1),
        ] {
            let mut odd = ok.clone();
            odd.id = Some(bad);
            assert_eq!(check_notification(&odd).unwrap_err().status, 400);
        }
        let mut none = ok.clone();
        none.id = None;
        assert!(check_notification(&none).is_ok());
    }

    #[test]
    fn slack_errors_say_what_to_do() {
        assert!(with_hint("Slack: not_in_channel").contains("/invite"));
        assert!(with_hint("Slack: missing_scope").contains("chat:write"));
        assert_eq!(with_hint("Slack: ratelimited"), "Slack: ratelimited");
    }
}
