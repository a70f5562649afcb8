//! The names the templates and the Lambda runtime must agree on, in one place.
//!
//! The stacks (`dpc-constructs`) and the runtime (`dpc-runtime`) are built and deployed
//! separately, and nothing checks at deploy time that a table's key in a template is the
//! key the runtime writes, or that a function's environment holds the variable its
//! handler reads. Both sides take these names from here, so they cannot drift apart.
//!
//! * [`env`](mod@env): the Lambda environment variables, and which ones each function gets;
//! * [`tables`]: DynamoDB table names, their keys, indexes, item kinds and the
//!   attributes a template declares;
//! * [`params`]: the SSM parameters under `/dpc/` the account setup stack publishes;
//! * [`events`]: `source` and `detail-type` of the events dpc matches and sends;
//! * [`api`]: the central APIs' stage and paths;
//! * [`alerts`]: the message attributes alert topics' subscriptions filter on;
//! * [`central`] and [`account`]: the other physical names of the central and account
//!   setup stacks (queues, rules, roles, security groups, custom resources);
//! * [`tags`]: the tags dpc reads back at run time.
//!
//! SPEC's own names (stacks, buses, state machines, buckets, Lambdas, alert topics) are
//! functions in [`crate::naming`].

/// The Lambda environment variables: the names the templates set and the runtime reads.
pub mod env {
    use crate::naming::LambdaRole;

    /// Selects the handler of the one runtime bundle: [`LambdaRole::as_str`] of the
    /// function's role. Every dpc function has it.
    pub const HANDLER: &str = "DPC_HANDLER";
    /// The level of the runtime's JSON logs (`error`, `warn`, `info`, `debug`, `trace`).
    /// Optional: the templates leave it unset, so the runtime's default applies.
    pub const LOG_LEVEL: &str = "DPC_LOG_LEVEL";

    /// The run log table's name ([`super::tables::run_log`]).
    pub const RUN_LOG_TABLE: &str = "RUN_LOG_TABLE";
    /// The dependencies table's name ([`super::tables::dependencies`]).
    pub const DEPENDENCIES_TABLE: &str = "DEPENDENCIES_TABLE";
    /// The trigger records table's name ([`super::tables::triggers`]).
    pub const TRIGGER_RECORDS_TABLE: &str = "TRIGGER_RECORDS_TABLE";
    /// The central bus the trigger manager puts trigger events on (its name).
    pub const CENTRAL_BUS_NAME: &str = "CENTRAL_BUS_NAME";
    /// The Slack channels table's name ([`super::tables::slack_channels`]).
    pub const SLACK_CHANNELS_TABLE: &str = "SLACK_CHANNELS_TABLE";
    /// The Slack threads table's name ([`super::tables::slack_threads`]).
    pub const SLACK_THREADS_TABLE: &str = "SLACK_THREADS_TABLE";
    /// The name of the Secrets Manager secret holding the Slack token (read at run time;
    /// the token is never in a template).
    pub const SLACK_TOKEN_SECRET_NAME: &str = "SLACK_TOKEN_SECRET_NAME";
    /// The account's claims table's name ([`super::tables::claims`]).
    pub const CLAIMS_TABLE: &str = "CLAIMS_TABLE";
    /// The central dependency API's URL (the stage URL, `https://…/v1`).
    pub const DEPENDENCY_API_URL: &str = "DEPENDENCY_API_URL";
    /// The central Slack API's URL (the stage URL, `https://…/v1`).
    pub const SLACK_API_URL: &str = "SLACK_API_URL";
    /// The central account's region, to sign calls to the central APIs (SigV4).
    pub const CENTRAL_API_REGION: &str = "CENTRAL_API_REGION";
    /// The EMR cluster tag that names a cluster's execution ([`super::tags::EXECUTION`]).
    pub const EXECUTION_TAG: &str = "EXECUTION_TAG";

