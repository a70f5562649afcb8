//! Writing an assembly to disk so that the folder holds the old assembly or the new one,
//! never a mix a reader could take for either.
//!
//! 1. **Check.** The folder must be absent, empty (dpc's own leftovers aside) or a dpc
//!    assembly (its `.dpc-assembly` marker lists the files of the last write); anything
//!    else is refused untouched. The caller holds the folder's lock ([`OutputLock`]).
//! 2. **Clean.** Leftovers of a write that was killed (`.dpc-tmp-*`, `.dpc-old-*`) are
//!    removed: nothing reads them.
//! 3. **Stage.** Every file whose bytes differ from what is on disk is written under a
//!    unique temporary name in the folder. This is where nearly all the time goes, and
//!    where a full disk strikes; a failure here removes the temporary files and leaves
//!    the old assembly exactly as it was.
//! 4. **Commit.** A burst of renames, the same file system throughout: the marker first
//!    (listing old and new files, so a killed write can still be cleaned up), then
//!    `manifest.json` is moved aside (during the burst the folder has no manifest, so the
//!    CDK CLI reads no half-new assembly: it finds none at all), each changed file
//!    replaces its old one, stale files are moved aside, the cache index and the final
//!    marker go in, and `manifest.json` goes in last: that rename is the commit point.
//!    Every old file is moved aside rather than overwritten, so a failure during the
//!    burst puts them all back and the old assembly is restored byte for byte.
//! 5. **Tidy.** What was moved aside is deleted, and folders of stale assets that became
//!    empty; a failure here is harmless (the next write removes the leftovers).
//!
//! "Old" and "new" are the files of the last and of this write, with the marker and
//! the cache index; files of the user's own in a dpc folder are never touched. After a
//! `kill -9` (or a crash of the machine's power supply aside: nothing is fsync'd, so the
//! guarantee is against dpc dying, not the kernel) the folder is the old assembly, the
//! new one, or, when killed during the burst, one without `manifest.json`, which no
//! reader accepts; the next synth completes it in every case.
//!
//! Every change to the disk goes through `Fs`, so tests can fail any one of them.

use crate::assembly::{MARKER_FILE, WriteReport, is_safe_relative_path};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::output::OutputLock;
use crate::read::{MAX_ASSEMBLY_JSON_BYTES, ReadError, read_bounded};
use indexmap::{IndexMap, IndexSet};
use rayon::prelude::*;
use serde_json::json;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

const MANIFEST_FILE: &str = "manifest.json";
/// Prefix of a file being staged: renamed into place, or removed.
pub(crate) const TMP_PREFIX: &str = ".dpc-tmp-";
/// Prefix of an old file moved aside during the commit: put back, or removed.
const OLD_PREFIX: &str = ".dpc-old-";

/// Whether `name` (a top-level entry) is dpc's own bookkeeping, never the user's: a
/// folder holding only these is as good as empty.
pub(crate) fn is_bookkeeping(name: &str) -> bool {
    name.starts_with(TMP_PREFIX) || name.starts_with(OLD_PREFIX) || name == crate::output::PID_FILE
}

/// The changes the writer makes to the disk, one call each: the seam where tests fail a
/// chosen one.
pub(crate) trait Fs: Sync {
    /// Creates `path`, which must not exist, holding `bytes`.
    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Renames `from` to `to`, replacing a file at `to`.
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Removes the file `path`.
    fn remove_file(&self, path: &Path) -> io::Result<()>;
    /// Creates the folder `path` and its missing parents.
    fn create_dir_all(&self, path: &Path) -> io::Result<()>;
    /// Removes the empty folder `path`.
    fn remove_dir(&self, path: &Path) -> io::Result<()>;
}

/// The real file system. With `DPC_TEST_PAUSE_BEFORE_WRITE=N` in the environment (a test
/// hook: the tests that `kill -9` a writer use it), the N-th change (1-based) waits for
/// a line on standard input first, having said so on standard error.
pub(crate) struct RealFs {
    pause_before: Option<usize>,
    count: AtomicUsize,
}

impl RealFs {
    pub(crate) fn from_env() -> RealFs {
        RealFs {
            pause_before: std::env::var("DPC_TEST_PAUSE_BEFORE_WRITE")
                .ok()
                .and_then(|n| n.parse().ok()),
            count: AtomicUsize::new(0),
        }
    }

    fn step(&self, what: &str, path: &Path) {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        if self.pause_before == Some(n) {
            say_unlocked(&format!(
                "dpc: test hook: paused before write {n} ({what} {})\n",
                path.display()
            ));
            let mut line = String::new();
            let _ = io::stdin().read_line(&mut line);
        }
    }
}

