//! The central account stack `dpc-central`.
//!
//! What it holds (platform.yaml's central account and region):
//!
//! * **The central bus** (`central.busName`). One policy statement lets the organisation
//!   (`aws:PrincipalOrgID`, when `central.organizationId` is set) or exactly the listed
//!   accounts put events on it; its size is checked against EventBridge's 10,240
//!   characters.
//! * **The trigger manager**: the rule `dpc-trigger-manager` on the central bus matches the
//!   status changes of dpc state machines, both Step Functions' own events
//!   ([`SFN_SOURCE`], [`SFN_STATUS_DETAIL_TYPE`], state machines named `dpc-*`) and the
//!   state machines' own reports ([`PIPELINE_STATUS_SOURCE`],
//!   [`PIPELINE_STATUS_DETAIL_TYPE`]), and sends them to the `dpc-trigger-manager` Lambda
//!   with retries and an encrypted dead-letter queue.
//! * **Alarms** on the trigger manager's errors and throttles, the dead-letter queue's
//!   depth, the API functions' errors and the APIs' server errors notify the topic
//!   `dpc-central-alarms`, to which platform.yaml's `alerts.targets` subscribe
//!   ([`crate::alarms`]).
//! * **DynamoDB tables** (see [`tables`]) designed from the trigger semantics' state model,
//!   on demand, encrypted with the stack's key, point-in-time recovery on, retained.
//! * **One forwarding rule per user account** (`dpc-forward-<alias>`) on the central bus:
//!   trigger events ([`dpc_model::TRIGGER_SOURCE`], [`dpc_model::TRIGGER_DETAIL_TYPE`])
//!   whose `detail.account` is that account go to its pipeline bus `dpc-pipelines`, through
//!   a role (EventBridge requires one for buses of other accounts). The number of rules on
//!   the bus is checked against EventBridge's default quota of 300 rules per bus.
//! * **The dependency API and the Slack API**: REST APIs with IAM (SigV4) authorisation, a
//!   resource policy limited to the organisation or the listed accounts, access logs,
//!   throttling and X-Ray, answered by the `dpc-dependencies-writer`,
//!   `dpc-slack-channel-writer` and `dpc-slack-poster` Lambdas.
//! * **API Gateway's account setting** (`AWS::ApiGateway::Account`): the role API Gateway
//!   logs with is an account-wide, per-region setting. dpc sets it because access logging
//!   does not work without it, to a role that may only write log groups of this account
//!   and region, and retains both when the stack is deleted so other APIs of the account
//!   keep logging. An account that already sets it elsewhere gets the same capability.
//!
//! **How user accounts learn the APIs' URLs.** The stack outputs them
//! ([`OUTPUT_DEPENDENCY_API_URL`], [`OUTPUT_SLACK_API_URL`]); each account setup stack takes
//! them as CloudFormation parameters of the same names, which `dpc deploy` fills from the
//! central stack's outputs (it deploys the central stack first). No one copies a URL by
//! hand, and no stack references another.
//!
//! **Secrets.** The Slack token stays in Secrets Manager, referenced by name
//! (`central.slack.tokenSecretName`): the Slack poster reads it at run time; its value is
//! never in a template.

use crate::account::{DpcFunction, LambdaContext, dpc_function};
use crate::alarms::AlarmTopic;
use crate::aws::apigateway::{CloudWatchRole, RestApi, RestApiProps, Route};
use crate::aws::codes;
use crate::aws::dynamodb::{Index, KeyAttribute, Table, TableProps};
use crate::aws::events::{CfnRuleTarget, EventBus, EventPattern, Matcher, Rule, RuleProps};
use crate::aws::iam::{Audience, PolicyDocument, Principal, Role, RoleProps, Statement};
use crate::aws::kms::{Key, KeyProps};
use crate::aws::lambda::{Function, Permission, PermissionProps, RuntimeAsset};
use crate::aws::secretsmanager;
use crate::aws::sqs::Queue;
use dpc_core::{App, Diagnostic, Expr, Output, Scope, StackId, StackProps};
use dpc_model::contract::{api, env};
use dpc_model::naming::{self, LambdaRole, NameKind};
use dpc_schema::{Account, Organisation};

