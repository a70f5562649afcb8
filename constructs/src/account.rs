//! The account setup stack `dpc-account-<alias>`, one per user account.
//!
//! What it holds (the account's id and region from platform.yaml):
//!
//! * **The pipeline bus** `dpc-pipelines`, whose policy lets only the central account put
//!   events on it (the central bus forwards trigger events to it).
//! * **`export-events-to-central-bus`** on the default bus: status changes of this
//!   account's `dpc-*` state machines and the state machines' own reports
//!   ([`crate::central::PIPELINE_STATUS_SOURCE`]) go to the central bus, through a role,
//!   with retries and the dead-letter queue `dpc-dead-letters`.
//! * **The artifacts and logs bucket** `dpc-artifacts-<id>-<region>`: KMS-encrypted,
//!   public access blocked, TLS only, versioned; EMR logs under `emr-logs/` expire after
//!   platform.yaml's `logRetentionDays`.
//! * **EMR**: three security groups in the account's VPC (primary, core, and service access
//!   when the subnets are private), created empty for EMR to manage and tagged
//!   `for-use-with-amazon-emr-managed-policies=true`; the EMR service role
//!   `dpc-emr-service` with AWS's `AmazonEMRServicePolicy_v2`; the default EC2 role and
//!   instance profile `dpc-emr-ec2`; the security configuration `dpc-emr` (at rest: EMRFS,
//!   local disks and EBS with the account's key; in transit needs user certificates, see
//!   [`crate::aws::emr::SecurityConfiguration`]).
//! * **Lambdas** pipeline stacks wire to by name: `dpc-execution-tracker`,
//!   `dpc-slack-caller`, `dpc-cleanup`, `dpc-registration`. Each has ONE permission per
//!   service that invokes it, with a wildcard source ARN covering every pipeline of the
//!   account (never one per pipeline: a function policy is capped at 20 KB): the tracker
//!   for rules `dpc-*` and the state machines' log groups, the Slack caller for topics
//!   `dpc-*`, the cleanup function for rules `dpc-*`. The registration function is a
//!   custom-resource provider: CloudFormation invokes it with the deploying role's
//!   credentials, so it needs no resource policy.
//! * **Alarms** on the dead-letter queue's depth, each dpc Lambda's errors and failed
//!   registrations (a metric filter on the registration function's log), notifying the
//!   account's own topic `dpc-platform-alarms`, to which platform.yaml's `alerts.targets`
//!   subscribe ([`crate::alarms`]).
//! * **The claims table** `dpc-trigger-claims`: each pipeline's first state writes its trigger id
//!   there with `attribute_not_exists`, so a trigger event delivered twice starts one run.
//! * **SSM parameters** under `/dpc/` for values AWS makes up that pipeline stacks need
//!   ([`params`]); pipeline stacks read them with `{{resolve:ssm:…}}`.
//! * **CloudFormation parameters** [`crate::central::OUTPUT_DEPENDENCY_API_URL`] and
//!   [`crate::central::OUTPUT_SLACK_API_URL`], which `dpc deploy` fills from the central
//!   stack's outputs.
//!
//! **Prerequisite (documented, not checkable at synth).** AWS's managed EMR service policy
//! v2 only launches clusters into subnets tagged `for-use-with-amazon-emr-managed-policies`
//! = `true`: tag the subnets listed under `network.subnetIds`. dpc tags the security groups
//! it creates itself.
//!
//! **Deleting the stack.** EMR adds rules to its managed security groups that refer to the
//! other groups, which would make their deletion fail. The custom resource
//! `EmrSecurityGroupRules` (type [`EMR_SECURITY_GROUPS_RESOURCE`], provider
//! `dpc-cleanup`, which may revoke the rules of exactly these groups) is deleted before
//! the groups: its provider's job on `Delete` is to revoke every rule of the three groups.
//! Until the runtime does (it answers without revoking today), delete the EMR-added rules
//! by hand when a group's deletion fails; and terminate running clusters first.
//!
//! Every role gets platform.yaml's permissions boundary when one is set.

