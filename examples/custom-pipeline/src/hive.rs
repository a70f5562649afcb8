//! `type: hive`: a Hive script run as an EMR step.
//!
//! ```yaml
//! - name: report
//!   type: hive
//!   script: jobs/daily_report.hql        # local (shipped) or s3://…; .hql, .q or .sql
//!   variables: { DS: "{{ds}}", INPUT: "s3://lake/metric-x/dt={{ds}}/" }   # -d NAME=value
//!   hiveConf: { hive.exec.dynamic.partition.mode: nonstrict }             # --hiveconf k=v
//! ```
//!
//! The step runs `hive-script --run-hive-script --args -f <script> [--hiveconf k=v]…
//! [-d NAME=value]…` through `command-runner.jar`, as the EMR console's Hive step does;
//! the cluster gets the `Hive` application. A script in S3 is readable by the cluster's
//! role (that object only); a local script is shipped with the deployment like a Spark
//! job. Variable values and settings may hold the run-time macros (`{{ds}}`, …).

use dpc_constructs::prelude::*;
use dpc_core::Expr;
use serde_json::{Map, Value, json};

/// Diagnostic codes of the Hive step type. A library's codes are its own: these use
/// the prefix `HV`.
pub mod codes {
    /// The script is not a `.hql`, `.q` or `.sql` file.
    pub const NOT_A_HIVE_SCRIPT: &str = "HV001";
    /// An `s3://` script names a bucket or a folder, not an object.
    pub const NOT_AN_OBJECT: &str = "HV002";
    /// A variable name Hive cannot substitute.
    pub const BAD_VARIABLE: &str = "HV003";
    /// A `hiveConf` key that cannot be passed as `--hiveconf key=value`.
    pub const BAD_SETTING: &str = "HV004";
}

/// The script extensions Hive steps accept.
pub const EXTENSIONS: [&str; 3] = ["hql", "q", "sql"];

/// The `hive` step type.
#[derive(Clone, Copy, Debug, Default)]
pub struct HiveStep;

impl HiveStep {
    /// The `type` pipelines name.
    pub const TYPE: &'static str = "hive";

    /// A step running `script` (local or `s3://`), for [`PipelineBuilder::step`].
    pub fn step(name: &str, script: &str) -> HiveStepBuilder {
        HiveStepBuilder {
            step: StepBuilder::of_type(name, Self::TYPE).field("script", script),
            variables: Map::new(),
            settings: Map::new(),
        }
    }
}

/// A `hive` step being built: [`HiveStep::step`], then variables and settings.
#[derive(Clone, Debug)]
pub struct HiveStepBuilder {
    step: StepBuilder,
    variables: Map<String, Value>,
    settings: Map<String, Value>,
}

impl HiveStepBuilder {
    /// A variable: `-d NAME=value`, read in the script as `${NAME}`.
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// A setting: `--hiveconf key=value`.
    pub fn setting(mut self, key: &str, value: &str) -> Self {
        self.settings.insert(key.into(), value.into());
        self
    }

    /// `dependsOn`: steps that must succeed first.
    pub fn depends_on<const N: usize>(mut self, steps: [&str; N]) -> Self {
        self.step = self.step.depends_on(steps);
        self
    }

    /// The step's `timeout`, e.g. `"1h"`.
    pub fn timeout(mut self, timeout: &str) -> Self {
        self.step = self.step.timeout(timeout);
        self
    }

    /// `retries`: how often a failed run of the script is retried.
    pub fn retries(mut self, retries: u32) -> Self {
        self.step = self.step.retries(retries);
        self
    }
}

impl From<HiveStepBuilder> for StepBuilder {
    fn from(b: HiveStepBuilder) -> StepBuilder {
        let mut step = b.step;
        if !b.variables.is_empty() {
            step = step.field("variables", Value::Object(b.variables));
        }
        if !b.settings.is_empty() {
            step = step.field("hiveConf", Value::Object(b.settings));
        }
        step
    }
}

fn text<'a>(fields: &'a Map<String, Value>, name: &str) -> &'a str {
    fields.get(name).and_then(Value::as_str).unwrap_or("")
}

fn pairs<'a>(fields: &'a Map<String, Value>, name: &str) -> Vec<(&'a str, &'a str)> {
    fields
        .get(name)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| v.as_str().map(|v| (k.as_str(), v)))
                .collect()
        })
        .unwrap_or_default()
}

/// The bucket and key of `s3://bucket/key`.
fn s3_object(url: &str) -> Option<(&str, &str)> {
    let (bucket, key) = url.strip_prefix("s3://")?.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty() && !key.ends_with('/')).then_some((bucket, key))
}