/// Writes `line` to standard error past its lock: the `dpc` binary holds that lock for
/// the whole run, and this is said from whichever thread writes.
fn say_unlocked(line: &str) {
    #[cfg(unix)]
    {
        use std::io::Write;
        use std::os::fd::AsFd;
        if let Ok(fd) = io::stderr().as_fd().try_clone_to_owned() {
            let _ = std::fs::File::from(fd).write_all(line.as_bytes());
        }
    }
    #[cfg(not(unix))]
    let _ = line;
}

impl Fs for RealFs {
    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        use std::io::Write;
        self.step("write", path);
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)?;
        file.write_all(bytes)
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.step("rename", to);
        std::fs::rename(from, to)
    }

    fn remove_file(&self, path: &Path) -> io::Result<()> {
        self.step("remove", path);
        std::fs::remove_file(path)
    }

    fn create_dir_all(&self, path: &Path) -> io::Result<()> {
        self.step("mkdir", path);
        std::fs::create_dir_all(path)
    }

    fn remove_dir(&self, path: &Path) -> io::Result<()> {
        self.step("rmdir", path);
        std::fs::remove_dir(path)
    }
}

/// What [`write`] is asked to put on disk.
pub(crate) struct Files<'a> {
    /// The assembly's files, `manifest.json` among them.
    pub files: &'a IndexMap<String, Arc<Vec<u8>>>,
    /// Staged paths of assets built later: never removed as stale.
    pub preserved: &'a [String],
    /// Files known to hold their bytes already (reused from the cache moments ago).
    pub known: &'a IndexSet<&'a str>,
    /// The cache index, or `None` to remove it.
    pub cache_index: Option<Vec<u8>>,
}

/// One file to put in place: where, and the temporary file holding its bytes.
struct Put {
    rel: String,
    tmp: PathBuf,
}

/// What the commit did so far, undone in reverse on failure.
enum Done {
    /// `rel` was moved aside to `old`.
    MovedAside { rel: String, old: PathBuf },
    /// A new file was renamed to `rel` (its old one, if any, is a [`Done::MovedAside`]).
    Placed { rel: String },
    /// The folder was created.
    MadeDir(PathBuf),
    /// The marker was replaced; `backup` holds the old one (none: there was none).
    MarkerReplaced { backup: Option<PathBuf> },
}

