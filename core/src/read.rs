//! Reading files that dpc did not just write: bounded before the read happens.
//!
//! Every file dpc reads (its inputs, job scripts and assets, assemblies given to `diff`,
//! its own cache index) goes through [`read_bounded`]: only a regular file is read, and
//! only up to a limit the caller names. The checks come before any byte is read, so a
//! FIFO, socket or device where a file belongs is an error at once (never a hang), and a
//! 10 GB file is an error, not an exhausted memory. The limit is enforced on the bytes
//! actually read as well, so a file that grows between the check and the read is still
//! cut off.

use std::fmt;
use std::io::{self, Read};
use std::path::{Path, PathBuf};

/// What a path turned out to be, for messages ("`x` is a FIFO, not a regular file").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A regular file: the only kind read.
    File,
    /// A folder.
    Directory,
    /// A named pipe: opening one for reading blocks until a writer comes.
    Fifo,
    /// A Unix socket.
    Socket,
    /// A character device (`/dev/zero`, a terminal).
    CharDevice,
    /// A block device (a disk).
    BlockDevice,
    /// A symbolic link (seen only where links are not followed).
    Symlink,
    /// Anything else the platform has.
    Other,
}

impl FileKind {
    /// The kind of the entry `meta` describes.
    pub fn of(meta: &std::fs::Metadata) -> FileKind {
        let kind = meta.file_type();
        if kind.is_file() {
            return FileKind::File;
        }
        if kind.is_dir() {
            return FileKind::Directory;
        }
        if kind.is_symlink() {
            return FileKind::Symlink;
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileTypeExt;
            if kind.is_fifo() {
                return FileKind::Fifo;
            }
            if kind.is_socket() {
                return FileKind::Socket;
            }
            if kind.is_char_device() {
                return FileKind::CharDevice;
            }
            if kind.is_block_device() {
                return FileKind::BlockDevice;
            }
        }
        FileKind::Other
    }

    /// "a FIFO", "a folder", … as a sentence puts it.
    pub fn with_article(self) -> &'static str {
        match self {
            FileKind::File => "a regular file",
            FileKind::Directory => "a folder",
            FileKind::Fifo => "a FIFO (named pipe)",
            FileKind::Socket => "a socket",
            FileKind::CharDevice => "a character device",
            FileKind::BlockDevice => "a block device",
            FileKind::Symlink => "a symbolic link",
            FileKind::Other => "not a regular file",
        }
    }
}

/// Why [`read_bounded`] read nothing.
#[derive(Debug)]
pub enum ReadError {
    /// Nothing is at the path.
    NotFound,
    /// Something other than a regular file is there.
    NotAFile(FileKind),
    /// The file is larger than the caller reads; `size` is what was seen (at least
    /// `limit + 1` when the file grew while it was read).
    TooLarge {
        /// The size seen.
        size: u64,
        /// The most the caller reads.
        limit: u64,
    },
    /// The file system refused (permissions, I/O error).
    Io(io::Error),
}

impl ReadError {
    /// Whether nothing is at the path (often not an error for the caller).
    pub fn is_not_found(&self) -> bool {
        matches!(self, ReadError::NotFound)
    }

    fn from_io(error: io::Error) -> ReadError {
        if error.kind() == io::ErrorKind::NotFound {
            ReadError::NotFound
        } else {
            ReadError::Io(error)
        }
    }
}

impl fmt::Display for ReadError {
    /// The reason, to follow "cannot read `path`: ".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::NotFound => write!(f, "no such file"),
            ReadError::NotAFile(kind) => {
                write!(f, "it is {}, not a regular file", kind.with_article())
            }
            ReadError::TooLarge { size, limit } => write!(
                f,
                "it is {size} bytes; dpc reads at most {limit} bytes ({}) of such a file",
                human(*limit)
            ),
            ReadError::Io(e) => write!(f, "{e}"),
        }
    }
}

/// `limit` as people read it: `10 MiB`, `512 KiB`, `100 bytes`.
pub fn human(limit: u64) -> String {
    if limit >= 1 << 20 && limit.is_multiple_of(1 << 20) {
        format!("{} MiB", limit >> 20)
    } else if limit >= 1 << 10 && limit.is_multiple_of(1 << 10) {
        format!("{} KiB", limit >> 10)
    } else {
        format!("{limit} bytes")
    }
}

