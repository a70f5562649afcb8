//! `dpc deploy [PATH]` (and, sharing everything here, `dpc destroy`): the AWS CDK CLI run
//! on the synthesized assembly, one stack at a time, in dependency order — the central
//! stack, then the account setups, then the pipelines; destroy in reverse.
//!
//! One `cdk deploy --exclusively` per stack keeps the order dpc's, lets a failure name
//! exactly which stacks were deployed, and lets the central stack's outputs (the API URLs)
//! reach the stacks after it: its outputs are written with `--outputs-file`, and every
//! later stack with a template parameter of the same name as a central output gets
//! `--parameters <stack>:<Name>=<value>`. No one copies a URL by hand.
//!
//! PATH is an organisation or project folder (synthesized into `--output` first, with
//! the Lambda bundle built into it), or a folder that already holds an assembly
//! (deployed as it is, e.g. the one CI diffed: synthesize it with `--bundle`).

use super::diff::synthesize_with;
use crate::diff::{AssemblySnapshot, StackSnapshot};
use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use clap::ValueEnum;
use dpc_constructs::lineage::Lineage;
use dpc_core::Diagnostic;
use dpc_model::naming;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The AWS CDK CLI version dpc's assemblies are checked with.
pub const CDK_CLI_VERSION: &str = "2.1148.1";
/// The environment variable naming the CDK CLI to run instead of `cdk` on `PATH`.
pub const CDK_ENV: &str = "DPC_CDK";
/// The file, in the assembly folder unless `--outputs-file` says otherwise, that keeps the
/// central stack's outputs between runs.
pub const OUTPUTS_FILE: &str = "dpc-central-outputs.json";

/// Diagnostic code: the CDK CLI is not installed.
pub const CDK_MISSING: &str = "DM0562";
/// Diagnostic code: `--accounts` or `--pipelines` names nothing in the assembly.
pub const UNKNOWN_SELECTION: &str = "DM0563";
/// Diagnostic code: a file the assembly's asset manifests upload is missing.
pub const MISSING_ASSET: &str = "DM0564";
/// Diagnostic code: `cdk` failed for a stack; the run stopped.
pub const CDK_FAILED: &str = "DM0565";
/// Diagnostic code: the central outputs file cannot be read.
pub const OUTPUTS_UNREADABLE: &str = "DM0566";

/// What `dpc deploy` and `dpc destroy` act on, and how they call the CDK CLI.
#[derive(Debug, clap::Args)]
pub struct Target {
    /// An organisation or project folder (synthesized into --output first), or a folder
    /// holding an assembly [default: .]
    pub path: Option<PathBuf>,
    /// Where PATH is synthesized to.
    #[arg(short, long, default_value = "cdk.out")]
    pub output: PathBuf,
    /// Only stacks of these accounts (aliases or ids; `central` for the central stack).
    #[arg(long, value_delimiter = ',', value_name = "ACCOUNT")]
    pub accounts: Vec<String>,
    /// Only these pipelines' stacks (NAME or NAME@ACCOUNT).
    #[arg(long, value_delimiter = ',', value_name = "PIPELINE")]
    pub pipelines: Vec<String>,
    /// The AWS profile the CDK CLI uses (`cdk --profile`).
    #[arg(long)]
    pub profile: Option<String>,
    /// The role CloudFormation acts with (`cdk --role-arn`).
    #[arg(long, value_name = "ARN")]
    pub role_arn: Option<String>,
    /// Print the cdk commands, one per line, instead of running them.
    #[arg(long)]
    pub dry_run: bool,
}

/// `dpc deploy`'s arguments.
#[derive(Debug, clap::Args)]
pub struct DeployArgs {
    /// What to deploy and how.
    #[command(flatten)]
    pub target: Target,
    /// Which changes the CDK CLI asks about before deploying (`cdk --require-approval`).
    #[arg(long, value_enum)]
    pub require_approval: Option<Approval>,
    /// Where the central stack's outputs are kept [default: ASSEMBLY/dpc-central-outputs.json]
    #[arg(long, value_name = "FILE")]
    pub outputs_file: Option<PathBuf>,
}

