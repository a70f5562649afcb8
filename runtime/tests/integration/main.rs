//! The handlers against real components: moto in server mode (DynamoDB, EventBridge,
//! SQS, SNS, Secrets Manager, EMR) and local fakes for Slack, API Gateway and
//! CloudFormation's response URL. No mock of the SDK.

// A failed set-up step in a helper is a failed test; its panic says where.
#![allow(clippy::unwrap_used)]

mod apis;
mod binary;
mod bundle;
mod central;
mod cleanup;
mod registration;
mod slack;
mod support;
mod tracker;
