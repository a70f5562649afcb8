//! The platform's own alarms, and who hears them (platform.yaml's `alerts.targets`).
//!
//! A CloudWatch alarm can only notify an SNS topic of its own account and region, so every
//! stack that alarms (the central stack, every account setup stack) has one encrypted
//! [`AlarmTopic`] whose policy lets exactly the alarms of that account publish, and the
//! platform team's targets subscribe to each of them. No topic accepts a publish from
//! another account. Alarms fire on the first bad datapoint (`>= 1` in five minutes),
//! treat missing data as fine, and notify again when they recover.

use crate::aws::cloudwatch::{Alarm, AlarmProps, Dimension};
use crate::aws::iam::{Principal, Statement};
use crate::aws::lambda::Function;
use crate::aws::logs::{CfnMetricFilter, MetricTransformation};
use crate::aws::sns::Topic;
use crate::aws::sqs::Queue;
use crate::pipeline::alerting::subscribe_direct;
use dpc_core::{Diagnostic, Expr, Scope};
use dpc_model::contract::metrics;
use dpc_schema::Target;

/// Seconds per datapoint of every platform alarm.
const PERIOD: u32 = 300;

/// The topic a stack's alarms notify, with the platform team's subscriptions.
#[derive(Clone, Debug)]
pub struct AlarmTopic {
    topic: Topic,
    place: String,
}

