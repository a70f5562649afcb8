//! Reading a YAML file into a [`Node`] tree. Every call into the YAML library lives in
//! this file, so the library can be swapped here alone.
//!
//! The reader is defensive: a file larger than [`Limits::max_bytes`], nesting deeper than
//! [`Limits::max_depth`], or aliases expanding to more than [`Limits::max_nodes`] nodes
//! is refused with a diagnostic instead of exhausting memory or the stack. The event
//! parser keeps its own state on the heap, and this builder keeps an explicit stack, so
//! no input recurses without bound.

use crate::codes;
use crate::tree::{Entry, Node, NodeValue, Span};
use dpc_core::diagnostic::LineIndex;
use dpc_core::{Diagnostic, Location};
use saphyr_parser::{Event, Parser, ScalarStyle, Span as YamlSpan};
use std::collections::BTreeMap;
use std::path::Path;

/// How much input the reader accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    /// The largest file, in bytes.
    pub max_bytes: u64,
    /// The deepest nesting of maps and lists.
    pub max_depth: usize,
    /// The most nodes a document may have once aliases are expanded.
    pub max_nodes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_bytes: 10 * 1024 * 1024,
            max_depth: 64,
            max_nodes: 200_000,
        }
    }
}

/// A file read from disk.
pub(crate) struct Text {
    pub text: String,
}

/// Reads a file as UTF-8 text within the size limit.
pub(crate) fn read_text(path: &Path, display: &str, limits: Limits) -> Result<Text, Diagnostic> {
    let at_start = Location::new(display, 1, 1, 1);
    // Type and size are checked before a byte is read: a FIFO named pipeline.yaml is an
    // error at once, not a read that waits forever.
    let bytes = dpc_core::read::read_bounded(path, limits.max_bytes).map_err(|e| match e {
        dpc_core::read::ReadError::TooLarge { size, limit } => Diagnostic::error(
            codes::FILE_TOO_LARGE,
            format!(
                "`{display}` is {size} bytes; dpc reads files of at most {limit} bytes ({})",
                dpc_core::read::human(limit)
            ),
        )
        .at(at_start.clone())
        .with_help("a pipeline.yaml this large is almost certainly not one; check the file"),
        other => Diagnostic::error(
            codes::READ_FAILED,
            format!("cannot read `{display}`: {other}"),
        ),
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        // Safe: the prefix up to `valid_up_to` is valid UTF-8 by definition.
        let prefix = String::from_utf8_lossy(valid);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Diagnostic::error(codes::NOT_UTF8, format!("`{display}` is not UTF-8 text"))
            .at(Location::new(display, line, column, 1)
                .with_source(&LineIndex::new(&String::from_utf8_lossy(e.as_bytes()))))
            .with_label("this byte is not UTF-8")
            .with_help("save the file as UTF-8")
    })?;
    Ok(Text { text })
}

/// The result of parsing: the document (when there is one) and every problem found.
/// Duplicate keys and unsupported YAML are reported but do not stop the reader, so the
/// checks after it still see the rest of the file.
pub(crate) struct Parsed {
    pub root: Option<Node>,
    pub diagnostics: Vec<Diagnostic>,
    /// The text's lines, for the locations of the checks after parsing.
    pub lines: LineIndex,
}

/// A map or list being read: its span, anchor, size and height so far, and contents.
struct Frame {
    span: Span,
    anchor: usize,
    size: usize,
    height: usize,
    kind: FrameKind,
}

enum FrameKind {
    Seq(Vec<Node>),
    Map {
        entries: Vec<Entry>,
        /// The key read last, waiting for its value; `Some(None)` when the value is to
        /// be dropped (a duplicate or unusable key, already reported).
        key: Option<Option<(String, Span)>>,
        seen: BTreeMap<String, Span>,
    },
}

impl Frame {
    fn new(span: Span, anchor: usize, seq: bool) -> Frame {
        let kind = if seq {
            FrameKind::Seq(Vec::new())
        } else {
            FrameKind::Map {
                entries: Vec::new(),
                key: None,
                seen: BTreeMap::new(),
            }
        };
        Frame {
            span,
            anchor,
            size: 1,
            height: 1,
            kind,
        }
    }

