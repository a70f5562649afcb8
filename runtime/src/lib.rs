//! dpc's Lambda runtime: one binary (`bootstrap`, for `provided.al2023`) serving every
//! Lambda function of the platform. The environment variable `DPC_HANDLER` (set by
//! the templates) chooses the handler; [`mod@env`] lists every variable and table key
//! the handlers rely on.
//!
//! Central account: [`trigger_manager`], [`dependencies`] (the dependency API),
//! [`slack`] (the Slack API: the channel writer and the message poster). User accounts:
//! [`tracker`] (execution tracker), [`slack_caller`], [`cleanup`] and
//! [`registration`] (the custom-resource provider).
//!
//! The trigger semantics are not here: they are [`dpc_model::evaluate`], shared with
//! `dpc simulate`. This crate only reads and writes the state they need, exactly
//! once.

pub mod api;
pub mod aws;
pub mod cfn;
pub mod cleanup;
pub mod clock;
pub mod dependencies;
pub mod dynamo;
pub mod ec2;
pub mod env;
pub mod events;
pub mod handler;
pub mod http;
pub mod log;
pub mod model_keys;
pub mod notification;
pub mod registration;
pub mod slack;
pub mod slack_caller;
pub mod tracker;
pub mod trigger_manager;