/// `cdk deploy --require-approval`'s values.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Approval {
    /// Never ask.
    Never,
    /// Ask before any change.
    AnyChange,
    /// Ask before changes that widen security (CDK's default).
    Broadening,
    /// Ask before changes that replace, delete or orphan a resource.
    Destructive,
}

impl Approval {
    fn as_str(self) -> &'static str {
        match self {
            Approval::Never => "never",
            Approval::AnyChange => "any-change",
            Approval::Broadening => "broadening",
            Approval::Destructive => "destructive",
        }
    }
}

/// The class of a stack, which fixes its place in the deployment order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StackKind {
    /// `dpc-central`.
    Central,
    /// `dpc-account-<alias>`.
    Account,
    /// `dpc-pipeline-<alias>-<name>`, and any other stack of the assembly.
    Pipeline,
}

/// A stack in the order it is deployed.
#[derive(Clone, Debug)]
pub struct PlannedStack<'a> {
    /// The stack.
    pub stack: &'a StackSnapshot,
    /// Its class.
    pub kind: StackKind,
}

/// The stacks of `snapshot` in deployment order: central, account setups, pipelines, each
/// after the stacks the manifest says it depends on; otherwise in manifest order.
pub fn deployment_order(snapshot: &AssemblySnapshot) -> Vec<PlannedStack<'_>> {
    let mut pending: Vec<(StackKind, usize, &StackSnapshot)> = snapshot
        .stacks
        .iter()
        .enumerate()
        .map(|(i, s)| (kind_of(&s.id), i, s))
        .collect();
    pending.sort_by_key(|(kind, i, _)| (*kind, *i));
    let known: Vec<&str> = snapshot.stacks.iter().map(|s| s.id.as_str()).collect();
    let mut ordered: Vec<PlannedStack<'_>> = Vec::with_capacity(pending.len());
    while !pending.is_empty() {
        let ready = pending
            .iter()
            .position(|(_, _, s)| {
                s.dependencies.iter().all(|d| {
                    !known.contains(&d.as_str()) || ordered.iter().any(|o| o.stack.id == *d)
                })
            })
            // A cycle cannot come from dpc; keep going in class order rather than stall.
            .unwrap_or(0);
        let (kind, _, stack) = pending.remove(ready);
        ordered.push(PlannedStack { stack, kind });
    }
    ordered
}

fn kind_of(id: &str) -> StackKind {
    if id == naming::central_stack_name() {
        StackKind::Central
    } else if id.starts_with("dpc-account-") {
        StackKind::Account
    } else {
        StackKind::Pipeline
    }
}