use crate::alarms::AlarmTopic;
use crate::aws::dynamodb::{KeyAttribute, Table, TableProps};
use crate::aws::ec2::{SecurityGroup, SecurityGroupProps};
use crate::aws::emr::SecurityConfiguration;
use crate::aws::events::{CfnRuleTarget, EventBus, EventPattern, Matcher, Rule, RuleProps};
use crate::aws::iam::{
    Audience, Conditions, InstanceProfile, PolicyDocument, Principal, Role, RoleProps, Statement,
};
use crate::aws::kms::{Key, KeyProps};
use crate::aws::lambda::{
    Function, FunctionCode, FunctionProps, Permission, PermissionProps, RuntimeAsset,
};
use crate::aws::s3::{Bucket, BucketProps, LifecycleRule};
use crate::aws::sqs::Queue;
use crate::aws::ssm::StringParameter;
use crate::aws::{CheckovSkip, Tag};
use crate::central::{self, OUTPUT_DEPENDENCY_API_URL, OUTPUT_SLACK_API_URL};
use dpc_core::{App, Diagnostic, Expr, Parameter, Pseudo, RawResource, Scope, StackId, StackProps};
use dpc_model::contract::events::{
    PIPELINE_STATUS_DETAIL_TYPE, PIPELINE_STATUS_SOURCE, SFN_SOURCE, SFN_STATUS_DETAIL_TYPE,
};
use dpc_model::contract::{api, env, tables, tags};
use dpc_model::naming::{self, AwsEnv, LambdaRole};
use dpc_schema::{Account, Organisation, Platform};
use indexmap::IndexMap;

/// The account setup stack's physical names that are not in SPEC's table. Pipeline stacks
/// use them to find what this stack made.
pub use dpc_model::contract::account as names;

/// The SSM parameters the account setup stack publishes (type `String`).
pub use dpc_model::contract::params;

/// The type of the custom resource that clears EMR's rules from the account's security
/// groups when it is deleted ([`names::EMR_SECURITY_GROUPS_RESOURCE`]).
pub use dpc_model::contract::account::EMR_SECURITY_GROUPS_RESOURCE;

/// The construct id (and artifact id) of `account`'s setup stack.
pub fn stack_id(account: &Account) -> String {
    naming::account_stack_name(&account.alias)
}

/// An account setup stack, as built.
#[derive(Clone, Debug)]
pub struct AccountStack {
    /// The stack in the app.
    pub stack: StackId,
    /// The stack's CloudFormation parameters and the central stack output that fills each
    /// (`(parameter logical id, central output name)`), for `dpc deploy`.
    pub parameters: Vec<(String, String)>,
}