/// Writes `what` into the folder `lock` holds (see the module documentation).
pub(crate) fn write(
    lock: &mut OutputLock,
    what: Files<'_>,
    fs: &dyn Fs,
) -> Result<WriteReport, Diagnostic> {
    let dir = lock.dir().to_path_buf();
    let dir = dir.as_path();
    let io_error = |what: &str, path: &Path, e: io::Error| {
        Diagnostic::error(
            codes::IO_ERROR,
            format!("cannot {what} `{}`: {e}", path.display()),
        )
    };
    lock.ensure_locked(|d| fs.create_dir_all(d))?;
    // Nothing to compare against in a new or empty folder (`None`): no file is read back.
    let previous = previous_marker(dir)?;
    remove_leftovers(dir, fs).map_err(|(path, e)| io_error("remove", &path, e))?;
    let fresh = previous.is_none();
    let (previous, old_marker) = match previous {
        Some((files, bytes)) => (files, Some(bytes)),
        None => (Vec::new(), None),
    };
    let previous_set: IndexSet<&str> = previous.iter().map(String::as_str).collect();

    let current: IndexSet<String> = what.files.keys().cloned().collect();
    let stale: Vec<String> = previous
        .iter()
        .filter(|p| {
            !current.contains(*p) && !what.preserved.contains(p) && is_safe_relative_path(p)
        })
        // The marker is read back, so not trusted: only a path through real folders of
        // this one, never dpc's own files.
        .filter(|p| through_real_folders(dir, p) && !is_reserved(p))
        .filter(|p| std::fs::symlink_metadata(dir.join(p)).is_ok())
        .cloned()
        .collect();

    // Which files differ from the disk: compared in parallel, the order stays the
    // assembly's.
    let entries: Vec<(&String, &Arc<Vec<u8>>)> = what.files.iter().collect();
    let changed: Vec<bool> = entries
        .par_iter()
        .map(|(path, bytes)| {
            if what.known.contains(path.as_str()) {
                false
            } else if fresh {
                true
            } else {
                differs(&dir.join(path), bytes)
            }
        })
        .collect();
    let mut report = WriteReport::default();
    let mut to_put: Vec<(&str, &[u8])> = Vec::new();
    let mut manifest: Option<&[u8]> = None;
    for ((path, bytes), changed) in what.files.iter().zip(changed) {
        if !changed {
            if path != MANIFEST_FILE {
                report.unchanged.push(path.clone());
            }
            continue;
        }
        if path == MANIFEST_FILE {
            manifest = Some(bytes);
        } else {
            report.written.push(path.clone());
            to_put.push((path, bytes));
        }
    }
    let cache_path = dir.join(crate::cache::CACHE_FILE);
    let cache_put = match &what.cache_index {
        Some(bytes) if fresh || differs(&cache_path, bytes) => Some(bytes.as_slice()),
        _ => None,
    };
    let cache_remove = what.cache_index.is_none() && cache_path.is_file();
    let marker_final = marker(&current);
    let marker_changed = fresh || differs(&dir.join(MARKER_FILE), &marker_final);
    // New names must be in the marker before they appear, so that a write killed during
    // the commit leaves nothing the next one does not know to remove.
    let new_names = to_put.iter().any(|(p, _)| !previous_set.contains(p))
        || manifest.is_some() && !previous_set.contains(MANIFEST_FILE);
    let marker_union = new_names.then(|| {
        let mut union: IndexSet<String> = current.clone();
        union.extend(previous.iter().cloned());
        marker(&union)
    });

    let nothing_to_do = to_put.is_empty()
        && manifest.is_none()
        && stale.is_empty()
        && cache_put.is_none()
        && !cache_remove
        && !marker_changed;
    if nothing_to_do {
        if what.files.contains_key(MANIFEST_FILE) {
            report.unchanged.push(MANIFEST_FILE.to_owned());
        }
        return Ok(report);
    }

    if let Some((rel, _)) = to_put
        .iter()
        .find(|(rel, _)| !through_real_folders(dir, rel))
    {
        return Err(Diagnostic::error(
            codes::IO_ERROR,
            format!(
                "cannot write `{}`: a folder on the way is not a folder of the assembly (a link?)",
                dir.join(rel).display()
            ),
        )
        .with_help("remove it: dpc writes only into real folders of its assembly"));
    }
    // Stage: every new byte is on disk, under a temporary name, before anything moves.
    let names = Names::default();
    let mut staging: Vec<(String, &[u8])> = to_put
        .iter()
        .map(|(rel, bytes)| ((*rel).to_owned(), *bytes))
        .collect();
    if let Some(bytes) = cache_put {
        staging.push((crate::cache::CACHE_FILE.to_owned(), bytes));
    }
    if let Some(bytes) = &marker_union {
        staging.push((UNION_MARKER.to_owned(), bytes));
    }
    if marker_changed {
        staging.push((MARKER_FILE.to_owned(), &marker_final));
    }
    // The marker is replaced in one rename, never moved aside (a folder without it is
    // not dpc's): a copy of the old one is what a failed commit puts back.
    if (marker_changed || marker_union.is_some())
        && let Some(bytes) = &old_marker
    {
        staging.push((OLD_MARKER.to_owned(), bytes));
    }
    if let Some(bytes) = manifest {
        staging.push((MANIFEST_FILE.to_owned(), bytes));
    }
    // A failure names the file it was for, and the temporary file to remove.
    type Staged = Result<Put, (String, PathBuf, io::Error)>;
    let staged: Vec<Staged> = staging
        .par_iter()
        .map(|(rel, bytes)| {
            let tmp = dir.join(names.tmp());
            fs.write_new(&tmp, bytes)
                .map(|()| Put {
                    rel: rel.clone(),
                    tmp: tmp.clone(),
                })
                .map_err(|e| (rel.clone(), tmp, e))
        })
        .collect();
    let mut puts = Vec::with_capacity(staged.len());
    let mut failure = None;
    for result in staged {
        match result {
            Ok(put) => puts.push(put),
            Err((rel, tmp, e)) => {
                // A partly written temporary file is removed with the others.
                let _ = fs.remove_file(&tmp);
                let shown = match rel.as_str() {
                    UNION_MARKER | OLD_MARKER => MARKER_FILE,
                    other => other,
                };
                failure.get_or_insert((dir.join(shown), e));
            }
        }
    }
    if let Some((path, e)) = failure {
        for put in &puts {
            let _ = fs.remove_file(&put.tmp);
        }
        return Err(io_error("write", &path, e)
            .with_help("nothing was changed: the assembly in the folder is as it was"));
    }
    let take = |puts: &mut Vec<Put>, rel: &str| -> Option<Put> {
        let i = puts.iter().position(|p| p.rel == rel)?;
        Some(puts.remove(i))
    };
    let manifest_put = take(&mut puts, MANIFEST_FILE);
    let marker_put = take(&mut puts, MARKER_FILE);
    let union_put = take(&mut puts, UNION_MARKER);
    let cache_put = take(&mut puts, crate::cache::CACHE_FILE);
    let old_marker_put = take(&mut puts, OLD_MARKER);
    // The rest, in assembly order (`staging` kept it).

    let mut done: Vec<Done> = Vec::new();
    let result = commit(
        dir,
        fs,
        &names,
        Commit {
            old_marker: old_marker_put,
            union: union_put,
            files: puts,
            stale: &stale,
            cache: cache_put,
            cache_remove,
            marker: marker_put,
            manifest: manifest_put,
        },
        &mut done,
    );
    match result {
        Ok(()) => {
            tidy(dir, fs, &done, &stale);
            if manifest.is_some() {
                report.written.push(MANIFEST_FILE.to_owned());
            } else if what.files.contains_key(MANIFEST_FILE) {
                report.unchanged.push(MANIFEST_FILE.to_owned());
            }
            report.removed = stale;
            Ok(report)
        }
        Err((what, path, e, leftover)) => {
            let restored = roll_back(dir, fs, done);
            for tmp in leftover {
                let _ = fs.remove_file(&tmp);
            }
            let help = if restored {
                "the assembly in the folder was left as it was".to_owned()
            } else {
                "the folder could not be put back as it was and has no manifest.json now; the next `dpc synth` completes it".to_owned()
            };
            Err(io_error(what, &path, e).with_help(help))
        }
    }
}

