//! What starts a pipeline: a rule on a schedule (default bus), an EventBridge Scheduler
//! schedule (a schedule in a time zone), or a rule on the account's pipeline bus that
//! matches the pipeline's trigger events. `enabled: false` deploys them disabled.

use super::pattern::{self, TriggerPattern};
use super::setup::AccountSetup;
use crate::aws::events::{CfnRuleTarget, Rule, RuleProps};
use crate::aws::scheduler::{
    CfnSchedule, FlexibleTimeWindow, ScheduleDeadLetterConfig, ScheduleRetryPolicy, ScheduleTarget,
};
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope, Severity, dynamic_ref};
use dpc_model::contract::params;
use dpc_model::naming::{self, NameKind};
use dpc_schema::{Pipeline, Schedule, Trigger};

/// Diagnostic code (a warning): the trigger rule matches pipeline and account only
/// ([`crate::aws::codes::PATTERN_WITHOUT_STATUSES`]).
pub const PATTERN_WITHOUT_STATUSES: &str = crate::aws::codes::PATTERN_WITHOUT_STATUSES;

/// What the trigger resources were made of, for tests and the report.
#[derive(Clone, Debug, Default)]
pub struct Triggers {
    /// The rule, for schedule (UTC), cron and executions triggers.
    pub rule: Option<ResourceRef>,
    /// The Scheduler schedule, for schedules in another time zone.
    pub schedule: Option<ResourceRef>,
    /// The executions rule's pattern.
    pub pattern: Option<TriggerPattern>,
}

/// Whether `pipeline` starts from an EventBridge Scheduler schedule (a schedule in a time
/// zone other than UTC), whose dead letters the trigger role itself sends.
pub fn uses_scheduler(pipeline: &Pipeline) -> bool {
    matches!(&pipeline.trigger, Trigger::Schedule(schedule) if !schedule.is_utc())
}

// A day's worth of retries: a start that EventBridge cannot make at once is still
// worth making the same day.
const RETRY_AGE_SECONDS: u32 = 86_400;
const RETRY_ATTEMPTS: u32 = 185;

