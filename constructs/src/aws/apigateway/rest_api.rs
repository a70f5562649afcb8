//! [`RestApi`]: a REST API whose every method needs IAM (SigV4) authorisation and
//! integrates a Lambda function, with a resource policy, one stage with access logs,
//! throttling and tracing, and a deployment that follows every change of the definition.

use super::cfn::{
    AccessLogSetting, CfnAccount, CfnDeployment, CfnMethod, CfnResource, CfnRestApi, CfnStage,
    EndpointConfiguration, Integration, MethodSetting,
};
use crate::aws::iam::{PolicyDocument, Principal, Role, RoleProps, Statement};
use crate::aws::lambda::{Permission, PermissionProps};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::aws::{CheckovSkip, codes};
use dpc_core::{Diagnostic, Expr, ResourceOptions, ResourceRef, Scope};
use indexmap::IndexMap;
use sha2::{Digest, Sha256};

/// One method of the API.
#[derive(Clone, Debug)]
pub struct Route {
    /// The path, `/dependencies/{account}/{pipeline}`.
    pub path: String,
    /// `GET`, `PUT`, `POST`, `DELETE`.
    pub method: String,
    /// The Lambda function answering it (ARN).
    pub function_arn: Expr,
    /// A construct id for the function, naming its invoke permission (one per function).
    pub function_id: String,
}

/// What a [`RestApi`] is made of.
#[derive(Clone, Debug)]
pub struct RestApiProps {
    /// The API's name.
    pub name: String,
    /// What it is for.
    pub description: String,
    /// Who may call it: `execute-api:Invoke` statements on `execute-api:/*`. Callers
    /// also need IAM permission of their own.
    pub policy: PolicyDocument,
    /// The stage, e.g. `v1`.
    pub stage_name: String,
    /// The methods.
    pub routes: Vec<Route>,
    /// Steady requests per second across the stage.
    pub rate_limit: f64,
    /// Burst of requests across the stage.
    pub burst_limit: u32,
    /// Retention of the access log group, in days.
    pub log_retention_days: u32,
    /// The key encrypting the access log group.
    pub key_arn: Expr,
    /// Resources the stage must wait for: the account's CloudWatch role setting
    /// ([`CloudWatchRole`]), without which API Gateway refuses access logging.
    pub stage_depends_on: Vec<ResourceRef>,
}

/// API Gateway's default limit on a REST API's resource policy, in characters.
pub const MAX_POLICY_CHARS: usize = 8_192;

/// Why dpc's API stages have no cache.
pub const CACHE_SKIP: CheckovSkip = CheckovSkip {
    id: "CKV_AWS_120",
    reason: "dpc's APIs serve writes and per-caller reads; a cache would serve stale \
             registrations and cost an always-on cache cluster.",
};

/// The access log line: one JSON object per request, naming the IAM caller.
pub const ACCESS_LOG_FORMAT: &str = r#"{"requestId":"$context.requestId","time":"$context.requestTime","caller":"$context.identity.caller","userArn":"$context.identity.userArn","accountId":"$context.identity.accountId","sourceIp":"$context.identity.sourceIp","method":"$context.httpMethod","path":"$context.resourcePath","status":"$context.status","responseLength":"$context.responseLength","integrationError":"$context.integration.error"}"#;

/// A REST API (`AWS::ApiGateway::RestApi`, child `Resource`), its resources and methods
/// (children named after the path), the invoke permissions of its functions, a
/// deployment and a stage (`Stage`) with an access log group (`AccessLogs`).
#[derive(Clone, Debug)]
pub struct RestApi {
    resource: ResourceRef,
    stage_name: String,
}

