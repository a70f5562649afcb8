//! The `dpc` command line: parse the arguments, call the libraries, print.
//!
//! [`run`] is the whole program behind `main`, taking its output streams as
//! arguments, so tests drive it in-process and snapshot what a user would see.
//!
//! Exit codes (SPEC, "Commands"): 0 done; 1 the input is wrong or missing; 2 the
//! command was used wrongly.

mod bundle;
mod codes;
mod commands;
pub mod diff;
#[doc(hidden)]
pub mod fuzzing;
mod output;
pub mod stream;

use clap::{Parser, Subcommand, ValueEnum};
use std::ffi::OsString;
use std::io::Write;
use std::path::PathBuf;

/// Where a run of `dpc` writes: its standard output and error, and whether the
/// error stream may carry colour.
pub struct Io<'a> {
    /// Results: templates listings, graphs, schemas, JSON.
    pub stdout: &'a mut dyn Write,
    /// Diagnostics and progress.
    pub stderr: &'a mut dyn Write,
    /// Whether diagnostics may use ANSI colour (a terminal, and `NO_COLOR` unset).
    pub color: bool,
}

/// Exit code: the command did what it was asked.
pub const EXIT_OK: i32 = 0;
/// Exit code: the input is wrong or missing.
pub const EXIT_INPUT: i32 = 1;
/// Exit code: the command was used wrongly.
pub const EXIT_USAGE: i32 = 2;

/// dpc — data pipeline constructs: compiles pipeline.yaml files into CloudFormation.
#[derive(Debug, Parser)]
#[command(
    name = "dpc",
    version,
    about = "dpc (data pipeline constructs): compiles pipeline.yaml files into CloudFormation",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check platform.yaml and every pipeline.yaml under PATH.
    Validate {
        /// An organisation folder (with platform.yaml) or one project folder.
        path: Option<PathBuf>,
        /// Fail on warnings too.
        #[arg(long)]
        strict: bool,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
    },
    /// Write the cloud assembly (templates, manifest, assets, lineage.json).
    ///
    /// The output folder is locked while dpc writes it: another dpc synth into it waits
    /// up to DPC_LOCK_TIMEOUT seconds (default 30), then fails naming the writer's pid.
    Synth {
        /// An organisation folder (with platform.yaml) or one project folder.
        path: Option<PathBuf>,
        /// The output folder.
        #[arg(short, long, default_value = "cdk.out")]
        output: PathBuf,
        /// How to print diagnostics.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Also build the Lambda bundle (the Rust runtime every dpc Lambda runs) into
        /// the assembly, so it can be deployed.
        #[arg(long)]
        bundle: bool,
        /// Build every stack, even those whose inputs did not change since the last
        /// synth into the output folder (which are otherwise reused from it).
        #[arg(long)]
        no_cache: bool,
    },
    /// Print a JSON Schema (draft-07) of dpc's files.
    Schema {
        /// Which file's schema.
        #[arg(value_enum, default_value_t = SchemaArg::Pipeline)]
        kind: SchemaArg,
    },
    /// Show the dependency graph across accounts.
    Graph {
        /// An organisation folder (with platform.yaml) or one project folder.
        path: Option<PathBuf>,
        /// The graph's notation.
        #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
        format: GraphFormat,
        /// Only NAME@ACCOUNT and everything that depends on it (blast radius).
        #[arg(long, value_name = "NAME@ACCOUNT", conflicts_with = "upstream")]
        downstream: Option<String>,
        /// Only NAME@ACCOUNT and everything it depends on (provenance).
        #[arg(long, value_name = "NAME@ACCOUNT")]
        upstream: Option<String>,
    },
    /// Replay timed status events through the central trigger logic.
    Simulate {
        /// An organisation folder (with platform.yaml) or one project folder.
        path: PathBuf,
        /// The scenario file (`events: [...]`).
        scenario: PathBuf,
        /// One JSON object per trigger event instead of the readable timeline.
        #[arg(long)]
        json: bool,
    },
    /// Create a new pipeline project folder.
    CreateProject {
        /// The pipeline's name, also the folder's.
        #[arg(short, long)]
        name: String,
        /// The account alias from platform.yaml the pipeline runs in.
        #[arg(long)]
        account: Option<String>,
    },
    /// Synthesize one account's setup stack (and the central stack).
    SetupAccount(commands::setup_account::SetupAccountArgs),
    /// Compare two assemblies, or PATH with an earlier git version of itself.
    Diff(commands::diff::DiffArgs),
    /// Deploy through the AWS CDK CLI: central, account setups, then pipelines.
    Deploy(commands::deploy::DeployArgs),
    /// Delete through the AWS CDK CLI, in the reverse of deployment order.
    Destroy(commands::destroy::DestroyArgs),
}

