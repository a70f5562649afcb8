//! `dpc validate [PATH] [--strict] [--format text|json]`.

use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use dpc_constructs::app::SynthOptions;
use std::path::Path;

/// Loads and checks everything under `path`, then synthesizes every stack in memory
/// (nothing is written), so that whatever `dpc synth` would reject — a state machine
/// definition over Step Functions' limit, a template over CloudFormation's — `validate`
/// rejects too, placed in the pipeline.yaml it comes from. Exit 1 on errors (or on
/// warnings with `strict`).
pub fn run(path: &Path, strict: bool, json: bool, io: &mut Io<'_>) -> i32 {
    let what = format!("validate `{}`", path.display());
    match dpc_schema::load_organisation(path) {
        Err(errors) => {
            print_diagnostics(io, &errors, json, &what);
            EXIT_INPUT
        }
        Ok((org, mut warnings)) => {
            match dpc_constructs::app::synthesize(&org, SynthOptions::default()) {
                Ok(assembly) => warnings.extend(assembly.warnings().iter().cloned()),
                Err(errors) => {
                    warnings.extend(errors);
                    print_diagnostics(io, &warnings, json, &what);
                    return EXIT_INPUT;
                }
            }
            print_diagnostics(io, &warnings, json, &what);
            if !json {
                let _ = writeln!(
                    io.stderr,
                    "checked {} pipeline{} in {} account{}",
                    org.pipelines.len(),
                    if org.pipelines.len() == 1 { "" } else { "s" },
                    org.platform.accounts.len(),
                    if org.platform.accounts.len() == 1 {
                        ""
                    } else {
                        "s"
                    },
                );
            }
            if strict && !warnings.is_empty() {
                EXIT_INPUT
            } else {
                EXIT_OK
            }
        }
    }
}