impl RestApi {
    /// Adds the API under `scope/id`.
    ///
    /// # Errors
    /// `DM0320` for a path that does not start with `/`, an empty segment, or a method
    /// given twice.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: RestApiProps,
    ) -> Result<RestApi, Diagnostic> {
        let mut scope = scope.child(id)?;
        let path = scope.path();
        let policy_chars = crate::aws::size::resolved_len(&props.policy.to_json());
        if policy_chars > MAX_POLICY_CHARS {
            return Err(Diagnostic::error(
                codes::POLICY_TOO_LARGE,
                format!(
                    "the resource policy of API `{}` would have about {policy_chars} characters; API Gateway allows {MAX_POLICY_CHARS}",
                    props.name
                ),
            )
            .in_construct(path)
            .with_help("set `central.organizationId` in platform.yaml: one organisation condition replaces the account list"));
        }
        let invalid = |message: String| {
            Diagnostic::error(codes::INVALID_API, message).in_construct(path.clone())
        };
        let api = scope.add_resource(
            "Resource",
            CfnRestApi {
                name: Some(props.name.clone().into()),
                description: Some(props.description.into()),
                endpoint_configuration: Some(EndpointConfiguration {
                    types: vec!["REGIONAL".to_owned()],
                }),
                policy: Some(props.policy.clone()),
                ..CfnRestApi::default()
            },
        )?;

        // Resources: one per path prefix, created once, named after the path.
        let mut resources: IndexMap<String, Expr> = IndexMap::new();
        let mut methods = Vec::new();
        let mut seen_methods: Vec<(String, String)> = Vec::new();
        for route in &props.routes {
            let Some(rest) = route.path.strip_prefix('/') else {
                return Err(invalid(format!(
                    "API path `{}` does not start with `/`",
                    route.path
                )));
            };
            let method = route.method.to_uppercase();
            if seen_methods.contains(&(route.path.clone(), method.clone())) {
                return Err(invalid(format!(
                    "`{method} {}` is defined twice",
                    route.path
                )));
            }
            seen_methods.push((route.path.clone(), method.clone()));
            let mut parent = api.attr("RootResourceId");
            let mut prefix = String::new();
            let mut parameters = IndexMap::new();
            for segment in rest.split('/') {
                if segment.is_empty() {
                    return Err(invalid(format!(
                        "API path `{}` has an empty segment",
                        route.path
                    )));
                }
                prefix.push('/');
                prefix.push_str(segment);
                if let Some(name) = segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
                    parameters.insert(format!("method.request.path.{name}"), true);
                }
                parent = match resources.get(&prefix) {
                    Some(id) => id.clone(),
                    None => {
                        let resource = scope.add_resource(
                            &construct_id(&prefix),
                            CfnResource {
                                rest_api_id: api.reference(),
                                parent_id: parent,
                                path_part: segment.to_owned(),
                            },
                        )?;
                        resources.insert(prefix.clone(), resource.reference());
                        resource.reference()
                    }
                };
            }
            let method_ref = scope.add_resource(
                &format!("{}{method}", construct_id(&prefix)),
                CfnMethod {
                    rest_api_id: api.reference(),
                    resource_id: parent,
                    http_method: method,
                    authorization_type: "AWS_IAM".to_owned(),
                    request_parameters: parameters,
                    integration: Integration {
                        r#type: "AWS_PROXY".to_owned(),
                        integration_http_method: "POST".to_owned(),
                        uri: Expr::sub_with(
                            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/${Function}/invocations",
                            [("Function", route.function_arn.clone())],
                        ),
                    },
                },
            )?;
            methods.push(method_ref);
        }

        // One invoke permission per function, for any method of this API.
        let mut permitted: Vec<&str> = Vec::new();
        for route in &props.routes {
            if permitted.contains(&route.function_id.as_str()) {
                continue;
            }
            permitted.push(&route.function_id);
            Permission::new(
                &mut scope,
                &format!("Invoke{}", route.function_id),
                PermissionProps {
                    function: route.function_arn.clone(),
                    service: "apigateway.amazonaws.com".to_owned(),
                    source_arn: Expr::sub_with(
                        "arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:${Api}/*",
                        [("Api", api.reference())],
                    ),
                    source_account: Some(Expr::Pseudo(dpc_core::Pseudo::AccountId)),
                },
            )?;
        }

        // The deployment's id changes with the definition, so CloudFormation deploys again
        // whenever a method or the policy changes (the CDK does the same).
        let mut hasher = Sha256::new();
        hasher.update(props.policy.to_json().to_string());
        for route in &props.routes {
            hasher.update(format!(
                "{} {} {}\n",
                route.method, route.path, route.function_arn
            ));
        }
        let digest: String = hasher
            .finalize()
            .iter()
            .take(4)
            .map(|b| format!("{b:02x}"))
            .collect();
        let deployment = scope.add_resource_with_options(
            &format!("Deployment{digest}"),
            CfnDeployment {
                rest_api_id: api.reference(),
                description: Some(format!("{} ({digest})", props.name).into()),
            },
            ResourceOptions {
                depends_on: methods.iter().map(|m| m.logical_id().to_owned()).collect(),
                ..ResourceOptions::default()
            },
        )?;

        let logs = LogGroup::new(
            &mut scope,
            "AccessLogs",
            LogGroupProps {
                name: Some(format!("/aws/apigateway/{}", props.name).into()),
                retention_days: props.log_retention_days,
                key_arn: props.key_arn.clone(),
            },
        )?;
        // API Gateway would create its execution log group itself, without retention or
        // encryption; created here first, it gets both.
        let execution_logs = LogGroup::new(
            &mut scope,
            "ExecutionLogs",
            LogGroupProps {
                name: Some(Expr::sub_with(
                    format!("API-Gateway-Execution-Logs_${{Api}}/{}", props.stage_name),
                    [("Api", api.reference())],
                )),
                retention_days: props.log_retention_days,
                key_arn: props.key_arn,
            },
        )?;
        let mut stage_options = crate::aws::options_with_skips(&[CACHE_SKIP]);
        stage_options.depends_on = props
            .stage_depends_on
            .iter()
            .map(|r| r.logical_id().to_owned())
            .chain([execution_logs.resource().logical_id().to_owned()])
            .collect();
        scope.add_resource_with_options(
            "Stage",
            CfnStage {
                rest_api_id: api.reference(),
                deployment_id: deployment.reference(),
                stage_name: props.stage_name.clone(),
                description: None,
                access_log_setting: Some(AccessLogSetting {
                    destination_arn: logs.arn_without_suffix(),
                    format: ACCESS_LOG_FORMAT.to_owned(),
                }),
                method_settings: vec![MethodSetting {
                    resource_path: "/*".to_owned(),
                    http_method: "*".to_owned(),
                    throttling_burst_limit: Some(props.burst_limit.into()),
                    throttling_rate_limit: Some(props.rate_limit.into()),
                    logging_level: Some("ERROR".to_owned()),
                    metrics_enabled: Some(true),
                    data_trace_enabled: Some(false),
                }],
                tracing_enabled: Some(true),
                cache_cluster_enabled: Some(false),
                tags: Vec::new(),
            },
            stage_options,
        )?;
        Ok(RestApi {
            resource: api,
            stage_name: props.stage_name,
        })
    }

    /// The API's id.
    pub fn id(&self) -> Expr {
        self.resource.reference()
    }

    /// The stage's invoke URL, `https://<id>.execute-api.<region>.<suffix>/<stage>`.
    pub fn url(&self) -> Expr {
        Expr::sub_with(
            format!(
                "https://${{Api}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/{}",
                self.stage_name
            ),
            [("Api", self.id())],
        )
    }
}

