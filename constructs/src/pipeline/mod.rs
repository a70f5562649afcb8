//! The pipeline stack `dpc-pipeline-<name>`, one per pipeline.yaml.
//!
//! [`build`] adds one stack to an [`App`] with everything a pipeline needs in its own
//! account:
//!
//! - the state machine `dpc-<name>` ([`definition`]): claim the trigger, provision the
//!   EMR cluster ([`emr`]), run the steps as the DAG allows, always terminate the
//!   cluster, report the final status; its role ([`iam`]), log group and X-Ray tracing;
//! - the EMR instance role and profile, granting exactly the pipeline's `access` plus
//!   what the cluster itself needs;
//! - the trigger ([`triggers`]): a schedule rule, a Scheduler schedule in a time zone,
//!   or a rule on the pipeline bus whose pattern follows the condition ([`pattern`]);
//! - alerting ([`alerting`]) and the registrations with the central account
//!   ([`registration`]);
//! - job scripts given as local paths, shipped as file assets.
//!
//! Everything the account setup stack provides is found by name ([`setup`]); the
//! stack references nothing in another stack.
//!
//! **Scripts.** A local script becomes a CDK file asset: the CDK CLI uploads it to the
//! account's bootstrap bucket under a content hash on deploy, and the instance role may
//! read exactly those object keys (`s3:GetObject` on each `<bucket>/<hash>.<ext>`), not
//! the bucket. Copying into the artifacts bucket would need a custom resource and a
//! second copy of every version; the hash key already makes every version immutable.

pub mod alerting;
pub mod definition;
pub mod emr;
pub mod iam;
pub mod macros;
pub mod pattern;
pub mod payload;
pub mod registration;
pub mod setup;
pub mod triggers;

use crate::aws::iam::{InstanceProfile, Principal, Role, RoleProps};
use crate::aws::logs::{LogGroup, LogGroupProps};
use crate::stepfunctions::cfn::LogLevel;
use crate::stepfunctions::dag::{self, Plan};
use crate::stepfunctions::{Definition, StateMachine, StateMachineProps};
use dpc_core::{App, Diagnostic, Expr, FileAsset, StackId, StackProps, dynamic_ref};
use dpc_model::naming;
use dpc_schema::{NotificationType, Pipeline, Platform, Script, StepConfig, Trigger};
use emr::EmrStepRenderer;
use indexmap::IndexMap;
use setup::AccountSetup;

/// Diagnostic code: the steps do not form a DAG dpc can run (the loader checks this
/// first, so it means the model was built by hand).
pub const INVALID_STEPS: &str = crate::aws::codes::INVALID_STEPS;

/// What [`build`] needs besides the pipeline.
pub struct BuildContext<'a> {
    /// The resolved platform.yaml.
    pub platform: &'a Platform,
    /// Renderers for step kinds a library added (`StepConfig::Custom`).
    pub step_renderers: &'a [Box<dyn EmrStepRenderer>],
}

/// The pipeline stack, as [`build`] left it.
#[derive(Clone, Debug)]
pub struct PipelineStack {
    /// The stack, to add dependencies (on the account setup stack) to.
    pub stack: StackId,
    /// The artifact id in the assembly: `dpc-pipeline-<alias>-<name>`.
    pub artifact_id: String,
    /// The CloudFormation stack name: `dpc-pipeline-<name>`.
    pub stack_name: String,
    /// The state machine's ARN (deterministic).
    pub state_machine_arn: String,
    /// The state machine's definition, before substitutions.
    pub definition: Definition,
    /// How the steps run.
    pub plan: Plan,
}