impl AlarmTopic {
    /// Adds topic `name` under `scope/id` (policy `<id>Policy`) for the alarms of `place`
    /// (how alarm texts name the account, e.g. `account core-data (222222222222)`),
    /// encrypted with `key_arn`
    /// (whose key policy must let CloudWatch use it), and subscribes `targets` as a
    /// pipeline's alert topic subscribes them.
    ///
    /// # Errors
    /// A core diagnostic when ids collide, or a Slack target (platform.yaml's check refuses
    /// those first: an alarm cannot reach Slack).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        name: &str,
        place: &str,
        key_arn: Expr,
        targets: &[Target],
    ) -> Result<AlarmTopic, Diagnostic> {
        let topic = Topic::new(scope, id, Some(name.to_owned()), key_arn)?;
        topic.set_policy(
            scope,
            &format!("{id}Policy"),
            vec![
                Statement::allow(["sns:Publish"])
                    .sid("CloudWatchAlarmsOfThisAccount")
                    .to(Principal::service("cloudwatch.amazonaws.com"))
                    .on([topic.arn()])
                    .when(
                        "ArnLike",
                        "aws:SourceArn",
                        [Expr::sub(
                            "arn:${AWS::Partition}:cloudwatch:${AWS::Region}:${AWS::AccountId}:alarm:*",
                        )],
                    ),
            ],
        )?;
        for target in targets {
            if matches!(target, Target::Slack { .. }) {
                return Err(Diagnostic::error(
                    crate::aws::codes::INVALID_PLATFORM,
                    "the platform's alarms cannot go to Slack",
                )
                .with_help("use an EMAIL or OPSGENIE target in platform.yaml's `alerts`"));
            }
            // Never a filter policy: alarm messages carry no dpc attributes.
            subscribe_direct(&topic, scope, id, target, None)?;
        }
        Ok(AlarmTopic {
            topic,
            place: place.to_owned(),
        })
    }

    /// The topic's ARN.
    pub fn arn(&self) -> Expr {
        self.topic.arn()
    }

    /// An alarm `<function name>-errors` on `function`'s `Errors`; `impact` says what a
    /// failure means for users and what to look at.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn lambda_errors(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        function: &Function,
        impact: &str,
    ) -> Result<Alarm, Diagnostic> {
        self.lambda_metric(scope, id, function, "Errors", "errors", "failed", impact)
    }

    /// An alarm `<function name>-throttles` on `function`'s `Throttles`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn lambda_throttles(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        function: &Function,
        impact: &str,
    ) -> Result<Alarm, Diagnostic> {
        self.lambda_metric(
            scope,
            id,
            function,
            "Throttles",
            "throttles",
            "was throttled (the account's Lambda concurrency is exhausted)",
            impact,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn lambda_metric(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        function: &Function,
        metric: &str,
        suffix: &str,
        what: &str,
        impact: &str,
    ) -> Result<Alarm, Diagnostic> {
        let name = function.function_name();
        Alarm::new(
            scope,
            id,
            AlarmProps {
                name: Some(format!("{name}-{suffix}")),
                description: format!(
                    "{name} {what} in {}: {impact} Its log group /aws/lambda/{name} says why.",
                    self.place
                ),
                namespace: "AWS/Lambda".to_owned(),
                metric_name: metric.to_owned(),
                dimensions: vec![Dimension {
                    name: "FunctionName".to_owned(),
                    value: function.name(),
                }],
                statistic: "Sum".to_owned(),
                period: PERIOD,
                threshold: 1.0,
                actions: vec![self.arn()],
            },
        )
    }

    /// An alarm named like `queue` when any message is visible in it.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn queue_depth(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        queue: &Queue,
        queue_name: &str,
        holds: &str,
    ) -> Result<Alarm, Diagnostic> {
        Alarm::new(
            scope,
            id,
            AlarmProps {
                name: Some(queue_name.to_owned()),
                description: format!(
                    "Messages wait in the dead-letter queue {queue_name} of {}: {holds} Read them (each names its rule or function and the event), fix the cause, then redrive or delete them.",
                    self.place
                ),
                namespace: "AWS/SQS".to_owned(),
                metric_name: "ApproximateNumberOfMessagesVisible".to_owned(),
                dimensions: vec![Dimension {
                    name: "QueueName".to_owned(),
                    value: queue.name(),
                }],
                statistic: "Maximum".to_owned(),
                period: PERIOD,
                threshold: 1.0,
                actions: vec![self.arn()],
            },
        )
    }

    /// An alarm `<api name>-5xx` when an API answers with a server error.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn api_errors(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        api_name: &str,
        stage: &str,
        impact: &str,
    ) -> Result<Alarm, Diagnostic> {
        Alarm::new(
            scope,
            id,
            AlarmProps {
                name: Some(format!("{api_name}-5xx")),
                description: format!(
                    "The API {api_name} answered with server errors: {impact} Its access log and its functions' logs say why."
                ),
                namespace: "AWS/ApiGateway".to_owned(),
                metric_name: "5XXError".to_owned(),
                dimensions: vec![
                    Dimension {
                        name: "ApiName".to_owned(),
                        value: Expr::from(api_name),
                    },
                    Dimension {
                        name: "Stage".to_owned(),
                        value: Expr::from(stage),
                    },
                ],
                statistic: "Sum".to_owned(),
                period: PERIOD,
                threshold: 1.0,
                actions: vec![self.arn()],
            },
        )
    }

    /// Counts the registration function's `FAILED` answers (a metric filter on its log
    /// group, `<id>Filter`) and alarms `dpc-failed-registrations` on the first one: a
    /// pipeline stack whose dependencies or Slack channels could not be registered rolls
    /// back, and a delete that could not unregister leaves a stale edge behind.
    ///
    /// # Errors
    /// A core diagnostic when the ids are taken.
    pub fn failed_registrations(
        &self,
        scope: &mut Scope<'_>,
        id: &str,
        registration: &Function,
    ) -> Result<Alarm, Diagnostic> {
        scope.add_resource(
            &format!("{id}Filter"),
            CfnMetricFilter {
                filter_name: Some(Expr::from("dpc-failed-registrations")),
                log_group_name: Some(registration.log_group_name()),
                filter_pattern: Some(Expr::from(format!(
                    "{{ $.message = \"{}\" }}",
                    metrics::REGISTRATION_FAILED_MESSAGE
                ))),
                metric_transformations: vec![MetricTransformation {
                    metric_name: metrics::FAILED_REGISTRATIONS.to_owned(),
                    metric_namespace: metrics::NAMESPACE.to_owned(),
                    metric_value: "1".to_owned(),
                    unit: Some("Count".to_owned()),
                }],
            },
        )?;
        Alarm::new(
            scope,
            id,
            AlarmProps {
                name: Some("dpc-failed-registrations".to_owned()),
                description: format!(
                    "{} answered FAILED to CloudFormation in {}: a pipeline stack's dependencies or Slack channels were not registered with the central APIs, and its deployment rolled back. The stack's events and /aws/lambda/{} give the pipeline and the reason.",
                    registration.function_name(),
                    self.place,
                    registration.function_name()
                ),
                namespace: metrics::NAMESPACE.to_owned(),
                metric_name: metrics::FAILED_REGISTRATIONS.to_owned(),
                dimensions: Vec::new(),
                statistic: "Sum".to_owned(),
                period: PERIOD,
                threshold: 1.0,
                actions: vec![self.arn()],
            },
        )
    }
}