/// A construct id for a path: `/dependencies/{account}` → `dependenciesaccount`-like ids
/// that stay readable and unique per path.
fn construct_id(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(|s| {
            let s = s.trim_start_matches('{').trim_end_matches('}');
            let mut chars = s.chars();
            match chars.next() {
                Some(first) => first.to_uppercase().chain(chars).collect::<String>(),
                None => String::new(),
            }
        })
        .collect::<Vec<_>>()
        .join("")
}

/// The role API Gateway uses to write logs in this account and region, and the
/// account-wide setting that names it (`AWS::ApiGateway::Account`, child `Account`).
///
/// The setting is one per account and region, shared with every other API there: dpc
/// sets it (API Gateway refuses access logging without it) and retains both the setting
/// and the role when the stack is deleted, so other APIs that log keep working. The role
/// may write only to log groups of this account and region.
#[derive(Clone, Debug)]
pub struct CloudWatchRole {
    account: ResourceRef,
}

impl CloudWatchRole {
    /// Adds the role and the account setting under `scope/id`.
    ///
    /// # Errors
    /// Whatever the role refuses.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        permissions_boundary: Option<String>,
    ) -> Result<CloudWatchRole, Diagnostic> {
        let mut scope = scope.child(id)?;
        let log_groups =
            Expr::sub("arn:${AWS::Partition}:logs:${AWS::Region}:${AWS::AccountId}:log-group:*");
        let mut policy = PolicyDocument::with([Statement::allow([
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
        ])
        .on([log_groups])]);
        policy.push(Statement::allow_unscoped(&["logs:DescribeLogGroups"])?);
        let role = Role::new(
            &mut scope,
            "Role",
            RoleProps {
                description: Some(
                    "API Gateway writes access and execution logs of this account and region"
                        .to_owned(),
                ),
                policy,
                permissions_boundary,
                ..RoleProps::assumed_by(Principal::service("apigateway.amazonaws.com"))
            },
        )?;
        let role_resource = role.resource().clone();
        let retain = crate::aws::retained(ResourceOptions::default());
        scope.resource_mut(&role_resource)?.options.deletion_policy = retain.deletion_policy;
        scope
            .resource_mut(&role_resource)?
            .options
            .update_replace_policy = retain.update_replace_policy;
        let account = scope.add_resource_with_options(
            "Account",
            CfnAccount {
                cloud_watch_role_arn: Some(role.arn()),
            },
            retain,
        )?;
        Ok(CloudWatchRole { account })
    }

    /// The account setting's handle (stages with access logs depend on it).
    pub fn account_setting(&self) -> &ResourceRef {
        &self.account
    }
}