    /// Adds a finished child; returns a problem with it as a key, if any.
    fn add(
        &mut self,
        node: Node,
        size: usize,
        height: usize,
        location: &dyn Fn(Span) -> Location,
    ) -> Option<Diagnostic> {
        self.size += size;
        self.height = self.height.max(height + 1);
        match &mut self.kind {
            FrameKind::Seq(items) => {
                items.push(node);
                None
            }
            FrameKind::Map { entries, key, seen } => match key.take() {
                Some(Some((k, key_span))) => {
                    entries.push(Entry {
                        key: k,
                        key_span,
                        value: node,
                    });
                    None
                }
                Some(None) => None,
                None => {
                    let NodeValue::Scalar { text, plain } = node.value else {
                        *key = Some(None);
                        return Some(
                            Diagnostic::error(
                                codes::UNSUPPORTED_YAML,
                                "a map or a list used as a key",
                            )
                            .at(location(node.span))
                            .with_label("keys are names")
                            .with_help("write the key as text"),
                        );
                    };
                    if plain && text == "<<" {
                        *key = Some(None);
                        return Some(
                            Diagnostic::error(
                                codes::UNSUPPORTED_YAML,
                                "merge keys (`<<`) are not supported",
                            )
                            .at(location(node.span))
                            .with_label("write the keys out instead"),
                        );
                    }
                    if let Some(first) = seen.get(&text) {
                        let d = Diagnostic::error(
                            codes::DUPLICATE_KEY,
                            format!("the key `{text}` is written twice"),
                        )
                        .at(location(node.span))
                        .with_label("written again here")
                        .with_note(format!("first written at line {}", first.line))
                        .with_help("keep one of them; dpc reads the first");
                        *key = Some(None);
                        return Some(d);
                    }
                    seen.insert(text.clone(), node.span);
                    *key = Some(Some((text, node.span)));
                    None
                }
            },
        }
    }

    /// The finished node, with its anchor id, size and height.
    fn finish(self) -> (Node, usize, usize, usize) {
        let value = match self.kind {
            FrameKind::Seq(items) => NodeValue::Seq(items),
            FrameKind::Map { entries, .. } => NodeValue::Map(entries),
        };
        (
            Node {
                span: self.span,
                value,
            },
            self.anchor,
            self.size,
            self.height,
        )
    }
}

struct Anchored {
    node: Node,
    size: usize,
    height: usize,
}

/// The tab the parser stopped for: the first tab at or after `stop` (the parser may stop
/// at the scalar before it), or one in the indentation of `stop`'s line. `None` when the
/// parser's message is not about a tab.
fn tab_at(text: &str, stop: Span, info: &str) -> Option<Span> {
    if !info.contains("tab") {
        return None;
    }
    let mut lines = text.split('\n').enumerate().skip(stop.line.checked_sub(1)?);
    let (_, first) = lines.next()?;
    let on_stop_line = first
        .chars()
        .enumerate()
        .skip(stop.column.saturating_sub(1))
        .find(|(_, c)| *c == '\t')
        .or_else(|| {
            first
                .chars()
                .take_while(|c| c.is_whitespace())
                .enumerate()
                .find(|(_, c)| *c == '\t')
        })
        .map(|(i, _)| (stop.line, i + 1));
    let (line, column) = on_stop_line.or_else(|| {
        // Only a few lines on: the tab that stopped the parser is near where it stopped.
        lines
            .take(8)
            // Only in indentation: a tab inside a later value or comment is no mistake.
            .find_map(|(n, l)| {
                l.chars()
                    .take_while(|c| c.is_whitespace())
                    .position(|c| c == '\t')
                    .map(|i| (n + 1, i + 1))
            })
    })?;
    Some(Span {
        line,
        column,
        length: 1,
    })
}

/// Whether `c` has no place in a dpc file: a C0 control other than tab and line ends,
/// DEL, a C1 control, or a bidirectional control.
fn is_forbidden(c: char) -> bool {
    (c.is_control() && !matches!(c, '\t' | '\n' | '\r')) || dpc_core::diagnostic::is_bidi_control(c)
}

/// The most control characters reported for one file; past it, one more line says so.
const MAX_CONTROL_REPORTS: usize = 20;

/// Every forbidden character written raw in `text`, each at its own line and column.
fn raw_controls(text: &str, display: &str, index: &LineIndex) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let mut more = 0usize;
    for (n, line) in text.split('\n').enumerate() {
        for (i, c) in line.chars().enumerate().filter(|(_, c)| is_forbidden(*c)) {
            if out.len() == MAX_CONTROL_REPORTS {
                more += 1;
                continue;
            }
            let at = Location::new(display, n + 1, i + 1, 1).with_source(index);
            out.push(control_character(c, at, false));
        }
    }
    if more > 0
        && let Some(last) = out.last_mut()
    {
        last.notes
            .push(format!("{more} more in this file are not shown"));
    }
    out
}