/// Builds `account`'s setup stack `dpc-account-<alias>` into `app`.
///
/// The stack takes the central APIs' URLs as parameters; add a stack dependency on the
/// central stack when both are in the app so it deploys second.
///
/// # Errors
/// A diagnostic when a construct refuses its input (names too long, a bad retention).
pub fn build(
    app: &mut App,
    org: &Organisation,
    account: &Account,
    runtime: &RuntimeAsset,
) -> Result<AccountStack, Diagnostic> {
    let platform = &org.platform;
    let stack = app.add_stack(
        &stack_id(account),
        StackProps {
            stack_name: Some(naming::account_stack_name(&account.alias)),
            account: account.id.clone(),
            region: account.region.clone(),
            description: Some(format!(
                "dpc account setup for {} ({}): pipeline bus, export rule, artifacts bucket, EMR roles and groups, dpc Lambdas",
                account.alias, account.id
            )),
            ..StackProps::default()
        },
    )?;
    let mut scope = app.scope(stack)?;
    let boundary = platform.permissions_boundary.clone();
    let env = AwsEnv::new(&account.id, &account.region);

    let mut parameters = Vec::new();
    for (name, what) in [
        (OUTPUT_DEPENDENCY_API_URL, "the central dependency API"),
        (OUTPUT_SLACK_API_URL, "the central Slack API"),
    ] {
        let mut parameter = Parameter::new("String");
        parameter.description = Some(format!(
            "The URL of {what}: the central stack's output `{name}` (dpc deploy fills it in)"
        ));
        parameter.allowed_pattern = Some("^https://[^\\s]+$".to_owned());
        let id = scope.add_parameter(name, parameter)?;
        parameters.push((id, name.to_owned()));
    }
    let dependency_api_url = Expr::reference(OUTPUT_DEPENDENCY_API_URL);
    let slack_api_url = Expr::reference(OUTPUT_SLACK_API_URL);

    let key = Key::new(
        &mut scope,
        "Key",
        KeyProps {
            description: format!(
                "dpc in account {}: artifacts, tables, queues, topics, logs, EMR disks",
                account.alias
            ),
            alias: Some(names::KEY_ALIAS.to_owned()),
            logs: true,
            services: vec![
                "events.amazonaws.com".to_owned(),
                "cloudwatch.amazonaws.com".to_owned(),
            ],
        },
    )?;
    StringParameter::new(
        &mut scope,
        "KeyArnParameter",
        params::KEY_ARN,
        key.arn(),
        "The ARN of dpc's KMS key in this account",
    )?;
    let code = runtime.stage(&mut scope)?;
    let ctx = LambdaContext {
        code,
        key_arn: key.arn(),
        permissions_boundary: boundary.clone(),
        log_retention_days: platform.log_retention_days,
    };

    // The pipeline bus: only the central account puts events on it.
    let bus = EventBus::new(
        &mut scope,
        "PipelineBus",
        naming::pipeline_bus_name(),
        "dpc: trigger events for this account's pipelines, from the central bus",
    )?;
    bus.allow_put_events(
        &mut scope,
        "AllowCentralPutEvents",
        &Audience::Accounts(vec![platform.central.account.clone()]),
    )?;

    // Rules per bus are counted by the engine's lint over every stack of an environment
    // (this one, its pipelines', the central stack's when it shares it).

    let dead_letters = dead_letter_queue(&mut scope, &key)?;
    export_rule(&mut scope, org, &env, &dead_letters, boundary.clone())?;

    let bucket = Bucket::new(
        &mut scope,
        "Artifacts",
        BucketProps {
            name: naming::artifacts_bucket_name(&account.id, &account.region),
            key_arn: key.arn(),
            lifecycle_rules: vec![LifecycleRule {
                id: "expire-emr-logs".to_owned(),
                status: "Enabled".to_owned(),
                prefix: Some(format!("{}/", names::EMR_LOG_PREFIX)),
                expiration_in_days: Some(platform.log_retention_days.into()),
                ..LifecycleRule::default()
            }],
            noncurrent_days: 30,
            policy_statements: Vec::new(),
        },
    )?;

    let groups = emr(&mut scope, account, &key, &bucket, boundary)?;

    let claims = Table::new(
        &mut scope,
        "Claims",
        TableProps {
            name: tables::claims::NAME.to_owned(),
            partition_key: KeyAttribute::string(tables::claims::PARTITION),
            sort_key: None,
            indexes: Vec::new(),
            ttl_attribute: Some(tables::TTL_ATTRIBUTE.to_owned()),
            key_arn: key.arn(),
        },
    )?;

    let functions = lambdas(
        &mut scope,
        org,
        &env,
        &ctx,
        &Central {
            dependency_api_url,
            slack_api_url,
        },
        &claims,
        &dead_letters,
        &groups,
    )?;
    watch(
        &mut scope,
        platform,
        account,
        &key,
        &dead_letters,
        &functions,
    )?;
    Ok(AccountStack { stack, parameters })
}

/// The account's dpc Lambdas the alarms watch.
struct AccountFunctions {
    tracker: Function,
    slack: Function,
    cleanup: Function,
    registration: Function,
}

/// The account's alarms, on its own topic `dpc-platform-alarms` (an alarm notifies only
/// topics of its account), to which platform.yaml's `alerts.targets` subscribe.
fn watch(
    scope: &mut Scope<'_>,
    platform: &Platform,
    account: &Account,
    key: &Key,
    dead_letters: &Queue,
    functions: &AccountFunctions,
) -> Result<(), Diagnostic> {
    let alarms = AlarmTopic::new(
        scope,
        "AlarmTopic",
        names::ALARM_TOPIC,
        &format!("account {} ({})", account.alias, account.id),
        key.arn(),
        &platform.alert_targets,
    )?;
    alarms.queue_depth(
        scope,
        "DeadLettersDepth",
        dead_letters,
        names::DEAD_LETTER_QUEUE,
        "events this account's dpc rules and schedules could not deliver (status changes to the central bus, pipeline triggers, notifications), so some runs were not started, logged or notified.",
    )?;
    alarms.lambda_errors(
        scope,
        "ExecutionTrackerErrors",
        &functions.tracker,
        "some pipelines' notifications were not sent; Lambda retries, then keeps the event in dpc-dead-letters.",
    )?;
    alarms.lambda_errors(
        scope,
        "SlackCallerErrors",
        &functions.slack,
        "some run messages did not reach the central Slack API; Lambda retries, then keeps them in dpc-dead-letters.",
    )?;
    alarms.lambda_errors(
        scope,
        "CleanupErrors",
        &functions.cleanup,
        "an ended execution's EMR cluster may still be running (and billing): find clusters tagged dpc:execution whose execution has ended, and terminate them.",
    )?;
    alarms.lambda_errors(
        scope,
        "RegistrationErrors",
        &functions.registration,
        "a pipeline stack's custom resource got no answer; CloudFormation waits for it, then fails the stack operation.",
    )?;
    alarms.failed_registrations(scope, "FailedRegistrations", &functions.registration)?;
    Ok(())
}

