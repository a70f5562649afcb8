//! Printing diagnostics the one way every command does: rustc-like text for people
//! (colour only when [`Io::color`] says so), or one JSON array for CI.

use crate::Io;
use dpc_core::Diagnostic;
use dpc_core::diagnostic::{Sources, render_report};

/// Prints `diagnostics` to stderr as text, with the source lines they point at and a
/// summary line (`error: could not {action} (2 errors)`), or with `json` to stdout as
/// one JSON array (printed even when empty, so CI can always parse it).
pub fn print_diagnostics(io: &mut Io<'_>, diagnostics: &[Diagnostic], json: bool, action: &str) {
    if json {
        let text = dpc_core::diagnostic::render_json(diagnostics);
        let _ = writeln!(io.stdout, "{}", text.trim_end());
        return;
    }
    if diagnostics.is_empty() {
        return;
    }
    // The locations carry the lines dpc read: the printer reads no file.
    let sources = Sources::new();
    let _ = write!(
        io.stderr,
        "{}",
        render_report(diagnostics, &sources, io.color, action)
    );
}
