//! Errors are data: every problem dpc finds, in a user's file or in a construct tree,
//! is a [`Diagnostic`] with a stable code, a message, where it is, and a hint.
//! Validation collects them all; the CLI renders them once (text or JSON).

use serde::Serialize;
use std::fmt;

/// How bad a diagnostic is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Synthesis cannot go on; the command exits 1.
    Error,
    /// Worth fixing; fails the command only with `--strict`.
    Warning,
}

/// A place in a user's file: 1-based line and column, and the length of the
/// offending text in characters (at least 1) so a renderer can underline it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Location {
    /// The file as the user named it (relative to where dpc was run when possible).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// How many characters to underline, at least 1.
    pub length: usize,
}

/// One problem found by dpc.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Error or warning.
    pub severity: Severity,
    /// A stable code: `DM01xx` YAML and types, `DM02xx` model semantics, `DM03xx`
    /// construct validation, `DM04xx` synthesis and lint, `DM05xx` CLI and I/O.
    pub code: String,
    /// What is wrong, one line, lowercase start, identifiers in backticks.
    pub message: String,
    /// Where in a user's file, when the problem comes from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// A short label under the caret (what was expected there).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// The construct path (`dpc-central/Bus/Resource`), when the problem comes from the tree.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub construct_path: Option<String>,
    /// Extra facts (`= note:` lines).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// How to fix it (`= help:` line), e.g. "did you mean `trigger`?".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic with `severity`, `code` and `message` and nothing else.
    pub fn new(severity: Severity, code: impl Into<String>, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code: code.into(),
            message: message.into(),
            location: None,
            label: None,
            construct_path: None,
            notes: Vec::new(),
            help: None,
        }
    }

    /// A new error.
    pub fn error(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    /// A new warning.
    pub fn warning(code: impl Into<String>, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    /// Sets where in a user's file the problem is.
    pub fn at(mut self, location: Location) -> Self {
        self.location = Some(location);
        self
    }

    /// Sets the label shown under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    /// Sets the construct path the problem belongs to.
    pub fn in_construct(mut self, path: impl Into<String>) -> Self {
        self.construct_path = Some(path.into());
        self
    }

    /// Adds a `note:` line.
    pub fn with_note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    /// Sets the `help:` line.
    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this diagnostic is an error.
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    /// One line, for logs and test failures: `error[DM0103]: message (file:line:col)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kind = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{kind}[{}]: {}", self.code, self.message)?;
        if let Some(loc) = &self.location {
            write!(f, " ({}:{}:{})", loc.file, loc.line, loc.column)?;
        } else if let Some(path) = &self.construct_path {
            write!(f, " (construct `{path}`)")?;
        }
        Ok(())
    }
}
