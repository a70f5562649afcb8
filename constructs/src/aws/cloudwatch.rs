//! CloudWatch alarms: `AWS::CloudWatch::Alarm` (L1) and [`Alarm`] (L2).

use dpc_core::{Diagnostic, Expr, ResourceRef, Scope, Val};
use serde::Serialize;

/// `AWS::CloudWatch::Alarm`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-cloudwatch-alarm.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnAlarm {
    /// `AlarmName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_name: Option<Expr>,
    /// `AlarmDescription`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alarm_description: Option<Expr>,
    /// `Namespace`, e.g. `AWS/Lambda`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `MetricName`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metric_name: Option<String>,
    /// `Dimensions`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub dimensions: Vec<Dimension>,
    /// `Statistic`: `Sum`, `Maximum`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<String>,
    /// `Period`, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub period: Option<Val<u32>>,
    /// `EvaluationPeriods`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evaluation_periods: Option<Val<u32>>,
    /// `DatapointsToAlarm`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datapoints_to_alarm: Option<Val<u32>>,
    /// `Threshold`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<Val<f64>>,
    /// `ComparisonOperator`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub comparison_operator: Option<String>,
    /// `TreatMissingData`: `notBreaching`, `breaching`, `ignore`, `missing`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub treat_missing_data: Option<String>,
    /// `AlarmActions`: ARNs notified when the alarm fires.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub alarm_actions: Vec<Expr>,
    /// `OKActions`.
    #[serde(rename = "OKActions", skip_serializing_if = "Vec::is_empty")]
    pub ok_actions: Vec<Expr>,
}

/// `AWS::CloudWatch::Alarm.Dimension`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// `Name`.
    pub name: String,
    /// `Value`.
    pub value: Expr,
}

crate::aws::cfn_type!(CfnAlarm, "AWS::CloudWatch::Alarm");

/// What an [`Alarm`] watches and whom it tells.
#[derive(Clone, Debug)]
pub struct AlarmProps {
    /// The alarm's name.
    pub name: Option<String>,
    /// What it means when it fires, for whoever receives it.
    pub description: String,
    /// `AWS/Lambda`, `AWS/SQS`, ...
    pub namespace: String,
    /// The metric.
    pub metric_name: String,
    /// The metric's dimensions.
    pub dimensions: Vec<Dimension>,
    /// `Sum`, `Maximum`, ...
    pub statistic: String,
    /// Seconds per datapoint.
    pub period: u32,
    /// The alarm fires when the statistic is `>=` this in one period.
    pub threshold: f64,
    /// ARNs notified (an SNS topic).
    pub actions: Vec<Expr>,
}

/// A CloudWatch alarm (`AWS::CloudWatch::Alarm`, child `Resource`) that fires when a
/// metric reaches a threshold in one period; missing data counts as fine.
#[derive(Clone, Debug)]
pub struct Alarm {
    resource: ResourceRef,
}

impl Alarm {
    /// Adds the alarm under `scope/id`.
    ///
    /// # Errors
    /// A core diagnostic when the id is taken.
    pub fn new(scope: &mut Scope<'_>, id: &str, props: AlarmProps) -> Result<Alarm, Diagnostic> {
        let mut scope = scope.child(id)?;
        let resource = scope.add_resource(
            "Resource",
            CfnAlarm {
                alarm_name: props.name.map(Expr::from),
                alarm_description: Some(props.description.into()),
                namespace: Some(props.namespace),
                metric_name: Some(props.metric_name),
                dimensions: props.dimensions,
                statistic: Some(props.statistic),
                period: Some(props.period.into()),
                evaluation_periods: Some(1.into()),
                datapoints_to_alarm: Some(1.into()),
                threshold: Some(props.threshold.into()),
                comparison_operator: Some("GreaterThanOrEqualToThreshold".to_owned()),
                treat_missing_data: Some("notBreaching".to_owned()),
                alarm_actions: props.actions.clone(),
                ok_actions: props.actions,
            },
        )?;
        Ok(Alarm { resource })
    }

    /// The alarm's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }
}
