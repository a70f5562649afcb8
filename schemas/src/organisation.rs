//! Loading an organisation: find the files, read each, check it against its schema and
//! its rules, resolve it, then check the pipelines against each other. Every problem of
//! every file is collected before anything is returned.

use crate::check::{FileCheck, at, graph, pipeline as pipeline_check, platform as platform_check};
use crate::code::CodePipeline;
use crate::codes;
use crate::discover::{Layout, discover};
use crate::load::{Limits, parse, read_text};
use crate::model::{ConditionEntryFile, PipelineFile, PlatformFile};
use crate::resolved::{Central, EmrDefaults, LoadScope, Organisation, Pipeline, Platform};
use crate::schema::{SchemaKind, json_schema_with};
use crate::source::{SourceFile, Target};
use crate::steps::StepRegistry;
use crate::validate::{SchemaValidator, read_repaired};
use dpc_core::Diagnostic;
use rayon::prelude::*;
use serde::de::DeserializeOwned;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// How to load an organisation.
#[derive(Debug, Default)]
pub struct LoadOptions {
    /// The step kinds `type:` may name. Defaults to the built-in `spark` and `shell`.
    pub registry: StepRegistry,
    /// Folders not searched for projects, e.g. the synth output folder (`-o DIR`).
    /// Hidden folders, `cdk.out`, `target` and `node_modules` are always skipped.
    pub exclude: Vec<PathBuf>,
    /// Pipelines built in code, loaded with the files found (after them, in this
    /// order) and checked exactly as they are: see [`crate::code`].
    pub pipelines: Vec<CodePipeline>,
}

/// A file read, parsed and checked against its schema: its tree, its JSON and, when the
/// schema found nothing wrong, its typed form.
pub(crate) struct Checked<T> {
    pub source: Option<SourceFile>,
    pub value: Option<Value>,
    pub typed: Option<T>,
    /// Whether `typed` was read from a repaired copy of a document with problems: its
    /// checks still run, to report every mistake at once, but it never resolves.
    pub partial: bool,
    /// Pointers whose checks are skipped because the schema already reported them, or
    /// because they were taken out to read `typed` from a repaired copy.
    pub poisoned: Vec<String>,
    /// Only the places the schema reported: for checks that read the JSON, which
    /// still has everything a repair took out.
    pub reported: Vec<String>,
}

/// Reads, parses and schema-checks one file, pushing every problem to `diagnostics`.
pub(crate) fn read_checked<T: DeserializeOwned>(
    path: &Path,
    display: &str,
    validator: &SchemaValidator,
    diagnostics: &mut Vec<Diagnostic>,
) -> Checked<T> {
    let nothing = Checked {
        source: None,
        value: None,
        typed: None,
        partial: false,
        poisoned: Vec::new(),
        reported: Vec::new(),
    };
    let text = match read_text(path, display, Limits::default()) {
        Ok(text) => text,
        Err(d) => {
            diagnostics.push(d);
            return nothing;
        }
    };
    check_text(&text.text, path, display, validator, diagnostics)
}

