//! The JSON Schemas (draft-07) of the files, generated from [`crate::model`].

use crate::model::{PipelineFile, PlatformFile, ScenarioFile};
use crate::steps::StepRegistry;
use schemars::generate::SchemaSettings;
use serde_json::Value;

/// Which file a schema describes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SchemaKind {
    /// `pipeline.yaml`.
    Pipeline,
    /// `platform.yaml`.
    Platform,
    /// A `dpc simulate` scenario.
    Scenario,
}

impl SchemaKind {
    /// Every kind.
    pub const ALL: [SchemaKind; 3] = [
        SchemaKind::Pipeline,
        SchemaKind::Platform,
        SchemaKind::Scenario,
    ];

    /// The name `dpc schema` takes: `pipeline`, `platform`, `scenario`.
    pub fn name(self) -> &'static str {
        match self {
            SchemaKind::Pipeline => "pipeline",
            SchemaKind::Platform => "platform",
            SchemaKind::Scenario => "scenario",
        }
    }

    /// The kind named `name`.
    pub fn from_name(name: &str) -> Option<SchemaKind> {
        SchemaKind::ALL.into_iter().find(|k| k.name() == name)
    }

    /// The committed file's name: `pipeline.schema.json`.
    pub fn file_name(self) -> String {
        format!("{}.schema.json", self.name())
    }
}

/// The JSON Schema of a file, with the built-in step kinds.
pub fn json_schema(kind: SchemaKind) -> Value {
    json_schema_with(kind, &StepRegistry::builtin())
}

/// The JSON Schema of a file, with the step kinds of `registry`.
pub fn json_schema_with(kind: SchemaKind, registry: &StepRegistry) -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let schema = match kind {
        SchemaKind::Pipeline => generator.into_root_schema_for::<PipelineFile>(),
        SchemaKind::Platform => generator.into_root_schema_for::<PlatformFile>(),
        SchemaKind::Scenario => generator.into_root_schema_for::<ScenarioFile>(),
    };
    let mut value = schema.to_value();
    tidy(&mut value);
    if kind == SchemaKind::Pipeline {
        registry.patch_schema(&mut value);
    }
    value
}

/// Makes the generated schema say what the loader accepts, in words editors show well:
/// an optional key is either absent or a real value (never `null`); Rust's integer
/// formats (`uint32`) are not JSON Schema's and go; doc comments' line breaks inside a
/// paragraph become spaces.
fn tidy(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get("type") {
                let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
                if kept.len() == 1 {
                    map.insert("type".into(), kept[0].clone());
                } else if kept.len() != types.len() {
                    map.insert("type".into(), Value::Array(kept));
                }
            }
            if let Some(Value::Array(any)) = map.get("anyOf") {
                let kept: Vec<Value> = any
                    .iter()
                    .filter(|s| s.get("type").is_none_or(|t| t != "null"))
                    .cloned()
                    .collect();
                if kept.len() == 1 && kept.len() != any.len() {
                    map.remove("anyOf");
                    map.insert("allOf".into(), Value::Array(kept));
                }
            }
            if map
                .get("format")
                .and_then(Value::as_str)
                .is_some_and(|f| f.starts_with("int") || f.starts_with("uint"))
            {
                map.remove("format");
            }
            // An enum whose values have docs comes out as `oneOf` of `const`s; validators
            // then only say "not valid under any of the schemas". A plain `enum` gives a
            // precise error; the values' docs move into the description.
            if let Some(Value::Array(variants)) = map.get("oneOf")
                && !variants.is_empty()
                && variants
                    .iter()
                    .all(|v| v.get("const").is_some_and(Value::is_string))
            {
                let values: Vec<Value> = variants
                    .iter()
                    .filter_map(|v| v.get("const").cloned())
                    .collect();
                let docs: Vec<String> = variants
                    .iter()
                    .filter_map(|v| {
                        let value = v.get("const")?.as_str()?;
                        let doc = v.get("description")?.as_str()?;
                        Some(format!("`{value}`: {doc}"))
                    })
                    .collect();
                map.remove("oneOf");
                map.insert("type".into(), Value::String("string".into()));
                map.insert("enum".into(), Value::Array(values));
                if !docs.is_empty() {
                    let base = map
                        .get("description")
                        .and_then(Value::as_str)
                        .unwrap_or("")
                        .to_string();
                    let joined = if base.is_empty() {
                        docs.join(" ")
                    } else {
                        format!("{base} {}", docs.join(" "))
                    };
                    map.insert("description".into(), Value::String(joined));
                }
            }
            if let Some(Value::String(text)) = map.get_mut("description") {
                *text = text
                    .split("\n\n")
                    .map(|p| p.replace('\n', " "))
                    .collect::<Vec<_>>()
                    .join("\n\n");
            }
            for (_, child) in map.iter_mut() {
                tidy(child);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(tidy),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::SchemaKind;
    use crate::load::{Limits, parse};
    use crate::source::SourceFile;
    use crate::validate::SchemaValidator;
    use std::path::{Path, PathBuf};

    fn committed(kind: SchemaKind) -> SchemaValidator {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(kind.file_name());
        let text = std::fs::read_to_string(&path).expect("the committed schema");
        SchemaValidator::new(serde_json::from_str(&text).expect("JSON")).expect("it compiles")
    }

    fn kind_of(path: &Path) -> Option<SchemaKind> {
        match path.file_name()?.to_str()? {
            "pipeline.yaml" => Some(SchemaKind::Pipeline),
            "platform.yaml" => Some(SchemaKind::Platform),
            "scenario.yaml" => Some(SchemaKind::Scenario),
            _ => None,
        }
    }

    fn yaml_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                yaml_files(&path, out);
            } else if kind_of(&path).is_some() {
                out.push(path);
            }
        }
    }

    /// The committed schema's verdict on a file: the number of problems it finds.
    fn problems(path: &Path) -> usize {
        let kind = kind_of(path).expect("a known file");
        let text = std::fs::read_to_string(path).expect("UTF-8 text");
        let parsed = parse(&text, "x", Limits::default());
        let Some(root) = parsed.root else {
            return usize::MAX;
        };
        let source = SourceFile {
            path: path.to_path_buf(),
            display: "x".into(),
            root,
            lines: parsed.lines,
        };
        committed(kind).check(&source).diagnostics.len()
    }

    #[test]
    fn the_committed_schemas_accept_every_example() {
        let mut files = Vec::new();
        yaml_files(
            &Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples"),
            &mut files,
        );
        assert!(files.len() >= 5, "the examples are found: {files:?}");
        for file in files {
            assert_eq!(
                problems(&file),
                0,
                "{} is rejected by its schema",
                file.display()
            );
        }
    }

    #[test]
    fn the_committed_schemas_reject_every_schema_fixture() {
        let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("../snapshots/fixtures/invalid");
        let mut checked = 0;
        for entry in std::fs::read_dir(&base).expect("the fixtures") {
            let dir = entry.expect("an entry").path();
            let name = dir
                .file_name()
                .and_then(|n| n.to_str())
                .unwrap_or_default()
                .to_string();
            // DM0103–DM0108 are the mistakes a JSON Schema can describe.
            if !(name.as_str() >= "dm0103" && name.as_str() < "dm0109") {
                continue;
            }
            let mut files = Vec::new();
            yaml_files(&dir, &mut files);
            assert!(
                files.iter().any(|f| problems(f) > 0),
                "{name}: the committed schema accepts every file"
            );
            checked += 1;
        }
        assert!(checked >= 6, "only {checked} schema fixtures found");
    }
}