/// Narrows `plan` to the stacks that pass every filter given: `accounts` keeps stacks in
/// those accounts (alias or id) and the central stack when `central` is listed;
/// `pipelines` keeps the stacks of those pipelines (`NAME` or `NAME@ACCOUNT`).
///
/// # Errors
/// A diagnostic per filter value that matches no stack of the assembly.
pub fn select<'a>(
    plan: Vec<PlannedStack<'a>>,
    lineage: Option<&Lineage>,
    accounts: &[String],
    pipelines: &[String],
) -> Result<Vec<PlannedStack<'a>>, Vec<Diagnostic>> {
    let account_id = |wanted: &str| -> String {
        lineage
            .and_then(|l| l.accounts.iter().find(|a| a.alias == wanted))
            .map_or_else(|| wanted.to_owned(), |a| a.id.clone())
    };
    let wanted_accounts: Vec<(String, String)> = accounts
        .iter()
        .map(|a| (a.clone(), account_id(a)))
        .collect();
    let in_accounts = |p: &PlannedStack<'_>| -> Option<usize> {
        let id = account_of(&p.stack.environment);
        wanted_accounts.iter().position(|(given, resolved)| {
            if p.kind == StackKind::Central {
                given == "central"
            } else {
                resolved == id
            }
        })
    };
    let pipeline_of = |p: &PlannedStack<'_>| -> Option<usize> {
        if p.kind != StackKind::Pipeline {
            return None;
        }
        pipelines.iter().position(|wanted| {
            let (name, account) = match wanted.rsplit_once('@') {
                Some((n, a)) => (n, Some(account_id(a))),
                None => (wanted.as_str(), None),
            };
            let account_ok = account
                .as_deref()
                .is_none_or(|a| a == account_of(&p.stack.environment));
            let name_ok = match lineage {
                Some(l) => l.pipelines.iter().any(|n| {
                    n.name == name
                        && n.alias.as_deref().is_some_and(|alias| {
                            naming::pipeline_artifact_id(alias, name) == p.stack.id
                        })
                }),
                None => p.stack.id.ends_with(&format!("-{name}")),
            };
            account_ok && name_ok
        })
    };
    let mut used_accounts = vec![false; accounts.len()];
    let mut used_pipelines = vec![false; pipelines.len()];
    let mut kept = Vec::new();
    for p in plan {
        let a = in_accounts(&p);
        let n = pipeline_of(&p);
        if let Some(i) = a {
            used_accounts[i] = true;
        }
        if let Some(i) = n {
            used_pipelines[i] = true;
        }
        let pass_accounts = accounts.is_empty() || a.is_some();
        let pass_pipelines = pipelines.is_empty() || n.is_some();
        if pass_accounts && pass_pipelines {
            kept.push(p);
        }
    }
    let mut errors = Vec::new();
    for (i, used) in used_accounts.iter().enumerate() {
        if !used {
            errors.push(
                Diagnostic::error(
                    UNKNOWN_SELECTION,
                    format!("no stack of the assembly is in account `{}`", accounts[i]),
                )
                .with_help(
                    "name accounts by alias or 12-digit id; `central` selects the central stack",
                ),
            );
        }
    }
    for (i, used) in used_pipelines.iter().enumerate() {
        if !used {
            errors.push(
                Diagnostic::error(
                    UNKNOWN_SELECTION,
                    format!(
                        "no pipeline stack of the assembly is for `{}`",
                        pipelines[i]
                    ),
                )
                .with_help("name pipelines as NAME or NAME@ACCOUNT"),
            );
        }
    }
    if errors.is_empty() {
        Ok(kept)
    } else {
        Err(errors)
    }
}

/// `123456789012` from `aws://123456789012/eu-west-1`.
fn account_of(environment: &str) -> &str {
    environment
        .strip_prefix("aws://")
        .and_then(|rest| rest.split('/').next())
        .unwrap_or("")
}

/// Files the asset manifests of `stacks` upload that are not in the assembly.
pub fn missing_assets(assembly: &Path, stacks: &[PlannedStack<'_>]) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    for p in stacks {
        let manifest = assembly.join(format!("{}.assets.json", p.stack.id));
        let Ok(bytes) =
            dpc_core::read::read_bounded(&manifest, dpc_core::read::MAX_ASSEMBLY_JSON_BYTES)
        else {
            continue;
        };
        let Ok(value) = serde_json::from_slice::<Value>(&bytes) else {
            continue;
        };
        for (_, file) in value
            .get("files")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(path) = file.pointer("/source/path").and_then(Value::as_str) else {
                continue;
            };
            if !assembly.join(path).exists() {
                let name = file
                    .get("displayName")
                    .and_then(Value::as_str)
                    .unwrap_or(path);
                out.push(
                    Diagnostic::error(
                        MISSING_ASSET,
                        format!(
                            "`{}` uploads `{path}` ({name}), which is not in `{}`",
                            p.stack.id,
                            assembly.display()
                        ),
                    )
                    .with_help(
                        "build the Lambda bundle into the assembly first (`dpc synth --bundle`)",
                    ),
                );
            }
        }
    }
    out
}

/// How the CDK CLI is started: the program and how to show it.
pub struct Cdk {
    program: PathBuf,
    shown: String,
}

