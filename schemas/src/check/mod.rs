//! The rules no schema can say, and the resolution of the checked files into
//! [`crate::resolved`] types.

pub(crate) mod cron;
pub(crate) mod graph;
pub(crate) mod pipeline;
pub(crate) mod platform;

use crate::source::{SourceFile, Target};
use dpc_core::Diagnostic;
use dpc_model::Duration;

/// The problems found in one file, each placed by a JSON pointer into it.
pub(crate) struct FileCheck<'a> {
    pub file: &'a SourceFile,
    pub diagnostics: Vec<Diagnostic>,
    /// Places the schema already reported; problems found inside them are not reported
    /// again (they would follow from the first).
    poisoned: &'a [String],
    /// Whether a problem was found in a poisoned place (and not reported).
    suppressed: bool,
}

impl<'a> FileCheck<'a> {
    pub fn new(file: &'a SourceFile, poisoned: &'a [String]) -> Self {
        FileCheck {
            file,
            diagnostics: Vec::new(),
            poisoned,
            suppressed: false,
        }
    }

    fn is_poisoned(&self, pointer: &str) -> bool {
        self.poisoned.iter().any(|p| {
            pointer == p || (pointer.starts_with(p.as_str()) && pointer[p.len()..].starts_with('/'))
        })
    }

    /// Records `diagnostic` at the node `pointer` names.
    pub fn push(&mut self, diagnostic: Diagnostic, pointer: &str, target: Target) {
        let at = self.file.locate(pointer, target);
        self.push_located(diagnostic.at(at), pointer);
    }

    /// Records `diagnostic`, that key `key` of the map at `pointer` is missing, at that
    /// map; not when the key was written but its value was already reported (and taken
    /// out), or a misspelling of it was reported as an unknown key: one mistake, one
    /// message.
    pub fn push_missing(&mut self, diagnostic: Diagnostic, pointer: &str, key: &str) {
        if self.is_poisoned(&at(pointer, key)) {
            self.suppressed |= diagnostic.is_error();
            return;
        }
        self.push(diagnostic, pointer, Target::Value);
    }

    /// Records `diagnostic` at a part of the text at `pointer`.
    pub fn push_within(
        &mut self,
        diagnostic: Diagnostic,
        pointer: &str,
        offset: usize,
        len: usize,
    ) {
        let at = self.file.locate_within(pointer, offset, len);
        self.push_located(diagnostic.at(at), pointer);
    }

    /// Records an already placed diagnostic found at `pointer`.
    pub fn push_located(&mut self, diagnostic: Diagnostic, pointer: &str) {
        if self.is_poisoned(pointer) {
            self.suppressed |= diagnostic.is_error();
            return;
        }
        self.diagnostics.push(diagnostic);
    }

    /// Whether an error was found (reported or not).
    pub fn has_errors(&self) -> bool {
        self.suppressed || self.diagnostics.iter().any(Diagnostic::is_error)
    }

    /// Parses a duration written at `pointer`, at most `max`; records a problem and
    /// returns `None` when it is not one.
    pub fn duration(
        &mut self,
        text: &str,
        pointer: &str,
        what: &str,
        max: Duration,
    ) -> Option<Duration> {
        match Duration::parse(text) {
            Ok(d) if d > max => {
                self.push(
                    Diagnostic::error(
                        crate::codes::DURATION_TOO_LONG,
                        format!("{what} `{text}` is longer than the {max} AWS allows"),
                    )
                    .with_label(format!("at most {max}")),
                    pointer,
                    Target::Value,
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                let label = match e {
                    dpc_model::DurationError::Zero => "must be greater than zero",
                    dpc_model::DurationError::Overflow => "far too long",
                    dpc_model::DurationError::Syntax(_) => "not a duration",
                };
                self.push(
                    Diagnostic::error(crate::codes::BAD_DURATION, format!("{what}: {e}"))
                        .with_label(label)
                        .with_help("write a number and a unit (d, h, m, s), largest unit first, e.g. `30m`, `6h`, `1h30m`"),
                    pointer,
                    Target::Value,
                );
                None
            }
        }
    }
}

/// `/a/b` + `c` → `/a/b/c`.
pub(crate) fn at(pointer: &str, key: impl std::fmt::Display) -> String {
    let key = key.to_string().replace('~', "~0").replace('/', "~1");
    format!("{pointer}/{key}")
}