/// Adds the stack of `pipeline` to `app`.
///
/// # Errors
/// Every problem found: steps that are no DAG, a custom step kind without renderer, a
/// setting Step Functions cannot pass on, a definition over Step Functions' limits, a
/// script that cannot be read.
pub fn build(
    app: &mut App,
    pipeline: &Pipeline,
    ctx: &BuildContext<'_>,
) -> Result<PipelineStack, Vec<Diagnostic>> {
    let one = |d: Diagnostic| vec![d];
    let setup = AccountSetup::new(&pipeline.account.id, &pipeline.account.region);
    fits_a_template(pipeline).map_err(one)?;
    let plan = plan(pipeline).map_err(one)?;

    let artifact_id = naming::pipeline_artifact_id(&pipeline.account.alias, &pipeline.name);
    let stack_name = naming::pipeline_stack_name(&pipeline.name);
    let mut tags = pipeline.tags.clone();
    tags.insert(setup::PIPELINE_TAG.into(), pipeline.name.clone());
    if let Some(owner) = &pipeline.owner {
        tags.insert(setup::OWNER_TAG.into(), owner.clone());
    }
    let stack = app
        .add_stack(
            &artifact_id,
            StackProps {
                stack_name: Some(stack_name.clone()),
                account: pipeline.account.id.clone(),
                region: pipeline.account.region.clone(),
                description: Some(match &pipeline.description {
                    Some(d) => format!("dpc pipeline {}: {d}", pipeline.name),
                    None => format!("dpc pipeline {}", pipeline.name),
                }),
                tags,
                termination_protection: false,
            },
        )
        .map_err(one)?;
    let mut scope = app.scope(stack).map_err(one)?;

    // Scripts: local files become assets; the instance role reads exactly their keys.
    let mut urls = emr::ScriptUrls::new();
    let mut script_objects: Vec<(String, String)> = Vec::new();
    let mut local_scripts: Vec<(String, std::path::PathBuf)> = Vec::new();
    let mut written: Vec<Script> = pipeline
        .steps
        .iter()
        .filter_map(|step| match &step.config {
            StepConfig::Spark(spark) => Some(spark.script.clone()),
            _ => None,
        })
        .collect();
    // Steps of kinds a library added ship theirs the same way.
    written.extend(emr::custom_step_scripts(pipeline, ctx.step_renderers).map_err(one)?);
    written.extend(
        pipeline
            .cluster
            .bootstrap_actions
            .iter()
            .map(|action| action.script.clone()),
    );
    // Scripts already in S3 are read where they are: the instance role gets exactly those
    // objects, or a run fails with AccessDenied while every check was green.
    let mut s3_scripts: Vec<String> = Vec::new();
    for script in written {
        match script {
            Script::Local { relative, path } => local_scripts.push((relative, path)),
            Script::S3(url) if !s3_scripts.contains(&url) => s3_scripts.push(url),
            Script::S3(_) => {}
        }
    }
    // So are the files a configuration names (`spark.jars`, `spark.yarn.dist.files`, …).
    for url in configuration_s3_urls(&pipeline.cluster.configurations) {
        if !s3_scripts.contains(&url) {
            s3_scripts.push(url);
        }
    }
    {
        let mut scripts = scope.child("Scripts").map_err(one)?;
        for (relative, path) in local_scripts {
            if urls.contains_key(&relative) {
                continue;
            }
            // Validation placed this at its line already; checked again here because a
            // step kind's renderer names scripts too: nothing outside the project is
            // copied into an assembly, whoever names it.
            if let Err(problem) =
                dpc_schema::local_file::check_local_file(&pipeline.source_dir, &relative)
            {
                return Err(vec![problem.diagnostic(&format!(
                    "script `{relative}` of pipeline `{}`",
                    pipeline.name
                ))]);
            }
            let mut asset = FileAsset::file(path);
            asset.display_name = Some(format!("{} {relative}", pipeline.name));
            let asset = scripts.add_file_asset(asset).map_err(one)?;
            if let (Some(bucket), Some(key), Some(url)) = (
                asset.bucket_name.as_str(),
                asset.object_key.as_str(),
                asset.s3_url.as_str(),
            ) {
                script_objects.push((bucket.to_owned(), key.to_owned()));
                urls.insert(relative, url.to_owned());
            }
        }
    }
    let mut bootstrap = emr::bootstrap_actions(&pipeline.cluster.bootstrap_actions, &urls);
    let mut hive_secret = None;
    if let Some(hive) = &pipeline.cluster.hive_metastore {
        let mut scripts = scope.child("HiveMetastore").map_err(one)?;
        let mut asset = FileAsset::bytes(include_bytes!("hive-metastore.sh").to_vec(), "sh");
        asset.display_name = Some("dpc hive-metastore bootstrap action".into());
        let asset = scripts.add_file_asset(asset).map_err(one)?;
        if let (Some(bucket), Some(key), Some(url)) = (
            asset.bucket_name.as_str(),
            asset.object_key.as_str(),
            asset.s3_url.as_str(),
        ) {
            script_objects.push((bucket.to_owned(), key.to_owned()));
            bootstrap.push((
                "dpc-hive-metastore".into(),
                url.to_owned(),
                vec![hive.secret_name.clone(), pipeline.account.region.clone()],
            ));
        }
        hive_secret = Some(format!(
            "arn:{}:secretsmanager:{}:{}:secret:{}-??????",
            setup.env.partition, setup.env.region, setup.env.account, hive.secret_name
        ));
    }

    // The cluster's role: exactly `access`, plus what the cluster and the steps need.
    let step_permissions =
        emr::custom_step_permissions(pipeline, &urls, ctx.step_renderers).map_err(one)?;
    let mut cluster_policy =
        iam::instance_role_policy(pipeline, &setup, &script_objects, &s3_scripts, hive_secret);
    cluster_policy.statements.extend(step_permissions.cluster);
    let permissions_boundary = ctx.platform.permissions_boundary.clone();
    let cluster_role = Role::new(
        &mut scope,
        "ClusterRole",
        RoleProps {
            description: Some(format!(
                "EMR instance role of pipeline {}: the pipeline's access and what its cluster needs",
                pipeline.name
            )),
            policy: cluster_policy,
            permissions_boundary: permissions_boundary.clone(),
            trust_conditions: Default::default(),
            ..RoleProps::assumed_by(Principal::service("ec2.amazonaws.com"))
        },
    )
    .map_err(one)?;
    let profile = InstanceProfile::new(&mut scope, "ClusterInstanceProfile", None, &cluster_role)
        .map_err(one)?;

    let role = Role::new(
        &mut scope,
        "Role",
        RoleProps {
            description: Some(format!(
                "The role of pipeline {}'s state machine",
                pipeline.name
            )),
            trust_conditions: iam::same_account(&pipeline.account.id),
            policy: {
                let mut policy =
                    iam::state_machine_policy(pipeline, &setup, cluster_role.arn()).map_err(one)?;
                policy.statements.extend(step_permissions.state_machine);
                policy
            },
            permissions_boundary: permissions_boundary.clone(),
            ..RoleProps::assumed_by(Principal::service("states.amazonaws.com"))
        },
    )
    .map_err(one)?;

    let log_group = LogGroup::new(
        &mut scope,
        "Logs",
        LogGroupProps {
            name: Some(Expr::from(naming::state_machine_log_group_name(
                &pipeline.name,
            ))),
            retention_days: ctx.platform.log_retention_days,
            key_arn: Expr::from(dynamic_ref::ssm(setup::SSM_KMS_KEY_ARN)),
        },
    )
    .map_err(one)?;

    // The definition.
    let mut step_requests = Vec::new();
    let mut errors = Vec::new();
    for step in &pipeline.steps {
        match emr::step_request(step, pipeline, &urls, ctx.step_renderers) {
            Ok(request) => step_requests.push(request),
            Err(d) => errors.push(d),
        }
    }
    let cluster_request = emr::cluster_request(pipeline, &setup, plan.concurrency(), &bootstrap);
    let cluster_request = match cluster_request {
        Ok(r) => r,
        Err(d) => {
            errors.push(d);
            serde_json::Value::Null
        }
    };
    if !errors.is_empty() {
        return Err(errors);
    }
    let definition = definition::build(&definition::DefinitionInput {
        pipeline,
        setup: &setup,
        plan: &plan,
        cluster_request,
        step_requests,
    })
    .map_err(|e| {
        vec![Diagnostic::error(
            crate::stepfunctions::state_machine::INVALID_DEFINITION,
            format!("pipeline `{}`: {e}", pipeline.name),
        )]
    })?;
    let mut substitutions = IndexMap::new();
    substitutions.insert(emr::subst::INSTANCE_PROFILE.to_owned(), profile.name());
    let ssm = |name: &str| Expr::from(dynamic_ref::ssm(name));
    substitutions.insert(
        emr::subst::PRIMARY_SG.to_owned(),
        ssm(setup::SSM_PRIMARY_SECURITY_GROUP),
    );
    substitutions.insert(
        emr::subst::CORE_SG.to_owned(),
        ssm(setup::SSM_CORE_SECURITY_GROUP),
    );
    if pipeline.account.network.private {
        substitutions.insert(
            emr::subst::SERVICE_ACCESS_SG.to_owned(),
            ssm(setup::SSM_SERVICE_ACCESS_SECURITY_GROUP),
        );
    }
    substitutions.insert(
        emr::subst::SECURITY_CONFIGURATION.to_owned(),
        ssm(setup::SSM_SECURITY_CONFIGURATION),
    );
    let located = |mut errors: Vec<Diagnostic>| {
        for d in &mut errors {
            if d.code == crate::stepfunctions::state_machine::DEFINITION_TOO_LARGE
                && d.location.is_none()
                && let Some(at) = pipeline.places.key("steps")
            {
                d.location = Some(at.clone());
            }
        }
        errors
    };
    let state_machine = StateMachine::new(
        &mut scope,
        "StateMachine",
        StateMachineProps {
            name: naming::state_machine_name(&pipeline.name),
            definition: definition.clone(),
            substitutions,
            role_arn: role.arn(),
            log_group_arn: log_group.arn(),
            log_level: match pipeline.notifications.kind {
                NotificationType::FullExecution => LogLevel::All,
                NotificationType::PipelineStatus => LogLevel::Error,
            },
            tags: Vec::new(),
        },
    )
    .map_err(located)?;

    if pipeline.trigger != Trigger::Manual {
        let trigger_role = Role::new(
            &mut scope,
            "TriggerRole",
            RoleProps {
                description: Some(format!(
                    "Lets EventBridge start pipeline {}'s state machine",
                    pipeline.name
                )),
                trust_conditions: iam::same_account(&pipeline.account.id),
                policy: iam::trigger_role_policy(pipeline, &setup, state_machine.arn()),
                permissions_boundary: permissions_boundary.clone(),
                ..RoleProps::assumed_by(iam::trigger_principals())
            },
        )
        .map_err(one)?;
        triggers::add(
            &mut scope,
            pipeline,
            state_machine.arn(),
            trigger_role.arn(),
        )
        .map_err(one)?;
    }
    let alerts = alerting::add(&mut scope, pipeline, &setup, log_group.name()).map_err(one)?;
    registration::add(&mut scope, pipeline, &setup, &alerts.slack_channels).map_err(one)?;

    Ok(PipelineStack {
        stack,
        artifact_id,
        stack_name,
        state_machine_arn: setup.env.state_machine_arn(&pipeline.name),
        definition,
        plan,
    })
}