impl Cdk {
    /// `DPC_CDK` when set (a path, or a command looked up on `PATH`), else `cdk` on `PATH`.
    ///
    /// # Errors
    /// A diagnostic with the install command when there is none.
    pub fn find() -> Result<Cdk, Diagnostic> {
        let configured = std::env::var(CDK_ENV).ok().filter(|v| !v.trim().is_empty());
        let wanted = configured.clone().unwrap_or_else(|| "cdk".to_owned());
        let found = if wanted.contains(std::path::MAIN_SEPARATOR) {
            Some(PathBuf::from(&wanted)).filter(|p| p.is_file())
        } else {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(&wanted))
                    .find(|p| p.is_file())
            })
        };
        match found {
            Some(program) => Ok(Cdk {
                program,
                shown: wanted,
            }),
            None => {
                let what = match &configured {
                    Some(v) => format!("the AWS CDK CLI `{v}` ({CDK_ENV}) was not found"),
                    None => "the AWS CDK CLI (`cdk`) is not on PATH".to_owned(),
                };
                Err(Diagnostic::error(CDK_MISSING, what)
                    .with_note(format!(
                        "dpc deploys through the CDK CLI; assemblies are checked with version {CDK_CLI_VERSION}"
                    ))
                    .with_help(format!(
                        "install it with `npm install -g aws-cdk@{CDK_CLI_VERSION}`, or set {CDK_ENV} to its path"
                    )))
            }
        }
    }

    /// The CLI as a dry run shows it, without looking for it.
    pub(crate) fn shown_only() -> Cdk {
        let shown = std::env::var(CDK_ENV)
            .ok()
            .filter(|v| !v.trim().is_empty())
            .unwrap_or_else(|| "cdk".to_owned());
        Cdk {
            program: PathBuf::from(&shown),
            shown,
        }
    }

    pub(crate) fn line(&self, args: &[String]) -> String {
        std::iter::once(self.shown.as_str())
            .chain(args.iter().map(String::as_str))
            .map(shell_quote)
            .collect::<Vec<_>>()
            .join(" ")
    }

    pub(crate) fn run(&self, args: &[String]) -> Result<(), String> {
        match Command::new(&self.program).args(args).status() {
            Ok(status) if status.success() => Ok(()),
            Ok(status) => Err(match status.code() {
                Some(code) => format!("exit code {code}"),
                None => "stopped by a signal".to_owned(),
            }),
            Err(err) => Err(format!("cannot start `{}`: {err}", self.program.display())),
        }
    }
}

/// An argument as a POSIX shell reads it back: bare when safe, else single-quoted.
pub fn shell_quote(arg: &str) -> String {
    let safe = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c));
    if safe {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}

/// The assembly a deploy or destroy works on, ready: its folder and stacks.
pub struct Prepared {
    /// The assembly folder (`--app`).
    pub dir: PathBuf,
    /// Its stacks and graph.
    pub snapshot: AssemblySnapshot,
}

/// Synthesizes PATH into `--output` unless PATH already holds an assembly (with the
/// Lambda bundle built into it when `bundle`); then reads the assembly. Prints
/// diagnostics; `Err` carries the exit code.
pub fn prepare(target: &Target, bundle: bool, io: &mut Io<'_>) -> Result<Prepared, i32> {
    let path = crate::default_path(target.path.clone());
    let dir = if path.join("manifest.json").is_file() {
        path
    } else {
        let what = format!("synthesize `{}`", path.display());
        let runtime = match crate::bundle::runtime_asset(bundle, io) {
            Ok(runtime) => runtime,
            Err(error) => {
                print_diagnostics(io, &[error], false, &what);
                return Err(EXIT_INPUT);
            }
        };
        let options = dpc_constructs::app::SynthOptions {
            runtime,
            ..dpc_constructs::app::SynthOptions::default()
        };
        let synthesized =
            match synthesize_with(&path, std::slice::from_ref(&target.output), options) {
                Ok(s) => s,
                Err(errors) => {
                    print_diagnostics(io, &errors, false, &what);
                    return Err(EXIT_INPUT);
                }
            };
        print_diagnostics(io, &synthesized.warnings, false, &what);
        // Locked like `dpc synth` (same wait, same message): a deploy that writes its
        // assembly into a folder another dpc is writing waits for it.
        let written = crate::commands::synth::lock_output(&target.output, io)
            .and_then(|mut lock| synthesized.assembly.write_locked(&mut lock));
        if let Err(error) = written {
            print_diagnostics(io, &[error], false, &what);
            return Err(EXIT_INPUT);
        }
        let _ = writeln!(
            io.stderr,
            "synthesized {} stacks into {}",
            synthesized.assembly.stacks().len(),
            target.output.display()
        );
        target.output.clone()
    };
    match AssemblySnapshot::read(&dir) {
        Ok(snapshot) => Ok(Prepared { dir, snapshot }),
        Err(error) => {
            print_diagnostics(io, &[error], false, "read the assembly");
            Err(EXIT_INPUT)
        }
    }
}

