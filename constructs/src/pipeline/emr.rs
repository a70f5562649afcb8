//! The EMR requests of a pipeline's state machine: the cluster (`createCluster.sync`)
//! and each step (`addStep.sync`), as JSONPath payload templates.

use super::macros;
use super::payload::{self, PayloadError};
use super::setup::{self, AccountSetup};
use crate::aws::iam::Statement;
use crate::stepfunctions::intrinsic::{Template, put_array};
use dpc_core::Diagnostic;
use dpc_schema::{
    BootstrapAction, Cluster, EmrConfiguration, InstanceGroup, Pipeline, Script, Step, StepConfig,
};
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

/// Diagnostic code: a step or cluster setting cannot be put into the state machine.
pub const UNRENDERABLE: &str = "DM0312";

/// How long the cluster may sit idle before EMR terminates it by itself: the last line
/// of defence when neither the state machine nor the cleanup Lambda could.
pub const IDLE_TIMEOUT_SECONDS: u64 = 3600;

/// EMR's highest `StepConcurrencyLevel`.
pub const MAX_STEP_CONCURRENCY: usize = 256;

/// `DefinitionSubstitutions` names the cluster request uses.
pub mod subst {
    /// The pipeline's EMR instance profile (a `Ref` in the same stack).
    pub const INSTANCE_PROFILE: &str = "InstanceProfile";
    /// The primary node security group (SSM).
    pub const PRIMARY_SG: &str = "PrimarySecurityGroup";
    /// The core/task security group (SSM).
    pub const CORE_SG: &str = "CoreSecurityGroup";
    /// The service access security group (SSM; private subnets only).
    pub const SERVICE_ACCESS_SG: &str = "ServiceAccessSecurityGroup";
    /// The security configuration's name (SSM).
    pub const SECURITY_CONFIGURATION: &str = "SecurityConfiguration";
}

/// What a step of a kind a library added runs: a jar (often `command-runner.jar`) with
/// arguments, which may contain macros.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HadoopJarStep {
    /// The jar: `command-runner.jar` or an `s3://` location.
    pub jar: String,
    /// The main class, when the jar's manifest has none.
    pub main_class: Option<String>,
    /// The arguments, with `{{…}}` macros left for run time.
    pub args: Vec<String>,
}

impl HadoopJarStep {
    /// `command-runner.jar` running `args` (the first is the program, e.g. `hive-script`).
    pub fn command_runner<I, S>(args: I) -> HadoopJarStep
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        HadoopJarStep {
            jar: "command-runner.jar".to_owned(),
            main_class: None,
            args: args.into_iter().map(Into::into).collect(),
        }
    }
}

/// One step of a kind a library added, as its renderer sees it.
#[derive(Clone, Copy, Debug)]
pub struct StepInput<'a> {
    /// The step (name, dependencies, timeout, retries).
    pub step: &'a Step,
    /// Its own fields, as the step kind checked them.
    pub fields: &'a Map<String, Value>,
    /// The pipeline it belongs to.
    pub pipeline: &'a Pipeline,
    /// Where every script runs from (see [`ScriptUrls`]).
    pub script_urls: &'a ScriptUrls,
}

impl StepInput<'_> {
    /// The S3 URL of a script written as `written` in the step's fields: an `s3://` URL as
    /// is, a local path as the URL of the asset it was shipped as.
    ///
    /// # Errors
    /// A local path the step's renderer did not list in [`EmrStepRenderer::scripts`], so
    /// it was never shipped.
    pub fn script_url(&self, written: &str) -> Result<String, Diagnostic> {
        if written.starts_with("s3://") {
            return Ok(written.to_owned());
        }
        self.script_urls.get(written).cloned().ok_or_else(|| {
            Diagnostic::error(
                UNRENDERABLE,
                format!(
                    "step `{}` of pipeline `{}` runs `{written}`, which was not shipped with the deployment",
                    self.step.name, self.pipeline.name
                ),
            )
            .with_help(format!(
                "list `{written}` in the `scripts` of step type `{}`",
                self.step.type_name
            ))
        })
    }

    /// The field `name` as text, when it is one.
    pub fn text(&self, name: &str) -> Option<&str> {
        self.fields.get(name).and_then(Value::as_str)
    }
}

/// IAM statements a step needs beyond what dpc grants every pipeline, by role.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepPermissions {
    /// For the EMR instance role: what the step's job touches while it runs on the
    /// cluster (its script, its data beyond the pipeline's `access`).
    pub cluster: Vec<Statement>,
    /// For the state machine's role: the APIs its task calls beyond running an EMR step.
    pub state_machine: Vec<Statement>,
}

impl StepPermissions {
    /// Whether no statement is asked for.
    pub fn is_empty(&self) -> bool {
        self.cluster.is_empty() && self.state_machine.is_empty()
    }
}

