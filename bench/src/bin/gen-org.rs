//! `gen-org --pipelines N --accounts M --seed S --out DIR`: writes a synthetic
//! organisation (platform.yaml and N pipeline projects) that `dpc validate` accepts.

use clap::Parser;
use dpc_bench::generate::{GenOptions, default_accounts, generate};
use std::path::PathBuf;
use std::process::ExitCode;

/// Writes a synthetic dpc organisation, the same bytes for the same arguments.
#[derive(Parser)]
#[command(name = "gen-org")]
struct Args {
    /// How many pipeline projects.
    #[arg(long, short = 'n', default_value_t = 700)]
    pipelines: usize,
    /// How many user accounts; defaults to one per seven pipelines.
    #[arg(long, short = 'm')]
    accounts: Option<usize>,
    /// The seed of the pseudo-random choices.
    #[arg(long, short = 's', default_value_t = 1)]
    seed: u64,
    /// The folder to write; it must be empty, missing, or an earlier gen-org output.
    #[arg(long, short = 'o')]
    out: PathBuf,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if args.accounts == Some(0) {
        eprintln!("gen-org: --accounts must be at least 1");
        return ExitCode::from(2);
    }
    let options = GenOptions {
        pipelines: args.pipelines,
        accounts: args
            .accounts
            .unwrap_or_else(|| default_accounts(args.pipelines)),
        seed: args.seed,
    };
    let org = generate(options);
    if let Err(e) = org.write(&args.out) {
        eprintln!("gen-org: {e}");
        return ExitCode::FAILURE;
    }
    println!(
        "wrote {} pipelines over {} accounts (seed {}) to {}",
        options.pipelines,
        options.accounts,
        options.seed,
        args.out.display()
    );
    ExitCode::SUCCESS
}