fn control_character(c: char, at: Location, escaped: bool) -> Diagnostic {
    let code = format!("U+{:04X}", u32::from(c));
    let (what, why) = if dpc_core::diagnostic::is_bidi_control(c) {
        (
            "a bidirectional control character",
            "it changes the order text is shown in, so the file reads differently from what it is",
        )
    } else {
        (
            "a control character",
            "names, tags, descriptions, addresses and commands are text without control characters",
        )
    };
    Diagnostic::error(
        codes::CONTROL_CHARACTER,
        format!(
            "{what} ({code}){} is not allowed",
            if escaped {
                ", written as an escape,"
            } else {
                ""
            }
        ),
    )
    .at(at)
    .with_label(if escaped {
        "in this value"
    } else {
        "here (shown as `�`)"
    })
    .with_note(why)
    .with_help("remove it (an editor that shows invisible characters helps)")
}

/// Parses `text` (named `display` in diagnostics) into a tree.
pub(crate) fn parse(text: &str, display: &str, limits: Limits) -> Parsed {
    let lines: Vec<usize> = text.split('\n').map(|l| l.chars().count()).collect();
    let span_of = |s: &YamlSpan| -> Span {
        let line = s.start.line().max(1);
        let column = s.start.col() + 1;
        let rest = lines
            .get(line - 1)
            .map_or(1, |len| len.saturating_sub(column - 1).max(1));
        let length = if s.end.line() == s.start.line() {
            s.len()
        } else {
            rest
        };
        Span {
            line,
            column,
            length: length.clamp(1, rest),
        }
    };
    let index = LineIndex::new(text);
    let location = |span: Span| {
        Location::new(display, span.line, span.column, span.length).with_source(&index)
    };

    let mut diagnostics = Vec::new();
    // Like bytes that are not UTF-8, these stop the file: every one is reported, and
    // none reaches a name, tag, description, address or command.
    let controls = raw_controls(text, display, &index);
    if !controls.is_empty() {
        return Parsed {
            root: None,
            diagnostics: controls,
            lines: index,
        };
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut anchors: BTreeMap<usize, Anchored> = BTreeMap::new();
    let mut root: Option<Node> = None;
    let mut nodes = 0usize;
    let mut documents = 0usize;
    let mut parser = Parser::new_from_str(text);

    while let Some(event) = parser.next_event() {
        let (event, yspan) = match event {
            Ok(e) => e,
            Err(e) => {
                let m = e.marker();
                let span = Span {
                    line: m.line().max(1),
                    column: m.col() + 1,
                    length: 1,
                };
                // The parser has its own nesting limit; say it in our words.
                if e.info().contains("recursion limit") {
                    diagnostics.push(too_deep(limits, location(span)));
                } else if let Some(tab) = tab_at(text, span, e.info()) {
                    // The parser stops after the tab; the mistake is the tab itself.
                    diagnostics.push(
                        Diagnostic::error(
                            codes::YAML_SYNTAX,
                            format!("invalid YAML: {}", e.info()),
                        )
                        .at(location(tab))
                        .with_label("a tab")
                        .with_help("YAML indents with spaces only: replace the tab with spaces"),
                    );
                } else {
                    diagnostics.push(
                        Diagnostic::error(
                            codes::YAML_SYNTAX,
                            format!("invalid YAML: {}", e.info()),
                        )
                        .at(location(span))
                        .with_label("the YAML parser stopped here"),
                    );
                }
                return Parsed {
                    root: None,
                    diagnostics,
                    lines: index,
                };
            }
        };
        let span = span_of(&yspan);
        let event_kind = match &event {
            Event::SequenceStart(..) => EventKind::SeqStart,
            _ => EventKind::Other,
        };
        // A finished node: the node, its anchor id, its size in nodes and its height.
        let finished: Option<(Node, usize, usize, usize)> = match event {
            Event::DocumentStart(_) => {
                documents += 1;
                if documents > 1 {
                    diagnostics.push(
                        Diagnostic::error(
                            codes::UNSUPPORTED_YAML,
                            "a second YAML document in one file",
                        )
                        .at(location(span))
                        .with_label("only one document is read")
                        .with_help(
                            "remove the `---` line and what follows, or move it to a file of its own",
                        ),
                    );
                    break;
                }
                None
            }
            Event::Scalar(value, style, anchor, tag) => {
                nodes += 1;
                let mut plain = style == ScalarStyle::Plain;
                if let Some(tag) = tag {
                    if tag.is_yaml_core_schema() && tag.suffix == "str" {
                        plain = false;
                    } else {
                        diagnostics.push(unsupported_tag(&tag.handle, &tag.suffix, location(span)));
                    }
                }
                // Written raw they stopped the file above; this is one written as an
                // escape (`"\u202E"`), placed at its value.
                if let Some(c) = value.chars().find(|c| is_forbidden(*c)) {
                    diagnostics.push(control_character(c, location(span), true));
                }
                let node = Node {
                    span,
                    value: NodeValue::Scalar {
                        text: value.into_owned(),
                        plain,
                    },
                };
                Some((node, anchor, 1, 1))
            }
            Event::SequenceStart(anchor, tag) | Event::MappingStart(anchor, tag) => {
                let seq = matches!(event_kind, EventKind::SeqStart);
                nodes += 1;
                if stack.len() >= limits.max_depth {
                    diagnostics.push(too_deep(limits, location(span)));
                    return Parsed {
                        root: None,
                        diagnostics,
                        lines: index,
                    };
                }
                if let Some(tag) = tag {
                    diagnostics.push(unsupported_tag(&tag.handle, &tag.suffix, location(span)));
                }
                stack.push(Frame::new(span, anchor, seq));
                None
            }
            Event::SequenceEnd | Event::MappingEnd => stack.pop().map(Frame::finish),
            Event::Alias(id) => match anchors.get(&id) {
                Some(anchored) => {
                    if nodes + anchored.size > limits.max_nodes {
                        diagnostics.push(
                            Diagnostic::error(
                                codes::ALIAS_BOMB,
                                format!(
                                    "aliases expand this document to more than {} nodes",
                                    limits.max_nodes
                                ),
                            )
                            .at(location(span))
                            .with_label("this alias expands too far")
                            .with_help("write the values out, or use fewer nested aliases"),
                        );
                        return Parsed {
                            root: None,
                            diagnostics,
                            lines: index,
                        };
                    }
                    if stack.len() + anchored.height > limits.max_depth {
                        diagnostics.push(too_deep(limits, location(span)));
                        return Parsed {
                            root: None,
                            diagnostics,
                            lines: index,
                        };
                    }
                    nodes += anchored.size;
                    Some((anchored.node.clone(), 0, anchored.size, anchored.height))
                }
                None => {
                    diagnostics.push(
                        Diagnostic::error(codes::YAML_SYNTAX, "an alias to an unknown anchor")
                            .at(location(span)),
                    );
                    return Parsed {
                        root: None,
                        diagnostics,
                        lines: index,
                    };
                }
            },
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd | Event::Nothing => None,
        };
        if nodes > limits.max_nodes {
            diagnostics.push(
                Diagnostic::error(
                    codes::ALIAS_BOMB,
                    format!("the document has more than {} nodes", limits.max_nodes),
                )
                .at(location(span)),
            );
            return Parsed {
                root: None,
                diagnostics,
                lines: index,
            };
        }
        let Some((node, anchor, size, height)) = finished else {
            continue;
        };
        if anchor != 0 {
            anchors.insert(
                anchor,
                Anchored {
                    node: node.clone(),
                    size,
                    height,
                },
            );
        }
        match stack.last_mut() {
            None => root = Some(node),
            Some(frame) => {
                if let Some(d) = frame.add(node, size, height, &location) {
                    diagnostics.push(d);
                }
            }
        }
    }
    Parsed {
        root,
        diagnostics,
        lines: index,
    }
}

enum EventKind {
    SeqStart,
    Other,
}

fn unsupported_tag(handle: &str, suffix: &str, at: Location) -> Diagnostic {
    Diagnostic::error(
        codes::UNSUPPORTED_YAML,
        format!("the YAML tag `{handle}{suffix}` is not used by dpc"),
    )
    .at(at)
    .with_label("remove this tag")
    .with_help("write the value plainly; quote it to make it text")
}

fn too_deep(limits: Limits, at: Location) -> Diagnostic {
    Diagnostic::error(
        codes::TOO_DEEP,
        format!(
            "the document nests more than {} levels deep",
            limits.max_depth
        ),
    )
    .at(at)
    .with_label("too deep")
}