    /// The variables the templates set on the function of `role`, besides [`HANDLER`],
    /// in the order they are set. The runtime's handler for `role` may require exactly
    /// these.
    pub fn variables(role: LambdaRole) -> &'static [&'static str] {
        match role {
            LambdaRole::TriggerManager => &[
                RUN_LOG_TABLE,
                TRIGGER_RECORDS_TABLE,
                DEPENDENCIES_TABLE,
                CENTRAL_BUS_NAME,
            ],
            LambdaRole::DependenciesWriter => {
                &[DEPENDENCIES_TABLE, RUN_LOG_TABLE, TRIGGER_RECORDS_TABLE]
            }
            LambdaRole::SlackChannelWriter => &[SLACK_CHANNELS_TABLE],
            LambdaRole::SlackPoster => &[
                SLACK_CHANNELS_TABLE,
                SLACK_THREADS_TABLE,
                SLACK_TOKEN_SECRET_NAME,
            ],
            LambdaRole::ExecutionTracker => &[CLAIMS_TABLE],
            LambdaRole::SlackCaller => &[SLACK_API_URL, CENTRAL_API_REGION],
            LambdaRole::Cleanup => &[EXECUTION_TAG],
            LambdaRole::Registration => &[DEPENDENCY_API_URL, SLACK_API_URL, CENTRAL_API_REGION],
        }
    }
}

/// The DynamoDB tables: names, keys (all strings), indexes and item kinds.
///
/// Keys of pipelines are `<account id>#<name>` everywhere (a [`crate::PipelineId`]).
pub mod tables {
    /// The TTL attribute (epoch seconds, a number) of the tables whose items expire.
    pub const TTL_ATTRIBUTE: &str = "expiresAt";

    /// Central: the run log, one item per status event and one per pipeline's latest.
    ///
    /// * `event` = `EVENT#<execution>#<STATUS>#<redriveCount>` ([`EVENT_PREFIX`](run_log::EVENT_PREFIX)): one
    ///   status event, written with `attribute_not_exists` (the duplicate check), holding
    ///   [`EVENT_TIME`](run_log::EVENT_TIME) (RFC 3339, UTC), `execution`, `status`, `redriveCount` and
    ///   [`TTL_ATTRIBUTE`];
    /// * `event` = [`LATEST`](run_log::LATEST): the pipeline's latest status event (never expires; it seeds
    ///   pipelines registered later).
    pub mod run_log {
        /// The table's name.
        pub const NAME: &str = "dpc-run-log";
        /// Partition key: the pipeline, `<account>#<name>`.
        pub const PARTITION: &str = "pipeline";
        /// Sort key: `EVENT#…` or [`LATEST`].
        pub const SORT: &str = "event";
        /// The sort key of a pipeline's latest status event.
        pub const LATEST: &str = "LATEST";
        /// The prefix of the sort key of one status event.
        pub const EVENT_PREFIX: &str = "EVENT#";
        /// The local index ordering a pipeline's events by [`EVENT_TIME`].
        pub const BY_EVENT_TIME: &str = "by-event-time";
        /// The event's time (RFC 3339, UTC, a string): the sort key of [`BY_EVENT_TIME`],
        /// so an item without it is not in the index.
        pub const EVENT_TIME: &str = "eventTime";
    }

    /// Central: one item per child→parent edge, holding the child's whole condition
    /// (`condition`, JSON of [`crate::Condition`]) and `within` (seconds), so one query on
    /// a parent yields every child to evaluate with its condition.
    pub mod dependencies {
        /// The table's name.
        pub const NAME: &str = "dpc-dependencies";
        /// Partition key: the upstream pipeline, `<account>#<name>`.
        pub const PARTITION: &str = "parent";
        /// Sort key: the downstream pipeline, `<account>#<name>`.
        pub const SORT: &str = "child";
        /// The global index listing a child's edges (partition [`SORT`], sort
        /// [`PARTITION`]), to replace them when the child's condition changes.
        pub const BY_CHILD: &str = "by-child";
    }

