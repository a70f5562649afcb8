//! What the fuzz targets of `synth-cli/fuzz` run, one function per input kind dpc reads
//! back from disk, shared with the stable tests that replay their committed corpus
//! (`tests/fuzz_corpus.rs`), so every past finding stays fixed in CI.
//!
//! - [`diff_assembly`]: any bytes as the `manifest.json`, a template, the
//!   `lineage.json` and an asset manifest of an assembly given to `dpc diff`: it is read and diffed against
//!   the case study's, or refused with a diagnostic; never a panic.
//! - [`cache_index`]: any bytes as the `.dpc-cache.json` beside a real assembly of the
//!   case study: the synth that reads it writes exactly what `--no-cache` writes.
//!
//! Not a stable API: for dpc's own fuzzing only.

use crate::diff::{AssemblySnapshot, diff_assemblies, render_markdown, render_text};
use dpc_constructs::app::{SynthOptions, synthesize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Where parts of one fuzz input are cut: `manifest.json`, then a template, then
/// `lineage.json`, then an asset manifest.
pub const PART_SEPARATOR: &[u8] = b"\n--dpc-fuzz--\n";

fn case_study() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/case-study")
}

/// The case study synthesized once without a cache: its files, and a folder holding
/// it as `dpc synth` wrote it (with its cache index).
struct Baseline {
    files: BTreeMap<String, Vec<u8>>,
    /// The same assembly as `dpc diff` sees it.
    snapshot: AssemblySnapshot,
    written: tempfile::TempDir,
    organisation: dpc_schema::Organisation,
}

fn baseline() -> &'static Baseline {
    static BASELINE: OnceLock<Baseline> = OnceLock::new();
    BASELINE.get_or_init(|| {
        let (organisation, _) =
            dpc_schema::load_organisation(&case_study()).expect("the case study loads");
        let assembly =
            synthesize(&organisation, SynthOptions::default()).expect("the case study synthesizes");
        let files = files_of(&assembly);
        let snapshot = AssemblySnapshot::of_assembly(&assembly, None);
        let written = tempfile::tempdir().expect("a temp dir");
        let out = written.path().join("cdk.out");
        // Written through a cache-keyed synth, so the folder has a real index to mutate.
        let keyed = synthesize(
            &organisation,
            SynthOptions {
                cache_dir: Some(out.clone()),
                ..SynthOptions::default()
            },
        )
        .expect("the case study synthesizes");
        keyed.write(&out).expect("the baseline is written");
        Baseline {
            files,
            snapshot,
            written,
            organisation,
        }
    })
}

fn files_of(assembly: &dpc_core::Assembly) -> BTreeMap<String, Vec<u8>> {
    assembly
        .files()
        .map(|(name, bytes)| (name.to_owned(), bytes.to_vec()))
        .collect()
}

/// The case study's cache index, as the first synth into a folder writes it: the seed
/// from which the corpus of [`cache_index`] is mutated.
pub fn baseline_cache_index() -> Vec<u8> {
    std::fs::read(
        baseline()
            .written
            .path()
            .join("cdk.out")
            .join(dpc_core::cache::CACHE_FILE),
    )
    .unwrap_or_default()
}

/// Synthesizes the case study into a copy of its assembly whose cache index is `data`;
/// how many stacks it reused.
///
/// # Errors
/// What differs from the output of `--no-cache`: the property the cache must keep.
pub fn cache_index(data: &[u8]) -> Result<usize, String> {
    let base = baseline();
    let scratch = tempfile::tempdir().map_err(|e| e.to_string())?;
    let out = scratch.path().join("cdk.out");
    copy_dir(&base.written.path().join("cdk.out"), &out).map_err(|e| e.to_string())?;
    std::fs::write(out.join(dpc_core::cache::CACHE_FILE), data).map_err(|e| e.to_string())?;
    let assembly = synthesize(
        &base.organisation,
        SynthOptions {
            cache_dir: Some(out),
            ..SynthOptions::default()
        },
    )
    .map_err(|ds| format!("the synth failed: {ds:?}"))?;
    let files = files_of(&assembly);
    if files == base.files {
        return Ok(assembly.reused_stacks());
    }
    let differ: Vec<&String> = base
        .files
        .keys()
        .chain(files.keys())
        .filter(|name| base.files.get(*name) != files.get(*name))
        .collect();
    Err(format!(
        "with this cache index, these files differ from --no-cache: {differ:?}"
    ))
}

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            copy_dir(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), target)?;
        }
    }
    Ok(())
}

/// Reads `data` (parts cut at [`PART_SEPARATOR`]: the manifest, the template of every
/// stack it names, `lineage.json`, the file of every asset manifest it names) as an
/// assembly and diffs it both ways against the
/// case study, rendering text, markdown and JSON. Returns whether it was read.
pub fn diff_assembly(data: &[u8]) -> bool {
    let mut parts = split(data, PART_SEPARATOR);
    let manifest = parts.next().unwrap_or_default();
    let template = parts.next();
    let lineage = parts.next();
    // Inputs from before asset manifests were read have no fourth part: an empty asset
    // manifest keeps them readable, so they still reach the diff.
    let assets = parts
        .next()
        .unwrap_or(br#"{"version": "55.0.0", "files": {}, "dockerImages": {}}"#);
    let Ok(scratch) = tempfile::tempdir() else {
        return false;
    };
    let dir = scratch.path();
    if std::fs::write(dir.join("manifest.json"), manifest).is_err() {
        return false;
    }
    // Every template the manifest names gets the second part, every asset manifest the
    // fourth (only plain file names:
    // the reader refuses others itself, and the fuzzer must not write outside).
    if let Some(template) = template
        && let Ok(value) = serde_json::from_slice::<serde_json::Value>(manifest)
        && let Some(artifacts) = value.get("artifacts").and_then(|a| a.as_object())
    {
        for artifact in artifacts.values() {
            let (pointer, contents) =
                if artifact.get("type").and_then(|t| t.as_str()) == Some("cdk:asset-manifest") {
                    ("/properties/file", assets)
                } else {
                    ("/properties/templateFile", template)
                };
            if let Some(name) = artifact.pointer(pointer).and_then(|t| t.as_str())
                && !name.is_empty()
                && !name.contains(['/', '\\', '\0'])
                && name != "."
                && name != ".."
                && name.len() < 200
            {
                let _ = std::fs::write(dir.join(name), contents);
            }
        }
    }
    if let Some(lineage) = lineage {
        let _ = std::fs::write(dir.join(crate::diff::LINEAGE_FILE), lineage);
    }
    let Ok(read) = AssemblySnapshot::read(dir) else {
        return false;
    };
    let case_study = &baseline().snapshot;
    for diff in [
        diff_assemblies(&read, case_study),
        diff_assemblies(case_study, &read),
        diff_assemblies(&read, &read),
    ] {
        let _ = render_text(&diff);
        let _ = render_markdown(&diff);
        let _ = serde_json::to_string(&diff);
    }
    true
}

fn split<'a>(data: &'a [u8], separator: &'a [u8]) -> impl Iterator<Item = &'a [u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match current
            .windows(separator.len())
            .position(|w| w == separator)
        {
            Some(at) => {
                rest = Some(&current[at + separator.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}
