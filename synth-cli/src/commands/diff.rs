//! `dpc diff OLD NEW` and `dpc diff --base GIT_REF [PATH]`: what a change does to the
//! deployed platform, resource by resource, plus what it does to the dependency graph.
//!
//! `--base` synthesizes PATH twice in this process: as it is now, and as it was at
//! GIT_REF, from a temporary `git worktree` that is removed afterwards (whatever happens).
//! Both sides therefore come from the dpc being run, so a diff never shows changes that
//! only a different dpc version would make.

use crate::diff::{AssemblySnapshot, diff_assemblies, render_markdown, render_text};
use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, EXIT_USAGE, Io};
use clap::ValueEnum;
use dpc_constructs::lineage::Lineage;
use dpc_core::{Assembly, Diagnostic};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Diagnostic code: git could not provide the base version (not a repository, unknown
/// ref, worktree failure).
pub const GIT_FAILED: &str = "DM0561";

/// `dpc diff`'s arguments.
#[derive(Debug, clap::Args)]
#[command(
    override_usage = "dpc diff [OPTIONS] OLD NEW\n       dpc diff [OPTIONS] --base GIT_REF [PATH]"
)]
#[command(after_help = "Examples:\n  dpc diff old-cdk.out cdk.out\n  \
    dpc diff --base origin/main --format markdown --fail")]
pub struct DiffArgs {
    /// The old assembly; with --base, the organisation or project folder [default: .].
    #[arg(value_name = "OLD")]
    old: Option<PathBuf>,
    /// The new assembly.
    #[arg(value_name = "NEW", conflicts_with = "base")]
    new: Option<PathBuf>,
    /// Compare PATH as it was at this git ref (synthesized from a temporary worktree)
    /// with PATH as it is now.
    #[arg(long, value_name = "GIT_REF")]
    base: Option<String>,
    /// Exit 1 when anything differs.
    #[arg(long)]
    fail: bool,
    /// `text` for a terminal, `markdown` for a pull-request comment, `json` for tools.
    #[arg(long, value_enum, default_value_t = DiffFormat::Text)]
    format: DiffFormat,
}

/// How the diff is printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// For a terminal.
    Text,
    /// GitHub-flavoured markdown, for a pull-request comment.
    Markdown,
    /// The diff as JSON (`version`, `summary`, `stacks`, `dependencies`).
    Json,
}

/// Runs `dpc diff`.
pub fn run(args: DiffArgs, io: &mut Io<'_>) -> i32 {
    let sides = match (&args.base, args.old, args.new) {
        (Some(git_ref), path, None) => {
            let path = crate::default_path(path);
            base_and_now(git_ref, &path, io)
        }
        (None, Some(old), Some(new)) => read_both(&old, &new),
        _ => {
            let _ = writeln!(
                io.stderr,
                "error: dpc diff compares two assemblies: `dpc diff OLD NEW`, or PATH with an \
                 earlier version of itself: `dpc diff --base GIT_REF [PATH]`\n\nFor more \
                 information, try '--help'."
            );
            return EXIT_USAGE;
        }
    };
    let (old, new) = match sides {
        Ok(sides) => sides,
        Err(errors) => {
            print_diagnostics(io, &errors, false, "diff");
            return EXIT_INPUT;
        }
    };
    let diff = diff_assemblies(&old, &new);
    let text = match args.format {
        DiffFormat::Text => render_text(&diff),
        DiffFormat::Markdown => render_markdown(&diff),
        DiffFormat::Json => serde_json::to_string_pretty(&diff).unwrap_or_default() + "\n",
    };
    let _ = write!(io.stdout, "{text}");
    if args.fail && !diff.is_empty() {
        EXIT_INPUT
    } else {
        EXIT_OK
    }
}

fn read_both(
    old: &Path,
    new: &Path,
) -> Result<(AssemblySnapshot, AssemblySnapshot), Vec<Diagnostic>> {
    let a = AssemblySnapshot::read(old);
    let b = AssemblySnapshot::read(new);
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err([a.err(), b.err()].into_iter().flatten().collect()),
    }
}

/// An organisation synthesized in memory: the assembly (with `lineage.json`), its
/// dependency graph, and the warnings loading and synthesis reported.
pub struct Synthesized {
    /// The cloud assembly, not written anywhere yet.
    pub assembly: Assembly,
    /// The dependency graph of the loaded pipelines.
    pub lineage: Lineage,
    /// Warnings from loading and synthesis.
    pub warnings: Vec<Diagnostic>,
}

/// Loads everything under `path` (not searching the folders in `exclude`, such as an
/// output folder) and synthesizes it in memory.
///
/// # Errors
/// Every diagnostic (warnings included) when loading or synthesis fails.
pub fn synthesize(path: &Path, exclude: &[PathBuf]) -> Result<Synthesized, Vec<Diagnostic>> {
    synthesize_with(path, exclude, dpc_constructs::app::SynthOptions::default())
}