/// The marker listing old and new files, staged under this name (never written as such).
const UNION_MARKER: &str = "\0union-marker";
/// A copy of the old marker, staged under this name.
const OLD_MARKER: &str = "\0old-marker";

/// The commit's renames.
struct Commit<'a> {
    /// The old marker's copy, when the marker changes and there was one.
    old_marker: Option<Put>,
    union: Option<Put>,
    files: Vec<Put>,
    stale: &'a [String],
    cache: Option<Put>,
    cache_remove: bool,
    marker: Option<Put>,
    manifest: Option<Put>,
}

/// Why the commit stopped: what it did, where, the error, and the temporary files it
/// had not used yet.
type CommitError = (&'static str, PathBuf, io::Error, Vec<PathBuf>);

fn commit(
    dir: &Path,
    fs: &dyn Fs,
    names: &Names,
    c: Commit<'_>,
    done: &mut Vec<Done>,
) -> Result<(), CommitError> {
    let mut pending: Vec<PathBuf> = c
        .old_marker
        .iter()
        .chain(&c.union)
        .chain(&c.files)
        .chain(&c.cache)
        .chain(&c.marker)
        .chain(&c.manifest)
        .map(|p| p.tmp.clone())
        .collect();
    macro_rules! attempt {
        ($what:expr, $path:expr, $op:expr) => {
            if let Err(e) = $op {
                return Err(($what, $path.to_path_buf(), e, pending.clone()));
            }
        };
    }
    // Moves `rel` aside (when it exists) and records it.
    let move_aside = |rel: &str, done: &mut Vec<Done>, pending: &Vec<PathBuf>| {
        let target = dir.join(rel);
        if std::fs::symlink_metadata(&target).is_err() {
            return Ok(());
        }
        let old = dir.join(names.old());
        match fs.rename(&target, &old) {
            Ok(()) => {
                done.push(Done::MovedAside {
                    rel: rel.to_owned(),
                    old,
                });
                Ok(())
            }
            Err(e) => Err(("move aside", target, e, pending.clone())),
        }
    };
    let place = |put: &Put, done: &mut Vec<Done>, pending: &mut Vec<PathBuf>| {
        let target = dir.join(&put.rel);
        match fs.rename(&put.tmp, &target) {
            Ok(()) => {
                pending.retain(|p| p != &put.tmp);
                done.push(Done::Placed {
                    rel: put.rel.clone(),
                });
                Ok(())
            }
            Err(e) => Err(("write", target, e, pending.clone())),
        }
    };

    // From here until the last rename the folder has no manifest: no reader takes it
    // for an assembly, old or new.
    move_aside(MANIFEST_FILE, done, &pending)?;
    // Replaces the marker in one rename; the first time, records how to undo it.
    let mut marker_recorded = false;
    let mut replace_marker =
        |tmp: &Path, done: &mut Vec<Done>, pending: &mut Vec<PathBuf>| -> Result<(), CommitError> {
            let target = dir.join(MARKER_FILE);
            if let Err(e) = fs.rename(tmp, &target) {
                return Err(("write", target, e, pending.clone()));
            }
            pending.retain(|p| p != tmp);
            if !marker_recorded {
                marker_recorded = true;
                let backup = c.old_marker.as_ref().map(|p| p.tmp.clone());
                if let Some(backup) = &backup {
                    pending.retain(|p| p != backup);
                }
                done.push(Done::MarkerReplaced { backup });
            }
            Ok(())
        };
    if let Some(union) = &c.union {
        replace_marker(&union.tmp, done, &mut pending)?;
    }
    for put in &c.files {
        if let Some(parent) = Path::new(&put.rel).parent()
            && !parent.as_os_str().is_empty()
        {
            let folder = dir.join(parent);
            if !folder.is_dir() {
                // Each missing level is recorded, to be removed again on failure.
                let mut missing = Vec::new();
                let mut at = folder.as_path();
                while at != dir && !at.is_dir() {
                    missing.push(at.to_path_buf());
                    match at.parent() {
                        Some(up) => at = up,
                        None => break,
                    }
                }
                attempt!("create", folder, fs.create_dir_all(&folder));
                done.extend(missing.into_iter().rev().map(Done::MadeDir));
            }
        }
        move_aside(&put.rel, done, &pending)?;
        place(put, done, &mut pending)?;
    }
    for rel in c.stale {
        move_aside(rel, done, &pending)?;
    }
    if let Some(cache) = &c.cache {
        move_aside(crate::cache::CACHE_FILE, done, &pending)?;
        place(cache, done, &mut pending)?;
    } else if c.cache_remove {
        move_aside(crate::cache::CACHE_FILE, done, &pending)?;
    }
    if let Some(marker) = &c.marker {
        replace_marker(&marker.tmp, done, &mut pending)?;
    }
    // A copy of the old marker nobody needed (nothing else changed it).
    if !marker_recorded && let Some(copy) = &c.old_marker {
        let _ = fs.remove_file(&copy.tmp);
        pending.retain(|p| p != &copy.tmp);
    }
    match &c.manifest {
        Some(manifest) => place(manifest, done, &mut pending)?,
        None => {
            // Unchanged: the one moved aside goes back.
            if let Some(i) = done.iter().position(
                |d| matches!(d, Done::MovedAside { rel, .. } if rel.as_str() == MANIFEST_FILE),
            ) && let Done::MovedAside { old, .. } = &done[i]
            {
                let old = old.clone();
                attempt!(
                    "write",
                    dir.join(MANIFEST_FILE),
                    fs.rename(&old, &dir.join(MANIFEST_FILE))
                );
                done.remove(i);
            }
        }
    }
    Ok(())
}

/// Undoes `done`, newest first: returns whether everything was put back.
fn roll_back(dir: &Path, fs: &dyn Fs, done: Vec<Done>) -> bool {
    let mut restored = true;
    for step in done.into_iter().rev() {
        let ok = match step {
            Done::Placed { rel } => fs.remove_file(&dir.join(&rel)).is_ok(),
            Done::MovedAside { rel, old } => fs.rename(&old, &dir.join(&rel)).is_ok(),
            Done::MadeDir(path) => fs.remove_dir(&path).is_ok(),
            Done::MarkerReplaced { backup: Some(old) } => {
                fs.rename(&old, &dir.join(MARKER_FILE)).is_ok()
            }
            Done::MarkerReplaced { backup: None } => fs.remove_file(&dir.join(MARKER_FILE)).is_ok(),
        };
        restored &= ok;
    }
    restored
}

/// After the commit: removes what was moved aside, and folders of stale files left empty.
fn tidy(dir: &Path, fs: &dyn Fs, done: &[Done], stale: &[String]) {
    for step in done {
        match step {
            Done::MovedAside { old, .. }
            | Done::MarkerReplaced {
                backup: Some(old), ..
            } => {
                let _ = fs.remove_file(old);
            }
            _ => {}
        }
    }
    for rel in stale {
        remove_empty_parents(dir, rel, fs);
    }
}

/// Whether every folder on the way to `rel` is absent or a real folder of `dir`, not a
/// link: what is written or removed there stays in `dir`.
fn through_real_folders(dir: &Path, rel: &str) -> bool {
    let mut at = dir.to_path_buf();
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    for part in parts {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return false,
            Err(_) => return true,
        }
    }
    true
}