/// Adds the trigger of `pipeline` under `scope/Trigger`.
///
/// # Errors
/// A core diagnostic when ids collide.
pub fn add(
    scope: &mut Scope<'_>,
    pipeline: &Pipeline,
    state_machine_arn: Expr,
    role_arn: Expr,
) -> Result<Triggers, Diagnostic> {
    let state = Expr::from(if pipeline.enabled {
        "ENABLED"
    } else {
        "DISABLED"
    });
    let name = naming::pipeline_resource_name(NameKind::EventRule, &pipeline.name, Some("trigger"));
    // Starts EventBridge could not make within a day of retries go to the account's
    // dead-letter queue, whose policy accepts rules named `dpc-*`.
    let target = CfnRuleTarget::new("StateMachine", state_machine_arn.clone())
        .with_role(role_arn.clone())
        .with_retries(RETRY_ATTEMPTS, RETRY_AGE_SECONDS)
        .with_dead_letter_queue(Expr::from(dynamic_ref::ssm(params::DEAD_LETTER_QUEUE_ARN)));
    let mut out = Triggers::default();
    match &pipeline.trigger {
        Trigger::Manual => {}
        Trigger::Schedule(schedule) if schedule.is_utc() => {
            let rule = Rule::new(
                scope,
                "Trigger",
                RuleProps {
                    name: Some(name),
                    description: Some(format!(
                        "Starts pipeline {} {}",
                        pipeline.name,
                        describe(schedule)
                    )),
                    bus: None,
                    pattern: None,
                    schedule: Some(format!("cron({})", schedule.cron_expression())),
                    enabled: pipeline.enabled,
                    targets: vec![target],
                },
            )?;
            out.rule = Some(rule.resource().clone());
        }
        Trigger::Schedule(schedule) => {
            let schedule_resource = CfnSchedule {
                name: Some(Expr::from(naming::pipeline_resource_name(
                    NameKind::EventRule,
                    &pipeline.name,
                    Some("schedule"),
                ))),
                description: Some(Expr::from(format!(
                    "Starts pipeline {} {}",
                    pipeline.name,
                    describe(schedule)
                ))),
                schedule_expression: Some(Expr::from(format!(
                    "cron({})",
                    schedule.cron_expression()
                ))),
                schedule_expression_timezone: Some(Expr::from(schedule.timezone.as_str())),
                flexible_time_window: Some(FlexibleTimeWindow { mode: "OFF".into() }),
                state: Some(state),
                target: Some(ScheduleTarget {
                    arn: state_machine_arn,
                    role_arn,
                    // The scheduled time becomes the run's `time`, hence its `ds`.
                    input: Some(Expr::from(
                        r#"{"source":"dpc.schedule","time":"<aws.scheduler.scheduled-time>"}"#,
                    )),
                    retry_policy: Some(ScheduleRetryPolicy {
                        maximum_event_age_in_seconds: RETRY_AGE_SECONDS,
                        maximum_retry_attempts: RETRY_ATTEMPTS,
                    }),
                    // Starts Scheduler could not make within a day of retries go to the
                    // account's dead-letter queue, sent with the trigger role
                    // ([`super::iam::trigger_role_policy`]).
                    dead_letter_config: Some(ScheduleDeadLetterConfig {
                        arn: Expr::from(
                            AccountSetup::new(&pipeline.account.id, &pipeline.account.region)
                                .dead_letter_queue_arn(),
                        ),
                    }),
                }),
            };
            out.schedule = Some(
                scope
                    .child("Trigger")?
                    .add_resource("Resource", schedule_resource)?,
            );
        }
        Trigger::Cron(expression) => {
            let rule = Rule::new(
                scope,
                "Trigger",
                RuleProps {
                    name: Some(name),
                    description: Some(format!(
                        "Starts pipeline {} on cron({expression}) (UTC)",
                        pipeline.name
                    )),
                    bus: None,
                    pattern: None,
                    schedule: Some(format!("cron({expression})")),
                    enabled: pipeline.enabled,
                    targets: vec![target],
                },
            )?;
            out.rule = Some(rule.resource().clone());
        }
        Trigger::Executions(executions) => {
            let found = pattern::trigger_pattern(&pipeline.id(), executions);
            let rule = Rule::new(
                scope,
                "Trigger",
                RuleProps {
                    name: Some(name),
                    description: Some(format!(
                        "Starts pipeline {} when the central trigger manager says its condition holds",
                        pipeline.name
                    )),
                    bus: Some(Expr::from(naming::pipeline_bus_name())),
                    pattern: Some(found.pattern.clone()),
                    schedule: None,
                    enabled: pipeline.enabled,
                    targets: vec![target],
                },
            )?;
            out.rule = Some(rule.resource().clone());
            if let Some(reason) = found.statuses_dropped.clone() {
                let pipeline_name = pipeline.name.clone();
                scope.add_validation(move |_| {
                    vec![Diagnostic::new(
                        Severity::Warning,
                        PATTERN_WITHOUT_STATUSES,
                        format!(
                            "the trigger rule of pipeline `{pipeline_name}` matches its name and account only: {reason}"
                        ),
                    )
                    .with_note("the central trigger manager still starts the pipeline only when its condition holds")]
                });
            }
            out.pattern = Some(found);
        }
    }
    Ok(out)
}

fn describe(schedule: &Schedule) -> String {
    let days = if schedule.week_days.is_empty() {
        "every day".to_owned()
    } else {
        let names: Vec<&str> = schedule.week_days.iter().map(|d| d.as_str()).collect();
        format!("on {}", names.join(", "))
    };
    format!(
        "{days} at {:02}:{:02} {}",
        schedule.hour, schedule.minute, schedule.timezone
    )
}
