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
    /// The text around the place, as dpc read it: the printer shows it and never reads
    /// the file again (it may have changed since, or be a 4 GiB file dpc refused).
    #[serde(skip)]
    pub source: Option<SourceLine>,
}

impl Location {
    /// A place with no source text (the printer then shows no line).
    pub fn new(file: impl Into<String>, line: usize, column: usize, length: usize) -> Self {
        Location {
            file: file.into(),
            line,
            column,
            length,
            source: None,
        }
    }

    /// The same place with its line's text taken from `index`.
    pub fn with_source(mut self, index: &LineIndex) -> Self {
        self.source = index.source_line(self.line, self.column);
        self
    }
}

/// Part of one source line: at most [`SourceLine::MAX_CHARS`] characters around a
/// column, so that a diagnostic never holds a whole megabyte-long line.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SourceLine {
    /// The characters kept.
    pub text: String,
    /// The 1-based column of the first character kept.
    pub first_column: usize,
    /// Whether characters after the last one kept were left out.
    pub cut_after: bool,
}

impl SourceLine {
    /// The most characters kept of one line.
    pub const MAX_CHARS: usize = 2 * MAX_LINE;
}

/// A file's text and where its lines start, to give locations their line's text.
#[derive(Clone, Debug, Default)]
pub struct LineIndex {
    text: std::sync::Arc<str>,
    starts: std::sync::Arc<[usize]>,
}

impl LineIndex {
    /// Indexes `text` (its lines end in `\n`; a `\r` before it is not shown).
    pub fn new(text: &str) -> Self {
        let starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        LineIndex {
            text: text.into(),
            starts: starts.into(),
        }
    }

    /// Line `line` (1-based), without its line ending.
    pub fn line(&self, line: usize) -> Option<&str> {
        let start = *self.starts.get(line.checked_sub(1)?)?;
        let end = self
            .starts
            .get(line)
            .map_or(self.text.len(), |next| next - 1);
        Some(self.text[start..end].trim_end_matches('\r'))
    }

    /// Up to [`SourceLine::MAX_CHARS`] characters of line `line` around `column`.
    pub fn source_line(&self, line: usize, column: usize) -> Option<SourceLine> {
        let text = self.line(line)?;
        let skip = column
            .saturating_sub(1)
            .saturating_sub(SourceLine::MAX_CHARS / 2);
        let mut chars = text.chars().skip(skip);
        let kept: String = chars.by_ref().take(SourceLine::MAX_CHARS).collect();
        Some(SourceLine {
            text: kept,
            first_column: skip + 1,
            cut_after: chars.next().is_some(),
        })
    }
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
    out.push_str(&style.paint(BOLD, &format!(": {}", clean(&d.message))));
    out.push('\n');

    let line_text = d.location.as_ref().and_then(|l| {
        let source = l.source.clone().or_else(|| {
            sources
                .get(&l.file)
                .and_then(|text| LineIndex::new(text).source_line(l.line, l.column))
        })?;
        Some(excerpt(&source, l.column, l.length))
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
                clean(&l.file),
                l.line,
                l.column
            ));
            if let Some(shown) = &line_text {
                out.push_str(&format!("{pad} {}\n", gutter("|")));
                out.push_str(&format!(
                    "{} {} {}\n",
                    gutter(&l.line.to_string()),
                    gutter("|"),
                    shown.text
                ));
                let mut marker = format!(
                    "{}{}",
                    " ".repeat(shown.caret_start),
                    style.paint(colour, &"^".repeat(shown.caret_width))
                );
                if let Some(label) = &d.label {
                    marker.push(' ');
                    marker.push_str(&style.paint(colour, &clean(label)));
                    label_shown = true;
                }
                out.push_str(&format!("{pad} {} {marker}\n", gutter("|")));
            }
        }
        (None, Some(path)) => {
            out.push_str(&format!(
                "{pad}{} construct `{}`\n",
                gutter("-->"),
                clean(path)
            ));
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
                "{pad} {} {}: {}\n",
                gutter("="),
                style.paint(if what == "help" { CYAN } else { BOLD }, what),
                clean(text)
            ));
        }
    }
}

/// The longest source line shown whole; longer ones are cut around the column.
const MAX_LINE: usize = 120;

/// A source line as shown: what to print, and where the caret starts and how wide it
/// is, in terminal columns.
struct Excerpt {
    text: String,
    caret_start: usize,
    caret_width: usize,
}

