//! Helpers shared by the pipeline tests: load an example organisation, build its pipeline
//! stacks, synthesize, and find things in the templates.
#![allow(dead_code)]

use dpc_constructs::pipeline::{self, BuildContext, PipelineStack};
use dpc_core::App;
use dpc_schema::Organisation;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// The workspace's `examples/<name>` folder.
pub fn example(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("examples")
        .join(name)
}

/// Loads an organisation, panicking with its diagnostics when it does not load.
pub fn load(dir: &Path) -> Organisation {
    match dpc_schema::load_organisation(dir) {
        Ok((org, _warnings)) => org,
        Err(errors) => panic!("{} does not load: {errors:#?}", dir.display()),
    }
}

/// One synthesized pipeline stack.
pub struct Synthesized {
    /// What `build` returned.
    pub stack: PipelineStack,
    /// The rendered template.
    pub template: Value,
    /// Synthesis warnings.
    pub warnings: Vec<dpc_core::Diagnostic>,
}

/// Builds and synthesizes every pipeline of `org`, each in its own app.
pub fn synth_all(org: &Organisation) -> Vec<(String, Synthesized)> {
    org.pipelines
        .iter()
        .map(|p| {
            let mut app = App::with_qualifier(&org.platform.cdk_qualifier).expect("qualifier");
            let ctx = BuildContext {
                platform: &org.platform,
                step_renderers: &[],
            };
            let stack = pipeline::build(&mut app, p, &ctx)
                .unwrap_or_else(|e| panic!("pipeline {} does not build: {e:#?}", p.name));
            let assembly = app
                .synth()
                .unwrap_or_else(|e| panic!("pipeline {} does not synthesize: {e:#?}", p.name));
            let artifact = assembly
                .stacks()
                .iter()
                .find(|s| s.artifact_id == stack.artifact_id)
                .expect("the stack is in the assembly");
            (
                p.name.clone(),
                Synthesized {
                    template: artifact.template(),
                    warnings: assembly.warnings().to_vec(),
                    stack,
                },
            )
        })
        .collect()
}

/// The resources of a template with the given type, as `(logical id, resource)`.
pub fn resources_of<'a>(template: &'a Value, type_name: &str) -> Vec<(&'a str, &'a Value)> {
    template["Resources"]
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(_, r)| r["Type"] == type_name)
                .map(|(k, r)| (k.as_str(), r))
                .collect()
        })
        .unwrap_or_default()
}

/// The state machine definition of a template.
pub fn definition(template: &Value) -> Value {
    let machines = resources_of(template, "AWS::StepFunctions::StateMachine");
    assert_eq!(machines.len(), 1, "one state machine per pipeline stack");
    machines[0].1["Properties"]["Definition"].clone()
}

/// Builds every pipeline of `org` into one app and synthesizes it: the assembly the
/// external validators read.
pub fn synth_assembly(org: &Organisation) -> dpc_core::Assembly {
    let mut app = App::with_qualifier(&org.platform.cdk_qualifier).expect("qualifier");
    let ctx = BuildContext {
        platform: &org.platform,
        step_renderers: &[],
    };
    for p in &org.pipelines {
        pipeline::build(&mut app, p, &ctx)
            .unwrap_or_else(|e| panic!("pipeline {} does not build: {e:#?}", p.name));
    }
    app.synth()
        .unwrap_or_else(|e| panic!("the organisation does not synthesize: {e:#?}"))
}

/// The repository root.
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Whether the pinned validators are installed (`scripts/install-tools`). Outside CI a
/// missing install skips the external checks with a message; in CI it fails them.
pub fn tools_installed(check: &str) -> bool {
    let installed = repo_root().join(".tools/venv/bin/python").is_file()
        && repo_root()
            .join("tools/node_modules/asl-validator")
            .is_dir();
    if !installed {
        let ci = std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "0" && v != "false")
            || std::env::var_os("DPC_REQUIRE_TOOLS").is_some();
        assert!(
            !ci,
            "{check}: the pinned validators are not installed; run scripts/install-tools"
        );
        eprintln!(
            "SKIPPED {check}: the pinned validators are not installed (run scripts/install-tools)"
        );
    }
    installed
}

/// A fresh, empty directory under the target directory for one test.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Writes every template to `dir/<pipeline>.template.json` and every definition to
/// `dir/<pipeline>.asl.json`, for the external validators.
pub fn write_out(dir: &Path, stacks: &[(String, Synthesized)]) {
    std::fs::create_dir_all(dir).expect("out dir");
    for (name, s) in stacks {
        std::fs::write(
            dir.join(format!("{name}.template.json")),
            serde_json::to_string_pretty(&s.template).expect("json"),
        )
        .expect("write template");
        std::fs::write(
            dir.join(format!("{name}.asl.json")),
            serde_json::to_string_pretty(&definition(&s.template)).expect("json"),
        )
        .expect("write definition");
    }
}