/// The deepest the steps' plan may nest `Parallel` states. Each level indents every
/// state inside it by another 8 bytes in the template (4 JSON levels of 2 spaces), and
/// a level holds at least a `Parallel` state and two steps, some 24 lines: 128 levels
/// indent about 24 · 8 · 128²/2 ≈ 1.6 MB, past CloudFormation's 1 MB for a whole
/// template, so no definition this deep can deploy. Refusing it before the states are
/// built also bounds how deep every later walk of the definition goes.
pub const MAX_PARALLEL_DEPTH: usize = 128;

/// Refuses a pipeline with so many steps that their states alone are past
/// CloudFormation's 1 MB template ([`MAX_STEPS_IN_A_TEMPLATE`]), before anything is
/// planned or built.
///
/// # Errors
/// `DM0311`, at the pipeline's `steps`.
pub fn fits_a_template(pipeline: &Pipeline) -> Result<(), Diagnostic> {
    if pipeline.steps.len() <= MAX_STEPS_IN_A_TEMPLATE {
        return Ok(());
    }
    Err(too_large(
        pipeline,
        format!(
            "pipeline `{}` has {} steps; each step's states take at least {MIN_STEP_TEMPLATE_BYTES} bytes of the template, so more than {MAX_STEPS_IN_A_TEMPLATE} cannot fit CloudFormation's 1 MB template",
            pipeline.name,
            pipeline.steps.len()
        ),
    ))
}