/// The construct side of a step kind a library registered (`StepConfig::Custom`): the
/// EMR step it runs, the scripts it ships and the permissions it needs. Implement
/// [`crate::steps::StepType`] rather than this: it adds the language side (schema and
/// checks) and registers both halves with one call.
pub trait EmrStepRenderer: Send + Sync {
    /// The `type` it renders.
    fn type_name(&self) -> &str;

    /// The EMR step for one step of this kind.
    ///
    /// # Errors
    /// Why the step cannot run on EMR.
    fn render(&self, input: &StepInput<'_>) -> Result<HadoopJarStep, Diagnostic>;

    /// The scripts the step runs, as written in its fields: local paths (relative to the
    /// project folder) are shipped with the deployment as assets, `s3://` URLs are run
    /// where they are; the cluster may read exactly these objects.
    fn scripts(&self, _step: &Step, _fields: &Map<String, Value>) -> Vec<String> {
        Vec::new()
    }

    /// The IAM statements the step needs beyond dpc's own.
    ///
    /// # Errors
    /// Why the permissions cannot be given.
    fn permissions(&self, _input: &StepInput<'_>) -> Result<StepPermissions, Diagnostic> {
        Ok(StepPermissions::default())
    }
}

/// The S3 location of every script, by the path written in pipeline.yaml: local files
/// are replaced by their asset's URL.
pub type ScriptUrls = IndexMap<String, String>;

/// The URL a script runs from.
pub fn script_url(script: &Script, urls: &ScriptUrls) -> String {
    match script {
        Script::S3(url) => url.clone(),
        Script::Local { relative, .. } => urls.get(relative).cloned().unwrap_or_default(),
    }
}

/// The `Step` request of `addStep.sync` for one step.
///
/// # Errors
/// An unknown macro (the loader prevents it), a custom kind without a renderer, or a
/// renderer's own error.
pub fn step_request(
    step: &Step,
    pipeline: &Pipeline,
    urls: &ScriptUrls,
    renderers: &[Box<dyn EmrStepRenderer>],
) -> Result<Value, Diagnostic> {
    let jar_step = match &step.config {
        StepConfig::Spark(spark) => {
            let mut args = vec![
                "spark-submit".to_owned(),
                "--deploy-mode".to_owned(),
                "cluster".to_owned(),
            ];
            for (key, value) in &spark.spark_conf {
                args.push("--conf".to_owned());
                args.push(format!("{key}={value}"));
            }
            if let Some(class) = &spark.main_class {
                args.push("--class".to_owned());
                args.push(class.clone());
            }
            args.push(script_url(&spark.script, urls));
            // Only the user's own arguments carry macros; the rest is taken literally
            // (a `{{` in a Spark setting is not a macro).
            let fixed = args.len();
            args.extend(spark.args.iter().cloned());
            (
                HadoopJarStep {
                    jar: "command-runner.jar".to_owned(),
                    main_class: None,
                    args,
                },
                fixed,
            )
        }
        StepConfig::Shell(shell) => (
            HadoopJarStep {
                jar: "command-runner.jar".to_owned(),
                main_class: None,
                args: vec!["bash".to_owned(), "-c".to_owned(), shell.command.clone()],
            },
            2,
        ),
        StepConfig::Custom { type_name, fields } => {
            let renderer = renderer_for(step, type_name, pipeline, renderers)?;
            let input = StepInput {
                step,
                fields,
                pipeline,
                script_urls: urls,
            };
            (renderer.render(&input)?, 0)
        }
    };
    let (jar_step, literal_args) = jar_step;
    let mut templates = Vec::new();
    for (i, arg) in jar_step.args.iter().enumerate() {
        if i < literal_args {
            templates.push(Template::text(arg.clone()));
        } else {
            templates.push(macros::template(arg, &pipeline.name).map_err(|bad| {
                Diagnostic::error(
                    UNRENDERABLE,
                    match bad {
                        Some(name) => format!(
                            "step `{}` uses the unknown macro `{{{{{name}}}}}`",
                            step.name
                        ),
                        None => format!("step `{}` has a `{{{{` that is never closed", step.name),
                    },
                )
            })?);
        }
    }
    let mut hadoop = Map::new();
    hadoop.insert("Jar".into(), Value::String(jar_step.jar));
    if let Some(class) = jar_step.main_class {
        hadoop.insert("MainClass".into(), Value::String(class));
    }
    put_array(&mut hadoop, "Args", &templates);
    Ok(json!({
        "Name": step.name,
        "ActionOnFailure": "CONTINUE",
        "HadoopJarStep": Value::Object(hadoop),
    }))
}

fn renderer_for<'r>(
    step: &Step,
    type_name: &str,
    pipeline: &Pipeline,
    renderers: &'r [Box<dyn EmrStepRenderer>],
) -> Result<&'r dyn EmrStepRenderer, Diagnostic> {
    renderers
        .iter()
        .find(|r| r.type_name() == type_name)
        .map(Box::as_ref)
        .ok_or_else(|| {
            Diagnostic::error(
                UNRENDERABLE,
                format!(
                    "step `{}` of pipeline `{}` has type `{type_name}`, which no EMR step renderer handles",
                    step.name, pipeline.name
                ),
            )
            .with_help("register the step type (`dpc_constructs::steps::StepTypes::register`) when building the app")
        })
}

