//! Any bytes as the manifest, a template and the lineage of an assembly given to
//! `dpc diff`: read and diffed, or refused with a diagnostic; never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = dpc_cli::fuzzing::diff_assembly(data);
});