/// dpc's own files, which no list read from disk may name as stale.
fn is_reserved(rel: &str) -> bool {
    rel == MARKER_FILE || rel == crate::cache::CACHE_FILE || is_bookkeeping(rel)
}

/// Unique names for temporary and moved-aside files: the process id, then a counter.
#[derive(Default)]
struct Names(AtomicUsize);

impl Names {
    fn next(&self, prefix: &str) -> String {
        let n = self.0.fetch_add(1, Ordering::Relaxed);
        format!("{prefix}{}-{n}", std::process::id())
    }
    fn tmp(&self) -> String {
        self.next(TMP_PREFIX)
    }
    fn old(&self) -> String {
        self.next(OLD_PREFIX)
    }
}

/// Whether the file at `path` does not hold exactly `bytes` (missing, unreadable or
/// different all count as different).
fn differs(path: &Path, bytes: &[u8]) -> bool {
    let limit = (bytes.len() as u64).max(MAX_ASSEMBLY_JSON_BYTES);
    !matches!(read_bounded(path, limit), Ok(existing) if existing == bytes)
}

/// Removes what a killed write left: temporary and moved-aside files, which nothing else
/// reads (the lock is held, so no other write is under way).
fn remove_leftovers(dir: &Path, fs: &dyn Fs) -> Result<(), (PathBuf, io::Error)> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with(TMP_PREFIX) || name.starts_with(OLD_PREFIX) {
            let path = entry.path();
            // dpc only ever leaves files; a folder named like one (made by hand, or by
            // anything else) would make every later write fail: it goes too, without
            // following a link.
            let is_dir = std::fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir());
            if is_dir {
                std::fs::remove_dir_all(&path).map_err(|e| (path, e))?;
            } else {
                fs.remove_file(&path).map_err(|e| (path, e))?;
            }
        }
    }
    Ok(())
}