fn dead_letter_queue(scope: &mut Scope<'_>, key: &Key) -> Result<Queue, Diagnostic> {
    let queue = Queue::new(
        scope,
        "DeadLetters",
        Some(names::DEAD_LETTER_QUEUE.to_owned()),
        key.arn(),
    )?;
    let rule_arn = |rule: &str| {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{rule}"
        ))
    };
    queue.set_policy(
        scope,
        "DeadLettersPolicy",
        vec![
            Statement::allow(["sqs:SendMessage"])
                .sid("DpcRulesDeadLetters")
                .to(Principal::service("events.amazonaws.com"))
                .on([queue.arn()])
                .when(
                    "ArnLike",
                    "aws:SourceArn",
                    [
                        rule_arn(naming::FORWARDING_RULE_NAME),
                        rule_arn("dpc-*"),
                        rule_arn(&format!("{}/dpc-*", naming::pipeline_bus_name())),
                    ],
                ),
        ],
    )?;
    StringParameter::new(
        scope,
        "DeadLettersArnParameter",
        params::DEAD_LETTER_QUEUE_ARN,
        queue.arn(),
        "The ARN of dpc's dead-letter queue in this account",
    )?;
    Ok(queue)
}

/// The pattern of `export-events-to-central-bus`: Step Functions' status events of this
/// account's `dpc-*` state machines, or a dpc state machine's own report.
pub fn export_pattern(env: &AwsEnv) -> EventPattern {
    let prefix = env.state_machine_arn_prefix();
    EventPattern::new().or([
        EventPattern::new()
            .source([SFN_SOURCE])
            .detail_type([SFN_STATUS_DETAIL_TYPE])
            .matching(&["detail", "stateMachineArn"], [Matcher::prefix(prefix)]),
        EventPattern::new()
            .source([PIPELINE_STATUS_SOURCE])
            .detail_type([PIPELINE_STATUS_DETAIL_TYPE]),
    ])
}

fn export_rule(
    scope: &mut Scope<'_>,
    org: &Organisation,
    env: &AwsEnv,
    dead_letters: &Queue,
    boundary: Option<String>,
) -> Result<Rule, Diagnostic> {
    let central = &org.platform.central;
    let central_bus = Expr::sub(
        AwsEnv::new(&central.account, &central.region)
            .with_partition("${AWS::Partition}")
            .central_bus_arn(&central.bus_name),
    );
    let role = Role::new(
        scope,
        "ExportRole",
        RoleProps {
            description: Some(
                "EventBridge puts this account's dpc status events on the central bus".to_owned(),
            ),
            trust_conditions: this_account_only(),
            policy: PolicyDocument::with([
                Statement::allow(["events:PutEvents"]).on([central_bus.clone()])
            ]),
            permissions_boundary: boundary,
            ..RoleProps::assumed_by(Principal::service("events.amazonaws.com"))
        },
    )?;
    Rule::new(
        scope,
        "ExportEventsToCentralBus",
        RuleProps {
            name: Some(naming::FORWARDING_RULE_NAME.to_owned()),
            description: Some(
                "Status changes of this account's dpc state machines, and their own reports, to the central bus"
                    .to_owned(),
            ),
            bus: None,
            pattern: Some(export_pattern(env)),
            schedule: None,
            enabled: true,
            targets: vec![
                CfnRuleTarget::new("CentralBus", central_bus)
                    .with_role(role.arn())
                    .with_dead_letter_queue(dead_letters.arn())
                    .with_retries(185, 86_400),
            ],
        },
    )
}

/// A trust condition: only this account's resources may make the service assume the role.
fn this_account_only() -> Conditions {
    let mut trust = Conditions::new();
    trust.entry("StringEquals".to_owned()).or_default().insert(
        "aws:SourceAccount".to_owned(),
        vec![Expr::Pseudo(Pseudo::AccountId)],
    );
    trust
}

/// The account's EMR security groups, as built.
struct EmrGroups {
    groups: Vec<SecurityGroup>,
}