    /// Central: the trigger records of each downstream pipeline C.
    ///
    /// * `record` = [`STATE`](triggers::STATE): C's trigger state ([`crate::ChildState`]) with a `version`,
    ///   written with a condition on the version read, so two concurrent evaluations
    ///   cannot both fire;
    /// * `record` = `TRIGGER#<trigger time>#<cause execution>#<cause status>`
    ///   ([`TRIGGER_PREFIX`](triggers::TRIGGER_PREFIX)): one per trigger event, written with `attribute_not_exists`
    ///   before the event is put, so a retried evaluation emits it once;
    ///   [`TTL_ATTRIBUTE`] set.
    pub mod triggers {
        /// The table's name.
        pub const NAME: &str = "dpc-trigger-records";
        /// Partition key: C, `<account>#<name>`.
        pub const PARTITION: &str = "pipeline";
        /// Sort key: [`STATE`] or `TRIGGER#…`.
        pub const SORT: &str = "record";
        /// The sort key of C's trigger state.
        pub const STATE: &str = "STATE";
        /// The prefix of the sort key of one trigger.
        pub const TRIGGER_PREFIX: &str = "TRIGGER#";
    }

    /// Central: each pipeline's Slack channels (`channels`, a list).
    pub mod slack_channels {
        /// The table's name.
        pub const NAME: &str = "dpc-slack-channels";
        /// Partition key: the pipeline, `<account>#<name>`.
        pub const PARTITION: &str = "pipeline";
    }

    /// Central: the Slack thread of each execution and channel, holding `channel`,
    /// `rootMessageTs` and [`TTL_ATTRIBUTE`].
    pub mod slack_threads {
        /// The table's name.
        pub const NAME: &str = "dpc-slack-threads";
        /// Partition key: `<execution ARN>#<channel as registered>` (a pipeline may post
        /// to several channels, each with its own thread).
        pub const PARTITION: &str = "execution";
    }

    /// User accounts: claims, so that what is delivered twice happens once. A pipeline's
    /// first state claims its trigger id; the execution tracker claims
    /// `notified#<event key>` before it notifies. Items carry
    /// [`TTL_ATTRIBUTE`].
    pub mod claims {
        /// The table's name.
        pub const NAME: &str = "dpc-trigger-claims";
        /// Partition key: what is claimed.
        pub const PARTITION: &str = "triggerId";

        /// The claim key of a trigger event for `pipeline`: `<pipeline>#trigger#<time>`,
        /// where `time` is the trigger event's `time` (the firing time t, which the
        /// trigger manager puts as the event's `Time`, strictly increasing per child). A
        /// redelivery and a re-put of one firing share it, though EventBridge gives
        /// each put a new `id`. The state machine computes the same in JSONata.
        pub fn trigger_key(pipeline: &str, time: &str) -> String {
            format!("{pipeline}{TRIGGER_INFIX}{time}")
        }

        /// Between the pipeline's name and the event's time in [`trigger_key`].
        pub const TRIGGER_INFIX: &str = "#trigger#";
    }
}

/// The SSM parameters (type `String`) the account setup stack publishes for values AWS
/// makes up; pipeline stacks read them with `{{resolve:ssm:…}}`.
pub mod params {
    /// The prefix of every dpc parameter.
    pub const PREFIX: &str = "/dpc/";
    /// The ARN of the account's KMS key.
    pub const KEY_ARN: &str = "/dpc/kms/key-arn";
    /// The ARN of the account's dead-letter queue ([`super::account::DEAD_LETTER_QUEUE`]).
    pub const DEAD_LETTER_QUEUE_ARN: &str = "/dpc/dead-letter-queue-arn";
    /// The id of the EMR primary security group.
    pub const PRIMARY_SECURITY_GROUP_ID: &str = "/dpc/emr/primary-security-group-id";
    /// The id of the EMR core security group.
    pub const CORE_SECURITY_GROUP_ID: &str = "/dpc/emr/core-security-group-id";
    /// The id of the EMR service access security group (private subnets only).
    pub const SERVICE_ACCESS_SECURITY_GROUP_ID: &str = "/dpc/emr/service-access-security-group-id";
    /// The name of the EMR security configuration.
    pub const SECURITY_CONFIGURATION_NAME: &str = "/dpc/emr/security-configuration-name";
}

