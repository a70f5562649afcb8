//! Measuring without trusting the thing measured: medians, the peak memory of a process
//! (from /proc, so no unsafe code), child processes timed from outside, and snapshots of
//! an output folder to see which files a run really wrote.

use std::collections::BTreeMap;
use std::fs;
use std::hash::{DefaultHasher, Hasher};
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

/// The median of `values` (the mean of the middle two for an even count); 0 for none.
pub fn median(values: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => 0.0,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

/// This process's peak resident set size in KiB (`VmHWM` in /proc/self/status: the same
/// figure getrusage reports as `ru_maxrss`), or `None` where /proc has no such line.
pub fn peak_rss_kib() -> Option<u64> {
    let status = fs::read_to_string("/proc/self/status").ok()?;
    vm_hwm(&status)
}

fn vm_hwm(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
}

/// What one child process printed and how long it took, seen from outside.
#[derive(Clone, Debug)]
pub struct ChildRun {
    /// Wall time from spawn to exit, in milliseconds.
    pub wall_ms: f64,
    /// The JSON object the child printed after `marker`.
    pub report: serde_json::Value,
}

/// Runs `command` to completion and reads the JSON object on the stdout line that starts
/// with `marker ` (one space).
///
/// # Errors
/// When the command cannot start, fails, or prints no such line; with its stderr.
pub fn run_child(mut command: Command, marker: &str) -> io::Result<ChildRun> {
    let started = Instant::now();
    let output = command.output()?;
    let wall_ms = started.elapsed().as_secs_f64() * 1e3;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(io::Error::other(format!(
            "{command:?} failed ({}):\n{stdout}{stderr}",
            output.status
        )));
    }
    let prefix = format!("{marker} ");
    let line = stdout
        .lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .ok_or_else(|| {
            io::Error::other(format!(
                "{command:?} printed no `{marker}` line:\n{stdout}{stderr}"
            ))
        })?;
    let report = serde_json::from_str(line)
        .map_err(|e| io::Error::other(format!("{command:?}: bad report ({e}): {line}")))?;
    Ok(ChildRun { wall_ms, report })
}

/// One file of a folder snapshot: what identifies its bytes, and when it was last written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileState {
    /// Its length in bytes.
    pub len: u64,
    /// A hash of its bytes.
    pub hash: u64,
    /// Its modification time.
    pub modified: Option<SystemTime>,
}

/// Every file below a folder (relative, `/`-separated paths), in path order.
pub type Snapshot = BTreeMap<String, FileState>;

/// Takes a [`Snapshot`] of `dir` (empty when it does not exist).
///
/// # Errors
/// When a file cannot be read.
pub fn snapshot(dir: &Path) -> io::Result<Snapshot> {
    let mut out = Snapshot::new();
    if dir.exists() {
        walk(dir, dir, &mut out)?;
    }
    Ok(out)
}

fn walk(root: &Path, dir: &Path, out: &mut Snapshot) -> io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let path = entry.path();
        // dpc's own index of reusable stacks changes with every stack that changed; it is
        // not part of the assembly the writer reports on.
        if dir == root && entry.file_name() == dpc_core::cache::CACHE_FILE {
            continue;
        }
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(root, &path, out)?;
        } else if kind.is_file() {
            let bytes = fs::read(&path)?;
            let mut hasher = DefaultHasher::new();
            hasher.write(&bytes);
            out.insert(
                relative(root, &path),
                FileState {
                    len: bytes.len() as u64,
                    hash: hasher.finish(),
                    modified: entry.metadata()?.modified().ok(),
                },
            );
        }
    }
    Ok(())
}

fn relative(root: &Path, path: &Path) -> String {
    let rel: PathBuf = path.strip_prefix(root).unwrap_or(path).to_path_buf();
    rel.components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// How a folder changed between two snapshots.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FolderChange {
    /// Files that are new or whose bytes differ.
    pub changed_bytes: Vec<String>,
    /// Files that are new or whose modification time moved: what was really written.
    pub touched: Vec<String>,
    /// Files that disappeared.
    pub removed: Vec<String>,
}

