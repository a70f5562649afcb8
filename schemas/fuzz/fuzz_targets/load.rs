//! Any bytes, read as each kind of file: the loader must return, never panic or hang.
#![no_main]

use dpc_schema::{SchemaKind, check_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    for kind in SchemaKind::ALL {
        let _ = check_bytes(kind, data);
    }
});
