//! `type: spark`: a Spark job, Python or jar.

use super::{StepContext, StepKind, StepProblem};
use crate::codes;
use crate::resolved::{Script, SparkStep, StepConfig};
use dpc_core::Diagnostic;
use indexmap::IndexMap;
use serde_json::{Map, Value, json};

/// The built-in `spark` kind: `script`, `mainClass`, `args`, `sparkConf`.
#[derive(Clone, Copy, Debug, Default)]
pub struct SparkKind;

impl StepKind for SparkKind {
    fn type_name(&self) -> &str {
        "spark"
    }

    fn description(&self) -> &str {
        "a Spark job (`script`, `mainClass` for a jar, `args`, `sparkConf`), run with spark-submit on the cluster."
    }

    fn fields_schema(&self) -> Value {
        json!({
            "properties": {
                "script": {
                    "description": "The job: a `.py` file or a `.jar`, as a path relative to the project folder (shipped with the deployment) or an `s3://` location (used as is).",
                    "type": "string",
                    "minLength": 1
                },
                "mainClass": {
                    "description": "The class to run; required when `script` is a `.jar`.",
                    "type": "string",
                    "pattern": crate::model::patterns::JAVA_CLASS
                },
                "args": {
                    "description": "Arguments to the job. Macros filled in at run time: `{{ds}}`, `{{ds_nodash}}`, `{{ts}}`, `{{pipeline}}`, `{{execution}}`.",
                    "type": "array",
                    "items": { "type": "string" }
                },
                "sparkConf": {
                    "description": "Spark settings passed as `--conf key=value`, e.g. `spark.executor.memory: 4g`.",
                    "type": "object",
                    "additionalProperties": { "type": "string" }
                }
            },
            "required": ["script"]
        })
    }

    fn applications(&self) -> Vec<String> {
        vec!["Spark".to_string()]
    }

    fn resolve(
        &self,
        fields: &Map<String, Value>,
        cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) -> Option<StepConfig> {
        let before = problems.len();
        let written = fields.get("script").and_then(Value::as_str).unwrap_or("");
        let script = Script::from_written(written, cx.project_dir);
        if let Script::Local { relative, .. } = &script
            && let Err(problem) = crate::local_file::check_local_file(cx.project_dir, relative)
        {
            problems.push(StepProblem::new(
                "/script",
                problem.diagnostic(&format!("script `{relative}` of step `{}`", cx.step)),
            ));
        }
        let main_class = fields
            .get("mainClass")
            .and_then(Value::as_str)
            .map(str::to_string);
        if script.extension().as_deref() == Some("jar") && main_class.is_none() {
            problems.push(StepProblem::new(
                "/script",
                Diagnostic::error(
                    codes::JAR_WITHOUT_MAIN_CLASS,
                    format!("step `{}` runs a jar but has no `mainClass`", cx.step),
                )
                .with_label("a jar needs `mainClass`")
                .with_help("add `mainClass: com.example.Job` to the step"),
            ));
        }
        let args: Vec<String> = fields
            .get("args")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        for (i, arg) in args.iter().enumerate() {
            super::push_macro_problems(arg, &format!("/args/{i}"), problems);
        }
        let spark_conf: IndexMap<String, String> = fields
            .get("sparkConf")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        let failed = problems[before..].iter().any(|p| p.diagnostic.is_error());
        (!failed).then_some(StepConfig::Spark(SparkStep {
            script,
            main_class,
            args,
            spark_conf,
        }))
    }
}
