//! The rendered diagnostics of every invalid fixture: message, position, source line,
//! caret, notes and suggestion, exactly as `dpc validate` prints them (without colour).
//!
//! Each folder of `fixtures/invalid/` is an organisation (or, for a name ending in
//! `-in-project`, the project `orders` inside one) with one kind of mistake, named after
//! its code; `two-projects-many-mistakes` shows that every mistake of every file is
//! reported at once. A folder with a `scenario.yaml` also loads that scenario.

use dpc_schema::{Diagnostic, Sources, load_organisation, load_scenario, render_text};
use std::path::{Path, PathBuf};

/// Loads a fixture folder the way `dpc validate` (and `dpc simulate`) would.
fn diagnostics_of(dir: &Path) -> Vec<Diagnostic> {
    let name = dir.file_name().and_then(|n| n.to_str()).unwrap_or_default();
    let path = if name.ends_with("-in-project") {
        dir.join("orders")
    } else {
        dir.to_path_buf()
    };
    match load_organisation(&path) {
        Err(errors) => errors,
        Ok((organisation, mut warnings)) => {
            let scenario = dir.join("scenario.yaml");
            if scenario.is_file() {
                match load_scenario(&scenario, &organisation) {
                    Ok((_, more)) => warnings.extend(more),
                    Err(errors) => warnings.extend(errors),
                }
            }
            warnings
        }
    }
}

/// The fixture's path as a user in this package's folder would type it.
fn relative(dir: &Path) -> PathBuf {
    let base = Path::new(env!("CARGO_MANIFEST_DIR"));
    dir.strip_prefix(base).unwrap_or(dir).to_path_buf()
}

#[test]
fn invalid() {
    insta::glob!("../fixtures/invalid", "*", |dir| {
        let dir = relative(dir);
        // The glob also matches the folder it searches.
        if dir == Path::new("fixtures/invalid") {
            return;
        }
        let diagnostics = diagnostics_of(&dir);
        assert!(
            !diagnostics.is_empty(),
            "{} loaded without a single diagnostic",
            dir.display()
        );
        let text = render_text(&diagnostics, &Sources::new(), false);
        insta::assert_snapshot!(text);
    });
}

#[test]
fn every_fixture_reports_the_code_it_is_named_after() {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/invalid");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&base)
        .expect("fixtures/invalid exists")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    dirs.sort();
    for dir in dirs {
        let name = dir
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_string();
        let Some(code) = name.get(..6).filter(|c| c.starts_with("dm")) else {
            continue;
        };
        let diagnostics = diagnostics_of(&relative(&dir));
        assert!(
            diagnostics
                .iter()
                .any(|d| d.code.eq_ignore_ascii_case(code)),
            "{name}: expected a {code} diagnostic, got {:?}",
            diagnostics
                .iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
        );
    }
}