fn emr(
    scope: &mut Scope<'_>,
    account: &Account,
    key: &Key,
    bucket: &Bucket,
    boundary: Option<String>,
) -> Result<EmrGroups, Diagnostic> {
    let network = &account.network;
    let mut specs = vec![
        (
            "EmrPrimary",
            names::PRIMARY_SECURITY_GROUP,
            "EMR primary nodes (rules managed by EMR)",
            params::PRIMARY_SECURITY_GROUP_ID,
        ),
        (
            "EmrCore",
            names::CORE_SECURITY_GROUP,
            "EMR core and task nodes (rules managed by EMR)",
            params::CORE_SECURITY_GROUP_ID,
        ),
    ];
    if network.private {
        specs.push((
            "EmrServiceAccess",
            names::SERVICE_ACCESS_SECURITY_GROUP,
            "EMR service access in private subnets (rules managed by EMR)",
            params::SERVICE_ACCESS_SECURITY_GROUP_ID,
        ));
    }
    let mut groups = Vec::new();
    for (id, name, description, parameter) in specs {
        let group = SecurityGroup::new(
            scope,
            id,
            SecurityGroupProps {
                name: Some(name.to_owned()),
                description: format!("dpc: {description}"),
                vpc_id: network.vpc_id.clone(),
                ingress: Vec::new(),
                egress: Vec::new(),
                tags: vec![Tag::new(tags::EMR_MANAGED, "true")],
            },
        )?;
        StringParameter::new(
            scope,
            &format!("{id}IdParameter"),
            parameter,
            group.id(),
            &format!("The id of the security group for {description}"),
        )?;
        groups.push(group);
    }

    let account_role = |name: &str| {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/{name}"
        ))
    };
    let service_policy = PolicyDocument::with([
        // EMR launches instances with the default EC2 role or a pipeline's cluster role.
        Statement::allow(["iam:PassRole"])
            .on([
                account_role(names::EMR_EC2_ROLE),
                account_role(&format!("{}*", names::PIPELINE_ROLE_PREFIX)),
            ])
            .when("StringEquals", "iam:PassedToService", ["ec2.amazonaws.com"]),
        // EBS and local-disk encryption with the account's key.
        Statement::allow([
            "kms:Decrypt",
            "kms:DescribeKey",
            "kms:Encrypt",
            "kms:GenerateDataKey",
            "kms:GenerateDataKeyWithoutPlaintext",
            "kms:ReEncryptFrom",
            "kms:ReEncryptTo",
        ])
        .on([key.arn()]),
        Statement::allow(["kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"])
            .on([key.arn()])
            .when("Bool", "kms:GrantIsForAWSResource", ["true"]),
    ]);
    Role::new(
        scope,
        "EmrServiceRole",
        RoleProps {
            name: Some(names::EMR_SERVICE_ROLE.to_owned()),
            description: Some("The EMR service role of dpc's clusters".to_owned()),
            trust_conditions: this_account_only(),
            policy: service_policy,
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonEMRServicePolicy_v2",
            )],
            permissions_boundary: boundary.clone(),
            ..RoleProps::assumed_by(Principal::service("elasticmapreduce.amazonaws.com"))
        },
    )?;

    let mut ec2_policy = PolicyDocument::with(bucket.read_write_statements(""));
    ec2_policy.push(
        Statement::allow(["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"]).on([key.arn()]),
    );
    ec2_policy.push(
        Statement::allow([
            "elasticmapreduce:DescribeCluster",
            "elasticmapreduce:ListBootstrapActions",
            "elasticmapreduce:ListInstanceGroups",
        ])
        .on([Expr::sub(
            "arn:${AWS::Partition}:elasticmapreduce:${AWS::Region}:${AWS::AccountId}:cluster/*",
        )]),
    );
    let ec2_role = Role::new(
        scope,
        "EmrEc2Role",
        RoleProps {
            name: Some(names::EMR_EC2_ROLE.to_owned()),
            description: Some(
                "The default role of dpc's EMR instances: the artifacts bucket and the account's key"
                    .to_owned(),
            ),
            policy: ec2_policy,
            permissions_boundary: boundary,
            ..RoleProps::assumed_by(Principal::service("ec2.amazonaws.com"))
        },
    )?;
    InstanceProfile::new(
        scope,
        "EmrEc2InstanceProfile",
        Some(names::EMR_EC2_ROLE.to_owned()),
        &ec2_role,
    )?;
    let configuration = SecurityConfiguration::new(
        scope,
        "EmrSecurityConfiguration",
        names::SECURITY_CONFIGURATION,
        key.arn(),
    )?;
    StringParameter::new(
        scope,
        "EmrSecurityConfigurationParameter",
        params::SECURITY_CONFIGURATION_NAME,
        configuration.name(),
        "The name of dpc's EMR security configuration in this account",
    )?;
    Ok(EmrGroups { groups })
}