/// [`read_checked`] for a text already in memory (a pipeline built in code).
pub(crate) fn check_text<T: DeserializeOwned>(
    text: &str,
    path: &Path,
    display: &str,
    validator: &SchemaValidator,
    diagnostics: &mut Vec<Diagnostic>,
) -> Checked<T> {
    let nothing = Checked {
        source: None,
        value: None,
        typed: None,
        partial: false,
        poisoned: Vec::new(),
        reported: Vec::new(),
    };
    let limits = Limits::default();
    let parsed = parse(text, display, limits);
    let parse_failed = parsed
        .diagnostics
        .iter()
        .any(|d| d.code != codes::DUPLICATE_KEY && d.code != codes::UNSUPPORTED_YAML);
    diagnostics.extend(parsed.diagnostics);
    if parse_failed {
        return nothing;
    }
    let Some(root) = parsed.root.filter(|r| !r.is_null()) else {
        diagnostics.push(
            Diagnostic::error(codes::EMPTY_FILE, format!("`{display}` is empty"))
                .at(dpc_core::Location::new(display, 1, 1, 1).with_source(&parsed.lines))
                .with_label("expected a map of keys and values")
                .with_help(format!(
                    "see the schema (`dpc schema {}`) for what this file holds",
                    file_kind(display)
                )),
        );
        return nothing;
    };
    let source = SourceFile {
        path: path.to_path_buf(),
        display: display.to_string(),
        root,
        lines: parsed.lines,
    };
    let validated = validator.check(&source);
    let clean = validated.diagnostics.is_empty()
        && !diagnostics
            .iter()
            .any(|d| d.location.as_ref().is_some_and(|l| l.file == display) && d.is_error());
    diagnostics.extend(validated.diagnostics);
    let reported = validated.poisoned.clone();
    let mut poisoned = validated.poisoned;
    let typed = if clean {
        // Deserialized from a borrow: the value itself is kept for the identity lookups.
        match T::deserialize(&validated.value) {
            Ok(t) => Some(t),
            Err(e) => {
                // The schema is generated from the same types, so this means the two
                // disagree: a bug in dpc, still reported rather than panicking.
                diagnostics.push(
                    Diagnostic::error(codes::SCHEMA, format!("`{display}` could not be read: {e}"))
                        .at(source.locate("", Target::Value)),
                );
                None
            }
        }
    } else if poisoned.iter().any(String::is_empty) {
        None
    } else {
        read_repaired(
            validated.repaired.unwrap_or(validated.value.clone()),
            &mut poisoned,
        )
    };
    Checked {
        source: Some(source),
        value: Some(validated.value),
        typed,
        partial: !clean,
        poisoned,
        reported,
    }
}

fn file_kind(display: &str) -> &'static str {
    if display.ends_with("platform.yaml") {
        "platform"
    } else if display.ends_with("pipeline.yaml") {
        "pipeline"
    } else {
        "scenario"
    }
}

/// Compiles the schema of `kind`; a failure is dpc's bug, reported as a diagnostic.
pub(crate) fn validator(
    kind: SchemaKind,
    registry: &StepRegistry,
) -> Result<SchemaValidator, Vec<Diagnostic>> {
    SchemaValidator::new(json_schema_with(kind, registry)).map_err(|d| vec![d])
}

struct LoadedPipeline {
    source: Option<SourceFile>,
    typed: Option<PipelineFile>,
    resolved: Option<Pipeline>,
    /// `(account id, name)` when both could be read, even from a file with mistakes, so
    /// other pipelines' conditions on it are not reported as unknown.
    ident: Option<(String, String)>,
}

/// Loads the organisation or project at `path` with `options`: like
/// [`crate::load_organisation`], with other step kinds or folders to skip.
///
/// # Errors
/// Every error of every file; see [`crate::load_organisation`].
pub fn load_organisation_with_options(
    path: &Path,
    options: &LoadOptions,
) -> Result<(Organisation, Vec<Diagnostic>), Vec<Diagnostic>> {
    load(
        path,
        &options.registry,
        &options.exclude,
        &options.pipelines,
    )
}

