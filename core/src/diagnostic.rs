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

// ---------------------------------------------------------------- rendering

use std::collections::BTreeMap;

/// The text of the files diagnostics point into, by the file name their locations use,
/// so a renderer can show the offending line.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Sources {
    files: BTreeMap<String, String>,
}

impl Sources {
    /// No files.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) the text of `file`.
    pub fn insert(&mut self, file: impl Into<String>, text: impl Into<String>) {
        self.files.insert(file.into(), text.into());
    }

    /// The text of `file`, when known.
    pub fn get(&self, file: &str) -> Option<&str> {
        self.files.get(file).map(String::as_str)
    }

    /// Reads every file the diagnostics name from disk (their names are paths as the user
    /// gave them, relative to the working directory). A file that cannot be read is left
    /// out; its diagnostics are then shown without the source line. Bytes that are not
    /// UTF-8 are shown as `�`.
    pub fn read_for(diagnostics: &[Diagnostic]) -> Self {
        let mut sources = Sources::new();
        for file in diagnostics
            .iter()
            .filter_map(|d| d.location.as_ref())
            .map(|l| &l.file)
        {
            if sources.files.contains_key(file) {
                continue;
            }
            if let Ok(bytes) = std::fs::read(file) {
                sources.insert(file.clone(), String::from_utf8_lossy(&bytes).into_owned());
            }
        }
        sources
    }
}

struct Style {
    on: bool,
}

impl Style {
    fn paint(&self, code: &str, text: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_string()
        }
    }
}

const BOLD: &str = "1";
const RED: &str = "1;31";
const YELLOW: &str = "1;33";
const BLUE: &str = "1;34";
const CYAN: &str = "1;36";

/// Renders diagnostics the way rustc does: the header, `--> file:line:col`, the source
/// line with a caret under the offending text and its label, then `= note:` and
/// `= help:` lines; a blank line after each. ANSI colour only when `color` is true (the
/// caller decides: a terminal, and `NO_COLOR` unset).
pub fn render_text(diagnostics: &[Diagnostic], sources: &Sources, color: bool) -> String {
    let style = Style { on: color };
    let mut out = String::new();
    for d in diagnostics {
        render_one(d, sources, &style, &mut out);
        out.push('\n');
    }
    out
}

/// [`render_text`] followed by one summary line: `error: could not {action} (2 errors,
/// 1 warning)`, or `warning: 1 warning` when there is no error; nothing more when the
/// list is empty.
pub fn render_report(
    diagnostics: &[Diagnostic],
    sources: &Sources,
    color: bool,
    action: &str,
) -> String {
    let mut out = render_text(diagnostics, sources, color);
    out.push_str(&summary_line(diagnostics, action, color));
    out
}

/// The summary line (ending in a newline) for [`render_report`]; empty when there is
/// nothing to report.
pub fn summary_line(diagnostics: &[Diagnostic], action: &str, color: bool) -> String {
    let style = Style { on: color };
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    let count = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    if errors > 0 {
        let mut counts = count(errors, "error");
        if warnings > 0 {
            counts.push_str(&format!(", {}", count(warnings, "warning")));
        }
        format!(
            "{}{}\n",
            style.paint(RED, "error"),
            style.paint(BOLD, &format!(": could not {action} ({counts})"))
        )
    } else if warnings > 0 {
        format!(
            "{}{}\n",
            style.paint(YELLOW, "warning"),
            style.paint(BOLD, &format!(": {}", count(warnings, "warning")))
        )
    } else {
        String::new()
    }
}

/// Diagnostics as one pretty-printed JSON array (`--format json`).
pub fn render_json(diagnostics: &[Diagnostic]) -> String {
    // Serializing plain data with string keys cannot fail.
    serde_json::to_string_pretty(diagnostics).unwrap_or_else(|_| "[]".to_string())
}

