//! Any bytes as a `platform` file: the loader returns diagnostics, never panics or hangs.
#![no_main]

use dpc_schema::{SchemaKind, check_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = check_bytes(SchemaKind::Platform, data);
});