pub(crate) fn load(
    path: &Path,
    registry: &StepRegistry,
    exclude: &[PathBuf],
    code: &[CodePipeline],
) -> Result<(Organisation, Vec<Diagnostic>), Vec<Diagnostic>> {
    let layout = discover(path, exclude).map_err(|d| vec![d])?;
    let platform_validator = validator(SchemaKind::Platform, registry)?;
    let pipeline_validator = validator(SchemaKind::Pipeline, registry)?;
    let Layout {
        root,
        platform: (platform_path, platform_display),
        pipelines: pipeline_paths,
        mut scope,
        problems,
    } = layout;

    // The search's problems are errors: they fail the load, after every file is checked.
    let mut diagnostics: Vec<Diagnostic> = problems;
    let checked: Checked<PlatformFile> = read_checked(
        &platform_path,
        &platform_display,
        &platform_validator,
        &mut diagnostics,
    );
    let platform = match (&checked.source, &checked.typed) {
        (Some(source), Some(file)) => {
            let mut cx = FileCheck::new(source, &checked.poisoned);
            let platform = platform_check::resolve(file, &mut cx);
            diagnostics.extend(cx.diagnostics);
            platform.filter(|_| !checked.partial)
        }
        _ => None,
    };
    // Without a usable platform the pipelines are still checked, leniently: account
    // lookups and platform defaults are not judged against a platform we could not read.
    let lenient = platform.is_none();
    let platform_for_checks = platform
        .clone()
        .unwrap_or_else(|| placeholder_platform(&platform_path));

    if pipeline_paths.is_empty() && code.is_empty() && scope == LoadScope::Organisation {
        diagnostics.push(
            Diagnostic::warning(
                codes::NO_PIPELINES,
                format!(
                    "no pipeline.yaml found below `{}`",
                    crate::discover::display(&root_display(&platform_display))
                ),
            )
            .with_help("create a project with `dpc create-project -n NAME`"),
        );
    }

    // Pipelines built in code come after the files, as if found last.
    let mut pipeline_paths = pipeline_paths;
    let files = pipeline_paths.len();
    pipeline_paths.extend(
        code.iter()
            .map(|c| (PathBuf::from(c.display()), c.display())),
    );
    // Every file is read and checked on its own: on every core, then in file order.
    let per_file: Vec<(LoadedPipeline, Vec<Diagnostic>)> = pipeline_paths
        .par_iter()
        .enumerate()
        .map(|(i, (path, display))| {
            let mut diagnostics = Vec::new();
            let built = i.checked_sub(files).and_then(|j| code.get(j));
            let checked: Checked<PipelineFile> = match built {
                Some(c) => check_text(
                    &c.to_yaml(),
                    path,
                    display,
                    &pipeline_validator,
                    &mut diagnostics,
                ),
                None => read_checked(path, display, &pipeline_validator, &mut diagnostics),
            };
            let ident = checked.value.as_ref().and_then(|v| {
                let name = v.get("name")?.as_str()?;
                let account = v.get("account")?.as_str()?;
                let id = platform_for_checks.account(account)?.id.clone();
                Some((id, name.to_string()))
            });
            let project_dir = match built {
                Some(c) => c.project_dir.clone(),
                None => path.parent().unwrap_or(Path::new(".")).to_path_buf(),
            };
            let resolved = match (&checked.source, &checked.typed) {
                (Some(source), Some(file)) => {
                    let mut cx = FileCheck::new(source, &checked.poisoned);
                    let resolved = pipeline_check::resolve(
                        file,
                        &platform_for_checks,
                        registry,
                        &project_dir,
                        lenient,
                        &mut cx,
                    );
                    diagnostics.extend(cx.diagnostics);
                    resolved.filter(|_| !checked.partial)
                }
                _ => None,
            };
            let loaded = LoadedPipeline {
                source: checked.source,
                typed: checked.typed,
                resolved,
                ident,
            };
            (loaded, diagnostics)
        })
        .collect();
    let mut loaded = Vec::with_capacity(per_file.len());
    for (pipeline, found) in per_file {
        loaded.push(pipeline);
        diagnostics.extend(found);
    }

    if !lenient {
        organisation_checks(&loaded, &platform_for_checks, &scope, &mut diagnostics);
    }

    if let LoadScope::Project { pipeline, .. } = &mut scope
        && let Some(p) = loaded.first().and_then(|l| l.resolved.as_ref())
    {
        *pipeline = p.name.clone();
    }

    sort(&mut diagnostics, &platform_display, &pipeline_paths);
    diagnostics.dedup();
    for c in code {
        let (display, note) = (c.display(), c.note());
        for d in &mut diagnostics {
            if d.location.as_ref().is_some_and(|l| l.file == display) {
                d.notes.push(note.clone());
            }
        }
    }
    let failed = diagnostics.iter().any(Diagnostic::is_error);
    match platform {
        Some(platform) if !failed => Ok((
            Organisation {
                platform,
                pipelines: loaded.into_iter().filter_map(|l| l.resolved).collect(),
                root,
                scope,
            },
            diagnostics,
        )),
        _ => {
            if !failed {
                // Defensive: a platform that did not resolve always says why.
                diagnostics.push(Diagnostic::error(
                    codes::SCHEMA,
                    "platform.yaml could not be read",
                ));
            }
            Err(diagnostics)
        }
    }
}

