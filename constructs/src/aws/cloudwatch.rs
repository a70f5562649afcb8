//! CloudWatch alarms: `AWS::CloudWatch::Alarm` (L1) and [`Alarm`] (L2).

use dpc_core::{Expr, Val};
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