/// The most dpc reads of one job script or file asset (512 MiB): a fat jar is large, but
/// every staged asset is held in memory until the assembly is written.
pub const MAX_ASSET_BYTES: u64 = 512 << 20;
/// The most dpc reads of one JSON file of an assembly (a template, a manifest,
/// `lineage.json`): 64 MiB, far above CloudFormation's 1 MB template limit.
pub const MAX_ASSEMBLY_JSON_BYTES: u64 = 64 << 20;

/// The bytes of the regular file at `path` (links followed), at most `limit` of them.
///
/// The path's type and size are checked before it is opened; the file is opened without
/// blocking (a FIFO put in its place between check and open cannot hang the read), its
/// type checked again on the open file, and at most `limit + 1` bytes are read.
pub fn read_bounded(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(ReadError::from_io)?;
    check(&meta, limit)?;
    let file = open_nonblocking(path).map_err(ReadError::from_io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    check(&meta, limit)?;
    let expected = usize::try_from(meta.len().min(limit)).unwrap_or(0);
    let mut bytes = Vec::with_capacity(expected);
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge {
            size: bytes.len() as u64,
            limit,
        });
    }
    Ok(bytes)
}

/// [`read_bounded`] as UTF-8 text; invalid UTF-8 is an I/O error of kind `InvalidData`.
pub fn read_text_bounded(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_bounded(path, limit)?;
    String::from_utf8(bytes)
        .map_err(|e| ReadError::Io(io::Error::new(io::ErrorKind::InvalidData, e)))
}

fn check(meta: &std::fs::Metadata, limit: u64) -> Result<(), ReadError> {
    match FileKind::of(meta) {
        FileKind::File => {}
        other => return Err(ReadError::NotAFile(other)),
    }
    if meta.len() > limit {
        return Err(ReadError::TooLarge {
            size: meta.len(),
            limit,
        });
    }
    Ok(())
}

/// The path's own kind, links not followed; `None` when nothing is there.
pub fn kind_of(path: &Path) -> io::Result<Option<FileKind>> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) => Ok(Some(FileKind::of(&meta))),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO for reading otherwise waits for a writer, forever. It
    // changes nothing for a regular file, the only kind read after the check.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> io::Result<std::fs::File> {
    std::fs::File::open(path)
}

/// A path and the reason it could not be read, for messages: "cannot read `p`: reason".
#[derive(Debug)]
pub struct PathError {
    /// The path as given.
    pub path: PathBuf,
    /// Why.
    pub error: ReadError,
}

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read `{}`: {}", self.path.display(), self.error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("dpc-core-read-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
        dir
    }

    #[test]
    fn reads_a_file_within_the_limit_and_refuses_a_larger_one() {
        let dir = temp("limit");
        let file = dir.join("f");
        std::fs::write(&file, b"12345").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(read_bounded(&file, 5).ok().as_deref(), Some(&b"12345"[..]));
        let err = read_bounded(&file, 4).err();
        assert!(
            matches!(err, Some(ReadError::TooLarge { size: 5, limit: 4 })),
            "{err:?}"
        );
        let text = err.map(|e| e.to_string()).unwrap_or_default();
        assert!(text.contains("at most 4 bytes"), "{text}");
        assert!(read_bounded(&dir.join("nothing"), 4).is_err_and(|e| e.is_not_found()));
        assert!(matches!(
            read_bounded(&dir, 4),
            Err(ReadError::NotAFile(FileKind::Directory))
        ));
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_or_a_device_is_refused_at_once() {
        let dir = temp("fifo");
        let fifo = dir.join("pipe");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        if made.is_ok_and(|s| s.success()) {
            assert!(matches!(
                read_bounded(&fifo, 10),
                Err(ReadError::NotAFile(FileKind::Fifo))
            ));
        }
        assert!(matches!(
            read_bounded(Path::new("/dev/zero"), 10),
            Err(ReadError::NotAFile(FileKind::CharDevice))
        ));
        assert_eq!(human(10 << 20), "10 MiB");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
