//! A loaded file: where it is, what users call it, and its tree, so any check can turn a
//! JSON pointer into a line and column.

use crate::tree::{Node, NodeValue, Span};
use dpc_core::Location;
use dpc_core::diagnostic::LineIndex;
use std::path::PathBuf;

/// A parsed file.
pub(crate) struct SourceFile {
    /// The file on disk.
    pub path: PathBuf,
    /// The name shown in diagnostics.
    pub display: String,
    /// The document.
    pub root: Node,
    /// Its text's lines, which every location of it carries (the printer never reads
    /// the file again).
    pub lines: LineIndex,
}

/// What part of an entry a diagnostic points at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Target {
    /// The key (`trigers:` for an unknown key).
    Key,
    /// The value; for a map or list (or nothing) that is the value of a key, the key.
    Value,
}

impl SourceFile {
    /// The location of the node at `pointer` (or of the nearest node above it).
    pub fn locate(&self, pointer: &str, target: Target) -> Location {
        let found = self.root.find_nearest(pointer);
        let span = match (target, found.key_span) {
            (Target::Key, Some(key)) => key,
            (Target::Value, Some(key))
                if !matches!(found.node.value, NodeValue::Scalar { .. })
                    || found.node.is_null() =>
            {
                key
            }
            _ => found.node.span,
        };
        self.location(span)
    }

    /// A location from a span of this file.
    pub fn location(&self, span: Span) -> Location {
        Location::new(&self.display, span.line, span.column, span.length.max(1))
            .with_source(&self.lines)
    }

    /// The location of a part of a scalar: `offset` and `len` in bytes of its text. Only
    /// precise for single-line plain or quoted scalars; otherwise the whole scalar.
    pub fn locate_within(&self, pointer: &str, offset: usize, len: usize) -> Location {
        let mut location = self.locate(pointer, Target::Value);
        if let Some(found) = self.root.find(pointer)
            && let NodeValue::Scalar { text, plain } = &found.node.value
            && !text.contains('\n')
            && offset + len <= text.len()
            && text.is_char_boundary(offset)
            && text.is_char_boundary(offset + len)
        {
            let quote = usize::from(!plain);
            let written = found.node.span.length;
            // Only when the written form is as long as the text (no escapes, no folding).
            if written == text.chars().count() + 2 * quote {
                location.column += quote + text[..offset].chars().count();
                location.length = text[offset..offset + len].chars().count().max(1);
                // The kept part of the line is a window around the column: around the
                // new one, else a part far into a long value falls outside it.
                location = location.with_source(&self.lines);
            }
        }
        location
    }
}