/// The central APIs' URLs, as this stack receives them.
struct Central {
    dependency_api_url: Expr,
    slack_api_url: Expr,
}

#[allow(clippy::too_many_arguments)]
fn lambdas(
    scope: &mut Scope<'_>,
    org: &Organisation,
    env: &AwsEnv,
    ctx: &LambdaContext,
    urls: &Central,
    claims: &Table,
    dead_letters: &Queue,
    groups: &EmrGroups,
) -> Result<AccountFunctions, Diagnostic> {
    let tracker = dpc_function(
        scope,
        "ExecutionTracker",
        ctx,
        DpcFunction {
            role: LambdaRole::ExecutionTracker,
            description: "Turns status changes and step events of this account's pipelines into notifications on their topics, each once",
            environment: vec![(env::CLAIMS_TABLE, claims.name())],
            policy: PolicyDocument::with([
                // Deduplicate the notifications it sends (conditional writes).
                claims.read_write_statement(),
                // Notify each pipeline's targets through its topic `dpc-<name>-alerts`.
                // (`-alerts` keeps it off the account's alarm topic `dpc-platform-alarms`.)
                Statement::allow(["sns:Publish"]).on([Expr::sub(format!(
                    "arn:${{AWS::Partition}}:sns:${{AWS::Region}}:${{AWS::AccountId}}:{}-*-{}",
                    naming::PREFIX,
                    naming::ALERT_TOPIC_SUFFIX
                ))]),
            ]),
            dead_letter_queue: Some(dead_letters.arn()),
            async_retries: Some(2),
            synchronous: false,
            timeout_seconds: 30,
        },
    )?;
    let slack = dpc_function(
        scope,
        "SlackCaller",
        ctx,
        DpcFunction {
            role: LambdaRole::SlackCaller,
            description: "Sends this account's pipeline notifications to the central Slack API",
            environment: vec![
                (env::SLACK_API_URL, urls.slack_api_url.clone()),
                (
                    env::CENTRAL_API_REGION,
                    Expr::from(org.platform.central.region.as_str()),
                ),
            ],
            policy: PolicyDocument::with([Statement::allow(["execute-api:Invoke"]).on([
                central::central_api_arn(org, "POST", &format!("/{}", api::MESSAGES_RESOURCE)),
            ])]),
            dead_letter_queue: Some(dead_letters.arn()),
            async_retries: Some(2),
            synchronous: false,
            timeout_seconds: 30,
        },
    )?;
    let cluster_arns = Expr::sub(
        "arn:${AWS::Partition}:elasticmapreduce:${AWS::Region}:${AWS::AccountId}:cluster/*",
    );
    let mut cleanup_policy = PolicyDocument::with([
        // Find the clusters of an ended execution...
        Statement::allow(["elasticmapreduce:DescribeCluster"]).on([cluster_arns.clone()]),
        // ...and terminate them, only if they carry dpc's execution tag.
        Statement::allow(["elasticmapreduce:TerminateJobFlows"])
            .on([cluster_arns])
            .when(
                "Null",
                &format!("aws:ResourceTag/{}", tags::EXECUTION),
                ["false"],
            ),
        // Clear EMR's rules from the account's EMR groups when the stack is deleted.
        Statement::allow([
            "ec2:RevokeSecurityGroupEgress",
            "ec2:RevokeSecurityGroupIngress",
        ])
        .on(groups.groups.iter().map(SecurityGroup::arn)),
    ]);
    cleanup_policy.push(Statement::allow_unscoped(&[
        "elasticmapreduce:ListClusters",
        "ec2:DescribeSecurityGroups",
    ])?);
    let cleanup = dpc_function(
        scope,
        "Cleanup",
        ctx,
        DpcFunction {
            role: LambdaRole::Cleanup,
            description: "Terminates the EMR clusters still alive when an execution ends, however it ends (found by their execution tag); clears EMR's security group rules when the account stack is deleted",
            environment: vec![(env::EXECUTION_TAG, Expr::from(tags::EXECUTION))],
            policy: cleanup_policy,
            dead_letter_queue: Some(dead_letters.arn()),
            async_retries: Some(2),
            synchronous: false,
            timeout_seconds: 300,
        },
    )?;
    let registration = dpc_function(
        scope,
        "Registration",
        ctx,
        DpcFunction {
            role: LambdaRole::Registration,
            description: "Custom-resource provider: registers a pipeline's condition and Slack channels with the central APIs",
            environment: vec![
                (env::DEPENDENCY_API_URL, urls.dependency_api_url.clone()),
                (env::SLACK_API_URL, urls.slack_api_url.clone()),
                (
                    env::CENTRAL_API_REGION,
                    Expr::from(org.platform.central.region.as_str()),
                ),
            ],
            policy: PolicyDocument::with([Statement::allow(["execute-api:Invoke"]).on({
                let dependencies = format!("/{}/*", api::DEPENDENCIES_RESOURCE);
                let channels = format!("/{}/*", api::CHANNELS_RESOURCE);
                [
                    central::central_api_arn(org, "GET", &dependencies),
                    central::central_api_arn(org, "PUT", &dependencies),
                    central::central_api_arn(org, "DELETE", &dependencies),
                    central::central_api_arn(org, "PUT", &channels),
                    central::central_api_arn(org, "DELETE", &channels),
                ]
            })]),
            dead_letter_queue: None,
            async_retries: None,
            synchronous: true,
            timeout_seconds: 120,
        },
    )?;

    // One permission per function and invoking service, for every dpc source of this
    // account (never one per pipeline: a function policy is capped at 20 KB).
    let local = |service: &str, resource: &str| {
        Expr::sub(format!(
            "arn:${{AWS::Partition}}:{service}:${{AWS::Region}}:${{AWS::AccountId}}:{resource}"
        ))
    };
    let prefix = naming::PREFIX;
    for (id, function, service, source_arn) in [
        // Each pipeline's status rule `dpc-<name>-status`.
        (
            "ExecutionTrackerInvoke",
            &tracker,
            "events.amazonaws.com",
            local("events", &format!("rule/{prefix}-*")),
        ),
        // The step events of FULL_EXECUTION pipelines, from their state machines' logs.
        (
            "ExecutionTrackerLogsInvoke",
            &tracker,
            "logs.amazonaws.com",
            local(
                "logs",
                &format!("log-group:/aws/vendedlogs/states/{prefix}-*"),
            ),
        ),
        // Each pipeline's alert topic `dpc-<name>-alerts`.
        (
            "SlackCallerInvoke",
            &slack,
            "sns.amazonaws.com",
            local("sns", &format!("{prefix}-*")),
        ),
        // `dpc-cleanup-clusters`, and any rule a pipeline stack adds.
        (
            "CleanupInvoke",
            &cleanup,
            "events.amazonaws.com",
            local("events", &format!("rule/{prefix}-*")),
        ),
    ] {
        Permission::new(
            scope,
            id,
            PermissionProps {
                function: function.arn(),
                service: service.to_owned(),
                source_arn,
                source_account: Some(Expr::Pseudo(Pseudo::AccountId)),
            },
        )?;
    }

    Rule::new(
        scope,
        "CleanupRule",
        RuleProps {
            name: Some(names::CLEANUP_RULE.to_owned()),
            description: Some(
                "Every final status of this account's dpc state machines, to the cleanup function: whatever way a run ends, a cluster still tagged with it is terminated"
                    .to_owned(),
            ),
            bus: None,
            pattern: Some(
                EventPattern::new()
                    .source([SFN_SOURCE])
                    .detail_type([SFN_STATUS_DETAIL_TYPE])
                    .matching(
                        &["detail", "stateMachineArn"],
                        [Matcher::prefix(env.state_machine_arn_prefix())],
                    )
                    // Every final status, not only those that skip the state machine's own
                    // terminate: a failed start or a failed terminate ends FAILED (or
                    // SUCCEEDED, had a retry created a second cluster) with a cluster alive.
                    .exact(
                        &["detail", "status"],
                        ["SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"],
                    ),
            ),
            schedule: None,
            enabled: true,
            targets: vec![
                CfnRuleTarget::new("Cleanup", cleanup.arn())
                    .with_dead_letter_queue(dead_letters.arn())
                    .with_retries(185, 86_400),
            ],
        },
    )?;

    let mut properties = serde_json::Map::new();
    properties.insert("ServiceToken".into(), cleanup.arn().to_json());
    properties.insert(
        "SecurityGroupIds".into(),
        serde_json::Value::Array(groups.groups.iter().map(|g| g.id().to_json()).collect()),
    );
    scope.add_resource(
        "EmrSecurityGroupRules",
        RawResource::new(
            EMR_SECURITY_GROUPS_RESOURCE,
            serde_json::Value::Object(properties),
        ),
    )?;
    Ok(AccountFunctions {
        tracker,
        slack,
        cleanup,
        registration,
    })
}