/// The files the previous dpc write listed; `None` for an absent or empty directory
/// (dpc's own leftovers aside); a non-empty directory without a readable marker is not
/// ours and is refused.
pub(crate) fn previous_files(dir: &Path) -> Result<Option<Vec<String>>, Diagnostic> {
    Ok(previous_marker(dir)?.map(|(files, _)| files))
}

/// The files a marker lists, and its bytes.
type Marker = (Vec<String>, Vec<u8>);

/// [`previous_files`], with the marker's bytes.
fn previous_marker(dir: &Path) -> Result<Option<Marker>, Diagnostic> {
    let foreign = || {
        Diagnostic::error(
            codes::FOREIGN_OUTPUT_DIR,
            format!(
                "`{}` is not empty and was not written by dpc; refusing to write into it",
                dir.display()
            ),
        )
        .with_help("choose an empty or new output directory, or remove this one")
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotADirectory => return Err(foreign()),
        Err(e) => {
            return Err(Diagnostic::error(
                codes::IO_ERROR,
                format!("cannot read `{}`: {e}", dir.display()),
            ));
        }
    };
    let mut empty = true;
    for entry in entries {
        let entry = entry.map_err(|e| {
            Diagnostic::error(
                codes::IO_ERROR,
                format!("cannot read `{}`: {e}", dir.display()),
            )
        })?;
        if !is_bookkeeping(&entry.file_name().to_string_lossy()) {
            empty = false;
            break;
        }
    }
    if empty {
        return Ok(None);
    }
    let marker = match read_bounded(&dir.join(MARKER_FILE), MAX_ASSEMBLY_JSON_BYTES) {
        Ok(bytes) => bytes,
        Err(ReadError::NotFound | ReadError::NotAFile(_)) => return Err(foreign()),
        Err(e) => {
            return Err(Diagnostic::error(
                codes::IO_ERROR,
                format!("cannot read `{}`: {e}", dir.join(MARKER_FILE).display()),
            ));
        }
    };
    let parsed: serde_json::Value = serde_json::from_slice(&marker).map_err(|_| foreign())?;
    if parsed.get("generator").and_then(|g| g.as_str()) != Some("dpc") {
        return Err(foreign());
    }
    let files = parsed
        .get("files")
        .and_then(|f| f.as_array())
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    Ok(Some((files, marker)))
}

fn marker(files: &IndexSet<String>) -> Vec<u8> {
    let mut sorted: Vec<&String> = files.iter().collect();
    sorted.sort();
    crate::synth::to_pretty_bytes(&json!({ "generator": "dpc", "files": sorted }))
}

/// Removes the directories of `rel` that became empty (staged asset directories).
fn remove_empty_parents(dir: &Path, rel: &str, fs: &dyn Fs) {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    while !parts.is_empty() {
        let candidate = dir.join(parts.join("/"));
        // Fails, harmlessly, when the directory still has entries.
        if fs.remove_dir(&candidate).is_err() {
            break;
        }
        parts.pop();
    }
}

#[cfg(test)]
mod tests {
    //! Fails the writer's N-th change to the disk, for every N, and checks the folder
    //! holds the old assembly or the new one, and that the next write repairs it.

    // In a test a panic is the failure report.
    #![allow(clippy::unwrap_used)]