pub use dpc_model::contract::events::{
    PIPELINE_STATUS_DETAIL_TYPE, PIPELINE_STATUS_SOURCE, SFN_SOURCE, SFN_STATUS_DETAIL_TYPE,
};

/// The construct id (and artifact id) of the central stack.
pub const STACK_ID: &str = "dpc-central";

/// The output holding the dependency API's URL (`https://…/v1`).
pub const OUTPUT_DEPENDENCY_API_URL: &str = "DependencyApiUrl";
/// The output holding the Slack API's URL (`https://…/v1`).
pub const OUTPUT_SLACK_API_URL: &str = "SlackApiUrl";

/// The stage both APIs are deployed to.
pub const API_STAGE: &str = api::STAGE;

/// The central stack's physical names that are not in SPEC's table.
pub use dpc_model::contract::central as names;

/// The central stack's DynamoDB tables: names, keys and what each item holds.
pub use dpc_model::contract::tables;

/// The central stack, as built: what `dpc deploy` and the app need to know.
#[derive(Clone, Debug)]
pub struct CentralStack {
    /// The stack in the app.
    pub stack: StackId,
    /// The logical ids of the outputs, by output name (they are the same here).
    pub outputs: Vec<String>,
}

/// Builds the central stack `dpc-central` into `app` from `org`'s platform.
///
/// # Errors
/// A diagnostic when the platform cannot be expressed (no user account, a bus policy or
/// a rule count over EventBridge's limits) or a construct refuses its input.
pub fn build(
    app: &mut App,
    org: &Organisation,
    runtime: &RuntimeAsset,
) -> Result<CentralStack, Diagnostic> {
    let platform = &org.platform;
    let central = &platform.central;
    if platform.accounts.is_empty() {
        return Err(Diagnostic::error(
            codes::INVALID_PLATFORM,
            "platform.yaml lists no user account: the central stack has no one to serve",
        )
        .with_help("add an account under `accounts:`"));
    }
    let stack = app.add_stack(
        STACK_ID,
        StackProps {
            stack_name: Some(naming::central_stack_name().to_owned()),
            account: central.account.clone(),
            region: central.region.clone(),
            description: Some(
                "dpc central account: the central event bus, the trigger manager, the dependency and Slack APIs"
                    .to_owned(),
            ),
            ..StackProps::default()
        },
    )?;
    let mut scope = app.scope(stack)?;
    let audience = audience(org);
    let boundary = platform.permissions_boundary.clone();

    let key = Key::new(
        &mut scope,
        "Key",
        KeyProps {
            description: "dpc central stack: tables, queues, topics, logs, Lambda environments"
                .to_owned(),
            alias: Some(names::KEY_ALIAS.to_owned()),
            logs: true,
            services: vec![
                "events.amazonaws.com".to_owned(),
                "cloudwatch.amazonaws.com".to_owned(),
            ],
        },
    )?;
    let code = runtime.stage(&mut scope)?;
    let ctx = LambdaContext {
        code,
        key_arn: key.arn(),
        permissions_boundary: boundary.clone(),
        log_retention_days: platform.log_retention_days,
    };

    // The bus and who may put events on it.
    let bus = EventBus::new(
        &mut scope,
        "Bus",
        &central.bus_name,
        "dpc: status changes of every pipeline of every account, and the trigger events",
    )?;
    bus.allow_put_events(&mut scope, "AllowOrganisationPutEvents", &audience)?;

    let tables = Tables::new(&mut scope, &key)?;

    // Everything the bus cannot deliver, and who hears about it.
    let dead_letters = Queue::new(
        &mut scope,
        "DeadLetters",
        Some(names::DEAD_LETTER_QUEUE.to_owned()),
        key.arn(),
    )?;
    dead_letters.set_policy(
        &mut scope,
        "DeadLettersPolicy",
        vec![
            Statement::allow(["sqs:SendMessage"])
                .sid("CentralBusRulesDeadLetters")
                .to(Principal::service("events.amazonaws.com"))
                .on([dead_letters.arn()])
                .when(
                    "ArnLike",
                    "aws:SourceArn",
                    [Expr::sub(format!(
                        "arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}:rule/{}/dpc-*",
                        central.bus_name
                    ))],
                ),
        ],
    )?;
    let alarms = AlarmTopic::new(
        &mut scope,
        "AlarmTopic",
        names::ALARM_TOPIC,
        &format!("the central account ({})", central.account),
        key.arn(),
        &platform.alert_targets,
    )?;

    // Rules per bus are counted by the engine's lint over every stack of an environment.

    let manager = trigger_manager(&mut scope, &ctx, &bus, &tables, &dead_letters)?;
    watch(&mut scope, &manager, &dead_letters, &alarms)?;
    forwarding_rules(&mut scope, org, &bus, &dead_letters, boundary.clone())?;
    let outputs = apis(&mut scope, org, &ctx, &tables, &audience, boundary, &alarms)?;
    Ok(CentralStack { stack, outputs })
}