/// `source` and `detail-type` of the events dpc matches and sends.
pub mod events {
    pub use crate::trigger_event::{TRIGGER_DETAIL_TYPE, TRIGGER_SOURCE};

    /// `source` of Step Functions' own execution status events.
    pub const SFN_SOURCE: &str = "aws.states";
    /// `detail-type` of Step Functions' own execution status events.
    pub const SFN_STATUS_DETAIL_TYPE: &str = "Step Functions Execution Status Change";

    /// `source` of the status report each dpc state machine sends itself (to its
    /// account's default bus, from where the forwarding rule sends it on to the central
    /// bus), because EventBridge delivers Step Functions' own events on a best-effort
    /// basis.
    ///
    /// The report's `detail`: `version` (`"1"`), `pipeline` (the name), `account` (the
    /// id), `status` (`RUNNING` right after the run claimed its trigger, with
    /// `startDate`, the execution's start in epoch milliseconds, as the status's time;
    /// then the final status the state machine reached itself: `SUCCEEDED`, `FAILED` or
    /// `TIMED_OUT`), `executionArn`, `stateMachineArn` and `redriveCount` (spelled as in
    /// Step Functions' own detail), and `error` when the run did not succeed; a final
    /// status's time is the event's `time` (when it was put). Both reports of one
    /// terminal status are the same status event to the trigger manager; `RUNNING` of a
    /// first run is taken from this report only, because Step Functions also reports
    /// `RUNNING` for a duplicate execution that ran nothing.
    pub const PIPELINE_STATUS_SOURCE: &str = "dpc.pipeline";
    /// `detail-type` of a dpc state machine's own status report.
    pub const PIPELINE_STATUS_DETAIL_TYPE: &str = "Pipeline Status Change";

    /// The key of a duplicate execution's output, `{"dpcDuplicate": true}`: an execution
    /// that found its trigger already claimed ends `SUCCEEDED` having run nothing, and
    /// Step Functions' status events of it carry that output, so the trigger manager
    /// can ignore them.
    pub const DUPLICATE_OUTPUT_KEY: &str = "dpcDuplicate";
}

/// The central APIs (REST, IAM auth, Lambda proxy integration).
pub mod api {
    /// The stage both APIs are deployed to (the last segment of their URLs).
    pub const STAGE: &str = "v1";
    /// Dependency API: `GET`/`PUT`/`DELETE /dependencies/{account}/{pipeline}`.
    pub const DEPENDENCIES_RESOURCE: &str = "dependencies";
    /// Slack API: `PUT`/`DELETE /channels/{account}/{pipeline}`.
    pub const CHANNELS_RESOURCE: &str = "channels";
    /// Slack API: `POST /messages`.
    pub const MESSAGES_RESOURCE: &str = "messages";
    /// The most condition items the dependency API accepts for one pipeline. It stores
    /// the whole condition once per parent (so the trigger manager finds a parent's
    /// children with one query), so a registration writes items × condition bytes, and
    /// the request must fit its 64 KiB body; the loader rejects more, so that synth
    /// fails rather than the deploy.
    pub const MAX_CONDITION_ITEMS: usize = 200;
    /// The deepest nesting of condition groups the dependency API accepts (the
    /// `executions` block itself is level 1).
    pub const MAX_CONDITION_DEPTH: usize = 8;
}

/// The central stack's physical names that are not in SPEC's table.
pub mod central {
    /// The trigger manager's rule on the central bus.
    pub const TRIGGER_MANAGER_RULE: &str = "dpc-trigger-manager";
    /// The dead-letter queue of everything the central bus fails to deliver.
    pub const DEAD_LETTER_QUEUE: &str = "dpc-central-dead-letters";
    /// The topic the central alarms notify.
    pub const ALARM_TOPIC: &str = "dpc-central-alarms";
    /// The central stack's KMS key alias (`alias/dpc-central`).
    pub const KEY_ALIAS: &str = "dpc-central";
    /// The dependency API.
    pub const DEPENDENCY_API: &str = "dpc-dependencies";
    /// The Slack API.
    pub const SLACK_API: &str = "dpc-slack";
    /// The prefix of the forwarding rules (`dpc-forward-<alias>`).
    pub const FORWARD_RULE_PREFIX: &str = "dpc-forward-";
}

