//! The `dpc` binary: everything happens in the library so tests run it in-process.

use dpc_cli::stream::{CheckedWriter, exit_code};
use std::io::IsTerminal;

/// mimalloc instead of glibc's malloc: synthesis is a storm of small JSON allocations
/// freed together, where glibc spent about 30% of a 700-pipeline synth (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut out = CheckedWriter::new(std::io::stdout().lock());
    let mut err = CheckedWriter::new(stderr.lock());
    let code = dpc_cli::run(
        std::env::args_os(),
        &mut dpc_cli::Io {
            stdout: &mut out,
            stderr: &mut err,
            color,
        },
    );
    let (out, err) = (out.finish(), err.finish());
    std::process::exit(exit_code(code, out, err, &mut std::io::stderr()));
}
