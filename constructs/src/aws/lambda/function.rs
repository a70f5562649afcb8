//! [`Function`]: a Lambda function with its own role and log group, and [`Permission`].

use super::cfn::{
    CfnEventInvokeConfig, CfnFunction, CfnPermission, Code, DeadLetterConfig, Environment,
    LoggingConfig,
};
use crate::aws::iam::{PolicyDocument, Principal, Role, RoleProps, Statement};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::aws::{CheckovSkip, codes};
use dpc_core::{AssetRef, Diagnostic, Expr, ResourceRef, Scope};
use indexmap::IndexMap;

/// Where a function's code is: an S3 object (a staged file asset, usually).
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionCode {
    /// The bucket.
    pub bucket: Expr,
    /// The object key.
    pub key: Expr,
}

impl From<&AssetRef> for FunctionCode {
    fn from(asset: &AssetRef) -> FunctionCode {
        FunctionCode {
            bucket: asset.bucket_name.clone(),
            key: asset.object_key.clone(),
        }
    }
}

/// What a [`Function`] is made of.
#[derive(Clone, Debug)]
pub struct FunctionProps {
    /// The function's name (also names its log group `/aws/lambda/<name>`).
    pub name: String,
    /// What it does.
    pub description: String,
    /// Its code.
    pub code: FunctionCode,
    /// `provided.al2023`, `python3.13`, ...
    pub runtime: String,
    /// The handler (`bootstrap` for custom runtimes).
    pub handler: String,
    /// `x86_64` or `arm64`.
    pub architecture: String,
    /// Memory in MB.
    pub memory_mb: u32,
    /// Timeout in seconds.
    pub timeout_seconds: u32,
    /// Environment variables (never secrets: those are read at run time).
    pub environment: IndexMap<String, Expr>,
    /// What the function may do, besides writing its own logs (added here).
    pub policy: PolicyDocument,
    /// The permissions boundary of its role.
    pub permissions_boundary: Option<String>,
    /// Log retention in days.
    pub log_retention_days: u32,
    /// The customer-managed key encrypting its environment and its log group.
    pub key_arn: Expr,
    /// Where failed asynchronous invocations go (an SQS queue ARN); for functions invoked
    /// asynchronously (EventBridge, S3, ...).
    pub dead_letter_queue: Option<Expr>,
    /// Retries of failed asynchronous invocations (0–2); Lambda's default (2) when absent.
    pub async_retries: Option<u32>,
    /// checkov findings accepted for this function, with reasons.
    pub checkov_skips: Vec<CheckovSkip>,
}

/// A Lambda function (child `Resource`) with its execution role (`ServiceRole`), its log
/// group (`LogGroup`, retention and KMS) and, for asynchronous invocations, a dead-letter
/// queue and a retry setting (`EventInvokeConfig`).
#[derive(Clone, Debug)]
pub struct Function {
    resource: ResourceRef,
    role: Role,
    name: String,
    log_group_name: Expr,
}

impl Function {
    /// Adds the function under `scope/id`.
    ///
    /// # Errors
    /// Whatever the role, log group or function refuse (least privilege, retention).
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: FunctionProps,
    ) -> Result<Function, Diagnostic> {
        let mut scope = scope.child(id)?;
        let log_group = LogGroup::new(
            &mut scope,
            "LogGroup",
            LogGroupProps {
                name: Some(format!("/aws/lambda/{}", props.name).into()),
                retention_days: props.log_retention_days,
                key_arn: props.key_arn.clone(),
            },
        )?;
        let mut policy = props.policy;
        policy.push(log_group.write_statement());
        policy.push(Statement::allow(["kms:Decrypt"]).on([props.key_arn.clone()]));
        if let Some(queue) = &props.dead_letter_queue {
            policy.push(Statement::allow(["sqs:SendMessage"]).on([queue.clone()]));
        }
        let role = Role::new(
            &mut scope,
            "ServiceRole",
            RoleProps {
                description: Some(format!(
                    "Execution role of the Lambda function {}",
                    props.name
                )),
                policy,
                permissions_boundary: props.permissions_boundary,
                ..RoleProps::assumed_by(Principal::service("lambda.amazonaws.com"))
            },
        )?;
        let function = CfnFunction {
            function_name: Some(props.name.clone().into()),
            description: Some(props.description.into()),
            code: Some(Code {
                s3_bucket: Some(props.code.bucket),
                s3_key: Some(props.code.key),
                zip_file: None,
            }),
            handler: Some(props.handler.into()),
            runtime: Some(props.runtime.into()),
            architectures: vec![props.architecture],
            role: Some(role.arn()),
            memory_size: Some(props.memory_mb.into()),
            timeout: Some(props.timeout_seconds.into()),
            environment: (!props.environment.is_empty()).then(|| Environment {
                variables: props.environment,
            }),
            kms_key_arn: Some(props.key_arn),
            logging_config: Some(LoggingConfig {
                log_group: Some(log_group.name()),
                log_format: Some("JSON".into()),
                application_log_level: None,
                system_log_level: None,
            }),
            dead_letter_config: props
                .dead_letter_queue
                .map(|target_arn| DeadLetterConfig { target_arn }),
            ..CfnFunction::default()
        };
        let resource = scope.add_resource_with_options(
            "Resource",
            function,
            crate::aws::options_with_skips(&props.checkov_skips),
        )?;
        if let Some(retries) = props.async_retries {
            scope.add_resource(
                "EventInvokeConfig",
                CfnEventInvokeConfig {
                    function_name: Some(resource.reference()),
                    qualifier: Some("$LATEST".into()),
                    maximum_retry_attempts: Some(retries.into()),
                    maximum_event_age_in_seconds: None,
                },
            )?;
        }
        Ok(Function {
            resource,
            role,
            name: props.name,
            log_group_name: log_group.name(),
        })
    }

    /// The function's ARN.
    pub fn arn(&self) -> Expr {
        self.resource.attr("Arn")
    }

    /// The function's name as given.
    pub fn function_name(&self) -> &str {
        &self.name
    }

    /// The function's name, as a reference (so dependents wait for it).
    pub fn name(&self) -> Expr {
        self.resource.reference()
    }

    /// The name of the log group the function writes to, as a reference (so a metric or
    /// subscription filter on it is created after it).
    pub fn log_group_name(&self) -> Expr {
        self.log_group_name.clone()
    }

    /// The function's execution role.
    pub fn role(&self) -> &Role {
        &self.role
    }

    /// The function's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }
}

