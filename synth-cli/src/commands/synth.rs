//! `dpc synth [PATH] [-o DIR]`: the cloud assembly.

use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use std::path::Path;

/// Loads and checks everything under `path`, synthesizes every stack in memory, and
/// only then writes the assembly to `output` (changed files only, manifest last).
/// On any error nothing is written. With `bundle`, the Lambda bundle is built (or
/// reused) first and staged into the assembly.
pub fn run(path: &Path, output: &Path, json: bool, bundle: bool, io: &mut Io<'_>) -> i32 {
    let what = format!("synthesize `{}`", path.display());
    let (org, warnings) = match dpc_schema::load_organisation_with_options(
        path,
        &dpc_schema::LoadOptions {
            exclude: vec![output.to_path_buf()],
            ..dpc_schema::LoadOptions::default()
        },
    ) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_diagnostics(io, &errors, json, &what);
            return EXIT_INPUT;
        }
    };
    let runtime = match crate::bundle::runtime_asset(bundle, io) {
        Ok(runtime) => runtime,
        Err(error) => {
            print_diagnostics(io, &[error], json, &what);
            return EXIT_INPUT;
        }
    };
    let options = dpc_constructs::app::SynthOptions {
        runtime,
        ..dpc_constructs::app::SynthOptions::default()
    };
    let assembly = match dpc_constructs::app::synthesize(&org, options) {
        Ok(assembly) => assembly,
        Err(errors) => {
            let mut all = warnings;
            all.extend(errors);
            print_diagnostics(io, &all, json, &what);
            return EXIT_INPUT;
        }
    };
    let mut all_warnings = warnings;
    all_warnings.extend(assembly.warnings().iter().cloned());
    let report = match assembly.write(output) {
        Ok(report) => report,
        Err(error) => {
            all_warnings.push(error);
            print_diagnostics(io, &all_warnings, json, &what);
            return EXIT_INPUT;
        }
    };
    print_diagnostics(io, &all_warnings, json, &what);
    if !json {
        let stacks = assembly.stacks();
        let _ = writeln!(
            io.stderr,
            "synthesized {} stack{} into {} ({} written, {} unchanged, {} removed)",
            stacks.len(),
            if stacks.len() == 1 { "" } else { "s" },
            output.display(),
            report.written.len(),
            report.unchanged.len(),
            report.removed.len(),
        );
        for stack in stacks {
            let _ = writeln!(io.stdout, "{}", stack.artifact_id);
        }
    }
    EXIT_OK
}
