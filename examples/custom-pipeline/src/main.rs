//! `custom-pipeline [ORG] [-o DIR] [--allow-instance-type TYPE]... [--yaml]`: this
//! organisation's dpc. It loads ORG (default: the case study) with the Hive step type
//! and the pipeline written in Rust, builds every stack, adds its own resource and
//! override, checks the policies, and writes the cloud assembly to DIR — the path
//! `dpc synth` takes. Exit codes as `dpc`'s: 0 done, 1 the input is wrong, 2 usage.

use clap::Parser;
use custom_pipeline::policy::AllowedInstanceTypes;
use dpc_constructs::prelude::*;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Synthesizes the organisation with this organisation's additions to dpc.
#[derive(Parser, Debug)]
#[command(name = "custom-pipeline", version)]
struct Args {
    /// The organisation folder (platform.yaml and pipeline projects) [default: the case
    /// study, examples/case-study].
    org: Option<PathBuf>,
    /// Where to write the cloud assembly.
    #[arg(short, long, value_name = "DIR", default_value = "cdk.out")]
    output: PathBuf,
    /// An instance type the organisation allows; repeat for more [default: m5.xlarge,
    /// m5.2xlarge, r5.xlarge, r5.2xlarge].
    #[arg(long = "allow-instance-type", value_name = "TYPE")]
    allow: Vec<String>,
    /// Print the pipelines built in code as pipeline.yaml files, and write nothing.
    #[arg(long)]
    yaml: bool,
}

/// The case study, as a path relative to the working directory when it can be.
fn case_study() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../case-study");
    match (dir.canonicalize(), std::env::current_dir()) {
        (Ok(full), Ok(here)) => full
            .strip_prefix(&here)
            .map(Path::to_path_buf)
            .unwrap_or(full),
        _ => dir,
    }
}

/// What this organisation adds to the generated stacks: an SSM parameter telling
/// consumers where the daily report lands, and a longer log retention for its runs.
fn customise(built: &mut BuiltApp) -> Result<(), Diagnostic> {
    let mut stack = built.pipeline_scope("rent-journey", "daily-report")?;
    stack.add_resource(
        "ReportLocation",
        RawResource::new(
            "AWS::SSM::Parameter",
            json!({
                "Name": "/reports/metric-x/location",
                "Type": "String",
                "Value": "s3://lake/reports/metric-x/",
                "Description": "Where the daily report of metric X lands, one folder per date (dt=YYYY-MM-DD)"
            }),
        ),
    )?;
    built.override_property(
        "dpc-pipeline-rent-journey-daily-report/Logs/Resource",
        "RetentionInDays",
        json!(90),
    )
}

fn main() -> ExitCode {
    let args = Args::parse();
    let allowed: Vec<String> = if args.allow.is_empty() {
        AllowedInstanceTypes::DEFAULT.map(String::from).to_vec()
    } else {
        args.allow.clone()
    };
    let dpc = custom_pipeline::dpc(allowed).exclude(&args.output);
    if args.yaml {
        for pipeline in dpc.pipelines() {
            println!("---");
            print!("{}", pipeline.to_yaml());
        }
        return ExitCode::SUCCESS;
    }
    let org_dir = args.org.clone().unwrap_or_else(case_study);
    let color = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let action = format!("synthesize `{}`", org_dir.display());
    let report = |diagnostics: &[Diagnostic]| {
        eprint!("{}", dpc.render(diagnostics, &action, color));
    };

    let (org, mut warnings) = match dpc.load(&org_dir) {
        Ok(loaded) => loaded,
        Err(errors) => {
            report(&errors);
            return ExitCode::from(1);
        }
    };
    let assembly = dpc.build(&org).and_then(|mut built| {
        customise(&mut built).map_err(|d| vec![d])?;
        built.synth()
    });
    let assembly = match assembly {
        Ok(assembly) => assembly,
        Err(errors) => {
            warnings.extend(errors);
            report(&warnings);
            return ExitCode::from(1);
        }
    };
    warnings.extend(assembly.warnings().iter().cloned());
    let written = match assembly.write(&args.output) {
        Ok(written) => written,
        Err(error) => {
            warnings.push(error);
            report(&warnings);
            return ExitCode::from(1);
        }
    };
    if !warnings.is_empty() {
        report(&warnings);
    }
    let stacks = assembly.stacks();
    eprintln!(
        "synthesized {} stacks into {} ({} written, {} unchanged, {} removed)",
        stacks.len(),
        args.output.display(),
        written.written.len(),
        written.unchanged.len(),
        written.removed.len(),
    );
    for stack in stacks {
        println!("{}", stack.artifact_id);
    }
    ExitCode::SUCCESS
}