/// Compares two snapshots of one folder.
pub fn compare(before: &Snapshot, after: &Snapshot) -> FolderChange {
    let mut change = FolderChange::default();
    for (path, now) in after {
        match before.get(path) {
            None => {
                change.changed_bytes.push(path.clone());
                change.touched.push(path.clone());
            }
            Some(was) => {
                if (was.len, was.hash) != (now.len, now.hash) {
                    change.changed_bytes.push(path.clone());
                }
                if was.modified != now.modified {
                    change.touched.push(path.clone());
                }
            }
        }
    }
    change.removed = before
        .keys()
        .filter(|p| !after.contains_key(*p))
        .cloned()
        .collect();
    change
}

/// The machine, for the record next to the figures.
#[derive(Clone, Debug)]
pub struct Machine {
    /// Logical CPUs (`nproc`).
    pub cpus: usize,
    /// The CPU model from /proc/cpuinfo.
    pub cpu_model: String,
    /// Total memory in GiB.
    pub memory_gib: f64,
}

impl Machine {
    /// Reads the machine's description from /proc.
    pub fn detect() -> Machine {
        let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = fs::read_to_string("/proc/meminfo").unwrap_or_default();
        Machine {
            cpus: std::thread::available_parallelism().map_or(1, usize::from),
            cpu_model: cpuinfo
                .lines()
                .find_map(|l| l.strip_prefix("model name"))
                .and_then(|l| l.split_once(':'))
                .map_or_else(|| "unknown".to_owned(), |(_, m)| m.trim().to_owned()),
            memory_gib: meminfo
                .lines()
                .find_map(|l| l.strip_prefix("MemTotal:"))
                .and_then(|l| l.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
                .map_or(0.0, |kib| kib / 1024.0 / 1024.0),
        }
    }
}

/// The 1, 5 and 15 minute load averages (/proc/loadavg).
pub fn load_average() -> String {
    fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert_eq!(median(&[]), 0.0);
    }

    #[test]
    fn reads_vm_hwm_from_a_status_text_and_from_this_process() {
        assert_eq!(
            vm_hwm("Name:\tx\nVmHWM:\t   12345 kB\nVmRSS:\t 1 kB\n"),
            Some(12345)
        );
        assert_eq!(vm_hwm("Name:\tx\n"), None);
        assert!(peak_rss_kib().is_some_and(|k| k > 0));
    }

    #[test]
    fn compare_tells_rewritten_same_bytes_from_changed_bytes() {
        let dir = std::env::temp_dir().join(format!("dpc-bench-snap-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(dir.join("sub")).expect("dir");
        fs::write(dir.join("a.json"), "a").expect("write");
        fs::write(dir.join("sub/b.json"), "b").expect("write");
        fs::write(dir.join("gone.json"), "g").expect("write");
        let before = snapshot(&dir).expect("snapshot");
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            ["a.json", "gone.json", "sub/b.json"]
        );
        // Same bytes rewritten later: touched, not changed. Different bytes: both.
        std::thread::sleep(std::time::Duration::from_millis(20));
        fs::write(dir.join("a.json"), "a").expect("write");
        fs::write(dir.join("sub/b.json"), "B").expect("write");
        fs::write(dir.join("new.json"), "n").expect("write");
        fs::remove_file(dir.join("gone.json")).expect("remove");
        let change = compare(&before, &snapshot(&dir).expect("snapshot"));
        fs::remove_dir_all(&dir).expect("cleanup");
        assert_eq!(change.changed_bytes, ["new.json", "sub/b.json"]);
        assert_eq!(change.touched, ["a.json", "new.json", "sub/b.json"]);
        assert_eq!(change.removed, ["gone.json"]);
    }
}
