//! `dpc schema [pipeline|platform|scenario]`.

use crate::{EXIT_OK, Io};

/// Prints the JSON Schema (draft-07) of one of dpc's files.
pub fn run(kind: dpc_schema::SchemaKind, io: &mut Io<'_>) -> i32 {
    let schema = dpc_schema::json_schema(kind);
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    let _ = writeln!(io.stdout, "{text}");
    EXIT_OK
}
