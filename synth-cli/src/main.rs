//! The `dpc` binary: everything happens in the library so tests run it in-process.

use std::io::IsTerminal;

/// mimalloc instead of glibc's malloc: synthesis is a storm of small JSON allocations
/// freed together, where glibc spent about 30% of a 700-pipeline synth (bench/README.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let stdout = std::io::stdout();
    let stderr = std::io::stderr();
    let color = stderr.is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let mut io = dpc_cli::Io {
        stdout: &mut stdout.lock(),
        stderr: &mut stderr.lock(),
        color,
    };
    let code = dpc_cli::run(std::env::args_os(), &mut io);
    std::process::exit(code);
}
