//! What a pipeline stack uses from its account's setup stack (`dpc-account-<alias>`),
//! by deterministic name: no cross-stack references.
//!
//! Values AWS makes up (security group ids, the security configuration's name) are
//! read from SSM parameters under `/dpc/` with `{{resolve:ssm:...}}`; everything else
//! has a name both stacks compute the same way.
//!
//! The names come from [`dpc_model::contract`], as the account setup stack's do, so the
//! two stacks cannot drift apart.

use dpc_model::contract::{account as names, events, params, tables, tags};
use dpc_model::naming::{self, AwsEnv, LambdaRole};

/// SSM parameter: the EMR primary (master) node security group id.
pub const SSM_PRIMARY_SECURITY_GROUP: &str = params::PRIMARY_SECURITY_GROUP_ID;
/// SSM parameter: the EMR core and task nodes security group id.
pub const SSM_CORE_SECURITY_GROUP: &str = params::CORE_SECURITY_GROUP_ID;
/// SSM parameter: the EMR service access security group id (private subnets).
pub const SSM_SERVICE_ACCESS_SECURITY_GROUP: &str = params::SERVICE_ACCESS_SECURITY_GROUP_ID;
/// SSM parameter: the EMR security configuration's name.
pub const SSM_SECURITY_CONFIGURATION: &str = params::SECURITY_CONFIGURATION_NAME;
/// SSM parameter: the ARN of the account's KMS key (artifacts bucket, logs).
pub const SSM_KMS_KEY_ARN: &str = params::KEY_ARN;

/// The EMR service role every cluster of the account uses.
pub const EMR_SERVICE_ROLE_NAME: &str = names::EMR_SERVICE_ROLE;

/// The DynamoDB table where executions claim their trigger.
pub const CLAIM_TABLE_NAME: &str = tables::claims::NAME;
/// The claim table's partition key (a string).
pub const CLAIM_TABLE_KEY: &str = tables::claims::PARTITION;
/// The claim table's TTL attribute (epoch seconds, a number).
pub const CLAIM_TABLE_TTL: &str = tables::TTL_ATTRIBUTE;
/// How long a claim is kept: far longer than EventBridge redelivers an event (24 hours).
pub const CLAIM_TTL_SECONDS: u64 = 30 * 24 * 3600;

/// The key prefix under which EMR writes cluster logs in the artifacts bucket.
pub const EMR_LOG_PREFIX: &str = names::EMR_LOG_PREFIX;

/// The cluster tag that names the execution a cluster belongs to; the cleanup Lambda
/// terminates clusters whose execution was aborted or timed out by this tag.
pub const EXECUTION_TAG: &str = tags::EXECUTION;
/// The cluster tag that names the pipeline; the state machine's EMR permissions are
/// limited to clusters with its own value.
pub const PIPELINE_TAG: &str = tags::PIPELINE;
/// The cluster tag that names the owner.
pub const OWNER_TAG: &str = tags::OWNER;

/// `source` of the status event a state machine reports about itself.
pub const STATUS_SOURCE: &str = events::PIPELINE_STATUS_SOURCE;
/// `detail-type` of that event.
pub const STATUS_DETAIL_TYPE: &str = events::PIPELINE_STATUS_DETAIL_TYPE;

/// The names and ARNs of one account's shared resources.
#[derive(Clone, Debug)]
pub struct AccountSetup {
    /// Where the account is (partition from the region).
    pub env: AwsEnv,
}

impl AccountSetup {
    /// The setup of account `account` in `region`.
    pub fn new(account: &str, region: &str) -> AccountSetup {
        AccountSetup {
            env: AwsEnv::new(account, region),
        }
    }

    /// The artifacts bucket's name.
    pub fn artifacts_bucket(&self) -> String {
        naming::artifacts_bucket_name(&self.env.account, &self.env.region)
    }

    /// The ARN of a Lambda of the setup stack.
    pub fn lambda_arn(&self, role: LambdaRole) -> String {
        self.env.lambda_role_arn(role)
    }

    /// The claim table's ARN.
    pub fn claim_table_arn(&self) -> String {
        format!(
            "arn:{}:dynamodb:{}:{}:table/{CLAIM_TABLE_NAME}",
            self.env.partition, self.env.region, self.env.account
        )
    }

    /// The ARN of the account's dead-letter queue `dpc-dead-letters`, for targets that
    /// need a literal ARN (Scheduler's `DeadLetterConfig` and the role that sends to it).
    pub fn dead_letter_queue_arn(&self) -> String {
        self.env.sqs_queue_arn(names::DEAD_LETTER_QUEUE)
    }

    /// The EMR service role's ARN.
    pub fn emr_service_role_arn(&self) -> String {
        format!(
            "arn:{}:iam::{}:role/{EMR_SERVICE_ROLE_NAME}",
            self.env.partition, self.env.account
        )
    }

    /// The ARN of the account's default event bus, where the state machine reports its
    /// final status (the forwarding rule sends it on to the central bus).
    pub fn default_bus_arn(&self) -> String {
        self.env.event_bus_arn("default")
    }
}
