//! Pipelines built in code: a [`PipelineFile`] a program made instead of a person.
//!
//! A program (a custom dpc binary, or a test) builds the same typed `pipeline.yaml` a
//! person writes and hands it to the loader through
//! [`LoadOptions::pipelines`](crate::LoadOptions::pipelines), or checks it alone with
//! [`check_pipeline`]. The loader writes
//! it out as YAML ([`CodePipeline::to_yaml`]) and reads that text exactly as it reads a
//! file: the schema (with the registered step kinds), the language's rules (unknown
//! `dependsOn`, cycles, cron expressions, macros, …) and, with the organisation, the
//! checks across pipelines (duplicates, unknown upstreams, cycles). So a pipeline built
//! in code resolves to the very [`Pipeline`] its YAML twin resolves to, and its mistakes
//! come back as the same [`Diagnostic`]s, located in its YAML form (file name
//! [`CodePipeline::display`]) with a note naming where in the program it was built.

use crate::check::{FileCheck, pipeline as pipeline_check};
use crate::model::PipelineFile;
use crate::organisation::{check_text, validator};
use crate::resolved::{Pipeline, Platform};
use crate::schema::SchemaKind;
use crate::steps::StepRegistry;
use dpc_core::Diagnostic;
use serde_json::Value;
use std::fmt::Write as _;
use std::path::PathBuf;

/// A `pipeline.yaml` built in code, with what the loader needs to treat it as a file.
#[derive(Clone, Debug, PartialEq)]
pub struct CodePipeline {
    /// The pipeline, as a person would write it.
    pub file: PipelineFile,
    /// The folder its local paths (scripts, bootstrap actions) are relative to: what the
    /// folder of a `pipeline.yaml` is for a file.
    pub project_dir: PathBuf,
    /// Where the program built it, e.g. `src/main.rs:42:17`; shown in every diagnostic
    /// about it.
    pub origin: String,
}

impl CodePipeline {
    /// A pipeline built at `origin`, its local paths relative to `project_dir`.
    pub fn new(
        file: PipelineFile,
        project_dir: impl Into<PathBuf>,
        origin: impl Into<String>,
    ) -> Self {
        CodePipeline {
            file,
            project_dir: project_dir.into(),
            origin: origin.into(),
        }
    }

    /// The name its diagnostics give as their file: `<code>/<name>/pipeline.yaml`. Its
    /// lines and columns are those of [`CodePipeline::to_yaml`]; put that text into
    /// [`Sources`](crate::Sources) under this name to show them.
    pub fn display(&self) -> String {
        format!("<code>/{}/pipeline.yaml", self.file.name)
    }

    /// The pipeline as a `pipeline.yaml`: block style, every text double-quoted, so it
    /// reads back to the same [`PipelineFile`]. It starts with a comment naming
    /// [`CodePipeline::origin`].
    pub fn to_yaml(&self) -> String {
        let mut out = format!(
            "# pipeline `{}`, built in code at {}\n",
            self.file.name,
            self.origin.replace('\n', " ")
        );
        // Serializing a PipelineFile (plain data, string keys) cannot fail; were it to,
        // the empty document is reported by the loader as an empty file.
        let value = serde_json::to_value(&self.file).unwrap_or(Value::Null);
        if let Value::Object(map) = &value {
            write_map(&mut out, map, 0);
        }
        out
    }

    /// The note every diagnostic about this pipeline carries.
    pub(crate) fn note(&self) -> String {
        format!(
            "pipeline `{}` was built in code at {}; lines refer to its YAML form",
            self.file.name, self.origin
        )
    }
}

/// Checks and resolves one pipeline built in code against a resolved `platform`, with
/// the step kinds of `registry`: the schema and every rule of a single `pipeline.yaml`
/// (the checks across pipelines need the organisation: pass it in
/// `LoadOptions::pipelines` instead).
///
/// # Errors
/// Every problem found, located in [`CodePipeline::to_yaml`]'s text under
/// [`CodePipeline::display`]. On success, the pipeline and the warnings.
pub fn check_pipeline(
    pipeline: &CodePipeline,
    platform: &Platform,
    registry: &StepRegistry,
) -> Result<(Pipeline, Vec<Diagnostic>), Vec<Diagnostic>> {
    let validator = validator(SchemaKind::Pipeline, registry)?;
    let display = pipeline.display();
    let mut diagnostics = Vec::new();
    let checked = check_text::<PipelineFile>(
        &pipeline.to_yaml(),
        &PathBuf::from(&display),
        &display,
        &validator,
        &mut diagnostics,
    );
    let resolved = match (&checked.source, &checked.typed) {
        (Some(source), Some(file)) => {
            let mut cx = FileCheck::new(source, &checked.poisoned);
            let resolved = pipeline_check::resolve(
                file,
                platform,
                registry,
                &pipeline.project_dir,
                false,
                &mut cx,
            );
            diagnostics.extend(cx.diagnostics);
            resolved.filter(|_| !checked.partial)
        }
        _ => None,
    };
    let note = pipeline.note();
    for d in &mut diagnostics {
        if d.location.as_ref().is_some_and(|l| l.file == display) {
            d.notes.push(note.clone());
        }
    }
    match resolved {
        Some(p) if !diagnostics.iter().any(Diagnostic::is_error) => Ok((p, diagnostics)),
        _ => Err(diagnostics),
    }
}

