//! Any bytes as the `.dpc-cache.json` beside a real assembly: the synth that reads it
//! writes exactly what `--no-cache` writes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Err(difference) = dpc_cli::fuzzing::cache_index(data) {
        panic!("{difference}");
    }
});
