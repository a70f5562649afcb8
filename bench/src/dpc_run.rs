//! One `dpc synth` of an organisation, as the CLI does it (load and check everything,
//! synthesize every stack in memory, then write changed files only), with a timer around
//! each phase and the figures the benchmark prints.

use serde_json::{Value, json};
use std::path::Path;
use std::time::Instant;

/// The marker of the report line a child process prints.
pub const MARKER: &str = "DPC-BENCH";

/// What one validate + synth + write did and how long each phase took.
#[derive(Clone, Debug, PartialEq)]
pub struct RunReport {
    /// Pipelines loaded.
    pub pipelines: usize,
    /// Stacks synthesized.
    pub stacks: usize,
    /// Files in the assembly.
    pub files: usize,
    /// Bytes in the assembly.
    pub bytes: usize,
    /// Files the writer wrote, in assembly order.
    pub written: Vec<String>,
    /// Bytes of the files written.
    pub written_bytes: usize,
    /// Files left as they were.
    pub unchanged: usize,
    /// Stale files removed.
    pub removed: usize,
    /// `dpc validate`'s part: loading and checking every file, in milliseconds.
    pub load_ms: f64,
    /// Synthesis in memory, in milliseconds.
    pub synth_ms: f64,
    /// Writing the assembly, in milliseconds.
    pub write_ms: f64,
    /// Peak memory so far (KiB) after loading, after synthesis, and after writing.
    pub peak_kib_after: [Option<u64>; 3],
}

impl RunReport {
    /// Validate + synth + write, in milliseconds.
    pub fn total_ms(&self) -> f64 {
        self.load_ms + self.synth_ms + self.write_ms
    }

    /// The report as the JSON a child prints (with the process's peak memory added).
    pub fn to_json(&self, peak_kib: Option<u64>) -> Value {
        json!({
            "pipelines": self.pipelines,
            "stacks": self.stacks,
            "files": self.files,
            "bytes": self.bytes,
            "written": self.written,
            "writtenBytes": self.written_bytes,
            "unchanged": self.unchanged,
            "removed": self.removed,
            "loadMs": self.load_ms,
            "synthMs": self.synth_ms,
            "writeMs": self.write_ms,
            "totalMs": self.total_ms(),
            "peakKiBAfterLoad": self.peak_kib_after[0],
            "peakKiBAfterSynth": self.peak_kib_after[1],
            "peakKiBAfterWrite": self.peak_kib_after[2],
            "peakKiB": peak_kib,
        })
    }
}

/// Loads the organisation at `org`, synthesizes it and writes the assembly to `out`.
///
/// # Errors
/// Every diagnostic of a failed phase, rendered one per line.
pub fn run_once(org: &Path, out: &Path) -> Result<RunReport, String> {
    let started = Instant::now();
    // As `dpc synth ORG -o OUT` does it (synth-cli/src/commands/synth.rs).
    let options = dpc_schema::LoadOptions {
        exclude: vec![out.to_path_buf()],
        ..dpc_schema::LoadOptions::default()
    };
    let (organisation, _warnings) = dpc_schema::load_organisation_with_options(org, &options)
        .map_err(|errors| render("validate", &errors))?;
    let loaded = Instant::now();
    let peak_loaded = crate::measure::peak_rss_kib();
    // Exactly the CLI's call (`dpc synth ORG -o OUT`, reusing what OUT holds): stacks are built, rendered and linted one unit at a time
    // on every core, so there is no separate construct phase to time.
    let assembly = dpc_constructs::app::synthesize(
        &organisation,
        dpc_constructs::app::SynthOptions {
            cache_dir: Some(out.to_path_buf()),
            ..dpc_constructs::app::SynthOptions::default()
        },
    )
    .map_err(|errors| render("synth", &errors))?;
    let synthesized = Instant::now();
    let peak_synthesized = crate::measure::peak_rss_kib();
    let report = assembly
        .write(out)
        .map_err(|error| render("write", &[error]))?;
    let written_at = Instant::now();
    let peak_written = crate::measure::peak_rss_kib();

    let (files, bytes) = assembly
        .files()
        .fold((0, 0), |(n, b), (_, bytes)| (n + 1, b + bytes.len()));
    let written_bytes = report
        .written
        .iter()
        .filter_map(|p| assembly.file(p))
        .map(<[u8]>::len)
        .sum();
    Ok(RunReport {
        pipelines: organisation.pipelines.len(),
        stacks: assembly.stacks().len(),
        files,
        bytes,
        written_bytes,
        unchanged: report.unchanged.len(),
        removed: report.removed.len(),
        written: report.written,
        load_ms: ms(started, loaded),
        synth_ms: ms(loaded, synthesized),
        write_ms: ms(synthesized, written_at),
        peak_kib_after: [peak_loaded, peak_synthesized, peak_written],
    })
}

fn ms(from: Instant, to: Instant) -> f64 {
    to.duration_since(from).as_secs_f64() * 1e3
}

fn render(phase: &str, diagnostics: &[dpc_core::Diagnostic]) -> String {
    let mut text = format!("{phase} failed with {} diagnostic(s):", diagnostics.len());
    for d in diagnostics.iter().take(20) {
        text.push_str(&format!("\n  {d}"));
    }
    text
}

/// The CloudFormation resources over every template in the assembly folder `dir`: counted
/// by the parent, after the timed runs, so parsing 50 MB of JSON is not charged to the
/// process being timed (the CLI never does it).
///
/// # Errors
/// A template that cannot be read or parsed.
pub fn count_resources(dir: &Path) -> std::io::Result<usize> {
    let mut total = 0;
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.to_string_lossy().ends_with(".template.json") {
            let template: Value = serde_json::from_slice(&std::fs::read(&path)?)
                .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
            total += template
                .get("Resources")
                .and_then(Value::as_object)
                .map_or(0, |r| r.len());
        }
    }
    Ok(total)
}