/// Who may use the central bus and APIs: the organisation, or every user account.
pub fn audience(org: &Organisation) -> Audience {
    match &org.platform.central.organization_id {
        Some(id) => Audience::Organization(id.clone()),
        None => {
            let mut ids: Vec<String> = Vec::new();
            for account in &org.platform.accounts {
                if !ids.contains(&account.id) {
                    ids.push(account.id.clone());
                }
            }
            Audience::Accounts(ids)
        }
    }
}

/// The central tables, by role.
struct Tables {
    run_log: Table,
    dependencies: Table,
    triggers: Table,
    slack_channels: Table,
    slack_threads: Table,
}

impl Tables {
    fn new(scope: &mut Scope<'_>, key: &Key) -> Result<Tables, Diagnostic> {
        let table =
            |name: &str, pk: &str, sk: Option<&str>, indexes: Vec<Index>, ttl: bool| TableProps {
                name: name.to_owned(),
                partition_key: KeyAttribute::string(pk),
                sort_key: sk.map(KeyAttribute::string),
                indexes,
                ttl_attribute: ttl.then(|| tables::TTL_ATTRIBUTE.to_owned()),
                key_arn: key.arn(),
            };
        Ok(Tables {
            run_log: Table::new(
                scope,
                "RunLog",
                table(
                    tables::run_log::NAME,
                    tables::run_log::PARTITION,
                    Some(tables::run_log::SORT),
                    vec![Index {
                        name: tables::run_log::BY_EVENT_TIME.to_owned(),
                        global: false,
                        partition_key: None,
                        sort_key: Some(KeyAttribute::string(tables::run_log::EVENT_TIME)),
                    }],
                    true,
                ),
            )?,
            dependencies: Table::new(
                scope,
                "Dependencies",
                table(
                    tables::dependencies::NAME,
                    tables::dependencies::PARTITION,
                    Some(tables::dependencies::SORT),
                    vec![Index {
                        name: tables::dependencies::BY_CHILD.to_owned(),
                        global: true,
                        partition_key: Some(KeyAttribute::string(tables::dependencies::SORT)),
                        sort_key: Some(KeyAttribute::string(tables::dependencies::PARTITION)),
                    }],
                    false,
                ),
            )?,
            triggers: Table::new(
                scope,
                "TriggerRecords",
                table(
                    tables::triggers::NAME,
                    tables::triggers::PARTITION,
                    Some(tables::triggers::SORT),
                    Vec::new(),
                    true,
                ),
            )?,
            slack_channels: Table::new(
                scope,
                "SlackChannels",
                table(
                    tables::slack_channels::NAME,
                    tables::slack_channels::PARTITION,
                    None,
                    Vec::new(),
                    false,
                ),
            )?,
            slack_threads: Table::new(
                scope,
                "SlackThreads",
                table(
                    tables::slack_threads::NAME,
                    tables::slack_threads::PARTITION,
                    None,
                    Vec::new(),
                    true,
                ),
            )?,
        })
    }
}