/// The scripts the pipeline's steps of library kinds run, in step order: local ones are
/// shipped like Spark scripts, and the cluster may read exactly the ones in S3.
///
/// # Errors
/// A step of a kind no renderer handles.
pub fn custom_step_scripts(
    pipeline: &Pipeline,
    renderers: &[Box<dyn EmrStepRenderer>],
) -> Result<Vec<Script>, Diagnostic> {
    let mut out = Vec::new();
    for step in &pipeline.steps {
        if let StepConfig::Custom { type_name, fields } = &step.config {
            let renderer = renderer_for(step, type_name, pipeline, renderers)?;
            for written in renderer.scripts(step, fields) {
                out.push(Script::from_written(&written, &pipeline.source_dir));
            }
        }
    }
    Ok(out)
}

/// What the pipeline's steps of library kinds need from IAM, every statement given a
/// `Sid` unique in its role's policy: `Step<StepName><Sid or number>`.
///
/// # Errors
/// A step of a kind no renderer handles, or a renderer's own error.
pub fn custom_step_permissions(
    pipeline: &Pipeline,
    urls: &ScriptUrls,
    renderers: &[Box<dyn EmrStepRenderer>],
) -> Result<StepPermissions, Diagnostic> {
    let mut all = StepPermissions::default();
    for step in &pipeline.steps {
        let StepConfig::Custom { type_name, fields } = &step.config else {
            continue;
        };
        let renderer = renderer_for(step, type_name, pipeline, renderers)?;
        let input = StepInput {
            step,
            fields,
            pipeline,
            script_urls: urls,
        };
        let asked = renderer.permissions(&input)?;
        let prefix: String = std::iter::once("Step".to_owned())
            .chain(step.name.split('-').map(|part| {
                let mut chars = part.chars();
                chars
                    .next()
                    .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                    .unwrap_or_default()
            }))
            .collect();
        let named = |statements: Vec<Statement>| -> Vec<Statement> {
            statements
                .into_iter()
                .enumerate()
                .map(|(i, mut s)| {
                    let own: String = s
                        .sid
                        .take()
                        .unwrap_or_else(|| (i + 1).to_string())
                        .chars()
                        .filter(char::is_ascii_alphanumeric)
                        .collect();
                    s.sid = Some(format!("{prefix}{own}"));
                    s
                })
                .collect()
        };
        all.cluster.extend(named(asked.cluster));
        all.state_machine.extend(named(asked.state_machine));
    }
    Ok(all)
}