fn render_one(d: &Diagnostic, sources: &Sources, style: &Style, out: &mut String) {
    let (kind, colour) = match d.severity {
        Severity::Error => ("error", RED),
        Severity::Warning => ("warning", YELLOW),
    };
    out.push_str(&style.paint(colour, &format!("{kind}[{}]", d.code)));
    out.push_str(&style.paint(BOLD, &format!(": {}", d.message)));
    out.push('\n');

    let line_text = d.location.as_ref().and_then(|l| {
        sources
            .get(&l.file)
            .and_then(|text| text.split('\n').nth(l.line.saturating_sub(1)))
            .map(|line| line.trim_end_matches('\r').replace('\t', " "))
    });
    let width = d.location.as_ref().map_or(1, |l| l.line.to_string().len());
    let pad = " ".repeat(width);
    let gutter = |s: &str| style.paint(BLUE, s);
    let mut label_shown = false;
    match (&d.location, &d.construct_path) {
        (Some(l), _) => {
            out.push_str(&format!(
                "{pad}{} {}:{}:{}\n",
                gutter("-->"),
                l.file,
                l.line,
                l.column
            ));
            if let Some(text) = &line_text {
                let (text, column) = window(text, l.column);
                let chars = text.chars().count();
                let start = column.saturating_sub(1).min(chars);
                let length = l.length.max(1).min(chars.saturating_sub(start).max(1));
                out.push_str(&format!("{pad} {}\n", gutter("|")));
                out.push_str(&format!(
                    "{} {} {text}\n",
                    gutter(&l.line.to_string()),
                    gutter("|")
                ));
                let mut marker = format!(
                    "{}{}",
                    " ".repeat(start),
                    style.paint(colour, &"^".repeat(length))
                );
                if let Some(label) = &d.label {
                    marker.push(' ');
                    marker.push_str(&style.paint(colour, label));
                    label_shown = true;
                }
                out.push_str(&format!("{pad} {} {marker}\n", gutter("|")));
            }
        }
        (None, Some(path)) => {
            out.push_str(&format!("{pad}{} construct `{path}`\n", gutter("-->")));
        }
        (None, None) => {}
    }
    let mut extra: Vec<(&str, &str)> = Vec::new();
    if !label_shown && let Some(label) = &d.label {
        extra.push(("note", label));
    }
    extra.extend(d.notes.iter().map(|n| ("note", n.as_str())));
    if let Some(help) = &d.help {
        extra.push(("help", help));
    }
    if !extra.is_empty() {
        if line_text.is_some() {
            out.push_str(&format!("{pad} {}\n", gutter("|")));
        }
        for (what, text) in extra {
            out.push_str(&format!(
                "{pad} {} {}: {text}\n",
                gutter("="),
                style.paint(if what == "help" { CYAN } else { BOLD }, what)
            ));
        }
    }
}

/// The longest source line shown whole; longer ones are cut around the column.
const MAX_LINE: usize = 120;

/// A long line cut to a window around `column` (1-based), with `...` where text was
/// left out; returns the text and the column within it.
fn window(line: &str, column: usize) -> (String, usize) {
    let chars: Vec<char> = line.chars().collect();
    if chars.len() <= MAX_LINE {
        return (line.to_string(), column);
    }
    let half = MAX_LINE / 2;
    let start = column
        .saturating_sub(1)
        .saturating_sub(half)
        .min(chars.len().saturating_sub(MAX_LINE));
    let end = (start + MAX_LINE).min(chars.len());
    let mut text = String::new();
    let mut shift = start;
    if start > 0 {
        text.push_str("...");
        shift = start.saturating_sub(3);
    }
    text.extend(&chars[start..end]);
    if end < chars.len() {
        text.push_str("...");
    }
    (text, column - shift)
}

#[cfg(test)]
mod render_tests {
    use super::*;

    fn sample() -> (Vec<Diagnostic>, Sources) {
        let mut sources = Sources::new();
        sources.insert("p/pipeline.yaml", "name: x\ntrigers:\n  hour: 3\n");
        let d = Diagnostic::error("DM0103", "unknown key `trigers`")
            .at(Location {
                file: "p/pipeline.yaml".into(),
                line: 2,
                column: 1,
                length: 7,
            })
            .with_label("did you mean `trigger`?")
            .with_help("did you mean `trigger`?");
        let w = Diagnostic::warning("DM0230", "upstream pipeline `a@b` is not in this project");
        (vec![d, w], sources)
    }

    #[test]
    fn renders_like_rustc_without_colour() {
        let (diagnostics, sources) = sample();
        let text = render_report(&diagnostics, &sources, false, "load the organisation");
        assert_eq!(
            text,
            "error[DM0103]: unknown key `trigers`\n --> p/pipeline.yaml:2:1\n  |\n2 | trigers:\n  | ^^^^^^^ did you mean `trigger`?\n  |\n  = help: did you mean `trigger`?\n\n\
             warning[DM0230]: upstream pipeline `a@b` is not in this project\n\n\
             error: could not load the organisation (1 error, 1 warning)\n"
        );
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (text, column) = window(&line, 501);
        assert!(text.starts_with("...") && text.ends_with("..."));
        assert_eq!(text.chars().nth(column - 1), Some('X'));
        assert_eq!(window("short", 3), ("short".to_string(), 3));
    }

    #[test]
    fn colour_only_when_asked_and_json_is_an_array() {
        let (diagnostics, sources) = sample();
        assert!(!render_text(&diagnostics, &sources, false).contains('\x1b'));
        assert!(render_text(&diagnostics, &sources, true).contains("\x1b[1;31m"));
        let json: serde_json::Value = serde_json::from_str(&render_json(&diagnostics)).unwrap();
        assert_eq!(json[0]["code"], "DM0103");
        assert_eq!(json[0]["location"]["line"], 2);
        assert_eq!(json[1]["severity"], "warning");
    }
}