/// The options common to every cdk call.
pub(crate) fn common_args(target: &Target, app: &Path) -> Vec<String> {
    let mut args = vec![
        "--app".to_owned(),
        app.to_string_lossy().into_owned(),
        "--exclusively".to_owned(),
    ];
    if let Some(profile) = &target.profile {
        args.extend(["--profile".to_owned(), profile.clone()]);
    }
    if let Some(role) = &target.role_arn {
        args.extend(["--role-arn".to_owned(), role.clone()]);
    }
    args
}

/// Runs `dpc deploy`.
pub fn run(args: DeployArgs, io: &mut Io<'_>) -> i32 {
    let target = &args.target;
    let cdk = if target.dry_run {
        Cdk::shown_only()
    } else {
        match Cdk::find() {
            Ok(cdk) => cdk,
            Err(error) => {
                print_diagnostics(io, &[error], false, "deploy");
                return EXIT_INPUT;
            }
        }
    };
    // A real deploy uploads the Lambda bundle, so it is built (or reused) first; a dry
    // run only shows the commands.
    let prepared = match prepare(target, !target.dry_run, io) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let plan = match select(
        deployment_order(&prepared.snapshot),
        prepared.snapshot.lineage.as_ref(),
        &target.accounts,
        &target.pipelines,
    ) {
        Ok(plan) => plan,
        Err(errors) => {
            print_diagnostics(io, &errors, false, "deploy");
            return EXIT_INPUT;
        }
    };
    let missing = missing_assets(&prepared.dir, &plan);
    if !missing.is_empty() {
        if target.dry_run {
            let warnings: Vec<Diagnostic> = missing
                .into_iter()
                .map(|mut d| {
                    d.severity = dpc_core::Severity::Warning;
                    d
                })
                .collect();
            print_diagnostics(io, &warnings, false, "deploy");
        } else {
            print_diagnostics(io, &missing, false, "deploy");
            return EXIT_INPUT;
        }
    }
    let outputs_file = args
        .outputs_file
        .clone()
        .unwrap_or_else(|| prepared.dir.join(OUTPUTS_FILE));
    let central = prepared
        .snapshot
        .stacks
        .iter()
        .find(|s| kind_of(&s.id) == StackKind::Central);
    let central_outputs: Vec<String> = central
        .and_then(|c| c.template.get("Outputs"))
        .and_then(Value::as_object)
        .map(|o| o.keys().cloned().collect())
        .unwrap_or_default();
    let central_in_plan = plan.iter().any(|p| p.kind == StackKind::Central);
    // Outputs of an earlier run, when this one does not deploy the central stack.
    let mut outputs: Option<serde_json::Map<String, Value>> = None;
    if !central_in_plan {
        outputs = read_outputs(&outputs_file, central);
        let needs = plan
            .iter()
            .any(|p| !wanted_parameters(p.stack, &central_outputs).is_empty());
        if needs && outputs.is_none() {
            let _ = writeln!(
                io.stderr,
                "note: dpc-central is not deployed in this run and `{}` holds no outputs of it: \
                 the stacks keep the parameter values they were last deployed with (deploy \
                 dpc-central in the same run the first time)",
                outputs_file.display()
            );
        }
    }

    let mut deployed: Vec<&str> = Vec::new();
    for (i, p) in plan.iter().enumerate() {
        let mut cdk_args = vec!["deploy".to_owned()];
        cdk_args.extend(common_args(target, &prepared.dir));
        if let Some(approval) = args.require_approval {
            cdk_args.extend([
                "--require-approval".to_owned(),
                approval.as_str().to_owned(),
            ]);
        }
        if p.kind == StackKind::Central {
            cdk_args.extend([
                "--outputs-file".to_owned(),
                outputs_file.to_string_lossy().into_owned(),
            ]);
        }
        for name in wanted_parameters(p.stack, &central_outputs) {
            // A dry run cannot know what deploying the central stack will output.
            let value = match &outputs {
                Some(o) => o.get(&name).and_then(Value::as_str).map(str::to_owned),
                None if target.dry_run && central_in_plan => Some(format!(
                    "<{name} output of {}>",
                    naming::central_stack_name()
                )),
                None => None,
            };
            let Some(value) = value else { continue };
            cdk_args.extend([
                "--parameters".to_owned(),
                format!("{}:{name}={value}", p.stack.id),
            ]);
        }
        cdk_args.push(p.stack.id.clone());
        match run_one(
            &cdk,
            "deploy",
            target.dry_run,
            &cdk_args,
            &plan,
            i,
            &deployed,
            io,
        ) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(code) => return code,
        }
        deployed.push(&p.stack.id);
        if p.kind == StackKind::Central {
            outputs = read_outputs(&outputs_file, Some(p.stack));
            if outputs.is_none()
                && plan
                    .iter()
                    .any(|q| !wanted_parameters(q.stack, &central_outputs).is_empty())
            {
                let error = Diagnostic::error(
                    OUTPUTS_UNREADABLE,
                    format!(
                        "the CDK CLI wrote no outputs of `{}` to `{}`",
                        p.stack.id,
                        outputs_file.display()
                    ),
                )
                .with_note(format!("deployed: {}", deployed.join(", ")))
                .with_help("the account stacks need its API URLs; rerun `dpc deploy`");
                print_diagnostics(io, &[error], false, "deploy");
                return EXIT_INPUT;
            }
        }
    }
    if !target.dry_run {
        let _ = writeln!(
            io.stderr,
            "deployed {} stack{}: {}",
            deployed.len(),
            if deployed.len() == 1 { "" } else { "s" },
            deployed.join(", ")
        );
    }
    EXIT_OK
}