/// The pattern of the trigger manager's rule: Step Functions' status events of state
/// machines named `dpc-*` (in any account: the forwarding rules only send dpc's), or a dpc
/// state machine's own report.
pub fn trigger_manager_pattern() -> EventPattern {
    EventPattern::new().or([
        EventPattern::new()
            .source([SFN_SOURCE])
            .detail_type([SFN_STATUS_DETAIL_TYPE])
            // One wildcard rule (EventBridge allows 30 per bus): a prefix cannot skip the
            // account and region parts of the ARN.
            .matching(
                &["detail", "stateMachineArn"],
                [Matcher::Wildcard(
                    "arn:*:states:*:*:stateMachine:dpc-*".into(),
                )],
            ),
        EventPattern::new()
            .source([PIPELINE_STATUS_SOURCE])
            .detail_type([PIPELINE_STATUS_DETAIL_TYPE]),
    ])
}

fn trigger_manager(
    scope: &mut Scope<'_>,
    ctx: &LambdaContext,
    bus: &EventBus,
    tables: &Tables,
    dead_letters: &Queue,
) -> Result<Function, Diagnostic> {
    let manager = dpc_function(
        scope,
        "TriggerManager",
        ctx,
        DpcFunction {
            role: LambdaRole::TriggerManager,
            description: "Logs every pipeline status event and broadcasts one trigger event per pipeline whose condition now holds",
            environment: vec![
                (env::RUN_LOG_TABLE, tables.run_log.name()),
                (env::TRIGGER_RECORDS_TABLE, tables.triggers.name()),
                (env::DEPENDENCIES_TABLE, tables.dependencies.name()),
                (env::CENTRAL_BUS_NAME, bus.name()),
            ],
            policy: PolicyDocument::with([
                // Log each status event and keep each pipeline's latest.
                tables.run_log.read_write_statement(),
                // Each downstream pipeline's trigger state, and the triggers emitted.
                tables.triggers.read_write_statement(),
                // Find the children of the pipeline whose status changed.
                tables.dependencies.read_statement(),
                // Broadcast the trigger events.
                Statement::allow(["events:PutEvents"]).on([bus.arn()]),
            ]),
            dead_letter_queue: Some(dead_letters.arn()),
            async_retries: Some(2),
            synchronous: false,
            timeout_seconds: 60,
        },
    )?;
    let rule = Rule::new(
        scope,
        "TriggerManagerRule",
        RuleProps {
            name: Some(names::TRIGGER_MANAGER_RULE.to_owned()),
            description: Some(
                "Status changes of dpc state machines (Step Functions' events and the state machines' own reports) to the trigger manager"
                    .to_owned(),
            ),
            bus: Some(bus.name()),
            pattern: Some(trigger_manager_pattern()),
            schedule: None,
            enabled: true,
            targets: vec![
                CfnRuleTarget::new("TriggerManager", manager.arn())
                    .with_dead_letter_queue(dead_letters.arn())
                    .with_retries(185, 86_400),
            ],
        },
    )?;
    Permission::new(
        scope,
        "TriggerManagerInvoke",
        PermissionProps {
            function: manager.arn(),
            service: "events.amazonaws.com".to_owned(),
            source_arn: rule.arn(),
            source_account: None,
        },
    )?;
    Ok(manager)
}

