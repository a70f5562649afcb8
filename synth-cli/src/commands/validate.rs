//! `dpc validate [PATH] [--strict] [--format text|json]`.

use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use std::path::Path;

/// Loads and checks everything under `path`; exit 1 on errors (or on warnings with
/// `strict`).
pub fn run(path: &Path, strict: bool, json: bool, io: &mut Io<'_>) -> i32 {
    let what = format!("validate `{}`", path.display());
    match dpc_schema::load_organisation(path) {
        Err(errors) => {
            print_diagnostics(io, &errors, json, &what);
            EXIT_INPUT
        }
        Ok((org, warnings)) => {
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