fn too_large(pipeline: &Pipeline, message: String) -> Diagnostic {
    let mut d = Diagnostic::error(
        crate::stepfunctions::state_machine::DEFINITION_TOO_LARGE,
        message,
    )
    .with_label("these steps")
    .with_help("split the pipeline into smaller pipelines chained by an `executions` trigger, or let fewer steps wait for each other in nested groups");
    if let Some(at) = pipeline.places.key("steps") {
        d = d.at(at.clone());
    }
    d
}

/// The fewest bytes one step's states take in a pipeline template as dpc writes it.
/// A step is at least a `Task` state inside the `Run steps` branch, whose states' names
/// are indented 20 spaces and their fields 22: the name's line (27 bytes or more),
/// `"Type": "Task"` (38), `"Resource"` with an ARN (53), `"Next"` or `"End"` (34) and the
/// closing brace (23) already make 175.
pub const MIN_STEP_TEMPLATE_BYTES: usize = 150;

/// More steps than this cannot fit a 1 MB template (see [`MIN_STEP_TEMPLATE_BYTES`]).
pub const MAX_STEPS_IN_A_TEMPLATE: usize =
    dpc_core::lint::MAX_TEMPLATE_BYTES / MIN_STEP_TEMPLATE_BYTES;

/// How the pipeline's steps run.
///
/// # Errors
/// A dependency on a step that does not exist, or a cycle (`DM0314`); a plan nested
/// deeper than [`MAX_PARALLEL_DEPTH`] (`DM0311`, at `steps`).
pub fn plan(pipeline: &Pipeline) -> Result<Plan, Diagnostic> {
    let index: IndexMap<&str, usize> = pipeline
        .steps
        .iter()
        .enumerate()
        .map(|(i, s)| (s.name.as_str(), i))
        .collect();
    let mut deps = Vec::new();
    for step in &pipeline.steps {
        let mut ds = Vec::new();
        for name in &step.depends_on {
            match index.get(name.as_str()) {
                Some(&i) => ds.push(i),
                None => {
                    return Err(Diagnostic::error(
                        INVALID_STEPS,
                        format!(
                            "step `{}` of pipeline `{}` depends on `{name}`, which is not one of its steps",
                            step.name, pipeline.name
                        ),
                    ));
                }
            }
        }
        deps.push(ds);
    }
    dag::plan_within(&deps, MAX_PARALLEL_DEPTH).map_err(|e| {
        let message = match e {
            dag::DagError::TooDeep(limit) => {
                return too_large(
                    pipeline,
                    format!(
                        "the steps of pipeline `{}` nest `Parallel` states more than {limit} deep; a definition nested that deep cannot fit CloudFormation's 1 MB template (its indentation alone is larger)",
                        pipeline.name
                    ),
                );
            }
            dag::DagError::Cycle(steps) => {
                let names: Vec<&str> = steps
                    .iter()
                    .filter_map(|&i| pipeline.steps.get(i).map(|s| s.name.as_str()))
                    .collect();
                format!(
                    "the steps `{}` of pipeline `{}` depend on each other in a cycle",
                    names.join("`, `"),
                    pipeline.name
                )
            }
            other => format!("pipeline `{}`: {other}", pipeline.name),
        };
        Diagnostic::error(INVALID_STEPS, message)
    })
}

/// The `s3://` locations in EMR configurations' property values (nested ones too).
fn configuration_s3_urls(configurations: &[dpc_schema::EmrConfiguration]) -> Vec<String> {
    let mut out = Vec::new();
    for configuration in configurations {
        for value in configuration.properties.values() {
            out.extend(dpc_schema::s3_locations_in(value).map(str::to_owned));
        }
        out.extend(configuration_s3_urls(&configuration.configurations));
    }
    out
}