/// What a [`Permission`] allows.
#[derive(Clone, Debug)]
pub struct PermissionProps {
    /// The function (name or ARN).
    pub function: Expr,
    /// The service invoking it, e.g. `events.amazonaws.com`.
    pub service: String,
    /// The resources allowed to invoke it; a pattern (`…:rule/dpc-*`) when one permission
    /// must serve many callers (a function policy is capped at 20 KB).
    pub source_arn: Expr,
    /// The account that owns the source (recommended with a pattern ARN).
    pub source_account: Option<Expr>,
}

/// One statement of a function's resource policy (`AWS::Lambda::Permission`, child
/// `id`): a service may invoke it on behalf of named sources only.
#[derive(Clone, Debug)]
pub struct Permission {
    resource: ResourceRef,
}

impl Permission {
    /// Adds the permission as child `id` of `scope`.
    ///
    /// # Errors
    /// `DM0308` when the service is not an AWS service principal.
    pub fn new(
        scope: &mut Scope<'_>,
        id: &str,
        props: PermissionProps,
    ) -> Result<Permission, Diagnostic> {
        if !props.service.ends_with(".amazonaws.com") {
            return Err(Diagnostic::error(
                codes::UNSCOPED_PERMISSION,
                format!("`{}` is not an AWS service principal", props.service),
            )
            .in_construct(scope.path()));
        }
        let resource = scope.add_resource(
            id,
            CfnPermission {
                action: Some("lambda:InvokeFunction".into()),
                function_name: Some(props.function),
                principal: Some(props.service.into()),
                source_arn: Some(props.source_arn),
                source_account: props.source_account,
                principal_org_id: None,
            },
        )?;
        Ok(Permission { resource })
    }

    /// The permission's resource handle.
    pub fn resource(&self) -> &ResourceRef {
        &self.resource
    }
}

/// A prebuilt Lambda bundle for a custom runtime (`provided.al2023`), staged as a file
/// asset with an explicit id (a hash of its sources), so templates are complete and stable
/// before the bundle is built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RuntimeAsset {
    /// The asset id: the object key is `<id>.zip` in the bootstrap bucket.
    pub id: String,
    /// The zip file, when it has been built; listed but not staged when absent.
    pub bundle: Option<std::path::PathBuf>,
}

impl RuntimeAsset {
    /// A bundle known by id only (built later, e.g. by `dpc synth --bundle`).
    pub fn new(id: impl Into<String>) -> RuntimeAsset {
        RuntimeAsset {
            id: id.into(),
            bundle: None,
        }
    }

    /// Stages the bundle in `scope`'s stack and returns where its code will be.
    ///
    /// # Errors
    /// A core diagnostic for an unusable id or an unreadable (existing) bundle.
    pub fn stage(&self, scope: &mut Scope<'_>) -> Result<FunctionCode, Diagnostic> {
        let path = self.bundle.clone().unwrap_or_default();
        let mut asset = dpc_core::FileAsset::file(path).with_id(self.id.clone());
        asset.extension = Some("zip".to_owned());
        asset.display_name = Some("dpc Lambda runtime".to_owned());
        let staged = scope.add_file_asset(asset)?;
        Ok(FunctionCode::from(&staged))
    }
}