// ---------------------------------------------------------------- YAML out

fn indent(out: &mut String, depth: usize) {
    out.push_str(&"  ".repeat(depth));
}

fn write_map(out: &mut String, map: &serde_json::Map<String, Value>, depth: usize) {
    for (i, (key, value)) in map.iter().enumerate() {
        // The first entry of a map inside a list sits on the `- ` line.
        if i > 0 || depth == 0 || !out.ends_with("- ") {
            indent(out, depth);
        }
        out.push_str(&yaml_key(key));
        out.push(':');
        write_value(out, value, depth);
    }
}

/// Writes the value of a map entry (after `key:`) and its line end.
fn write_value(out: &mut String, value: &Value, depth: usize) {
    match value {
        Value::Object(map) if !map.is_empty() => {
            out.push('\n');
            write_map(out, map, depth + 1);
        }
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            write_list(out, items, depth + 1);
        }
        other => {
            out.push(' ');
            out.push_str(&scalar(other));
            out.push('\n');
        }
    }
}

fn write_list(out: &mut String, items: &[Value], depth: usize) {
    for item in items {
        indent(out, depth);
        out.push_str("- ");
        match item {
            Value::Object(map) if !map.is_empty() => write_map(out, map, depth + 1),
            Value::Array(inner) if !inner.is_empty() => {
                out.push('\n');
                write_list(out, inner, depth + 1);
            }
            other => {
                let _ = writeln!(out, "{}", scalar(other));
            }
        }
    }
}

/// A scalar, an empty map or an empty list in flow style. Texts are JSON strings, which
/// are valid YAML double-quoted scalars.
fn scalar(value: &Value) -> String {
    match value {
        Value::Object(_) => "{}".into(),
        Value::Array(_) => "[]".into(),
        other => other.to_string(),
    }
}

/// A key: plain when YAML reads it back as the same text, else double-quoted.
fn yaml_key(key: &str) -> String {
    let plain = key.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && !matches!(
            key.to_ascii_lowercase().as_str(),
            "true" | "false" | "null" | "yes" | "no" | "on" | "off" | "y" | "n"
        );
    if plain {
        key.to_string()
    } else {
        Value::String(key.to_string()).to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::{Limits, parse};

    fn sample() -> CodePipeline {
        let file: PipelineFile = serde_json::from_value(serde_json::json!({
            "name": "p",
            "account": "core-data",
            "tags": { "cost-center": "4711", "on": "x", "a b": "\"quoted\"\n" },
            "trigger": { "executions": { "allOf": [
                { "name": "a", "account": "core-data", "status": ["SUCCEEDED", "FAILED"] },
                { "anyOf": [ { "name": "b", "account": "123456789012", "status": ["FAILED"] } ] }
            ] } },
            "steps": [
                { "name": "s", "type": "spark", "script": "s3://b/k.py", "args": [], "sparkConf": {} },
                { "name": "t", "type": "shell", "command": "echo {{ds}}: done", "retries": 2 }
            ]
        }))
        .expect("a pipeline file");
        CodePipeline::new(file, "/nowhere", "src/main.rs:1:1")
    }

    #[test]
    fn yaml_reads_back_to_the_same_file() {
        let code = sample();
        let yaml = code.to_yaml();
        let parsed = parse(&yaml, &code.display(), Limits::default());
        assert!(
            parsed.diagnostics.is_empty(),
            "{:?}\n{yaml}",
            parsed.diagnostics
        );
        let root = parsed.root.expect("a document");
        let back: PipelineFile = serde_json::from_value(root.to_json()).expect("reads back");
        assert_eq!(back, code.file, "{yaml}");
        assert!(yaml.starts_with("# pipeline `p`, built in code at src/main.rs:1:1\n"));
        assert!(yaml.contains("\n  \"on\": \"x\"\n"), "{yaml}");
        assert!(
            yaml.contains("\n  - name: \"s\"\n    type: \"spark\"\n"),
            "{yaml}"
        );
    }
}
