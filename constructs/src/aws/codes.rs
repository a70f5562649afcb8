//! The diagnostic codes of dpc's AWS constructs and its central and account stacks:
//! `DM0301`–`DM0309` and `DM0320`–`DM0329` (the state machine and pipeline constructs use
//! `DM0310`–`DM0319` and `DM0330` on).

/// An IAM action would be granted on every resource (`*`) without being unscopable.
pub const UNSCOPED_ACTION: &str = "DM0301";
/// An IAM statement is not least-privilege (wildcard action, no resource) or a policy
/// cannot be edited.
pub const INVALID_POLICY: &str = "DM0302";
/// A resource policy is larger than the service allows.
pub const POLICY_TOO_LARGE: &str = "DM0303";
/// An event rule is invalid: no pattern or schedule, too many targets, a pattern over
/// EventBridge's size limit, a schedule on a custom bus.
pub const INVALID_RULE: &str = "DM0304";
/// More rules on one event bus than EventBridge's default quota.
pub const TOO_MANY_RULES: &str = "DM0305";
/// A log retention CloudWatch Logs does not accept.
pub const INVALID_RETENTION: &str = "DM0306";
/// A security group rule open to the whole internet.
pub const OPEN_SECURITY_GROUP: &str = "DM0307";
/// A Lambda permission for a service without a source ARN or account.
pub const UNSCOPED_PERMISSION: &str = "DM0308";
/// A name longer than AWS allows.
pub const NAME_TOO_LONG: &str = "DM0309";
/// An API definition is invalid (duplicate method, bad path).
pub const INVALID_API: &str = "DM0320";
/// A DynamoDB table definition is invalid (keys, indexes).
pub const INVALID_TABLE: &str = "DM0321";
/// The platform has no user account, or the central stack cannot be built from it.
pub const INVALID_PLATFORM: &str = "DM0322";