/// How diagnostics are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum Format {
    /// For people, like rustc.
    Text,
    /// A JSON array, for CI.
    Json,
}

/// Which schema `dpc schema` prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum SchemaArg {
    /// pipeline.yaml
    Pipeline,
    /// platform.yaml
    Platform,
    /// a `dpc simulate` scenario
    Scenario,
}

/// The notations `dpc graph` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// A Mermaid flowchart (renders on GitHub).
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// lineage.json's format.
    Json,
}

/// Runs `dpc` with `args` (the first is the program name) and returns the exit code.
pub fn run<I, T>(args: I, io: &mut Io<'_>) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            let text = if io.color {
                err.render().ansi().to_string()
            } else {
                err.render().to_string()
            };
            return if err.use_stderr() {
                let _ = write!(io.stderr, "{text}");
                EXIT_USAGE
            } else {
                let _ = write!(io.stdout, "{text}");
                EXIT_OK
            };
        }
    };
    match cli.command {
        Command::Validate {
            path,
            strict,
            format,
        } => commands::validate::run(&default_path(path), strict, format == Format::Json, io),
        Command::Synth {
            path,
            output,
            format,
            bundle,
            no_cache,
        } => commands::synth::run(
            &default_path(path),
            &output,
            commands::synth::How {
                json: format == Format::Json,
                bundle,
                cache: !no_cache,
            },
            io,
        ),
        Command::Schema { kind } => commands::schema::run(
            match kind {
                SchemaArg::Pipeline => dpc_schema::SchemaKind::Pipeline,
                SchemaArg::Platform => dpc_schema::SchemaKind::Platform,
                SchemaArg::Scenario => dpc_schema::SchemaKind::Scenario,
            },
            io,
        ),
        Command::Graph {
            path,
            format,
            downstream,
            upstream,
        } => commands::graph::run(
            &default_path(path),
            match format {
                GraphFormat::Mermaid => commands::graph::Notation::Mermaid,
                GraphFormat::Dot => commands::graph::Notation::Dot,
                GraphFormat::Json => commands::graph::Notation::Json,
            },
            downstream.as_deref(),
            upstream.as_deref(),
            io,
        ),
        Command::Simulate {
            path,
            scenario,
            json,
        } => commands::simulate::run(&path, &scenario, json, io),
        Command::CreateProject { name, account } => {
            commands::create_project::run(&name, account.as_deref(), io)
        }
        Command::SetupAccount(args) => commands::setup_account::run(args, io),
        Command::Diff(args) => commands::diff::run(args, io),
        Command::Deploy(args) => commands::deploy::run(args, io),
        Command::Destroy(args) => commands::destroy::run(args, io),
    }
}

/// PATH when none is given: `.`, or `DPC_DEFAULT_PATH`, which the repository's
/// `.cargo/config.toml` sets to the bundled example so `cargo run synth` works.
fn default_path(path: Option<PathBuf>) -> PathBuf {
    path.or_else(|| std::env::var_os("DPC_DEFAULT_PATH").map(PathBuf::from))
        .unwrap_or_else(|| PathBuf::from("."))
}