/// [`synthesize`] with `synth_options` (e.g. the built Lambda bundle for deploy).
pub fn synthesize_with(
    path: &Path,
    exclude: &[PathBuf],
    synth_options: dpc_constructs::app::SynthOptions,
) -> Result<Synthesized, Vec<Diagnostic>> {
    let options = dpc_schema::LoadOptions {
        exclude: exclude.to_vec(),
        ..dpc_schema::LoadOptions::default()
    };
    let (org, mut warnings) = dpc_schema::load_organisation_with_options(path, &options)?;
    let assembly = match dpc_constructs::app::synthesize(&org, synth_options) {
        Ok(assembly) => assembly,
        Err(errors) => {
            warnings.extend(errors);
            return Err(warnings);
        }
    };
    warnings.extend(assembly.warnings().iter().cloned());
    Ok(Synthesized {
        lineage: Lineage::of(&org),
        assembly,
        warnings,
    })
}

/// PATH at `git_ref` and PATH now, both synthesized in memory.
fn base_and_now(
    git_ref: &str,
    path: &Path,
    io: &mut Io<'_>,
) -> Result<(AssemblySnapshot, AssemblySnapshot), Vec<Diagnostic>> {
    let worktree = Worktree::add(path, git_ref).map_err(|d| vec![d])?;
    let base_path = worktree.checkout.join(&worktree.relative);
    let what_base = format!("`{}` at `{git_ref}`", path.display());
    let old = synthesize(&base_path, &[]).map_err(|mut errors| {
        errors.push(Diagnostic::error(
            GIT_FAILED,
            format!("could not synthesize {what_base}"),
        ));
        errors
    })?;
    drop(worktree);
    let new = synthesize(path, &[])?;
    let warnings: Vec<Diagnostic> = new.warnings.clone();
    print_diagnostics(io, &warnings, false, "diff");
    Ok((
        AssemblySnapshot::of_assembly(&old.assembly, Some(old.lineage)),
        AssemblySnapshot::of_assembly(&new.assembly, Some(new.lineage)),
    ))
}

/// A detached `git worktree` of the repository holding PATH, at a ref; removed (and
/// pruned) when dropped, so an error half-way leaves no checkout behind.
struct Worktree {
    repo: PathBuf,
    checkout: PathBuf,
    /// PATH relative to the repository root.
    relative: PathBuf,
    _dir: tempfile::TempDir,
}

impl Worktree {
    fn add(path: &Path, git_ref: &str) -> Result<Worktree, Diagnostic> {
        let absolute = std::fs::canonicalize(path).map_err(|err| {
            Diagnostic::error(
                GIT_FAILED,
                format!("cannot read `{}`: {err}", path.display()),
            )
        })?;
        let folder = if absolute.is_dir() {
            absolute.clone()
        } else {
            absolute
                .parent()
                .map_or_else(|| absolute.clone(), Path::to_path_buf)
        };
        let top = git(&folder, &["rev-parse", "--show-toplevel"]).map_err(|err| {
            Diagnostic::error(
                GIT_FAILED,
                format!("`{}` is not in a git repository: {err}", path.display()),
            )
            .with_help("--base needs git history; compare two assemblies with `dpc diff OLD NEW`")
        })?;
        let repo = std::fs::canonicalize(top.trim()).unwrap_or_else(|_| PathBuf::from(top.trim()));
        let relative = absolute
            .strip_prefix(&repo)
            .map(Path::to_path_buf)
            .unwrap_or_default();
        // A ref that names no commit is the user's mistake: say so before touching anything.
        git(
            &repo,
            &[
                "rev-parse",
                "--verify",
                "--quiet",
                &format!("{git_ref}^{{commit}}"),
            ],
        )
        .map_err(|_| {
            Diagnostic::error(
                GIT_FAILED,
                format!("`{git_ref}` names no commit of `{}`", repo.display()),
            )
            .with_help(
                "give a branch, tag or commit, e.g. `--base origin/main` (fetch it first in CI)",
            )
        })?;
        let dir = tempfile::Builder::new()
            .prefix("dpc-diff-base-")
            .tempdir()
            .map_err(|err| {
                Diagnostic::error(
                    GIT_FAILED,
                    format!("cannot create a temporary folder: {err}"),
                )
            })?;
        let checkout = dir.path().join("base");
        let checkout_arg = checkout.to_string_lossy().into_owned();
        git(
            &repo,
            &[
                "worktree",
                "add",
                "--detach",
                "--quiet",
                &checkout_arg,
                git_ref,
            ],
        )
        .map_err(|err| {
            Diagnostic::error(
                GIT_FAILED,
                format!("cannot check out `{git_ref}` into a temporary worktree: {err}"),
            )
        })?;
        Ok(Worktree {
            repo,
            checkout,
            relative,
            _dir: dir,
        })
    }
}

impl Drop for Worktree {
    fn drop(&mut self) {
        let checkout = self.checkout.to_string_lossy().into_owned();
        let _ = git(&self.repo, &["worktree", "remove", "--force", &checkout]);
        let _ = git(&self.repo, &["worktree", "prune"]);
    }
}

/// Runs `git -C dir ARGS`; its stdout, or its stderr as the error.
fn git(dir: &Path, args: &[&str]) -> Result<String, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .map_err(|err| format!("cannot run git: {err}"))?;
    if output.status.success() {
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    } else {
        let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
        Err(if stderr.is_empty() {
            format!("git {} failed ({})", args.join(" "), output.status)
        } else {
            stderr
        })
    }
}
