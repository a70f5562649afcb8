//! `bench [--sizes 1,100,700] [--runs 7] [--cdk]`: validate + synth + write of generated
//! organisations, each run in a fresh child process (wall time from outside, phase times
//! and peak memory from inside), re-synth after one pipeline changed (checking that only
//! files whose bytes changed were written), and the same organisations synthesized by
//! the AWS CDK peer app in bench/cdk-peer. `--large` measures single pipelines at the
//! edge of scale instead: thousands of steps, a condition of a thousand items.

use clap::{Parser, Subcommand, ValueEnum};
use dpc_bench::dpc_run::{self, MARKER};
use dpc_bench::generate::{GenOptions, GeneratedOrg, generate};
use dpc_bench::large::{self, StepShape};
use dpc_bench::measure::{self, ChildRun, Machine, compare, median, snapshot};
use serde_json::Value;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// The allocator `dpc` itself uses (synth-cli/src/main.rs), so the child measures what
/// the CLI does.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Benchmarks dpc's validate + synth + write at organisation scale, optionally against
/// the AWS CDK.
#[derive(Parser)]
#[command(name = "bench")]
struct Args {
    #[command(subcommand)]
    child: Option<Child>,
    /// Organisation sizes in pipelines (one account per seven pipelines).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 100, 700])]
    sizes: Vec<usize>,
    /// Timed runs per size, after one warm-up run.
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// The generator's seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Also synthesize each organisation with the AWS CDK peer app (node, bench/cdk-peer;
    /// run `npm ci --prefix bench/cdk-peer` once first).
    #[arg(long)]
    cdk: bool,
    /// Timed CDK runs per size and mode, after one warm-up run.
    #[arg(long, default_value_t = 3)]
    cdk_runs: usize,
    /// Which CDK modes to run: aws-cdk-lib's built-in template validation at synth
    /// (its default), without it (CDK_VALIDATION=false), or both.
    #[arg(long, value_enum, default_value_t = CdkMode::Both)]
    cdk_validation: CdkMode,
    /// Where the organisations and outputs go; default target/dpc-bench.
    #[arg(long)]
    work: Option<PathBuf>,
    /// Measure single large pipelines instead of organisations: `--steps` steps in each
    /// shape (chain, DAG, fan-out, nested ladder), and roll-ups waiting for
    /// `--condition-items` upstream pipelines (with and without the condition).
    #[arg(long)]
    large: bool,
    /// Steps of each large pipeline (with `--large`; a comma-separated list).
    #[arg(long, value_delimiter = ',', default_values_t = [10_000])]
    steps: Vec<usize>,
    /// Items of the large conditions (with `--large`; a comma-separated list): 200 is
    /// the most the loader accepts.
    #[arg(long, value_delimiter = ',', default_values_t = [200, 1_000])]
    condition_items: Vec<usize>,
}

