//! `dpc synth [PATH] [-o DIR]`: the cloud assembly.

use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use std::path::Path;

/// How `dpc synth` runs.
#[derive(Clone, Copy, Debug)]
pub struct How {
    /// Diagnostics as JSON.
    pub json: bool,
    /// Build (or reuse) the Lambda bundle and stage it into the assembly.
    pub bundle: bool,
    /// Reuse stacks whose inputs did not change since the last synth into `output`.
    pub cache: bool,
}

/// Loads and checks everything under `path`, synthesizes every stack in memory, and
/// only then writes the assembly to `output` (changed files only, manifest last).
/// On any error nothing is written. With `bundle`, the Lambda bundle is built (or
/// reused) first and staged into the assembly. With `cache`, stacks whose inputs are
/// unchanged since the last synth into `output` are taken from it, not built again.
pub fn run(path: &Path, output: &Path, how: How, io: &mut Io<'_>) -> i32 {
    let How {
        json,
        bundle,
        cache,
    } = how;
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
    // The folder is this run's from before its cache is read until the last rename, so
    // no other dpc changes what the cache vouched for; a path that cannot be an output
    // folder (a file, a FIFO, a device) is refused here, at once.
    let mut lock = match lock_output(output, io) {
        Ok(lock) => lock,
        Err(error) => {
            let mut all = warnings;
            all.push(error);
            print_diagnostics(io, &all, json, &what);
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
        cache_dir: cache.then(|| output.to_path_buf()),
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
    let report = match assembly.write_locked(&mut lock) {
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
            "synthesized {} stack{}{} into {} ({} written, {} unchanged, {} removed)",
            stacks.len(),
            if stacks.len() == 1 { "" } else { "s" },
            match assembly.reused_stacks() {
                0 => String::new(),
                n => format!(" ({n} reused: inputs unchanged)"),
            },
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

/// How long a synth waits for another dpc writing the same output folder, in seconds:
/// `DPC_LOCK_TIMEOUT`, or 30.
fn lock_wait() -> std::time::Duration {
    let seconds = std::env::var("DPC_LOCK_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| s.is_finite() && *s >= 0.0)
        .unwrap_or(30.0);
    std::time::Duration::from_secs_f64(seconds.min(86_400.0))
}

/// Takes the output folder's lock, saying on stderr when another dpc holds it.
pub(crate) fn lock_output(
    output: &Path,
    io: &mut Io<'_>,
) -> Result<dpc_core::output::OutputLock, dpc_core::Diagnostic> {
    let wait = lock_wait();
    dpc_core::output::OutputLock::acquire(output, wait, |pid| {
        let _ = writeln!(
            io.stderr,
            "waiting for another dpc writing {} ({}), up to {} s",
            output.display(),
            pid.map_or("pid unknown".to_owned(), |p| format!("pid {p}")),
            wait.as_secs()
        );
    })
}
