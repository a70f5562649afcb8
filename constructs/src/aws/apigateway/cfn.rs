//! `AWS::ApiGateway::*` resources (L1).

use crate::aws::Tag;
use crate::aws::iam::PolicyDocument;
use dpc_core::{Expr, Val};
use indexmap::IndexMap;
use serde::Serialize;

/// `AWS::ApiGateway::RestApi`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-restapi.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnRestApi {
    /// `Name`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<Expr>,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `EndpointConfiguration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint_configuration: Option<EndpointConfiguration>,
    /// `Policy`: the resource policy.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub policy: Option<PolicyDocument>,
    /// `DisableExecuteApiEndpoint`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disable_execute_api_endpoint: Option<bool>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::ApiGateway::RestApi.EndpointConfiguration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct EndpointConfiguration {
    /// `Types`: `REGIONAL`, `EDGE` or `PRIVATE`.
    pub types: Vec<String>,
}

/// `AWS::ApiGateway::Resource`: one path segment.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-resource.html>
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnResource {
    /// `RestApiId`.
    pub rest_api_id: Expr,
    /// `ParentId`: the parent resource (the API's `RootResourceId` for the first segment).
    pub parent_id: Expr,
    /// `PathPart`: the segment, `{name}` for a path parameter.
    pub path_part: String,
}

/// `AWS::ApiGateway::Method`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-method.html>
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnMethod {
    /// `RestApiId`.
    pub rest_api_id: Expr,
    /// `ResourceId`.
    pub resource_id: Expr,
    /// `HttpMethod`.
    pub http_method: String,
    /// `AuthorizationType`: `AWS_IAM` for every dpc method.
    pub authorization_type: String,
    /// `RequestParameters`: `method.request.path.name` → required.
    #[serde(skip_serializing_if = "IndexMap::is_empty")]
    pub request_parameters: IndexMap<String, bool>,
    /// `Integration`.
    pub integration: Integration,
}

/// `AWS::ApiGateway::Method.Integration`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Integration {
    /// `Type`: `AWS_PROXY` for Lambda proxy integrations.
    pub r#type: String,
    /// `IntegrationHttpMethod`: `POST` for Lambda.
    pub integration_http_method: String,
    /// `Uri`: `arn:aws:apigateway:<region>:lambda:path/2015-03-31/functions/<arn>/invocations`.
    pub uri: Expr,
}

/// `AWS::ApiGateway::Deployment`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-deployment.html>
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnDeployment {
    /// `RestApiId`.
    pub rest_api_id: Expr,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
}

/// `AWS::ApiGateway::Stage`.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-stage.html>
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnStage {
    /// `RestApiId`.
    pub rest_api_id: Expr,
    /// `DeploymentId`.
    pub deployment_id: Expr,
    /// `StageName`.
    pub stage_name: String,
    /// `Description`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Expr>,
    /// `AccessLogSetting`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub access_log_setting: Option<AccessLogSetting>,
    /// `MethodSettings`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub method_settings: Vec<MethodSetting>,
    /// `TracingEnabled`: X-Ray.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tracing_enabled: Option<bool>,
    /// `CacheClusterEnabled`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cache_cluster_enabled: Option<bool>,
    /// `Tags`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<Tag>,
}

/// `AWS::ApiGateway::Stage.AccessLogSetting`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AccessLogSetting {
    /// `DestinationArn`: the log group's ARN.
    pub destination_arn: Expr,
    /// `Format`: the line format, with `$context` variables.
    pub format: String,
}

/// `AWS::ApiGateway::Stage.MethodSetting`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MethodSetting {
    /// `ResourcePath`: `/*` for every resource.
    pub resource_path: String,
    /// `HttpMethod`: `*` for every method.
    pub http_method: String,
    /// `ThrottlingBurstLimit`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_burst_limit: Option<Val<u32>>,
    /// `ThrottlingRateLimit`, requests per second.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub throttling_rate_limit: Option<Val<f64>>,
    /// `LoggingLevel`: `OFF`, `ERROR` or `INFO` (execution logs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logging_level: Option<String>,
    /// `MetricsEnabled`: detailed CloudWatch metrics.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub metrics_enabled: Option<bool>,
    /// `DataTraceEnabled`: full request and response logging (never for dpc: bodies may
    /// hold tokens).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_trace_enabled: Option<bool>,
}

/// `AWS::ApiGateway::Account`: the account-wide (per region) API Gateway settings.
/// <https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-resource-apigateway-account.html>
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CfnAccount {
    /// `CloudWatchRoleArn`: the role API Gateway uses to write logs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cloud_watch_role_arn: Option<Expr>,
}

crate::aws::cfn_type!(CfnRestApi, "AWS::ApiGateway::RestApi");
crate::aws::cfn_type!(CfnResource, "AWS::ApiGateway::Resource");
crate::aws::cfn_type!(CfnMethod, "AWS::ApiGateway::Method");
crate::aws::cfn_type!(CfnDeployment, "AWS::ApiGateway::Deployment");
crate::aws::cfn_type!(CfnStage, "AWS::ApiGateway::Stage");
crate::aws::cfn_type!(CfnAccount, "AWS::ApiGateway::Account");