/// The account setup stack's physical names that are not in SPEC's table. Pipeline
/// stacks use them to find what that stack made.
pub mod account {
    /// The account's KMS key alias (`alias/dpc`).
    pub const KEY_ALIAS: &str = "dpc";
    /// The topic the account's dpc alarms notify; platform.yaml's `alerts.targets`
    /// subscribe to it (CloudWatch alarms publish only to topics of their own account).
    pub const ALARM_TOPIC: &str = "dpc-platform-alarms";
    /// The dead-letter queue of the account's dpc rules and schedules.
    pub const DEAD_LETTER_QUEUE: &str = "dpc-dead-letters";
    /// The EMR service role.
    pub const EMR_SERVICE_ROLE: &str = "dpc-emr-service";
    /// The default EMR EC2 role, and its instance profile (same name).
    pub const EMR_EC2_ROLE: &str = "dpc-emr-ec2";
    /// The prefix of the roles of pipeline stacks: CloudFormation names a role it names
    /// itself `<stack name>-<logical id>-<suffix>`, and pipeline stacks are named
    /// `dpc-pipeline-<name>`. The EMR service role may pass such roles to EC2.
    pub const PIPELINE_ROLE_PREFIX: &str = "dpc-pipeline-";
    /// The key prefix under which EMR clusters write their logs in the artifacts bucket;
    /// objects under it expire after platform.yaml's `logRetentionDays`.
    pub const EMR_LOG_PREFIX: &str = "emr-logs";
    /// The EMR security configuration.
    pub const SECURITY_CONFIGURATION: &str = "dpc-emr";
    /// The security group of EMR primary nodes.
    pub const PRIMARY_SECURITY_GROUP: &str = "dpc-emr-primary";
    /// The security group of EMR core and task nodes.
    pub const CORE_SECURITY_GROUP: &str = "dpc-emr-core";
    /// The security group for EMR's service access in private subnets.
    pub const SERVICE_ACCESS_SECURITY_GROUP: &str = "dpc-emr-service-access";
    /// The rule that sends ended executions to the cleanup function.
    pub const CLEANUP_RULE: &str = "dpc-cleanup-clusters";
    /// The custom resource that clears EMR's rules from the account's security groups
    /// when it is deleted. Its provider (`dpc-cleanup`) receives `SecurityGroupIds` and,
    /// on `Delete`, revokes every ingress and egress rule of those groups.
    pub const EMR_SECURITY_GROUPS_RESOURCE: &str = "Custom::DpcEmrSecurityGroups";
}

/// Metrics dpc derives from its Lambdas' JSON log lines (metric filters of the setup
/// stacks), and the log lines they count: the runtime writes exactly these.
pub mod metrics {
    /// The CloudWatch namespace of dpc's own metrics.
    pub const NAMESPACE: &str = "dpc";
    /// Registrations the registration function answered `FAILED` to CloudFormation.
    pub const FAILED_REGISTRATIONS: &str = "FailedRegistrations";
    /// The `message` of the registration function's log line when it answers `FAILED`.
    pub const REGISTRATION_FAILED_MESSAGE: &str =
        "registration failed: answering CloudFormation FAILED, the stack operation rolls back";
}

/// The message attributes the execution tracker sets on what it publishes to a
/// pipeline's alert topic, and the SNS filter policy that routes on them.
///
/// SNS matches a subscription's `FilterPolicy` against message attributes by default
/// (`FilterPolicyScope` `MessageAttributes`); a message lacking an attribute the policy
/// names is not delivered, and the policy cannot look inside the JSON of
/// `dpc.notification`. So the two things routing needs are attributes of their own.
pub mod alerts {
    use crate::Status;
    use serde_json::{Value, json};