/// What of `source` is shown for a mistake at `column` (1-based, in characters) that is
/// `length` characters long: at most [`MAX_LINE`] characters around it, `...` where
/// text was left out; a tab as one space and control characters (C0, C1, bidi
/// overrides, which would reorder or hide what the terminal shows) as `�`, one
/// character each so columns still count. The caret is measured in display width, so
/// it lines up under wide and combining characters.
fn excerpt(source: &SourceLine, column: usize, length: usize) -> Excerpt {
    use unicode_width::UnicodeWidthChar;
    let chars: Vec<char> = source.text.chars().map(shown_char).collect();
    let at = column.saturating_sub(source.first_column).min(chars.len());
    let (start, end) = if chars.len() <= MAX_LINE {
        (0, chars.len())
    } else {
        let start = at.saturating_sub(MAX_LINE / 2).min(chars.len() - MAX_LINE);
        (start, start + MAX_LINE)
    };
    let width = |cs: &[char]| -> usize { cs.iter().map(|c| c.width().unwrap_or(0)).sum() };
    let mut text = String::new();
    if start > 0 || source.first_column > 1 {
        text.push_str("...");
    }
    let caret_start = text.chars().count() + width(&chars[start..at.max(start)]);
    text.extend(&chars[start..end]);
    if end < chars.len() || source.cut_after {
        text.push_str("...");
    }
    let until = (at + length.max(1)).min(end).max(at);
    let caret_width = width(&chars[at.min(end)..until]).max(1);
    Excerpt {
        text,
        caret_start,
        caret_width,
    }
}

/// `text` (a message, a path, a note) as the printer shows it: on one line, with no
/// control or bidi character reaching the terminal (a folder name holding ESC could
/// otherwise rewrite what the user sees).
fn clean(text: &str) -> String {
    text.chars()
        .map(|c| if c == '\n' { ' ' } else { shown_char(c) })
        .collect()
}

/// A character as the printer shows it (see [`excerpt`]).
fn shown_char(c: char) -> char {
    match c {
        '\t' => ' ',
        c if c.is_control() || is_bidi_control(c) => '\u{FFFD}',
        c => c,
    }
}

/// The characters that change the direction text is shown in (Unicode's bidi
/// embedding, override and isolate controls, and the directional marks).
pub fn is_bidi_control(c: char) -> bool {
    matches!(
        c,
        '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
    )
}

#[cfg(test)]
mod render_tests {
    use super::*;

    fn sample() -> (Vec<Diagnostic>, Sources) {
        let mut sources = Sources::new();
        sources.insert("p/pipeline.yaml", "name: x\ntrigers:\n  hour: 3\n");
        let d = Diagnostic::error("DM0103", "unknown key `trigers`")
            .at(Location::new("p/pipeline.yaml", 2, 1, 7))
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

    fn caret_line(text: &str, line: usize, column: usize, length: usize) -> (String, String) {
        let d = Diagnostic::error("DM0106", "x")
            .at(Location::new("f.yaml", line, column, length).with_source(&LineIndex::new(text)));
        let out = render_text(&[d], &Sources::new(), false);
        let lines: Vec<&str> = out.lines().collect();
        (lines[3].to_string(), lines[4].to_string())
    }

    #[test]
    fn long_lines_are_cut_around_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let (shown, caret) = caret_line(&line, 1, 501, 1);
        assert!(
            shown.contains("...aaa") && shown.ends_with("bbb..."),
            "{shown}"
        );
        let at = caret.find('^').expect("a caret");
        assert_eq!(shown.chars().nth(at), Some('X'), "{shown}\n{caret}");
        // What a diagnostic keeps of a line is bounded, whatever the line's length.
        let kept = LineIndex::new(&"z".repeat(1 << 20))
            .source_line(1, 1 << 19)
            .unwrap();
        assert_eq!(kept.text.chars().count(), SourceLine::MAX_CHARS);
    }

    #[test]
    fn carets_line_up_under_wide_and_combining_characters() {
        // `名前` is two characters four columns wide; `é` written as e + U+0301 is
        // two characters one column wide.
        let (shown, caret) = caret_line("name: 名前x\nb", 1, 9, 1);
        assert_eq!(shown, "1 | name: 名前x");
        assert_eq!(caret, format!("  | {}^", " ".repeat(10)));
        let (shown, caret) = caret_line("d: cafe\u{301} ok", 1, 10, 2);
        assert_eq!(shown, "1 | d: cafe\u{301} ok");
        assert_eq!(caret, format!("  | {}^^", " ".repeat(8)));
        // A wide character underlined is two carets wide.
        let (_, caret) = caret_line("k: 名", 1, 4, 1);
        assert_eq!(caret, "  |    ^^");
    }

    #[test]
    fn messages_paths_and_notes_reach_the_terminal_without_control_characters() {
        let d = Diagnostic::error("DM0501", "cannot read `a\u{1b}[2Jb`")
            .at(Location::new("dir\u{1b}]0;x\u{7}/pipeline.yaml", 1, 1, 1))
            .with_note("in \u{202E}folder")
            .with_help("line one\nline two");
        let out = render_text(&[d], &Sources::new(), false);
        assert!(
            !out.chars()
                .any(|c| c == '\u{1b}' || c == '\u{7}' || c == '\u{202E}'),
            "{out:?}"
        );
        assert!(out.contains("= help: line one line two"), "{out}");
    }

    #[test]
    fn control_and_bidi_characters_are_not_printed_raw() {
        let (shown, caret) = caret_line("name: a\u{202E}b\u{7}c\tx", 1, 12, 1);
        assert_eq!(shown, "1 | name: a\u{FFFD}b\u{FFFD}c x");
        assert_eq!(caret, format!("  | {}^", " ".repeat(11)));
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