// ---------------------------------------------------------------------------------------
// dpc's Lambda functions: one runtime bundle, one handler per role (DPC_HANDLER).
// ---------------------------------------------------------------------------------------

/// What every dpc Lambda of a stack shares.
#[derive(Clone, Debug)]
pub(crate) struct LambdaContext {
    /// The runtime bundle, staged in this stack.
    pub code: FunctionCode,
    /// The stack's key (environment and log encryption, data access).
    pub key_arn: Expr,
    /// platform.yaml's permissions boundary.
    pub permissions_boundary: Option<String>,
    /// platform.yaml's log retention.
    pub log_retention_days: u32,
}

/// One dpc Lambda.
pub(crate) struct DpcFunction {
    /// Its role; names it `dpc-<role>` and selects its handler.
    pub role: LambdaRole,
    /// What it does.
    pub description: &'static str,
    /// Its environment, besides `DPC_HANDLER`.
    pub environment: Vec<(&'static str, Expr)>,
    /// What it may do, besides logging and using the stack's key.
    pub policy: PolicyDocument,
    /// Where failed asynchronous invocations go.
    pub dead_letter_queue: Option<Expr>,
    /// Retries of failed asynchronous invocations.
    pub async_retries: Option<u32>,
    /// Invoked synchronously only (API Gateway, CloudFormation), so a DLQ cannot apply.
    pub synchronous: bool,
    /// Its timeout in seconds.
    pub timeout_seconds: u32,
}

/// The environment variable that selects a function's handler in the runtime bundle.
pub const HANDLER_ENV: &str = env::HANDLER;

const NO_VPC: CheckovSkip = CheckovSkip {
    id: "CKV_AWS_117",
    reason: "dpc's functions call only AWS APIs (and Slack); they reach no VPC resource, and a \
             VPC would add NAT or endpoint costs without protecting anything.",
};
const NO_RESERVED_CONCURRENCY: CheckovSkip = CheckovSkip {
    id: "CKV_AWS_115",
    reason: "Reserving concurrency fails deployment in accounts whose unreserved concurrency is \
             at Lambda's minimum; retries (EventBridge, Lambda) and conditional writes absorb \
             throttling instead.",
};
const SYNCHRONOUS_NO_DLQ: CheckovSkip = CheckovSkip {
    id: "CKV_AWS_116",
    reason: "Invoked synchronously only (API Gateway or CloudFormation custom resources): \
             errors go back to the caller, so a dead-letter queue would never receive \
             anything.",
};

/// Adds dpc Lambda `spec` (named `dpc-<role>`) under `scope/id`.
pub(crate) fn dpc_function(
    scope: &mut Scope<'_>,
    id: &str,
    ctx: &LambdaContext,
    spec: DpcFunction,
) -> Result<Function, Diagnostic> {
    let mut environment: IndexMap<String, Expr> = IndexMap::new();
    environment.insert(HANDLER_ENV.to_owned(), Expr::from(spec.role.as_str()));
    environment.extend(spec.environment.into_iter().map(|(k, v)| (k.to_owned(), v)));
    let mut policy = spec.policy;
    policy.push(Statement::allow(["kms:Encrypt", "kms:GenerateDataKey"]).on([ctx.key_arn.clone()]));
    let mut skips = vec![NO_VPC, NO_RESERVED_CONCURRENCY];
    if spec.synchronous {
        skips.push(SYNCHRONOUS_NO_DLQ);
    }
    Function::new(
        scope,
        id,
        FunctionProps {
            name: naming::lambda_function_name(spec.role),
            description: spec.description.to_owned(),
            code: ctx.code.clone(),
            runtime: "provided.al2023".to_owned(),
            handler: "bootstrap".to_owned(),
            architecture: "x86_64".to_owned(),
            memory_mb: 256,
            timeout_seconds: spec.timeout_seconds,
            environment,
            policy,
            permissions_boundary: ctx.permissions_boundary.clone(),
            log_retention_days: ctx.log_retention_days,
            key_arn: ctx.key_arn.clone(),
            dead_letter_queue: spec.dead_letter_queue,
            async_retries: spec.async_retries,
            checkov_skips: skips,
        },
    )
}