fn watch(
    scope: &mut Scope<'_>,
    manager: &Function,
    dead_letters: &Queue,
    alarms: &AlarmTopic,
) -> Result<(), Diagnostic> {
    let late = "downstream pipelines may not start. EventBridge and Lambda retry; what still fails lands in dpc-central-dead-letters, from where it can be redriven.";
    alarms.lambda_errors(scope, "TriggerManagerErrors", manager, late)?;
    alarms.lambda_throttles(scope, "TriggerManagerThrottles", manager, late)?;
    alarms.queue_depth(
        scope,
        "DeadLettersDepth",
        dead_letters,
        names::DEAD_LETTER_QUEUE,
        "status events the trigger manager could not take, or trigger events an account's pipeline bus refused, so some runs were neither logged nor started.",
    )?;
    Ok(())
}

/// How many accounts one forwarding role serves: its policy lists one bus ARN per
/// account, and a role's inline policies may hold 10,240 characters.
const ACCOUNTS_PER_FORWARD_ROLE: usize = 100;

/// The name of the forwarding rule for `account` (fitted to EventBridge's 64 characters).
pub fn forward_rule_name(account: &Account) -> String {
    NameKind::EventRule.fit(&format!("{}{}", names::FORWARD_RULE_PREFIX, account.alias))
}

/// The pattern of `account`'s forwarding rule: trigger events for that account.
pub fn forward_pattern(account: &Account) -> EventPattern {
    EventPattern::new()
        .source([dpc_model::TRIGGER_SOURCE])
        .detail_type([dpc_model::TRIGGER_DETAIL_TYPE])
        .exact(&["detail", "account"], [account.id.as_str()])
}

/// `arn:${AWS::Partition}:events:<region>:<account>:event-bus/dpc-pipelines`.
pub fn pipeline_bus_arn(account: &Account) -> Expr {
    Expr::sub(
        naming::AwsEnv::new(&account.id, &account.region)
            .with_partition("${AWS::Partition}")
            .pipeline_bus_arn(),
    )
}

fn forwarding_rules(
    scope: &mut Scope<'_>,
    org: &Organisation,
    bus: &EventBus,
    dead_letters: &Queue,
    boundary: Option<String>,
) -> Result<(), Diagnostic> {
    let accounts = distinct_accounts(org);
    for (chunk_index, chunk) in accounts.chunks(ACCOUNTS_PER_FORWARD_ROLE).enumerate() {
        let role_id = match chunk_index {
            0 => "ForwardRole".to_owned(),
            n => format!("ForwardRole{}", n + 1),
        };
        let mut trust = crate::aws::iam::Conditions::new();
        trust.entry("StringEquals".to_owned()).or_default().insert(
            "aws:SourceAccount".to_owned(),
            vec![Expr::Pseudo(dpc_core::Pseudo::AccountId)],
        );
        let role = Role::new(
            scope,
            &role_id,
            RoleProps {
                description: Some(
                    "EventBridge puts trigger events from the central bus on the accounts' pipeline buses"
                        .to_owned(),
                ),
                trust_conditions: trust,
                policy: PolicyDocument::with([Statement::allow(["events:PutEvents"])
                    .on(chunk.iter().map(|a| pipeline_bus_arn(a)))]),
                permissions_boundary: boundary.clone(),
                ..RoleProps::assumed_by(Principal::service("events.amazonaws.com"))
            },
        )?;
        for account in chunk {
            Rule::new(
                scope,
                &format!("Forward-{}", account.alias),
                RuleProps {
                    name: Some(forward_rule_name(account)),
                    description: Some(format!(
                        "Trigger events for account {} ({}) to its pipeline bus",
                        account.alias, account.id
                    )),
                    bus: Some(bus.name()),
                    pattern: Some(forward_pattern(account)),
                    schedule: None,
                    enabled: true,
                    targets: vec![
                        CfnRuleTarget::new("PipelineBus", pipeline_bus_arn(account))
                            .with_role(role.arn())
                            .with_dead_letter_queue(dead_letters.arn())
                            .with_retries(185, 86_400),
                    ],
                },
            )?;
        }
    }
    Ok(())
}