fn root_display(platform_display: &str) -> PathBuf {
    Path::new(platform_display)
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

/// Files in load order (platform first, then pipelines by path), then by position.
fn sort(diagnostics: &mut [Diagnostic], platform: &str, pipelines: &[(PathBuf, String)]) {
    // A map, not a search per comparison: a large organisation can have many files and
    // a broken one many diagnostics.
    let mut positions: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, (_, d)) in pipelines.iter().enumerate() {
        positions.entry(d.as_str()).or_insert(i + 2);
    }
    let order = |file: &str| -> usize {
        if file == platform {
            1
        } else {
            positions.get(file).copied().unwrap_or(usize::MAX)
        }
    };
    diagnostics.sort_by_key(|d| match &d.location {
        None => (0, 0, 0),
        Some(l) => (order(&l.file), l.line, l.column),
    });
}

/// A platform with no accounts, used only to check pipelines leniently when
/// platform.yaml itself could not be read.
fn placeholder_platform(path: &Path) -> Platform {
    Platform {
        central: Central {
            account: String::new(),
            region: String::new(),
            bus_name: Central::DEFAULT_BUS_NAME.into(),
            organization_id: None,
            slack_token_secret_name: Central::DEFAULT_SLACK_TOKEN_SECRET.into(),
            alias: None,
        },
        accounts: Vec::new(),
        emr_defaults: EmrDefaults {
            release_label: None,
            instance_type: EmrDefaults::INSTANCE_TYPE.into(),
            core_instances: EmrDefaults::CORE_INSTANCES,
        },
        log_retention_days: Platform::DEFAULT_LOG_RETENTION_DAYS,
        permissions_boundary: None,
        cdk_qualifier: Platform::DEFAULT_CDK_QUALIFIER.into(),
        alert_targets: Vec::new(),
        file: path.to_path_buf(),
    }
}

// ---------------------------------------------------------------- across pipelines

/// A condition item as written: where it is, and whom it names.
struct Reference {
    pointer: String,
    upstream: (String, String),
}

fn references(file: &PipelineFile, platform: &Platform) -> Vec<Reference> {
    fn walk(
        entries: Option<&[ConditionEntryFile]>,
        pointer: &str,
        platform: &Platform,
        out: &mut Vec<Reference>,
    ) {
        for (i, entry) in entries.unwrap_or_default().iter().enumerate() {
            let here = at(pointer, i);
            match (&entry.name, &entry.account) {
                (Some(name), Some(account)) => {
                    if let Some(acct) = platform.account(account) {
                        out.push(Reference {
                            pointer: here,
                            upstream: (acct.id.clone(), name.clone()),
                        });
                    }
                }
                _ => {
                    walk(entry.all_of.as_deref(), &at(&here, "allOf"), platform, out);
                    walk(entry.any_of.as_deref(), &at(&here, "anyOf"), platform, out);
                }
            }
        }
    }
    let mut out = Vec::new();
    if let Some(e) = file.trigger.as_ref().and_then(|t| t.executions.as_ref()) {
        walk(
            e.all_of.as_deref(),
            "/trigger/executions/allOf",
            platform,
            &mut out,
        );
        walk(
            e.any_of.as_deref(),
            "/trigger/executions/anyOf",
            platform,
            &mut out,
        );
    }
    out
}

