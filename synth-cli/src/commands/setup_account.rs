//! `dpc setup-account ALIAS [PATH] [--with-central] [-o DIR]`: the assembly of one
//! account's setup stack (and the central stack), to onboard a team's account without
//! touching any pipeline: `dpc setup-account search --with-central && dpc deploy cdk.out`.

use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use dpc_constructs::app::SynthOptions;
use dpc_constructs::{account, central};
use dpc_core::{App, Assembly, Diagnostic};
use dpc_schema::Organisation;
use std::path::PathBuf;

/// Diagnostic code: ALIAS names no account of platform.yaml.
pub const UNKNOWN_ACCOUNT: &str = "DM0567";

/// `dpc setup-account`'s arguments.
#[derive(Debug, clap::Args)]
pub struct SetupAccountArgs {
    /// The account's alias in platform.yaml (or its 12-digit id).
    pub alias: String,
    /// The organisation folder (with platform.yaml) [default: .]
    pub path: Option<PathBuf>,
    /// Also synthesize the central stack (it deploys first).
    #[arg(long)]
    pub with_central: bool,
    /// The output folder.
    #[arg(short, long, default_value = "cdk.out")]
    pub output: PathBuf,
}

/// Runs `dpc setup-account`.
pub fn run(args: SetupAccountArgs, io: &mut Io<'_>) -> i32 {
    let path = crate::default_path(args.path.clone());
    let what = format!("set up account `{}`", args.alias);
    let options = dpc_schema::LoadOptions {
        exclude: vec![args.output.clone()],
        ..dpc_schema::LoadOptions::default()
    };
    let (org, mut warnings) = match dpc_schema::load_organisation_with_options(&path, &options) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_diagnostics(io, &errors, false, &what);
            return EXIT_INPUT;
        }
    };
    let assembly = match synthesize(&org, &args.alias, args.with_central) {
        Ok(assembly) => assembly,
        Err(errors) => {
            warnings.extend(errors);
            print_diagnostics(io, &warnings, false, &what);
            return EXIT_INPUT;
        }
    };
    warnings.extend(assembly.warnings().iter().cloned());
    let written = crate::commands::synth::lock_output(&args.output, io)
        .and_then(|mut lock| assembly.write_locked(&mut lock));
    if let Err(error) = written {
        warnings.push(error);
        print_diagnostics(io, &warnings, false, &what);
        return EXIT_INPUT;
    }
    print_diagnostics(io, &warnings, false, &what);
    let stacks = assembly.stacks();
    let _ = writeln!(
        io.stderr,
        "synthesized {} stack{} into {}",
        stacks.len(),
        if stacks.len() == 1 { "" } else { "s" },
        args.output.display()
    );
    for stack in stacks {
        let _ = writeln!(io.stdout, "{}", stack.artifact_id);
    }
    EXIT_OK
}

/// The setup stack of the account `alias` (alias or id) names, after the central stack
/// when `with_central`, synthesized in memory.
///
/// # Errors
/// An unknown account (with the closest alias), or every problem synthesis found.
pub fn synthesize(
    org: &Organisation,
    alias: &str,
    with_central: bool,
) -> Result<Assembly, Vec<Diagnostic>> {
    let platform = &org.platform;
    let Some(target) = platform
        .accounts
        .iter()
        .find(|a| a.alias == alias || a.id == alias)
    else {
        let aliases: Vec<&str> = platform.accounts.iter().map(|a| a.alias.as_str()).collect();
        let mut d = Diagnostic::error(
            UNKNOWN_ACCOUNT,
            format!("platform.yaml has no account `{alias}`"),
        )
        .with_note(format!("its accounts: {}", aliases.join(", ")));
        if let Some(close) = dpc_schema::suggest::closest(alias, aliases.iter().copied()) {
            d = d.with_help(format!("did you mean `{close}`?"));
        }
        return Err(vec![d]);
    };
    let runtime = SynthOptions::default().runtime;
    let mut app = App::with_qualifier(&platform.cdk_qualifier).map_err(|d| vec![d])?;
    let central_stack = if with_central {
        Some(central::build(&mut app, org, &runtime).map_err(|d| vec![d])?)
    } else {
        None
    };
    let setup = account::build(&mut app, org, target, &runtime).map_err(|d| vec![d])?;
    if let Some(central_stack) = central_stack {
        app.add_dependency(setup.stack, central_stack.stack)
            .map_err(|d| vec![d])?;
    }
    app.synth()
}