/// The user accounts, one per id (an id listed twice under two aliases counts once).
fn distinct_accounts(org: &Organisation) -> Vec<&Account> {
    let mut seen: Vec<&str> = Vec::new();
    org.platform
        .accounts
        .iter()
        .filter(|a| {
            let new = !seen.contains(&a.id.as_str());
            seen.push(&a.id);
            new
        })
        .collect()
}

/// The API resource policy: `audience` may invoke any method (IAM still decides which).
fn api_policy(audience: &Audience) -> PolicyDocument {
    PolicyDocument::with([audience.apply(
        Statement::allow(["execute-api:Invoke"])
            .sid("OrganisationInvokes")
            .on(["execute-api:/*"]),
    )])
}

fn apis(
    scope: &mut Scope<'_>,
    org: &Organisation,
    ctx: &LambdaContext,
    tables: &Tables,
    audience: &Audience,
    boundary: Option<String>,
    alarms: &AlarmTopic,
) -> Result<Vec<String>, Diagnostic> {
    let central = &org.platform.central;
    let logging = CloudWatchRole::new(scope, "ApiGatewayCloudWatch", boundary)?;

    let writer = dpc_function(
        scope,
        "DependenciesWriter",
        ctx,
        DpcFunction {
            role: LambdaRole::DependenciesWriter,
            description: "The dependency API: registers, reads and removes a pipeline's condition and its edges to its parents",
            environment: vec![
                (env::DEPENDENCIES_TABLE, tables.dependencies.name()),
                (env::RUN_LOG_TABLE, tables.run_log.name()),
                (env::TRIGGER_RECORDS_TABLE, tables.triggers.name()),
            ],
            policy: PolicyDocument::with([
                // The edges and conditions it maintains.
                tables.dependencies.read_write_statement(),
                // Parents' latest events, to seed a newly registered pipeline's state.
                tables.run_log.read_statement(),
                // The seeded state itself.
                tables.triggers.read_write_statement(),
            ]),
            dead_letter_queue: None,
            async_retries: None,
            synchronous: true,
            timeout_seconds: 30,
        },
    )?;
    let channels = dpc_function(
        scope,
        "SlackChannelWriter",
        ctx,
        DpcFunction {
            role: LambdaRole::SlackChannelWriter,
            description: "The Slack API: registers and removes the Slack channels of a pipeline",
            environment: vec![(env::SLACK_CHANNELS_TABLE, tables.slack_channels.name())],
            policy: PolicyDocument::with([tables.slack_channels.read_write_statement()]),
            dead_letter_queue: None,
            async_retries: None,
            synchronous: true,
            timeout_seconds: 30,
        },
    )?;
    let poster = dpc_function(
        scope,
        "SlackPoster",
        ctx,
        DpcFunction {
            role: LambdaRole::SlackPoster,
            description: "The Slack API: posts a pipeline's run messages to its channels, one thread per execution",
            environment: vec![
                (env::SLACK_CHANNELS_TABLE, tables.slack_channels.name()),
                (env::SLACK_THREADS_TABLE, tables.slack_threads.name()),
                (
                    env::SLACK_TOKEN_SECRET_NAME,
                    Expr::from(central.slack_token_secret_name.as_str()),
                ),
            ],
            policy: PolicyDocument::with([
                // Which channels a pipeline posts to.
                tables.slack_channels.read_statement(),
                // The root message of each execution's thread.
                tables.slack_threads.read_write_statement(),
                // The Slack token, read at run time, by name.
                Statement::allow(["secretsmanager:GetSecretValue"])
                    .on([secretsmanager::secret_arn(&central.slack_token_secret_name)]),
            ]),
            dead_letter_queue: None,
            async_retries: None,
            synchronous: true,
            timeout_seconds: 30,
        },
    )?;

    alarms.lambda_errors(
        scope,
        "DependenciesWriterErrors",
        &writer,
        "pipeline stacks that register or remove their trigger conditions fail to deploy, or leave a stale edge when deleted.",
    )?;
    alarms.lambda_errors(
        scope,
        "SlackChannelWriterErrors",
        &channels,
        "pipeline stacks that register or remove their Slack channels fail to deploy.",
    )?;
    alarms.lambda_errors(
        scope,
        "SlackPosterErrors",
        &poster,
        "run messages did not reach Slack; the accounts' Slack callers retry, then keep them in their dead-letter queues.",
    )?;
    let dependency_routes = ["GET", "PUT", "DELETE"].map(|method| Route {
        path: format!("/{}/{{account}}/{{pipeline}}", api::DEPENDENCIES_RESOURCE),
        method: method.to_owned(),
        function_arn: writer.arn(),
        function_id: "DependenciesWriter".to_owned(),
    });
    let dependency_api = RestApi::new(
        scope,
        "DependencyApi",
        RestApiProps {
            name: names::DEPENDENCY_API.to_owned(),
            description: "dpc dependency API: each pipeline's trigger condition and parents"
                .to_owned(),
            policy: api_policy(audience),
            stage_name: API_STAGE.to_owned(),
            routes: dependency_routes.to_vec(),
            rate_limit: 20.0,
            burst_limit: 40,
            log_retention_days: ctx.log_retention_days,
            key_arn: ctx.key_arn.clone(),
            stage_depends_on: vec![logging.account_setting().clone()],
        },
    )?;
    let mut slack_routes: Vec<Route> = ["PUT", "DELETE"]
        .map(|method| Route {
            path: format!("/{}/{{account}}/{{pipeline}}", api::CHANNELS_RESOURCE),
            method: method.to_owned(),
            function_arn: channels.arn(),
            function_id: "SlackChannelWriter".to_owned(),
        })
        .to_vec();
    slack_routes.push(Route {
        path: format!("/{}", api::MESSAGES_RESOURCE),
        method: "POST".to_owned(),
        function_arn: poster.arn(),
        function_id: "SlackPoster".to_owned(),
    });
    let slack_api = RestApi::new(
        scope,
        "SlackApi",
        RestApiProps {
            name: names::SLACK_API.to_owned(),
            description: "dpc Slack API: pipelines' channels and run messages".to_owned(),
            policy: api_policy(audience),
            stage_name: API_STAGE.to_owned(),
            routes: slack_routes,
            rate_limit: 20.0,
            burst_limit: 40,
            log_retention_days: ctx.log_retention_days,
            key_arn: ctx.key_arn.clone(),
            stage_depends_on: vec![logging.account_setting().clone()],
        },
    )?;
    alarms.api_errors(
        scope,
        "DependencyApiErrors",
        names::DEPENDENCY_API,
        API_STAGE,
        "registrations of pipeline conditions failed, so those pipeline stacks did not deploy.",
    )?;
    alarms.api_errors(
        scope,
        "SlackApiErrors",
        names::SLACK_API,
        API_STAGE,
        "Slack channels were not registered or run messages were not posted.",
    )?;
    let mut outputs = Vec::new();
    for (name, url, what) in [
        (
            OUTPUT_DEPENDENCY_API_URL,
            dependency_api.url(),
            "The dependency API's URL; dpc deploy passes it to every account setup stack",
        ),
        (
            OUTPUT_SLACK_API_URL,
            slack_api.url(),
            "The Slack API's URL; dpc deploy passes it to every account setup stack",
        ),
    ] {
        outputs.push(scope.add_output(name, Output::new(url).with_description(what))?);
    }
    Ok(outputs)
}

/// The central account's resources that user accounts call, as ARN patterns for their
/// IAM policies: `execute-api` ARNs of the central APIs' stage, any API id (API ids are
/// made up by AWS), limited to the central account and region, the stage, the method and
/// the path.
pub fn central_api_arn(org: &Organisation, method: &str, path: &str) -> Expr {
    let central = &org.platform.central;
    Expr::sub(format!(
        "arn:${{AWS::Partition}}:execute-api:{}:{}:*/{API_STAGE}/{method}{path}",
        central.region, central.account
    ))
}
