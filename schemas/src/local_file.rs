//! Local files a pipeline ships (job scripts, bootstrap actions, the scripts of step kinds
//! a library adds): they must stay inside the project folder, and be regular files dpc
//! is willing to read.
//!
//! "Inside" is decided on the resolved path, links followed: `jobs/../../x.py`, an
//! absolute path elsewhere and a link inside the project pointing out are all outside,
//! while a link inside the project to another file inside it is fine. Nothing outside
//! the project is read, let alone copied into an assembly.

use crate::codes;
use dpc_core::Diagnostic;
use dpc_core::read::{FileKind, MAX_ASSET_BYTES, human};
use std::path::{Component, Path, PathBuf};

/// Why a local file cannot be shipped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LocalFileProblem {
    /// It resolves to a place outside the project folder.
    Outside(Escape),
    /// Nothing is there.
    Missing,
    /// Something other than a regular file is there.
    NotAFile(FileKind),
    /// It is larger than dpc ships.
    TooLarge {
        /// Its size.
        size: u64,
        /// The most dpc reads of one file.
        limit: u64,
    },
    /// The file system refused to tell (permissions, I/O error).
    Unreadable(String),
}

/// How a path leaves the project folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Escape {
    /// Through `..`.
    Parent,
    /// An absolute path elsewhere.
    Absolute,
    /// A symbolic link on the way points out; the place it resolves to.
    Link(PathBuf),
}

/// Checks the local file written as `relative` (relative to `project_dir`, or absolute):
/// inside the project once links are resolved, a regular file, at most
/// [`MAX_ASSET_BYTES`]. Returns the resolved path.
pub fn check_local_file(project_dir: &Path, relative: &str) -> Result<PathBuf, LocalFileProblem> {
    let written = Path::new(relative);
    let lexical = lexical_escape(written);
    let path = project_dir.join(written);
    let root = project_dir
        .canonicalize()
        .map_err(|e| LocalFileProblem::Unreadable(e.to_string()))?;
    let real = match path.canonicalize() {
        Ok(real) => real,
        // Nothing there (or a dangling link): an escape still says so first, since the
        // path would be wrong even if the file existed.
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let inside = written.starts_with(project_dir) || written.starts_with(&root);
            return Err(match lexical {
                Some(Escape::Absolute) if inside => LocalFileProblem::Missing,
                Some(escape) => LocalFileProblem::Outside(escape),
                None => LocalFileProblem::Missing,
            });
        }
        Err(e) => return Err(LocalFileProblem::Unreadable(e.to_string())),
    };
    if !real.starts_with(&root) {
        return Err(LocalFileProblem::Outside(
            lexical.unwrap_or(Escape::Link(real)),
        ));
    }
    let meta = std::fs::metadata(&real).map_err(|e| LocalFileProblem::Unreadable(e.to_string()))?;
    match FileKind::of(&meta) {
        FileKind::File => {}
        kind => return Err(LocalFileProblem::NotAFile(kind)),
    }
    if meta.len() > MAX_ASSET_BYTES {
        return Err(LocalFileProblem::TooLarge {
            size: meta.len(),
            limit: MAX_ASSET_BYTES,
        });
    }
    Ok(real)
}

/// Whether `written` leaves its base by its text alone: absolute, or `..` above the start.
fn lexical_escape(written: &Path) -> Option<Escape> {
    let mut depth: usize = 0;
    for component in written.components() {
        match component {
            Component::Prefix(_) | Component::RootDir => return Some(Escape::Absolute),
            Component::CurDir => {}
            Component::ParentDir => match depth.checked_sub(1) {
                Some(d) => depth = d,
                None => return Some(Escape::Parent),
            },
            Component::Normal(_) => depth += 1,
        }
    }
    None
}

