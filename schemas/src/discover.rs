//! Finding the files under PATH (SPEC, "Commands"): an organisation folder with
//! `platform.yaml` and projects anywhere below it, or one project folder with the
//! `platform.yaml` of its folder or the nearest folder above.

use crate::codes;
use crate::resolved::LoadScope;
use dpc_core::Diagnostic;
use std::path::{Component, Path, PathBuf};

/// Folders never searched for projects (besides hidden ones and the output folder).
pub const SKIPPED_DIRS: [&str; 3] = ["cdk.out", "target", "node_modules"];

/// How deep below the organisation folder projects are searched.
const MAX_DEPTH: usize = 32;

/// What PATH holds.
pub(crate) struct Layout {
    /// The folder of `platform.yaml`.
    pub root: PathBuf,
    /// `platform.yaml`: on disk, and as shown.
    pub platform: (PathBuf, String),
    /// Every `pipeline.yaml`: on disk, and as shown; sorted by path.
    pub pipelines: Vec<(PathBuf, String)>,
    /// Organisation or project.
    pub scope: LoadScope,
    /// Problems met while searching (an unreadable folder, a `pipeline.yaml` that is a
    /// link, a folder name that is not UTF-8): errors, since a project that is not
    /// loaded would lose its stack, and so be deleted at the next deploy.
    pub problems: Vec<Diagnostic>,
}

/// Finds `platform.yaml` and the projects for PATH.
pub(crate) fn discover(path: &Path, exclude: &[PathBuf]) -> Result<Layout, Diagnostic> {
    let shown = path.display().to_string();
    let meta = std::fs::metadata(path).map_err(|e| {
        Diagnostic::error(codes::READ_FAILED, format!("cannot read `{shown}`: {e}"))
    })?;
    // A file names its folder: `dpc validate listings/pipeline.yaml` is the project.
    // So does a FIFO or device given as the file: reading it refuses it by what it is.
    let (dir, dir_shown) = if !meta.is_dir() {
        let parent = path
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        (parent.to_path_buf(), parent.to_path_buf())
    } else {
        (path.to_path_buf(), path.to_path_buf())
    };
    // Anything named platform.yaml makes this the organisation's folder: a FIFO or a
    // folder of that name is then refused when it is read, by what it is.
    if exists(&dir.join("platform.yaml")) {
        let mut pipelines = Vec::new();
        let mut problems = Vec::new();
        let excluded: Vec<PathBuf> = exclude
            .iter()
            .filter_map(|p| p.canonicalize().ok())
            .collect();
        walk(
            &dir,
            Path::new(""),
            0,
            &excluded,
            &mut pipelines,
            &mut problems,
        );
        let pipelines = pipelines
            .into_iter()
            .map(|rel| (dir.join(&rel), display(&dir_shown.join(&rel))))
            .collect();
        return Ok(Layout {
            root: dir.clone(),
            platform: (
                dir.join("platform.yaml"),
                display(&dir_shown.join("platform.yaml")),
            ),
            pipelines,
            scope: LoadScope::Organisation,
            problems,
        });
    }
    if !exists(&dir.join("pipeline.yaml")) {
        return Err(Diagnostic::error(
            codes::NO_PLATFORM,
            format!("`{}` holds neither platform.yaml nor pipeline.yaml", display(&dir_shown)),
        )
        .with_help("run dpc in the organisation folder (with platform.yaml) or in a project folder (with pipeline.yaml)"));
    }
    let absolute = dir.canonicalize().map_err(|e| {
        Diagnostic::error(codes::READ_FAILED, format!("cannot read `{shown}`: {e}"))
    })?;
    let mut up = PathBuf::new();
    for ancestor in absolute.ancestors().skip(1) {
        up.push("..");
        if exists(&ancestor.join("platform.yaml")) {
            let platform_shown = display(&dir_shown.join(&up).join("platform.yaml"));
            let pipeline = dir.join("pipeline.yaml");
            return Ok(Layout {
                root: ancestor.to_path_buf(),
                platform: (ancestor.join("platform.yaml"), platform_shown),
                pipelines: vec![(pipeline, display(&dir_shown.join("pipeline.yaml")))],
                scope: LoadScope::Project {
                    dir: dir.clone(),
                    pipeline: String::new(),
                },
                problems: Vec::new(),
            });
        }
    }
    Err(Diagnostic::error(
        codes::NO_PLATFORM,
        format!(
            "no platform.yaml in `{}` or any folder above it",
            display(&dir_shown)
        ),
    )
    .with_help(
        "a project belongs to an organisation: put platform.yaml in the organisation's folder",
    ))
}

