//! Writing an assembly to disk: refuse foreign directories, write only changed bytes,
//! remove what the previous dpc write left behind, manifest last.

use crate::assembly::{MARKER_FILE, WriteReport, is_safe_relative_path};
use crate::codes;
use crate::diagnostic::Diagnostic;
use indexmap::{IndexMap, IndexSet};
use rayon::prelude::*;
use serde_json::json;
use std::io;
use std::path::Path;
use std::sync::Arc;

const MANIFEST_FILE: &str = "manifest.json";

pub(crate) fn write(
    dir: &Path,
    files: &IndexMap<String, Arc<Vec<u8>>>,
    preserved: &[String],
    known: &IndexSet<&str>,
) -> Result<WriteReport, Diagnostic> {
    let io_error = |what: &str, path: &Path, e: io::Error| {
        Diagnostic::error(
            codes::IO_ERROR,
            format!("cannot {what} `{}`: {e}", path.display()),
        )
    };
    // Nothing to compare against in a new or empty folder (`None`): no file is read back.
    let previous = previous_files(dir)?;
    let fresh = previous.is_none();
    let previous = previous.unwrap_or_default();
    std::fs::create_dir_all(dir).map_err(|e| io_error("create", dir, e))?;

    let current: IndexSet<String> = files.keys().cloned().collect();
    let stale: Vec<String> = previous
        .iter()
        .filter(|p| !current.contains(*p) && !preserved.contains(p) && is_safe_relative_path(p))
        .cloned()
        .collect();

    // Until the stale files are gone the marker must list them too, so an interrupted
    // write can still be cleaned up by the next one.
    let mut interim: IndexSet<String> = current.clone();
    interim.extend(stale.iter().cloned());
    write_if_changed(&dir.join(MARKER_FILE), &marker(&interim))
        .map_err(|e| io_error("write", dir, e))?;

    let mut report = WriteReport::default();
    // Files are independent until the manifest: compare and write them in parallel (the
    // order of the report stays the assembly's).
    let entries: Vec<(&String, &Arc<Vec<u8>>)> = files
        .iter()
        .filter(|(p, _)| p.as_str() != MANIFEST_FILE)
        .collect();
    let outcomes: Vec<(&String, bool)> = entries
        .into_par_iter()
        .map(|(path, bytes)| {
            let target = dir.join(path);
            let written = if known.contains(path.as_str()) {
                // Read and checked in this folder moments ago (a reused stack).
                Ok(false)
            } else if fresh {
                write_new(&target, path.contains('/'), bytes).map(|()| true)
            } else {
                write_if_changed(&target, bytes)
            };
            written
                .map(|written| (path, written))
                .map_err(|e| io_error("write", &target, e))
        })
        .collect::<Result<_, _>>()?;
    for (path, written) in outcomes {
        if written {
            report.written.push(path.clone());
        } else {
            report.unchanged.push(path.clone());
        }
    }
    for path in stale {
        let target = dir.join(&path);
        match std::fs::remove_file(&target) {
            Ok(()) => {
                remove_empty_parents(dir, &path);
                report.removed.push(path);
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(io_error("remove", &target, e)),
        }
    }
    write_if_changed(&dir.join(MARKER_FILE), &marker(&current))
        .map_err(|e| io_error("write", dir, e))?;
    if let Some(manifest) = files.get(MANIFEST_FILE) {
        let target = dir.join(MANIFEST_FILE);
        if write_if_changed(&target, manifest).map_err(|e| io_error("write", &target, e))? {
            report.written.push(MANIFEST_FILE.to_owned());
        } else {
            report.unchanged.push(MANIFEST_FILE.to_owned());
        }
    }
    Ok(report)
}

/// The files the previous dpc write listed; `None` for an absent or empty directory; a
/// non-empty directory without a readable marker is not ours and is refused.
fn previous_files(dir: &Path) -> Result<Option<Vec<String>>, Diagnostic> {
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
    let mut entries = match std::fs::read_dir(dir) {
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
    if entries.next().is_none() {
        return Ok(None);
    }
    let marker = std::fs::read(dir.join(MARKER_FILE)).map_err(|_| foreign())?;
    let parsed: serde_json::Value = serde_json::from_slice(&marker).map_err(|_| foreign())?;
    if parsed.get("generator").and_then(|g| g.as_str()) != Some("dpc") {
        return Err(foreign());
    }
    Ok(Some(
        parsed
            .get("files")
            .and_then(|f| f.as_array())
            .map(|files| {
                files
                    .iter()
                    .filter_map(|f| f.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default(),
    ))
}

fn marker(files: &IndexSet<String>) -> Vec<u8> {
    let mut sorted: Vec<&String> = files.iter().collect();
    sorted.sort();
    crate::synth::to_pretty_bytes(&json!({ "generator": "dpc", "files": sorted }))
}

/// Writes `bytes` to `path` unless it already holds exactly them; returns whether it
/// wrote. Writes through a temporary file and a rename, so a reader sees the old or the
/// new content, never half of it.
fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    match std::fs::read(path) {
        Ok(existing) if existing == bytes => return Ok(false),
        _ => {}
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".dpc-tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)?;
    Ok(true)
}

/// [`write_if_changed`] for a file known not to exist yet: no read, and no directory
/// creation unless the file is in a subfolder.
fn write_new(path: &Path, in_subfolder: bool, bytes: &[u8]) -> io::Result<()> {
    if in_subfolder && let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".dpc-tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

/// Removes the directories of `rel` that became empty (staged asset directories).
fn remove_empty_parents(dir: &Path, rel: &str) {
    let mut parts: Vec<&str> = rel.split('/').collect();
    parts.pop();
    while !parts.is_empty() {
        let candidate = dir.join(parts.join("/"));
        // Fails, harmlessly, when the directory still has entries.
        if std::fs::remove_dir(&candidate).is_err() {
            break;
        }
        parts.pop();
    }
}

/// Replaces `dir`'s cache index with one of `entries`, or removes it when there are none;
/// never listed in the marker, so it is neither stale nor part of the assembly.
pub(crate) fn write_cache_index(
    dir: &Path,
    entries: &[(String, crate::cache::CachedStack)],
) -> Result<(), Diagnostic> {
    let path = dir.join(crate::cache::CACHE_FILE);
    let result = if entries.is_empty() {
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        }
    } else {
        write_if_changed(&path, &crate::cache::index_bytes(entries)).map(|_| ())
    };
    result.map_err(|e| {
        Diagnostic::error(
            codes::IO_ERROR,
            format!("cannot write `{}`: {e}", path.display()),
        )
    })
}