    /// `pipeline` (a run's status) or `step` (a step event, `FULL_EXECUTION` only): the
    /// notification's `kind`.
    pub const KIND_ATTRIBUTE: &str = "dpc.kind";
    /// The status the message is about: the run's (`FAILED`, ...) or the step's
    /// (`STARTED`, ...).
    pub const STATUS_ATTRIBUTE: &str = "dpc.status";
    /// [`KIND_ATTRIBUTE`] of a run's status.
    pub const KIND_PIPELINE: &str = "pipeline";
    /// [`KIND_ATTRIBUTE`] of a step event.
    pub const KIND_STEP: &str = "step";

    /// The filter policy of a target that gets only the run's statuses of `statuses`
    /// (`events: [PIPELINE_STATUS]`): no step events, no other status. Two keys and at
    /// most five values stay far below SNS's limits (5 keys, 150 combinations).
    pub fn pipeline_status_filter(statuses: &[Status]) -> Value {
        let statuses: Vec<&str> = Status::ALL
            .into_iter()
            .filter(|s| statuses.contains(s))
            .map(Status::as_str)
            .collect();
        json!({ KIND_ATTRIBUTE: [KIND_PIPELINE], STATUS_ATTRIBUTE: statuses })
    }
}

/// The tags dpc puts on resources and reads back at run time.
pub mod tags {
    /// Every dpc EMR cluster carries it: the ARN of the execution that started it. The
    /// cleanup function terminates only clusters with this tag.
    pub const EXECUTION: &str = "dpc:execution";
    /// The pipeline a cluster belongs to; a state machine may only touch clusters with its
    /// own pipeline's value.
    pub const PIPELINE: &str = "dpc:pipeline";
    /// The owner of a pipeline's resources (`owner` in pipeline.yaml).
    pub const OWNER: &str = "dpc:owner";
    /// The tag EMR's managed policy v2 requires (value `true`) on subnets and security
    /// groups.
    pub const EMR_MANAGED: &str = "for-use-with-amazon-emr-managed-policies";
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::naming::LambdaRole;

    #[test]
    fn every_function_gets_distinct_variables_other_than_the_handler() {
        for role in LambdaRole::ALL {
            let vars = env::variables(role);
            assert!(!vars.is_empty(), "{role}");
            assert!(!vars.contains(&env::HANDLER), "{role}");
            let mut sorted = vars.to_vec();
            sorted.sort_unstable();
            sorted.dedup();
            assert_eq!(sorted.len(), vars.len(), "{role}: a variable twice");
        }
        // Central functions read central tables; user-account functions never do.
        for role in LambdaRole::ALL.into_iter().filter(|r| !r.is_central()) {
            for var in env::variables(role) {
                assert!(
                    ![
                        env::RUN_LOG_TABLE,
                        env::DEPENDENCIES_TABLE,
                        env::TRIGGER_RECORDS_TABLE,
                        env::SLACK_CHANNELS_TABLE,
                        env::SLACK_THREADS_TABLE
                    ]
                    .contains(var),
                    "{role} reads {var}"
                );
            }
        }
    }

    #[test]
    fn parameters_live_under_the_prefix() {
        for name in [
            params::KEY_ARN,
            params::DEAD_LETTER_QUEUE_ARN,
            params::PRIMARY_SECURITY_GROUP_ID,
            params::CORE_SECURITY_GROUP_ID,
            params::SERVICE_ACCESS_SECURITY_GROUP_ID,
            params::SECURITY_CONFIGURATION_NAME,
        ] {
            assert!(name.starts_with(params::PREFIX), "{name}");
        }
    }

    #[test]
    fn sort_key_prefixes_cannot_be_mistaken_for_the_fixed_items() {
        assert!(!tables::run_log::LATEST.starts_with(tables::run_log::EVENT_PREFIX));
        assert!(!tables::triggers::STATE.starts_with(tables::triggers::TRIGGER_PREFIX));
    }
}