    use super::*;
    use crate::{App, Assembly, FileAsset, RawResource, StackProps};
    use std::collections::BTreeMap;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    /// The real file system, except that change number `fail_at` (1-based) fails as a
    /// full disk does; with `crash`, so does every change after it (the process died).
    struct Faulty {
        fail_at: usize,
        crash: bool,
        count: AtomicUsize,
        hit: AtomicBool,
    }

    impl Faulty {
        fn new(fail_at: usize, crash: bool) -> Faulty {
            Faulty {
                fail_at,
                crash,
                count: AtomicUsize::new(0),
                hit: AtomicBool::new(false),
            }
        }

        fn gate(&self) -> io::Result<()> {
            let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
            if n == self.fail_at || (self.crash && n > self.fail_at) {
                self.hit.store(true, Ordering::SeqCst);
                return Err(io::Error::from_raw_os_error(28)); // ENOSPC
            }
            Ok(())
        }
    }

    impl Fs for Faulty {
        fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
            if let Err(e) = self.gate() {
                // The failing write itself leaves half its bytes, as a full disk does.
                if self.count.load(Ordering::SeqCst) == self.fail_at {
                    let _ = std::fs::write(path, &bytes[..bytes.len() / 2]);
                }
                return Err(e);
            }
            std::fs::write(path, bytes)
        }
        fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
            self.gate()?;
            std::fs::rename(from, to)
        }
        fn remove_file(&self, path: &Path) -> io::Result<()> {
            self.gate()?;
            std::fs::remove_file(path)
        }
        fn create_dir_all(&self, path: &Path) -> io::Result<()> {
            self.gate()?;
            std::fs::create_dir_all(path)
        }
        fn remove_dir(&self, path: &Path) -> io::Result<()> {
            self.gate()?;
            std::fs::remove_dir(path)
        }
    }

    fn env() -> StackProps {
        StackProps {
            account: "111111111111".into(),
            region: "eu-west-1".into(),
            ..StackProps::default()
        }
    }

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dpc-write-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    /// Stacks named in `stacks`, each a queue named `queue`; `B` and `D` also stage
    /// a directory asset (`src/<stack>`), `C` a script given as bytes. Cached under
    /// `key`, with a `lineage.json` of `lineage`.
    fn assembly(stacks: &[&str], queue: &str, src: &Path, key: &str, lineage: &str) -> Assembly {
        let mut all: Option<crate::Rendered> = None;
        // One app per stack, as dpc builds them: each cached on its own.
        for name in stacks {
            let mut app = App::new();
            let stack = app.add_stack(name, env()).unwrap();
            let mut scope = app.scope(stack).unwrap();
            scope
                .add_resource(
                    "Q",
                    RawResource::new("AWS::SQS::Queue", serde_json::json!({"QueueName": queue})),
                )
                .unwrap();
            match *name {
                "B" | "D" => {
                    let dir = src.join(name);
                    std::fs::create_dir_all(dir.join("pkg")).unwrap();
                    std::fs::write(dir.join("main.py"), format!("print('{name}')\n")).unwrap();
                    std::fs::write(dir.join("pkg/util.py"), format!("X = '{name}'\n")).unwrap();
                    // A zipped directory is never cached: B and D are always built.
                    scope.add_file_asset(FileAsset::directory(dir)).unwrap();
                }
                "C" => {
                    scope
                        .add_file_asset(FileAsset::bytes(b"print('c')\n".to_vec(), "py"))
                        .unwrap();
                }
                _ => {}
            }
            let mut rendered = app.render().unwrap();
            rendered.cache_as(&format!("{key}-{name}"));
            match &mut all {
                Some(all) => all.merge(rendered).unwrap(),
                None => all = Some(rendered),
            }
        }
        let mut assembly = match all {
            Some(all) => all.into_assembly().unwrap(),
            None => App::new().synth().unwrap(),
        };
        assembly
            .add_file("lineage.json", lineage.as_bytes().to_vec())
            .unwrap();
        assembly
    }

    /// Every file below `dir`, relative path → bytes (none for an absent folder).
    fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
        let mut out = BTreeMap::new();
        let mut pending = vec![dir.to_path_buf()];
        while let Some(d) = pending.pop() {
            let Ok(entries) = std::fs::read_dir(&d) else {
                continue;
            };
            for entry in entries {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    pending.push(path);
                } else {
                    let rel = path
                        .strip_prefix(dir)
                        .unwrap()
                        .to_string_lossy()
                        .into_owned();
                    out.insert(rel, std::fs::read(&path).unwrap());
                }
            }
        }
        out
    }

    fn without_leftovers(mut snap: BTreeMap<String, Vec<u8>>) -> BTreeMap<String, Vec<u8>> {
        snap.retain(|name, _| !is_bookkeeping(name));
        snap
    }

    /// For every N until no failure is hit: the old assembly (or none, `old` empty) in a
    /// folder, the new one written with change N failing, then checked, then repaired.
    fn fail_every_write(name: &str, old: &[&str], crash: bool) {
        let src = temp(&format!("{name}-src"));
        let old_asm = assembly(old, "one", &src, "k1", "{\"v\":1}\n");
        let new_asm = assembly(&["A", "C", "D"], "two", &src, "k2", "{\"v\":2}\n");
        let reference = temp(&format!("{name}-reference"));
        new_asm.write(&reference).unwrap();
        let new_snap = snapshot(&reference);
        assert!(
            new_snap.contains_key(".dpc-cache.json"),
            "{:?}",
            new_snap.keys()
        );
        let dir = temp(name);
        for n in 1.. {
            let _ = std::fs::remove_dir_all(&dir);
            if !old.is_empty() {
                old_asm.write(&dir).unwrap();
            }
            let old_snap = snapshot(&dir);
            let faulty = Faulty::new(n, crash);
            let mut lock = OutputLock::acquire(&dir, Duration::ZERO, |_| {}).unwrap();
            let result = new_asm.write_with(&mut lock, &faulty);
            drop(lock);
            let state = snapshot(&dir);
            if !faulty.hit.load(Ordering::SeqCst) {
                assert!(result.is_ok(), "{result:?}");
                assert_eq!(state, new_snap, "no failure: the new assembly");
                assert!(n > 10, "only {n} changes: the test tests nothing");
                break;
            }
            let seen = without_leftovers(state.clone());
            let is_old = seen == old_snap;
            let is_new = seen == new_snap;
            if crash {
                // Killed: no rollback ran. Old, new, or no manifest at all.
                assert!(
                    is_old || is_new || !seen.contains_key(MANIFEST_FILE),
                    "killed at change {n}: a manifest over a mix: {:?}",
                    seen.keys()
                );
            } else if result.is_err() {
                assert_eq!(
                    state, old_snap,
                    "change {n} failed: the old assembly, exactly"
                );
            } else {
                // Only tidying failed: the new assembly, and a leftover at most.
                assert!(
                    is_new,
                    "change {n} failed after the commit: {:?}",
                    seen.keys()
                );
            }
            // The next write repairs whatever was left.
            new_asm.write(&dir).unwrap();
            assert_eq!(snapshot(&dir), new_snap, "repaired after change {n} failed");
        }
        for d in [&src, &reference, &dir] {
            let _ = std::fs::remove_dir_all(d);
        }
    }

    #[test]
    fn a_failed_change_leaves_the_old_assembly_or_the_new_one() {
        fail_every_write("fail-over-old", &["A", "B", "C"], false);
    }

    #[test]
    fn a_failed_change_into_a_new_folder_leaves_nothing_or_the_new_assembly() {
        fail_every_write("fail-fresh", &[], false);
    }

    #[test]
    fn a_killed_write_leaves_no_mixed_assembly_and_the_next_repairs_it() {
        fail_every_write("crash-over-old", &["A", "B", "C"], true);
        fail_every_write("crash-fresh", &[], true);
    }

    #[test]
    fn leftovers_of_a_killed_write_are_removed_and_an_empty_folder_with_only_them_is_ours() {
        let src = temp("leftover-src");
        let dir = temp("leftover");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(".dpc-tmp-1-0"), b"half").unwrap();
        std::fs::write(dir.join(".dpc-old-1-1"), b"old").unwrap();
        std::fs::write(dir.join(crate::output::PID_FILE), b"1\n").unwrap();
        let asm = assembly(&["A"], "one", &src, "k", "{}\n");
        asm.write(&dir).unwrap();
        let names: Vec<String> = snapshot(&dir).into_keys().collect();
        assert!(names.iter().all(|n| !is_bookkeeping(n)), "{names:?}");
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_dir_all(&src);
    }

    #[test]
    fn a_marker_naming_paths_through_a_link_removes_nothing_there() {
        let src = temp("marker-src");
        let dir = temp("marker");
        let outside = temp("marker-outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("precious"), b"mine").unwrap();
        let asm = assembly(&["A"], "one", &src, "k", "{}\n");
        asm.write(&dir).unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&outside, dir.join("link")).unwrap();
        let forged = serde_json::json!({
            "generator": "dpc",
            "files": ["link/precious", "../marker-outside/precious", ".dpc-cache.json"],
        });
        std::fs::write(dir.join(MARKER_FILE), forged.to_string()).unwrap();
        asm.write(&dir).unwrap();
        assert_eq!(std::fs::read(outside.join("precious")).unwrap(), b"mine");
        for d in [&src, &dir, &outside] {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