/// The request of `createCluster.sync`.
///
/// `concurrency` is the most steps the plan runs at once; `bootstrap` are the cluster's
/// bootstrap actions with their scripts resolved (dpc's own Hive metastore action
/// included).
///
/// # Errors
/// A configuration property named `….$`, which a payload template would read as a path.
pub fn cluster_request(
    pipeline: &Pipeline,
    setup: &AccountSetup,
    concurrency: usize,
    bootstrap: &[(String, String, Vec<String>)],
) -> Result<Value, Diagnostic> {
    let cluster = &pipeline.cluster;
    let mut groups = vec![
        instance_group("Primary", "MASTER", &cluster.master, cluster),
        instance_group("Core", "CORE", &cluster.core, cluster),
    ];
    if let Some(task) = cluster.task.as_ref().filter(|t| t.count > 0) {
        groups.push(instance_group("Task", "TASK", task, cluster));
    }
    let network = &pipeline.account.network;
    let mut instances = json!({
        "InstanceGroups": groups,
        // One subnet: instance groups (unlike fleets) launch in a single subnet, so the
        // first listed is used; list the preferred subnet first.
        "Ec2SubnetId": network.subnet_ids.first().cloned().unwrap_or_default(),
        "EmrManagedMasterSecurityGroup": placeholder(subst::PRIMARY_SG),
        "EmrManagedSlaveSecurityGroup": placeholder(subst::CORE_SG),
        "KeepJobFlowAliveWhenNoSteps": true,
        "TerminationProtected": false,
    });
    if network.private
        && let Some(map) = instances.as_object_mut()
    {
        map.insert(
            "ServiceAccessSecurityGroup".into(),
            Value::String(placeholder(subst::SERVICE_ACCESS_SG)),
        );
    }
    let configurations = cluster
        .configurations
        .iter()
        .map(configuration)
        .collect::<Vec<_>>();
    let bootstrap_actions: Vec<Value> = bootstrap
        .iter()
        .map(|(name, path, args)| {
            json!({"Name": name, "ScriptBootstrapAction": {"Path": path, "Args": args}})
        })
        .collect();
    let mut request = Map::new();
    request.insert(
        "Name".into(),
        json!(dpc_model::naming::state_machine_name(&pipeline.name)),
    );
    request.insert("ReleaseLabel".into(), json!(cluster.release_label));
    request.insert(
        "Applications".into(),
        Value::Array(
            cluster
                .applications
                .iter()
                .map(|a| json!({"Name": a}))
                .collect(),
        ),
    );
    request.insert("ServiceRole".into(), json!(setup::EMR_SERVICE_ROLE_NAME));
    request.insert(
        "JobFlowRole".into(),
        json!(placeholder(subst::INSTANCE_PROFILE)),
    );
    request.insert(
        "SecurityConfiguration".into(),
        json!(placeholder(subst::SECURITY_CONFIGURATION)),
    );
    request.insert(
        "LogUri".into(),
        json!(format!(
            "s3://{}/{}/{}/",
            setup.artifacts_bucket(),
            setup::EMR_LOG_PREFIX,
            dpc_model::naming::state_machine_name(&pipeline.name)
        )),
    );
    request.insert("VisibleToAllUsers".into(), json!(true));
    request.insert(
        "StepConcurrencyLevel".into(),
        json!(concurrency.clamp(1, MAX_STEP_CONCURRENCY)),
    );
    request.insert(
        "AutoTerminationPolicy".into(),
        json!({"IdleTimeout": IDLE_TIMEOUT_SECONDS}),
    );
    request.insert("Instances".into(), instances);
    let user_part = json!({
        "Configurations": configurations,
        "BootstrapActions": bootstrap_actions,
    });
    let user_part = payload::literal(&user_part).map_err(|PayloadError { key }| {
        Diagnostic::error(
            UNRENDERABLE,
            format!(
                "pipeline `{}`: the cluster setting `{key}` cannot be passed to EMR through Step Functions",
                pipeline.name
            ),
        )
        .with_note("Step Functions reads a key ending in `.$` as a path")
    })?;
    if let Value::Object(map) = user_part {
        for (key, value) in map {
            let empty = value.as_array().is_some_and(Vec::is_empty);
            if !empty {
                request.insert(key, value);
            }
        }
    }
    let mut tags = vec![json!({"Key": setup::PIPELINE_TAG, "Value": pipeline.name})];
    if let Some(owner) = &pipeline.owner {
        tags.push(json!({"Key": setup::OWNER_TAG, "Value": owner}));
    }
    tags.push(json!({"Key": setup::EXECUTION_TAG, "Value.$": "$$.Execution.Id"}));
    request.insert("Tags".into(), Value::Array(tags));
    Ok(Value::Object(request))
}

/// `"${Name}"`: a whole-string `DefinitionSubstitutions` placeholder.
pub fn placeholder(name: &str) -> String {
    format!("${{{name}}}")
}

fn instance_group(name: &str, role: &str, group: &InstanceGroup, cluster: &Cluster) -> Value {
    let mut out = json!({
        "Name": name,
        "InstanceRole": role,
        "InstanceType": group.instance_type,
        "InstanceCount": if role == "MASTER" { 1 } else { group.count },
        "Market": group.market.as_str(),
    });
    if let (Some(size), Some(map)) = (cluster.ebs_size_gb, out.as_object_mut()) {
        map.insert(
            "EbsConfiguration".into(),
            json!({
                "EbsBlockDeviceConfigs": [{
                    "VolumeSpecification": {"SizeInGB": size, "VolumeType": "gp3"},
                    "VolumesPerInstance": 1
                }],
                "EbsOptimized": true
            }),
        );
    }
    out
}

fn configuration(config: &EmrConfiguration) -> Value {
    let mut out = Map::new();
    out.insert("Classification".into(), json!(config.classification));
    if !config.properties.is_empty() {
        out.insert("Properties".into(), json!(config.properties));
    }
    if !config.configurations.is_empty() {
        out.insert(
            "Configurations".into(),
            Value::Array(config.configurations.iter().map(configuration).collect()),
        );
    }
    Value::Object(out)
}

/// The bootstrap actions as `(name, script URL, args)`, in the order written.
pub fn bootstrap_actions(
    actions: &[BootstrapAction],
    urls: &ScriptUrls,
) -> Vec<(String, String, Vec<String>)> {
    actions
        .iter()
        .map(|a| (a.name.clone(), script_url(&a.script, urls), a.args.clone()))
        .collect()
}