fn valid_variable(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

impl StepType for HiveStep {
    fn type_name(&self) -> &str {
        Self::TYPE
    }

    fn description(&self) -> &str {
        "a Hive script (`script`, `.hql`/`.q`/`.sql`) run on the cluster with `variables` (`-d NAME=value`) and `hiveConf` settings."
    }

    fn fields_schema(&self) -> Value {
        json!({
            "properties": {
                "script": {
                    "description": "The Hive script: a `.hql`, `.q` or `.sql` file, as a path relative to the project folder (shipped with the deployment) or an `s3://` location.",
                    "type": "string",
                    "minLength": 1
                },
                "variables": {
                    "description": "Variables passed as `-d NAME=value` and read in the script as `${NAME}`. Names: letters, digits and `_`. Values may hold macros: `{{ds}}`, `{{ds_nodash}}`, `{{ts}}`, `{{pipeline}}`, `{{execution}}`.",
                    "type": "object",
                    "additionalProperties": { "type": "string" }
                },
                "hiveConf": {
                    "description": "Hive settings passed as `--hiveconf key=value`, e.g. `hive.exec.dynamic.partition.mode: nonstrict`.",
                    "type": "object",
                    "additionalProperties": { "type": "string" }
                }
            },
            "required": ["script"]
        })
    }

    fn applications(&self) -> Vec<String> {
        vec!["Hive".to_owned()]
    }

    fn scripts(&self, fields: &Map<String, Value>) -> Vec<StepScript> {
        vec![StepScript::new("/script", text(fields, "script"))]
    }

    fn validate(
        &self,
        fields: &Map<String, Value>,
        cx: &StepContext<'_>,
        problems: &mut Vec<StepProblem>,
    ) {
        let script = text(fields, "script");
        let file = script.rsplit('/').next().unwrap_or(script);
        let extension = file.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase());
        let s3_folder = script.starts_with("s3://") && s3_object(script).is_none();
        if !s3_folder && !extension.is_some_and(|e| EXTENSIONS.contains(&e.as_str())) {
            problems.push(StepProblem::new(
                "/script",
                Diagnostic::error(
                    codes::NOT_A_HIVE_SCRIPT,
                    format!(
                        "step `{}` runs `{script}`, which is not a Hive script",
                        cx.step
                    ),
                )
                .with_label("expected a `.hql`, `.q` or `.sql` file")
                .with_help("for a Spark job use `type: spark`"),
            ));
        }
        if s3_folder {
            problems.push(StepProblem::new(
                "/script",
                Diagnostic::error(
                    codes::NOT_AN_OBJECT,
                    format!("`{script}` names no S3 object"),
                )
                .with_label("expected `s3://bucket/path/to/script.hql`"),
            ));
        }
        for (name, value) in pairs(fields, "variables") {
            let pointer = format!("/variables/{}", name.replace('~', "~0").replace('/', "~1"));
            if !valid_variable(name) {
                problems.push(StepProblem::new(
                    pointer.clone(),
                    Diagnostic::error(
                        codes::BAD_VARIABLE,
                        format!("`{name}` is not a Hive variable name"),
                    )
                    .with_label("letters, digits and `_`, not starting with a digit")
                    .with_note("the script reads it as `${NAME}`"),
                ));
            }
            dpc_schema::steps::push_macro_problems(value, &pointer, problems);
        }
        for (key, value) in pairs(fields, "hiveConf") {
            let pointer = format!("/hiveConf/{}", key.replace('~', "~0").replace('/', "~1"));
            if key.is_empty() || key.contains('=') || key.contains(char::is_whitespace) {
                problems.push(StepProblem::new(
                    pointer.clone(),
                    Diagnostic::error(
                        codes::BAD_SETTING,
                        format!("`{key}` cannot be passed as `--hiveconf {key}=…`"),
                    )
                    .with_label("no `=` or spaces in a setting's name"),
                ));
            }
            dpc_schema::steps::push_macro_problems(value, &pointer, problems);
        }
    }

    fn emr_step(&self, input: &StepInput<'_>) -> Result<HadoopJarStep, Diagnostic> {
        let script = input.script_url(text(input.fields, "script"))?;
        let mut args = vec![
            "hive-script".to_owned(),
            "--run-hive-script".to_owned(),
            "--args".to_owned(),
            "-f".to_owned(),
            script,
        ];
        for (key, value) in pairs(input.fields, "hiveConf") {
            args.push("--hiveconf".to_owned());
            args.push(format!("{key}={value}"));
        }
        for (name, value) in pairs(input.fields, "variables") {
            args.push("-d".to_owned());
            args.push(format!("{name}={value}"));
        }
        Ok(HadoopJarStep::command_runner(args))
    }

    fn permissions(&self, input: &StepInput<'_>) -> Result<StepPermissions, Diagnostic> {
        let mut permissions = StepPermissions::default();
        // A shipped script is already readable (dpc grants its asset); one in S3 is
        // granted here, that object only.
        if let Some((bucket, key)) = s3_object(text(input.fields, "script")) {
            permissions
                .cluster
                .push(
                    Statement::allow(["s3:GetObject"])
                        .sid("HiveScript")
                        .on([Expr::sub(format!(
                            "arn:${{AWS::Partition}}:s3:::{bucket}/{key}"
                        ))]),
                );
        }
        Ok(permissions)
    }
}