fn shown(ident: &(String, String), platform: &Platform) -> String {
    let account = platform
        .account_by_id(&ident.0)
        .map_or(ident.0.as_str(), |a| a.alias.as_str());
    format!("{}@{account}", ident.1)
}

fn organisation_checks(
    loaded: &[LoadedPipeline],
    platform: &Platform,
    scope: &LoadScope,
    diagnostics: &mut Vec<Diagnostic>,
) {
    let whole = *scope == LoadScope::Organisation;
    // Duplicates: the first file to define an identity owns it.
    let mut owners: BTreeMap<&(String, String), usize> = BTreeMap::new();
    for (i, p) in loaded.iter().enumerate() {
        let Some(ident) = &p.ident else { continue };
        match owners.get(ident) {
            Some(&first) => {
                if let Some(source) = &p.source {
                    let first_file = loaded[first]
                        .source
                        .as_ref()
                        .map_or("?", |s| s.display.as_str());
                    diagnostics.push(
                        Diagnostic::error(
                            codes::DUPLICATE_PIPELINE,
                            format!(
                                "two pipelines are named `{}` in account `{}`",
                                ident.1,
                                shown(ident, platform).rsplit('@').next().unwrap_or("")
                            ),
                        )
                        .at(source.locate("/name", Target::Value))
                        .with_label("this name is taken in this account")
                        .with_note(format!("the other one is in `{first_file}`"))
                        .with_help("a pipeline is identified by its account and name; rename one"),
                    );
                }
            }
            None => {
                owners.insert(ident, i);
            }
        }
    }

    // References: unknown upstreams, self-dependencies, and the graph for cycles.
    let idents: Vec<&(String, String)> = owners.keys().copied().collect();
    // `owners` is a BTreeMap, so its keys are sorted.
    let index = |ident: &(String, String)| idents.binary_search(&ident).ok();
    // A pipeline.yaml too broken to name its pipeline (invalid YAML) may be the upstream
    // another names: its own error is the one mistake, not an "unknown upstream" too.
    let unnamed = loaded.iter().any(|p| p.ident.is_none());
    let mut edges = Vec::new();
    let mut edge_at: BTreeMap<(usize, usize), (usize, String)> = BTreeMap::new();
    for (i, p) in loaded.iter().enumerate() {
        let (Some(source), Some(typed)) = (&p.source, &p.typed) else {
            continue;
        };
        for reference in references(typed, platform) {
            let location = source.locate(&at(&reference.pointer, "name"), Target::Value);
            if p.ident.as_ref() == Some(&reference.upstream) {
                diagnostics.push(
                    Diagnostic::error(
                        codes::SELF_DEPENDENCY,
                        format!("pipeline `{}` waits for itself", reference.upstream.1),
                    )
                    .at(location)
                    .with_label("this is the pipeline's own name and account")
                    .with_help("a pipeline cannot trigger itself; name an upstream pipeline"),
                );
                continue;
            }
            match index(&reference.upstream) {
                Some(to) => {
                    if let Some(from) = p.ident.as_ref().and_then(index)
                        && owners.get(idents[from]) == Some(&i)
                    {
                        edges.push((from, to));
                        edge_at
                            .entry((from, to))
                            .or_insert((i, reference.pointer.clone()));
                    }
                }
                None if unnamed => {}
                None => {
                    let mut d = if whole {
                        Diagnostic::error(
                            codes::UNKNOWN_UPSTREAM,
                            format!(
                                "upstream pipeline `{}` does not exist",
                                shown(&reference.upstream, platform)
                            ),
                        )
                    } else {
                        Diagnostic::warning(
                            codes::UNKNOWN_UPSTREAM,
                            format!("upstream pipeline `{}` is not in this project", shown(&reference.upstream, platform)),
                        )
                        .with_note("only this project was loaded; validate the organisation folder to check it")
                    };
                    d = d
                        .at(location)
                        .with_label("no pipeline with this name in that account");
                    let same_account: Vec<&str> = idents
                        .iter()
                        .filter(|i| i.0 == reference.upstream.0)
                        .map(|i| i.1.as_str())
                        .collect();
                    if let Some(close) =
                        crate::suggest::closest(&reference.upstream.1, same_account.iter().copied())
                    {
                        d = d.with_help(format!("did you mean `{close}`?"));
                    }
                    diagnostics.push(d);
                }
            }
        }
    }

    for cycle in graph::cycles(idents.len(), &edges) {
        let names: Vec<String> = cycle
            .iter()
            .chain(cycle.first())
            .map(|&n| format!("`{}`", shown(idents[n], platform)))
            .collect();
        let from = cycle[0];
        let to = cycle.get(1).copied().unwrap_or(from);
        let Some((file, pointer)) = edge_at.get(&(from, to)) else {
            continue;
        };
        let Some(source) = &loaded[*file].source else {
            continue;
        };
        diagnostics.push(
            Diagnostic::error(
                codes::PIPELINE_CYCLE,
                format!(
                    "pipelines wait for each other in a cycle: {}",
                    names.join(" → ")
                ),
            )
            .at(source.locate(&at(pointer, "name"), Target::Value))
            .with_label("this condition closes the cycle")
            .with_help("none of them can ever be triggered first; remove one of these conditions"),
        );
    }
}

