//! `dpc create-project -n NAME [--account ALIAS]`: a new project folder that
//! validates as written.

use crate::codes;
use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use dpc_core::Diagnostic;
use std::path::{Path, PathBuf};

/// Creates `./NAME/` with pipeline.yaml (carrying the editor schema line), a sample
/// Spark job and a README, in the account `account` (default: the first account of
/// the platform.yaml found in this folder or above).
pub fn run(name: &str, account: Option<&str>, io: &mut Io<'_>) -> i32 {
    let cwd = match std::env::current_dir() {
        Ok(dir) => dir,
        Err(err) => {
            let d = Diagnostic::error(
                codes::NO_CURRENT_DIR,
                format!("cannot read the current folder: {err}"),
            );
            print_diagnostics(io, &[d], false, "create the project");
            return EXIT_INPUT;
        }
    };
    match create(&cwd, name, account) {
        Ok(dir) => {
            let _ = writeln!(
                io.stderr,
                "created {}: edit pipeline.yaml, then `dpc validate {}`",
                dir.display(),
                dir.display()
            );
            EXIT_OK
        }
        Err(errors) => {
            print_diagnostics(io, &errors, false, &format!("create project `{name}`"));
            EXIT_INPUT
        }
    }
}

/// Whether `name` matches SPEC's pipeline name pattern `[a-z][a-z0-9-]{0,62}`.
fn is_valid_pipeline_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some('a'..='z'))
        && name.len() <= 63
        && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '-'))
}

/// The folder with platform.yaml: `dir` or the nearest folder above it.
fn find_platform_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join("platform.yaml").is_file())
        .map(Path::to_path_buf)
}

/// Creates the project under `base` and checks that it validates; on any error
/// nothing is left behind.
pub fn create(base: &Path, name: &str, account: Option<&str>) -> Result<PathBuf, Vec<Diagnostic>> {
    if !is_valid_pipeline_name(name) {
        return Err(vec![
            Diagnostic::error(
                codes::INVALID_PROJECT_NAME,
                format!("`{name}` is not a valid pipeline name"),
            )
            .with_help("use a lowercase letter, then up to 62 lowercase letters, digits or `-`"),
        ]);
    }
    let dir = base.join(name);
    if dir.exists() {
        return Err(vec![Diagnostic::error(
            codes::PROJECT_EXISTS,
            format!(
                "`{}` already exists; dpc will not overwrite it",
                dir.display()
            ),
        )]);
    }
    let Some(root) = find_platform_root(base) else {
        return Err(vec![
            Diagnostic::error(
                codes::NO_PLATFORM_FOR_PROJECT,
                format!(
                    "no platform.yaml in `{}` or any folder above it",
                    base.display()
                ),
            )
            .with_help(
                "create the project inside your organisation's folder (the one with platform.yaml)",
            ),
        ]);
    };
    // An explicit alias is checked by validating the new project (which names the
    // closest alias when it is wrong); without one, the platform's first account is
    // taken, which needs platform.yaml to load.
    let alias = match account {
        Some(alias) => alias.to_string(),
        None => {
            let (org, _) = dpc_schema::load_organisation(&root).map_err(|mut errors| {
                errors.push(
                    Diagnostic::error(
                        codes::NO_PLATFORM_FOR_PROJECT,
                        "cannot pick an account for the new project from a platform with errors",
                    )
                    .with_help("fix the errors above, or name the account with `--account ALIAS`"),
                );
                errors
            })?;
            match org.platform.accounts.first() {
                Some(a) => a.alias.clone(),
                None => {
                    return Err(vec![Diagnostic::error(
                        codes::NO_ACCOUNT_FOR_PROJECT,
                        "platform.yaml lists no accounts to put the pipeline in",
                    )]);
                }
            }
        }
    };
    let schema_dir = root.join(".dpc");
    let schema_file = schema_dir.join("pipeline.schema.json");
    let schema_text =
        serde_json::to_string_pretty(&dpc_schema::json_schema(dpc_schema::SchemaKind::Pipeline))
            .unwrap_or_default()
            + "\n";
    let schema_ref = relative_path(&dir, &schema_file);
    let files = [
        (
            dir.join("pipeline.yaml"),
            pipeline_yaml(name, &alias, &schema_ref),
        ),
        (dir.join("jobs").join("main.py"), SAMPLE_JOB.to_string()),
        (dir.join("README.md"), readme(name, &alias)),
    ];
    let write_all = || -> std::io::Result<()> {
        std::fs::create_dir_all(&schema_dir)?;
        // Read back only to skip an identical rewrite: bounded, like every read.
        let existing = dpc_core::read::read_bounded(&schema_file, 1 << 20).ok();
        if existing.as_deref() != Some(schema_text.as_bytes()) {
            std::fs::write(&schema_file, &schema_text)?;
        }
        for (path, text) in &files {
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(path, text)?;
        }
        Ok(())
    };
    if let Err(err) = write_all() {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(vec![Diagnostic::error(
            codes::PROJECT_WRITE_FAILED,
            format!("cannot write `{}`: {err}", dir.display()),
        )]);
    }
    if let Err(errors) = dpc_schema::load_organisation(&dir) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(errors);
    }
    Ok(dir)
}

/// `to` relative to the folder `from`, with `/` separators (editors want URLs).
fn relative_path(from: &Path, to: &Path) -> String {
    let from: Vec<_> = from.components().collect();
    let to_parts: Vec<_> = to.components().collect();
    let common = from
        .iter()
        .zip(&to_parts)
        .take_while(|(a, b)| a == b)
        .count();
    let mut parts: Vec<String> = vec!["..".to_string(); from.len() - common];
    parts.extend(
        to_parts[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

fn pipeline_yaml(name: &str, alias: &str, schema: &str) -> String {
    format!(
        "# yaml-language-server: $schema={schema}
name: {name}
account: {alias}
description: What {name} produces
owner: {alias}-team
timeout: 2h

trigger:
  hour: 3                       # every day at 03:00 UTC

steps:
  - name: main
    type: spark
    script: jobs/main.py        # shipped with the deployment
    args: [--date, \"{{{{ds}}}}\"]
"
    )
}

fn readme(name: &str, alias: &str) -> String {
    format!(
        "# {name}

A dpc pipeline in the `{alias}` account. `pipeline.yaml` describes when it runs, its
EMR cluster, its steps and who hears about its runs; `jobs/` holds its job scripts.

- `dpc validate .` checks it (your editor does too, through the schema line).
- `dpc synth .` writes its CloudFormation stack into `cdk.out/`.
"
    )
}

const SAMPLE_JOB: &str = r#""""A sample Spark job: reads nothing, writes nothing, proves the wiring."""
import argparse

from pyspark.sql import SparkSession

parser = argparse.ArgumentParser()
parser.add_argument("--date", required=True)
args = parser.parse_args()

spark = SparkSession.builder.getOrCreate()
print(f"running for {args.date} on Spark {spark.version}")
"#;
