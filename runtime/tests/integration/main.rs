//! The handlers against real components: moto in server mode (DynamoDB, EventBridge,
//! SQS, SNS, Secrets Manager, EMR) and local fakes for Slack, API Gateway and
//! CloudFormation's response URL. No mock of the SDK.

mod apis;
mod central;
mod cleanup;
mod support;