/// See [`crate::check_bytes`].
pub(crate) fn check_bytes(kind: SchemaKind, bytes: &[u8]) -> Vec<Diagnostic> {
    // Compiling a schema costs more than checking a small file; the fuzzer calls this
    // millions of times with the built-in kinds only.
    static VALIDATORS: std::sync::OnceLock<Vec<Result<SchemaValidator, Vec<Diagnostic>>>> =
        std::sync::OnceLock::new();
    let registry = StepRegistry::builtin();
    let validators = VALIDATORS.get_or_init(|| {
        SchemaKind::ALL
            .iter()
            .map(|k| validator(*k, &StepRegistry::builtin()))
            .collect()
    });
    let index = SchemaKind::ALL.iter().position(|k| *k == kind).unwrap_or(0);
    let validator = match &validators[index] {
        Ok(v) => v,
        Err(d) => return d.clone(),
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return vec![Diagnostic::error(codes::NOT_UTF8, "not UTF-8")];
    };
    let display = kind.file_name();
    let limits = Limits::default();
    if text.len() as u64 > limits.max_bytes {
        return vec![Diagnostic::error(codes::FILE_TOO_LARGE, "too large")];
    }
    let mut diagnostics = Vec::new();
    let parsed = parse(text, &display, limits);
    diagnostics.extend(parsed.diagnostics);
    let Some(root) = parsed.root else {
        return diagnostics;
    };
    let source = SourceFile {
        path: PathBuf::from(&display),
        display: display.clone(),
        root,
        lines: parsed.lines,
    };
    let validated = validator.check(&source);
    diagnostics.extend(validated.diagnostics);
    let mut poisoned = validated.poisoned;
    let repaired = validated.repaired.unwrap_or(validated.value);
    // A directory no file can be in, so script checks never find one.
    let nowhere = Path::new("/nonexistent/dpc-check-bytes");
    match kind {
        SchemaKind::Pipeline => {
            if let Some(file) = read_repaired::<PipelineFile>(repaired, &mut poisoned) {
                let platform = placeholder_platform(nowhere);
                let mut cx = FileCheck::new(&source, &poisoned);
                let _ =
                    pipeline_check::resolve(&file, &platform, &registry, nowhere, true, &mut cx);
                diagnostics.extend(cx.diagnostics);
            }
        }
        SchemaKind::Platform => {
            if let Some(file) = read_repaired::<PlatformFile>(repaired, &mut poisoned) {
                let mut cx = FileCheck::new(&source, &poisoned);
                let _ = platform_check::resolve(&file, &mut cx);
                diagnostics.extend(cx.diagnostics);
            }
        }
        SchemaKind::Scenario => {}
    }
    diagnostics
}