impl LocalFileProblem {
    /// The diagnostic for `what` (e.g. "script `jobs/x.py` of step `aggregate`"), to be
    /// placed at the value that names the file.
    pub fn diagnostic(&self, what: &str) -> Diagnostic {
        let s3 = "use `s3://…` for a script already in S3";
        match self {
            LocalFileProblem::Outside(escape) => {
                let (message, label) = match escape {
                    Escape::Parent => (
                        format!("{what} is outside the project folder"),
                        "`..` leads out of the project folder".to_owned(),
                    ),
                    Escape::Absolute => (
                        format!("{what} is outside the project folder"),
                        "an absolute path outside the project folder".to_owned(),
                    ),
                    Escape::Link(real) => (
                        format!(
                            "{what} is a link to `{}`, outside the project folder",
                            real.display()
                        ),
                        "a link that leads out of the project folder".to_owned(),
                    ),
                };
                Diagnostic::error(codes::SCRIPT_OUTSIDE_PROJECT, message)
                    .with_label(label)
                    .with_help(format!(
                        "only files inside the project folder (the folder of pipeline.yaml) are shipped: move the file into it, or {s3}"
                    ))
            }
            LocalFileProblem::Missing => {
                Diagnostic::error(codes::SCRIPT_NOT_FOUND, format!("{what} does not exist"))
                    .with_label("no such file in the project folder")
                    .with_help(format!(
                        "local paths are relative to the folder of pipeline.yaml; {s3}"
                    ))
            }
            LocalFileProblem::NotAFile(kind) => Diagnostic::error(
                codes::SCRIPT_NOT_FOUND,
                format!("{what} is {}, not a regular file", kind.with_article()),
            )
            .with_label("not a regular file")
            .with_help("a local script must be a regular file in the project folder"),
            LocalFileProblem::TooLarge { size, limit } => Diagnostic::error(
                codes::SCRIPT_NOT_FOUND,
                format!(
                    "{what} is {size} bytes; dpc ships local files of at most {limit} bytes ({})",
                    human(*limit)
                ),
            )
            .with_label("too large to ship")
            .with_help(format!("upload it yourself and {s3}")),
            LocalFileProblem::Unreadable(error) => Diagnostic::error(
                codes::SCRIPT_NOT_FOUND,
                format!("{what} cannot be read: {error}"),
            )
            .with_label("unreadable")
            .with_help("check the file's permissions"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_alone_can_leave_the_project() {
        assert_eq!(lexical_escape(Path::new("jobs/a.py")), None);
        assert_eq!(lexical_escape(Path::new("jobs/../a.py")), None);
        assert_eq!(
            lexical_escape(Path::new("jobs/../../a.py")),
            Some(Escape::Parent)
        );
        assert_eq!(lexical_escape(Path::new("../a.py")), Some(Escape::Parent));
        assert_eq!(
            lexical_escape(Path::new("/etc/passwd")),
            Some(Escape::Absolute)
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_followed_before_the_check() {
        let tmp = std::env::temp_dir().join(format!("dpc-local-file-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&tmp);
        let project = tmp.join("project");
        std::fs::create_dir_all(project.join("jobs")).unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(project.join("jobs/real.py"), "1").unwrap_or_else(|e| panic!("{e}"));
        std::fs::write(tmp.join("secret.py"), "2").unwrap_or_else(|e| panic!("{e}"));
        let link = |target: &str, name: &str| {
            std::os::unix::fs::symlink(target, project.join(name))
                .unwrap_or_else(|e| panic!("{e}"));
        };
        link("jobs/real.py", "inside.py");
        link("../secret.py", "outside.py");
        assert!(check_local_file(&project, "inside.py").is_ok());
        assert!(check_local_file(&project, "jobs/real.py").is_ok());
        assert!(matches!(
            check_local_file(&project, "outside.py"),
            Err(LocalFileProblem::Outside(Escape::Link(_)))
        ));
        assert_eq!(
            check_local_file(&project, "../secret.py"),
            Err(LocalFileProblem::Outside(Escape::Parent))
        );
        let absolute = tmp.join("secret.py").display().to_string();
        assert_eq!(
            check_local_file(&project, &absolute),
            Err(LocalFileProblem::Outside(Escape::Absolute))
        );
        assert_eq!(
            check_local_file(&project, "../missing.py"),
            Err(LocalFileProblem::Outside(Escape::Parent))
        );
        assert_eq!(
            check_local_file(&project, "jobs"),
            Err(LocalFileProblem::NotAFile(FileKind::Directory))
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