/// The template parameters of `stack` that a central output of the same name fills.
fn wanted_parameters(stack: &StackSnapshot, central_outputs: &[String]) -> Vec<String> {
    if kind_of(&stack.id) == StackKind::Central {
        return Vec::new();
    }
    stack
        .template
        .get("Parameters")
        .and_then(Value::as_object)
        .into_iter()
        .flat_map(|p| p.keys())
        .filter(|name| central_outputs.contains(name))
        .cloned()
        .collect()
}

/// The central stack's outputs from the CDK CLI's outputs file (keyed by stack name).
fn read_outputs(
    file: &Path,
    central: Option<&StackSnapshot>,
) -> Option<serde_json::Map<String, Value>> {
    let central = central?;
    let bytes = dpc_core::read::read_bounded(file, dpc_core::read::MAX_ASSEMBLY_JSON_BYTES).ok()?;
    let value: Value = serde_json::from_slice(&bytes).ok()?;
    value
        .get(&central.stack_name)
        .or_else(|| value.get(&central.id))
        .and_then(Value::as_object)
        .cloned()
}

/// One `cdk <verb>` of a planned stack: printed with `dry_run`, otherwise announced and
/// run. `Ok(true)` when it ran, `Ok(false)` when only shown; on failure the error (with
/// what was and was not done, from `done` and `plan[i..]`) is printed and `Err` carries
/// the exit code.
#[allow(clippy::too_many_arguments)]
pub(crate) fn run_one(
    cdk: &Cdk,
    verb: &str,
    dry_run: bool,
    cdk_args: &[String],
    plan: &[PlannedStack<'_>],
    i: usize,
    done: &[&str],
    io: &mut Io<'_>,
) -> Result<bool, i32> {
    if dry_run {
        let _ = writeln!(io.stdout, "{}", cdk.line(cdk_args));
        return Ok(false);
    }
    let stack = plan[i].stack;
    let doing = if verb == "deploy" {
        "deploying"
    } else {
        "destroying"
    };
    let _ = writeln!(
        io.stderr,
        "==> {doing} {} ({}/{}, {})",
        stack.id,
        i + 1,
        plan.len(),
        stack.environment
    );
    let _ = io.stderr.flush();
    if let Err(why) = cdk.run(cdk_args) {
        print_diagnostics(
            io,
            &[failure(verb, &stack.id, &why, done, &plan[i..])],
            false,
            verb,
        );
        return Err(EXIT_INPUT);
    }
    Ok(true)
}

/// The error for a failed stack: which one, and what was and was not done.
pub fn failure(
    verb: &str,
    stack: &str,
    why: &str,
    done: &[&str],
    rest: &[PlannedStack<'_>],
) -> Diagnostic {
    let past = if verb == "deploy" {
        "deployed"
    } else {
        "destroyed"
    };
    let mut d = Diagnostic::error(
        CDK_FAILED,
        format!("`cdk {verb}` failed for `{stack}` ({why}); stopped"),
    );
    d = d.with_note(if done.is_empty() {
        format!("nothing was {past}")
    } else {
        format!("{past} before it: {}", done.join(", "))
    });
    let not: Vec<&str> = rest.iter().map(|p| p.stack.id.as_str()).collect();
    d.with_note(format!("not {past}: {}", not.join(", ")))
        .with_help("the CDK CLI's output above says why; fix it and run the command again")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn stack(id: &str, account: &str, deps: &[&str]) -> StackSnapshot {
        StackSnapshot {
            id: id.to_owned(),
            stack_name: id.to_owned(),
            environment: format!("aws://{account}/eu-west-1"),
            template: json!({"Resources": {}}),
            dependencies: deps.iter().map(|d| (*d).to_owned()).collect(),
            ..StackSnapshot::default()
        }
    }

    fn snapshot() -> AssemblySnapshot {
        AssemblySnapshot {
            stacks: vec![
                stack("dpc-pipeline-core-data-listings", "222222222222", &[]),
                stack("dpc-account-core-data", "222222222222", &[]),
                stack("dpc-pipeline-search-searches", "333333333333", &[]),
                stack("dpc-account-search", "333333333333", &["dpc-central"]),
                stack("dpc-central", "111111111111", &[]),
            ],
            lineage: None,
            ..AssemblySnapshot::default()
        }
    }

    fn ids(plan: &[PlannedStack<'_>]) -> Vec<String> {
        plan.iter().map(|p| p.stack.id.clone()).collect()
    }

    #[test]
    fn central_then_accounts_then_pipelines() {
        let s = snapshot();
        assert_eq!(
            ids(&deployment_order(&s)),
            [
                "dpc-central",
                "dpc-account-core-data",
                "dpc-account-search",
                "dpc-pipeline-core-data-listings",
                "dpc-pipeline-search-searches"
            ]
        );
    }

    #[test]
    fn manifest_dependencies_win_over_class_order() {
        let mut s = snapshot();
        s.stacks[1].dependencies = vec!["dpc-account-search".to_owned()];
        let order = ids(&deployment_order(&s));
        let pos = |id: &str| order.iter().position(|o| o == id).expect("present");
        assert!(pos("dpc-account-search") < pos("dpc-account-core-data"));
    }

    #[test]
    fn filters_narrow_and_unknown_values_are_errors() {
        let s = snapshot();
        let by_account = select(
            deployment_order(&s),
            None,
            &["333333333333".to_owned(), "central".to_owned()],
            &[],
        )
        .expect("known");
        assert_eq!(
            ids(&by_account),
            [
                "dpc-central",
                "dpc-account-search",
                "dpc-pipeline-search-searches"
            ]
        );
        let by_pipeline =
            select(deployment_order(&s), None, &[], &["listings".to_owned()]).expect("known");
        assert_eq!(ids(&by_pipeline), ["dpc-pipeline-core-data-listings"]);
        let errors = select(deployment_order(&s), None, &["nowhere".to_owned()], &[])
            .expect_err("unknown account");
        assert_eq!(errors.len(), 1);
        assert!(errors[0].message.contains("`nowhere`"));
    }

    #[test]
    fn quoting_is_only_where_a_shell_needs_it() {
        assert_eq!(shell_quote("dpc-central"), "dpc-central");
        assert_eq!(shell_quote("a b"), "'a b'");
        assert_eq!(shell_quote("it's"), r"'it'\''s'");
        assert_eq!(shell_quote("s:Url=<x>"), "'s:Url=<x>'");
    }
}
