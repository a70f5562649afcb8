//! [`Rule`]: an EventBridge rule with checked pattern, schedule and targets.

use super::cfn::{CfnRule, CfnRuleTarget, DeadLetterConfig, RetryPolicy};
use super::pattern::{EventPattern, MAX_PATTERN_CHARS};
use crate::aws::codes;
use dpc_core::{Diagnostic, Expr, ResourceRef, Scope};

/// EventBridge's limit on targets per rule.
pub const MAX_TARGETS: usize = 5;

/// EventBridge's default quota of rules per event bus (adjustable through Service
/// Quotas).
pub const DEFAULT_MAX_RULES_PER_BUS: usize = dpc_core::lint::DEFAULT_MAX_RULES_PER_BUS;

impl CfnRuleTarget {
    /// A target `id` delivering to `arn`.
    pub fn new(id: &str, arn: Expr) -> CfnRuleTarget {
        CfnRuleTarget {
            id: id.to_owned(),
            arn,
            role_arn: None,
            input: None,
            input_path: None,
            input_transformer: None,
            dead_letter_config: None,
            retry_policy: None,
        }
    }

    /// Sets the role EventBridge assumes to deliver (buses of other accounts, state
    /// machines, ...).
    pub fn with_role(mut self, role_arn: Expr) -> CfnRuleTarget {
        self.role_arn = Some(role_arn);
        self
    }

    /// Sends what EventBridge cannot deliver to this SQS queue.
    pub fn with_dead_letter_queue(mut self, queue_arn: Expr) -> CfnRuleTarget {
        self.dead_letter_config = Some(DeadLetterConfig { arn: queue_arn });
        self
    }

    /// Retries up to `attempts` times within `max_age_seconds` (60–86,400).
    pub fn with_retries(mut self, attempts: u32, max_age_seconds: u32) -> CfnRuleTarget {
        self.retry_policy = Some(RetryPolicy {
            maximum_retry_attempts: Some(attempts.into()),
            maximum_event_age_in_seconds: Some(max_age_seconds.into()),
        });
        self
    }
}

/// What a [`Rule`] is made of.
#[derive(Clone, Debug, Default)]
pub struct RuleProps {
    /// The rule's name.
    pub name: Option<String>,
    /// What it is for.
    pub description: Option<String>,
    /// The bus (name or ARN); the account's default bus when absent.
    pub bus: Option<Expr>,
    /// The events it matches.
    pub pattern: Option<EventPattern>,
    /// `cron(...)` or `rate(...)`: only on the default bus.
    pub schedule: Option<String>,
    /// `false` deploys it disabled.
    pub enabled: bool,
    /// Where matching events go (at most 5).
    pub targets: Vec<CfnRuleTarget>,
}

/// An EventBridge rule (`AWS::Events::Rule`, child `Resource`).
#[derive(Clone, Debug)]
pub struct Rule {
    resource: ResourceRef,
}

impl Rule {
    /// Adds the rule under `scope/id`.
    ///
    /// # Errors
    /// `DM0304` when it has neither or both of pattern and schedule, a schedule on a custom
    /// bus, more than 5 targets, or a pattern over 2,048 characters.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: RuleProps) -> Result<Rule, Diagnostic> {
        let mut scope = scope.child(id)?;
        let invalid = |message: String| {
            Err(Diagnostic::error(codes::INVALID_RULE, message).in_construct(scope.path()))
        };
        match (&props.pattern, &props.schedule) {
            (None, None) => return invalid("an event rule needs a pattern or a schedule".into()),
            (Some(_), Some(_)) => {
                return invalid("an event rule takes a pattern or a schedule, not both".into());
            }
            (None, Some(_)) if props.bus.is_some() => {
                return invalid("a scheduled rule can only run on the default event bus".into());
            }
            _ => {}
        }
        if props.targets.len() > MAX_TARGETS {
            return invalid(format!(
                "an event rule has at most {MAX_TARGETS} targets, this one has {}",
                props.targets.len()
            ));
        }
        if let Some(pattern) = &props.pattern {
            let size = pattern.len_chars();
            if size > MAX_PATTERN_CHARS {
                return invalid(format!(
                    "the event pattern has {size} characters; EventBridge allows {MAX_PATTERN_CHARS}"
                ));
            }
        }
        let resource = scope.add_resource(
            "Resource",
            CfnRule {
                name: props.name.map(Expr::from),
                description: props.description.map(Expr::from),
                event_bus_name: props.bus,
                event_pattern: props.pattern,
                schedule_expression: props.schedule.map(Expr::from),
                state: Some(if props.enabled { "ENABLED" } else { "DISABLED" }.into()),
                targets: props.targets,
            },
        )?;
        Ok(Rule { resource })
    }

    /// The rule's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The rule's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }
}