fn walk(
    base: &Path,
    rel: &Path,
    depth: usize,
    exclude: &[PathBuf],
    found: &mut Vec<PathBuf>,
    problems: &mut Vec<Diagnostic>,
) {
    let dir = base.join(rel);
    let unreadable = |e: std::io::Error| {
        Diagnostic::error(
            codes::READ_FAILED,
            format!("cannot read folder `{}`: {e}", display(&dir)),
        )
        .with_help("dpc must read every folder below platform.yaml: a project it cannot read would lose its stack (and the next deploy would delete it); fix the permissions, or move the folder out")
    };
    let entries = match std::fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) => {
            problems.push(unreadable(e));
            return;
        }
    };
    let mut names: Vec<(String, std::fs::FileType)> = Vec::new();
    for entry in entries {
        let entry = match entry {
            Ok(entry) => entry,
            Err(e) => {
                problems.push(unreadable(e));
                continue;
            }
        };
        let kind = match entry.file_type() {
            Ok(kind) => kind,
            Err(e) => {
                problems.push(unreadable(e));
                continue;
            }
        };
        match entry.file_name().into_string() {
            Ok(name) => names.push((name, kind)),
            // A folder dpc would search, whose name it cannot show or key by: said, not
            // skipped in silence (it may hold projects).
            Err(raw) if kind.is_dir() && !raw.to_string_lossy().starts_with('.') => {
                problems.push(
                    Diagnostic::error(
                        codes::READ_FAILED,
                        format!("folder name `{}` is not UTF-8", display(&dir.join(&raw))),
                    )
                    .with_help(
                        "rename the folder: dpc names projects by their paths, which must be UTF-8",
                    ),
                );
            }
            Err(_) => {}
        }
    }
    names.sort_by(|a, b| a.0.cmp(&b.0));
    for (name, kind) in &names {
        if name != "pipeline.yaml" || kind.is_dir() {
            continue;
        }
        if kind.is_symlink() {
            // Links are not followed (SPEC, "Commands"); a linked pipeline.yaml is said,
            // not dropped.
            problems.push(
                Diagnostic::error(
                    codes::READ_FAILED,
                    format!(
                        "`{}` is a symbolic link; dpc does not follow links",
                        display(&dir.join(name))
                    ),
                )
                .with_help("replace the link with the file itself"),
            );
        } else {
            // A regular file, or a FIFO, socket or device, which reading refuses by name.
            found.push(rel.join(name));
        }
    }
    let searched = |name: &str| !name.starts_with('.') && !SKIPPED_DIRS.contains(&name);
    if depth >= MAX_DEPTH {
        // A project below would be left out, and its stack deleted at the next deploy.
        if let Some((name, _)) = names.iter().find(|(n, k)| k.is_dir() && searched(n)) {
            problems.push(
                Diagnostic::error(
                    codes::READ_FAILED,
                    format!(
                        "`{}` is more than {MAX_DEPTH} folders deep; dpc searches no deeper",
                        display(&dir.join(name))
                    ),
                )
                .with_help("move the projects nearer platform.yaml"),
            );
        }
        return;
    }
    for (name, kind) in names {
        if kind.is_symlink() && searched(&name) && dir.join(&name).is_dir() {
            // Not followed (a link can loop or lead out of the organisation), but said:
            // a project behind it is not part of the organisation.
            problems.push(
                Diagnostic::warning(
                    codes::READ_FAILED,
                    format!(
                        "`{}` is a symbolic link to a folder; dpc does not search it",
                        display(&dir.join(&name))
                    ),
                )
                .with_note("a pipeline.yaml behind the link is not part of the organisation")
                .with_help("move the folder here instead of linking it"),
            );
            continue;
        }
        if !kind.is_dir() || !searched(&name) {
            continue;
        }
        let child = rel.join(&name);
        if !exclude.is_empty()
            && let Ok(absolute) = base.join(&child).canonicalize()
            && exclude.contains(&absolute)
        {
            continue;
        }
        walk(base, &child, depth + 1, exclude, found, problems);
    }
}

/// Whether anything (of any kind, a dangling link included) is at `path`.
fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// A path as users read it: `.` and `a/..` folded away, `/` between parts.
pub(crate) fn display(path: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut absolute = false;
    for component in path.components() {
        match component {
            Component::RootDir => absolute = true,
            Component::Prefix(p) => parts.push(p.as_os_str().to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                if parts.last().is_some_and(|p| p != "..") {
                    parts.pop();
                } else if !absolute {
                    parts.push("..".into());
                }
            }
            Component::Normal(p) => parts.push(p.to_string_lossy().into_owned()),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_paths_as_written() {
        assert_eq!(
            display(Path::new("./listings/pipeline.yaml")),
            "listings/pipeline.yaml"
        );
        assert_eq!(
            display(Path::new("a/b/../platform.yaml")),
            "a/platform.yaml"
        );
        assert_eq!(display(Path::new("./../platform.yaml")), "../platform.yaml");
        assert_eq!(display(Path::new("/x/y/../z")), "/x/z");
    }
}