#[derive(Subcommand)]
enum Child {
    /// One validate + synth + write in this process; prints a `DPC-BENCH {json}` line.
    #[command(hide = true)]
    Child {
        #[arg(long)]
        org: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
    /// As `child`, but a refusal is an outcome too: prints whether the organisation was
    /// synthesized or rejected, and with which diagnostics.
    #[command(hide = true)]
    Outcome {
        #[arg(long)]
        org: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum CdkMode {
    On,
    Off,
    Both,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match &args.child {
        Some(Child::Child { org, out }) => return child(org, out),
        Some(Child::Outcome { org, out }) => return outcome(org, out),
        None => {}
    }
    let result = if args.large {
        bench_large(&args)
    } else {
        bench(&args)
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn child(org: &Path, out: &Path) -> ExitCode {
    match dpc_run::run_once(org, out) {
        Ok(report) => {
            println!("{MARKER} {}", report.to_json(measure::peak_rss_kib()));
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}

fn outcome(org: &Path, out: &Path) -> ExitCode {
    let started = std::time::Instant::now();
    let result = dpc_run::run_once(org, out);
    let ms = started.elapsed().as_secs_f64() * 1e3;
    let report = match result {
        Ok(report) => serde_json::json!({
            "outcome": "synthesized",
            "ms": ms,
            "loadMs": report.load_ms,
            "synthMs": report.synth_ms,
            "writeMs": report.write_ms,
            "bytes": report.bytes,
            "stacks": report.stacks,
        }),
        Err(text) => serde_json::json!({"outcome": "rejected", "ms": ms, "message": text}),
    };
    let mut report = report;
    if let Some(map) = report.as_object_mut() {
        map.insert("peakKiB".into(), measure::peak_rss_kib().into());
    }
    println!("{MARKER} {report}");
    ExitCode::SUCCESS
}

/// One large case: warm-up, then `runs` fresh processes into an empty folder; the
/// median wall time and the last run's outcome.
fn measure_large(label: &str, org: &GeneratedOrg, work: &Path, runs: usize) -> io::Result<()> {
    let slug: String = label
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let org_dir = work.join(format!("large-{slug}"));
    org.write(&org_dir)?;
    let out = work.join(format!("large-out-{slug}"));
    let yaml_bytes: usize = org.files.iter().map(|(_, text)| text.len()).sum();
    let mut timed: Vec<ChildRun> = Vec::new();
    for i in 0..=runs {
        clear(&out)?;
        let mut command = Command::new(std::env::current_exe()?);
        command
            .arg("outcome")
            .arg("--org")
            .arg(&org_dir)
            .arg("--out")
            .arg(&out);
        let run = measure::run_child(command, MARKER)?;
        if i > 0 {
            timed.push(run);
        }
    }
    let wall = median(&timed.iter().map(|r| r.wall_ms).collect::<Vec<_>>());
    let inside = median(
        &timed
            .iter()
            .map(|r| number(&r.report, "ms"))
            .collect::<Vec<_>>(),
    );
    let peak = timed
        .iter()
        .map(|r| number(&r.report, "peakKiB"))
        .fold(0.0, f64::max)
        / 1024.0;
    let last = timed
        .last()
        .map(|r| r.report.clone())
        .unwrap_or(Value::Null);
    let what = match last["outcome"].as_str() {
        Some("synthesized") => format!(
            "synthesized: {} stacks, {:.1} MB (load {:.0} / synth {:.0} / write {:.0} ms)",
            last["stacks"],
            number(&last, "bytes") / 1e6,
            number(&last, "loadMs"),
            number(&last, "synthMs"),
            number(&last, "writeMs")
        ),
        _ => format!(
            "rejected: {}",
            last["message"].as_str().unwrap_or("?").replace('\n', " / ")
        ),
    };
    println!(
        "| {label} | {:.1} MB of YAML | {inside:.0} ms | {wall:.0} ms | {peak:.0} MiB | {what} |",
        yaml_bytes as f64 / 1e6
    );
    Ok(())
}

fn bench_large(args: &Args) -> io::Result<()> {
    let work = args
        .work
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dpc-bench"));
    fs::create_dir_all(&work)?;
    let machine = Machine::detect();
    println!(
        "machine: {} CPUs ({}), {:.1} GiB; load average at start {}",
        machine.cpus,
        machine.cpu_model,
        machine.memory_gib,
        measure::load_average()
    );
    let runs = args.runs.max(1);
    println!(
        "\n| case | input | validate + synth + write, in process (median of {runs}) | process wall | peak RSS | outcome |"
    );
    println!("|---|---:|---:|---:|---:|---|");
    for &steps in &args.steps {
        for shape in StepShape::ALL {
            let label = format!("{steps} steps, {}", shape.name());
            measure_large(&label, &large::many_steps(steps, shape), &work, runs)?;
        }
    }
    for &n in &args.condition_items {
        for condition in [false, true] {
            let label = if condition {
                format!("{n}-item condition")
            } else {
                format!("{n} upstreams, no condition")
            };
            measure_large(&label, &large::wide_condition(n, condition), &work, runs)?;
        }
    }
    println!("\nload average at end {}", measure::load_average());
    let trash = work.join("trash");
    if trash.exists() {
        fs::remove_dir_all(&trash)?;
    }
    Ok(())
}

/// Medians over the timed runs of one size.
struct Figures {
    pipelines: usize,
    accounts: usize,
    wall_ms: f64,
    total_ms: f64,
    load_ms: f64,
    synth_ms: f64,
    write_ms: f64,
    peak_mib: f64,
    last: Value,
}

struct Resynth {
    wall_ms: f64,
    total_ms: f64,
    written: Vec<String>,
}

struct Cdk {
    validation: bool,
    wall_ms: f64,
    synth_ms: f64,
    peak_mib: f64,
    last: Value,
}

fn bench(args: &Args) -> io::Result<()> {
    let work = args
        .work
        .clone()
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/dpc-bench"));
    fs::create_dir_all(&work)?;
    let trash = work.join("trash");
    if trash.exists() {
        fs::remove_dir_all(&trash)?;
    }
    let machine = Machine::detect();
    println!(
        "machine: {} CPUs ({}), {:.1} GiB; load average at start {}",
        machine.cpus,
        machine.cpu_model,
        machine.memory_gib,
        measure::load_average()
    );
    let peer = Path::new(env!("CARGO_MANIFEST_DIR")).join("cdk-peer");
    if args.cdk && !peer.join("node_modules/aws-cdk-lib").is_dir() {
        return Err(io::Error::other(format!(
            "the CDK peer is not installed: run `npm ci --prefix {}` first",
            peer.display()
        )));
    }
    let runs = args.runs.max(1);
    let mut rows = Vec::new();
    for &n in &args.sizes {
        let options = GenOptions::new(n, args.seed);
        let org_dir = work.join(format!("org-{n}"));
        let org = generate(options);
        org.write(&org_dir)?;
        let out = work.join(format!("dpc-out-{n}"));
        println!(
            "\n== {n} pipelines over {} accounts ({})",
            options.accounts,
            org_dir.display()
        );
        let figures = measure_dpc(options, &org_dir, &out, runs)?;
        println!(
            "dpc:      validate+synth+write {:.1} ms (load {:.1}, synth {:.1}, write {:.1}); process {:.1} ms; peak {:.1} MiB",
            figures.total_ms,
            figures.load_ms,
            figures.synth_ms,
            figures.write_ms,
            figures.wall_ms,
            figures.peak_mib
        );
        let resynth = measure_resynth(&org, &org_dir, &out, runs)?;
        println!(
            "re-synth: {:.1} ms in process, {:.1} ms process; wrote {} file(s): {}",
            resynth.total_ms,
            resynth.wall_ms,
            resynth.written.len(),
            resynth.written.join(", ")
        );
        let mut cdk = Vec::new();
        if args.cdk {
            let modes: &[bool] = match args.cdk_validation {
                CdkMode::On => &[true],
                CdkMode::Off => &[false],
                CdkMode::Both => &[false, true],
            };
            for &validation in modes {
                let out = work.join(format!("cdk-out-{n}"));
                let c = measure_cdk(&peer, &org_dir, &out, args.cdk_runs.max(1), validation)?;
                println!(
                    "cdk ({}): {:.0} ms process (app.synth() {:.0} ms); peak {:.1} MiB; {} stacks, {} resources; {:.1}x dpc",
                    if validation {
                        "default, validation on"
                    } else {
                        "CDK_VALIDATION=false"
                    },
                    c.wall_ms,
                    c.synth_ms,
                    c.peak_mib,
                    c.last["stacks"],
                    c.last["resources"],
                    c.wall_ms / figures.wall_ms
                );
                cdk.push(c);
            }
        }
        rows.push((figures, resynth, cdk));
    }
    println!("\nload average at end {}", measure::load_average());
    print_tables(&rows);
    if trash.exists() {
        fs::remove_dir_all(&trash)?;
    }
    Ok(())
}

/// Moves `out` (when it exists) into `work/trash` instead of deleting it: ext4 scans past
/// recently deleted inodes when it creates files, so deleting 1,600 files before each run
/// would bill the next run for the deletion. The trash is emptied when the bench ends.
fn clear(out: &Path) -> io::Result<()> {
    if !out.exists() {
        return Ok(());
    }
    let trash = trash_dir(out);
    fs::create_dir_all(&trash)?;
    for i in 0.. {
        let target = trash.join(i.to_string());
        if !target.exists() {
            return fs::rename(out, target);
        }
    }
    Ok(())
}

fn trash_dir(out: &Path) -> PathBuf {
    out.parent().unwrap_or(Path::new(".")).join("trash")
}

fn dpc_child(org_dir: &Path, out: &Path) -> io::Result<ChildRun> {
    let mut command = Command::new(std::env::current_exe()?);
    command
        .arg("child")
        .arg("--org")
        .arg(org_dir)
        .arg("--out")
        .arg(out);
    measure::run_child(command, MARKER)
}

fn number(v: &Value, key: &str) -> f64 {
    v.get(key).and_then(Value::as_f64).unwrap_or(f64::NAN)
}

/// Warm-up, then `runs` fresh processes, each writing into an empty folder.
fn measure_dpc(
    options: GenOptions,
    org_dir: &Path,
    out: &Path,
    runs: usize,
) -> io::Result<Figures> {
    let mut timed: Vec<ChildRun> = Vec::new();
    for i in 0..=runs {
        clear(out)?;
        let run = dpc_child(org_dir, out)?;
        if i > 0 {
            timed.push(run);
        }
    }
    let pick = |key: &str| {
        median(
            &timed
                .iter()
                .map(|r| number(&r.report, key))
                .collect::<Vec<_>>(),
        )
    };
    let peak_kib = timed
        .iter()
        .map(|r| number(&r.report, "peakKiB"))
        .fold(0.0, f64::max);
    Ok(Figures {
        pipelines: options.pipelines,
        accounts: options.accounts,
        wall_ms: median(&timed.iter().map(|r| r.wall_ms).collect::<Vec<_>>()),
        total_ms: pick("totalMs"),
        load_ms: pick("loadMs"),
        synth_ms: pick("synthMs"),
        write_ms: pick("writeMs"),
        peak_mib: peak_kib / 1024.0,
        last: {
            let mut last = timed
                .last()
                .map(|r| r.report.clone())
                .unwrap_or(Value::Null);
            if let Some(report) = last.as_object_mut() {
                report.insert("resources".into(), dpc_run::count_resources(out)?.into());
            }
            last
        },
    })
}

/// Changes one pipeline (its first step's run-date argument, back and forth), re-runs
/// synth into the existing output, and checks from outside that exactly the files whose
/// bytes changed were written, and that the writer says so too.
fn measure_resynth(
    org: &GeneratedOrg,
    org_dir: &Path,
    out: &Path,
    runs: usize,
) -> io::Result<Resynth> {
    let target = org
        .pipeline_file(org.pipelines.len() / 2)
        .ok_or_else(|| io::Error::other("no pipeline to change"))?;
    let file = org_dir.join(&target);
    let original = fs::read_to_string(&file)?;
    let changed = original.replacen("\"{{ds}}\"", "\"{{ds_nodash}}\"", 1);
    if changed == original {
        return Err(io::Error::other(format!(
            "{}: no run-date argument to change",
            file.display()
        )));
    }
    let mut timed = Vec::new();
    let mut written: Option<Vec<String>> = None;
    for i in 0..=runs {
        fs::write(&file, if i % 2 == 0 { &changed } else { &original })?;
        let before = snapshot(out)?;
        let run = dpc_child(org_dir, out)?;
        let change = compare(&before, &snapshot(out)?);
        let reported: Vec<String> = run.report["written"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        let mut reported_sorted = reported.clone();
        reported_sorted.sort();
        if change.changed_bytes.is_empty()
            || change.touched != change.changed_bytes
            || reported_sorted != change.changed_bytes
            || !change.removed.is_empty()
        {
            return Err(io::Error::other(format!(
                "re-synth after changing {} wrote more or less than what changed:\n  bytes changed: {:?}\n  files touched: {:?}\n  writer reported: {:?}\n  removed: {:?}",
                target.display(),
                change.changed_bytes,
                change.touched,
                reported,
                change.removed
            )));
        }
        if i > 0 {
            timed.push(run);
        }
        written = Some(reported);
    }
    fs::write(&file, &original)?;
    Ok(Resynth {
        wall_ms: median(&timed.iter().map(|r| r.wall_ms).collect::<Vec<_>>()),
        total_ms: median(
            &timed
                .iter()
                .map(|r| number(&r.report, "totalMs"))
                .collect::<Vec<_>>(),
        ),
        written: written.unwrap_or_default(),
    })
}

fn measure_cdk(
    peer: &Path,
    org_dir: &Path,
    out: &Path,
    runs: usize,
    validation: bool,
) -> io::Result<Cdk> {
    let mut timed: Vec<ChildRun> = Vec::new();
    for i in 0..=runs {
        clear(out)?;
        let mut command = Command::new("node");
        command
            .arg(peer.join("app.js"))
            .arg("--org")
            .arg(org_dir)
            .arg("--out")
            .arg(out);
        if validation {
            command.env_remove("CDK_VALIDATION");
        } else {
            command.env("CDK_VALIDATION", "false");
        }
        let run = measure::run_child(command, "CDK-PEER")?;
        if i > 0 {
            timed.push(run);
        }
    }
    Ok(Cdk {
        validation,
        wall_ms: median(&timed.iter().map(|r| r.wall_ms).collect::<Vec<_>>()),
        synth_ms: median(
            &timed
                .iter()
                .map(|r| number(&r.report, "buildMs") + number(&r.report, "synthMs"))
                .collect::<Vec<_>>(),
        ),
        peak_mib: timed
            .iter()
            .map(|r| number(&r.report, "peakKiB"))
            .fold(0.0, f64::max)
            / 1024.0,
        last: timed
            .last()
            .map(|r| r.report.clone())
            .unwrap_or(Value::Null),
    })
}

fn print_tables(rows: &[(Figures, Resynth, Vec<Cdk>)]) {
    println!(
        "\n| pipelines | accounts | stacks | resources | files | MB written | validate+synth+write (load / synth / write) | process wall | peak RSS | per pipeline | re-synth (process) | files re-written |"
    );
    println!("|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---:|");
    for (f, r, _) in rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.0} ms ({:.0} / {:.0} / {:.0}) | {:.0} ms | {:.0} MiB | {:.2} ms | {:.0} ms ({:.0} ms) | {} |",
            f.pipelines,
            f.accounts,
            f.last["stacks"],
            f.last["resources"],
            f.last["files"],
            number(&f.last, "writtenBytes") / 1e6,
            f.total_ms,
            f.load_ms,
            f.synth_ms,
            f.write_ms,
            f.wall_ms,
            f.peak_mib,
            f.total_ms / f.pipelines.max(1) as f64,
            r.total_ms,
            r.wall_ms,
            r.written.len()
        );
    }
    if rows.iter().any(|(_, _, c)| !c.is_empty()) {
        println!(
            "\n| pipelines | dpc process wall / peak | CDK, CDK_VALIDATION=false: wall / app.synth() / peak | ratio | CDK default (validation on): wall / peak | ratio |"
        );
        println!("|---:|---|---|---:|---|---:|");
        for (f, _, cdk) in rows {
            let off = cdk.iter().find(|c| !c.validation);
            let on = cdk.iter().find(|c| c.validation);
            let cell = |c: Option<&Cdk>, synth: bool| match c {
                Some(c) if synth => format!(
                    "{:.1} s / {:.1} s / {:.0} MiB",
                    c.wall_ms / 1e3,
                    c.synth_ms / 1e3,
                    c.peak_mib
                ),
                Some(c) => format!("{:.1} s / {:.0} MiB", c.wall_ms / 1e3, c.peak_mib),
                None => "-".to_owned(),
            };
            let ratio = |c: Option<&Cdk>| {
                c.map_or("-".to_owned(), |c| format!("{:.0}x", c.wall_ms / f.wall_ms))
            };
            println!(
                "| {} | {:.0} ms / {:.0} MiB | {} | {} | {} | {} |",
                f.pipelines,
                f.wall_ms,
                f.peak_mib,
                cell(off, true),
                ratio(off),
                cell(on, false),
                ratio(on)
            );
        }
    }
    if let Some((f, r, _)) = rows.iter().find(|(f, _, _)| f.pipelines == 700) {
        let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
        println!(
            "\ntargets at 700 pipelines / {} accounts: validate+synth+write {:.0} ms < 500 ms: {}; process {:.0} ms < 500 ms: {}; peak {:.0} MiB < 200 MB: {}; re-synth {:.0} ms < 200 ms: {}",
            f.accounts,
            f.total_ms,
            verdict(f.total_ms < 500.0),
            f.wall_ms,
            verdict(f.wall_ms < 500.0),
            f.peak_mib,
            verdict(f.peak_mib * 1.048_576 < 200.0),
            r.wall_ms,
            verdict(r.wall_ms < 200.0)
        );
    }
}
