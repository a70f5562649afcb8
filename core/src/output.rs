//! The output folder is dpc's alone while it writes: [`OutputLock`].
//!
//! The lock is an advisory, exclusive lock (`flock`) on the folder itself, so taking it
//! puts no file into a folder that may turn out not to be dpc's, and it goes away with
//! the process however that ends (`kill -9` included): a lock is never left stale. While
//! it holds the lock, dpc keeps its process id in [`PID_FILE`] in the folder, so a
//! second dpc can say who it waits for; the file is removed when the lock is released,
//! and one left by a killed process is overwritten by the next.
//!
//! A synth holds the lock from reading the folder's cache to the last rename of the
//! write, so what it read there cannot change under it.

use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::read::{FileKind, kind_of};
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The file holding the process id of the dpc that holds the lock.
pub const PID_FILE: &str = ".dpc-lock";

/// How long [`crate::Assembly::write`] waits for another dpc writing the same folder.
pub const DEFAULT_WAIT: Duration = Duration::from_secs(30);

/// The lock on an output folder; released when dropped.
#[derive(Debug)]
pub struct OutputLock {
    dir: PathBuf,
    wait: Duration,
    /// The locked folder, or `None` while the folder does not exist yet (it is created
    /// and locked when the write begins, so a synth that fails creates nothing).
    held: Option<File>,
}

impl OutputLock {
    /// Takes the lock on `dir`, waiting up to `wait` for another dpc writing it;
    /// `waiting` is told once, with that dpc's process id when known, when it has to
    /// wait.
    ///
    /// # Errors
    /// At once, without waiting: `dir` is something other than a folder (a file, a FIFO,
    /// a socket, a device), or a non-empty folder dpc did not write. After `wait`:
    /// another dpc still writes it (`another dpc is writing DIR (pid N)`).
    pub fn acquire(
        dir: &Path,
        wait: Duration,
        waiting: impl FnMut(Option<u32>),
    ) -> Result<OutputLock, Diagnostic> {
        check_kind(dir)?;
        let mut lock = OutputLock {
            dir: dir.to_path_buf(),
            wait,
            held: None,
        };
        if dir.is_dir() {
            lock.lock(waiting)?;
        }
        Ok(lock)
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Creates the folder with `create` when it did not exist at [`OutputLock::acquire`],
    /// and locks it.
    pub(crate) fn ensure_locked(
        &mut self,
        create: impl FnOnce(&Path) -> io::Result<()>,
    ) -> Result<(), Diagnostic> {
        if self.held.is_some() {
            return Ok(());
        }
        check_kind(&self.dir)?;
        if !self.dir.is_dir() {
            create(&self.dir).map_err(|e| {
                Diagnostic::error(
                    codes::IO_ERROR,
                    format!("cannot create `{}`: {e}", self.dir.display()),
                )
            })?;
        }
        self.lock(|_| {})
    }

    fn lock(&mut self, mut waiting: impl FnMut(Option<u32>)) -> Result<(), Diagnostic> {
        let file = open_for_lock(&self.dir).map_err(|e| {
            Diagnostic::error(
                codes::IO_ERROR,
                format!("cannot lock `{}`: {e}", self.dir.display()),
            )
        })?;
        let start = Instant::now();
        let mut told = false;
        loop {
            match file.try_lock() {
                Ok(()) => break,
                Err(std::fs::TryLockError::WouldBlock) => {
                    let pid = self.holder();
                    if start.elapsed() >= self.wait {
                        return Err(Diagnostic::error(
                            codes::OUTPUT_LOCKED,
                            format!(
                                "another dpc is writing {} ({}); waited {} s",
                                self.dir.display(),
                                pid.map_or("pid unknown".to_owned(), |p| format!("pid {p}")),
                                self.wait.as_secs()
                            ),
                        )
                        .with_help("let it finish, then run this again"));
                    }
                    if !told {
                        waiting(pid);
                        told = true;
                    }
                    std::thread::sleep(Duration::from_millis(50));
                }
                Err(std::fs::TryLockError::Error(e)) => {
                    return Err(Diagnostic::error(
                        codes::IO_ERROR,
                        format!("cannot lock `{}`: {e}", self.dir.display()),
                    ));
                }
            }
        }
        // Ours now: a folder someone else's files are in is refused before dpc puts
        // anything there, its process id included.
        crate::write::previous_files(&self.dir)?;
        // Only for the message of a dpc that waits: failing to write it changes nothing.
        // Written beside and renamed over, so a planted link named like it is replaced,
        // never followed (writing through it would overwrite whatever it points at).
        let staged = self.dir.join(format!(
            "{}lock-{}",
            crate::write::TMP_PREFIX,
            std::process::id()
        ));
        let _ = std::fs::remove_file(&staged);
        let written = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&staged)
            .and_then(|mut f| {
                use std::io::Write as _;
                writeln!(f, "{}", std::process::id())
            });
        if written.is_ok() {
            let _ = std::fs::rename(&staged, self.dir.join(PID_FILE));
        }
        let _ = std::fs::remove_file(&staged);
        self.held = Some(file);
        Ok(())
    }

    /// The process id in [`PID_FILE`], when it holds one.
    fn holder(&self) -> Option<u32> {
        let bytes = crate::read::read_bounded(&self.dir.join(PID_FILE), 64).ok()?;
        std::str::from_utf8(&bytes).ok()?.trim().parse().ok()
    }
}

impl Drop for OutputLock {
    fn drop(&mut self) {
        if self.held.is_some() {
            // Still locked here: the file goes before the lock does.
            let _ = std::fs::remove_file(self.dir.join(PID_FILE));
        }
    }
}

/// Refuses at once a path that is not a folder (links followed) nor absent.
fn check_kind(dir: &Path) -> Result<(), Diagnostic> {
    let kind = match kind_of(dir) {
        Ok(None) => return Ok(()),
        Ok(Some(FileKind::Symlink)) => match std::fs::metadata(dir) {
            Ok(meta) => FileKind::of(&meta),
            // A link to nothing: creating the folder through it fails below, and says so.
            Err(_) => return Ok(()),
        },
        Ok(Some(kind)) => kind,
        Err(e) => {
            return Err(Diagnostic::error(
                codes::IO_ERROR,
                format!("cannot read `{}`: {e}", dir.display()),
            ));
        }
    };
    if kind == FileKind::Directory {
        return Ok(());
    }
    Err(Diagnostic::error(
        codes::OUTPUT_NOT_A_FOLDER,
        format!(
            "`{}` is {}, not a folder; dpc writes the assembly into a folder",
            dir.display(),
            kind.with_article()
        ),
    )
    .with_help("choose another output folder with `-o DIR`, or remove this"))
}

#[cfg(unix)]
fn open_for_lock(dir: &Path) -> io::Result<File> {
    // A folder opened for reading can be locked like a file.
    File::open(dir)
}

#[cfg(not(unix))]
fn open_for_lock(dir: &Path) -> io::Result<File> {
    // Elsewhere a folder cannot be opened as a file: lock the process-id file instead.
    std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join(PID_FILE))
}
