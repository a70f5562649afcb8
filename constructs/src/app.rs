//! The whole organisation as one app: which stacks exist, in which environment, in
//! which order they deploy, and the assembly they synthesize to.
//!
//! For an organisation folder: `dpc-central`, one `dpc-account-<alias>` per account
//! of platform.yaml, and one pipeline stack per pipeline. For one project: only that
//! pipeline's stack (SPEC, "Commands"). Account stacks deploy after the central stack
//! (they take its API URLs as parameters); pipeline stacks after their account's.
//! Stacks never reference each other: names come from [`dpc_model::naming`].

use crate::aws::lambda::RuntimeAsset;
use crate::lineage::Lineage;
use crate::pipeline::emr::EmrStepRenderer;
use crate::pipeline::{self, BuildContext};
use crate::{account, central};
use dpc_core::{App, Aspect, Assembly, Diagnostic, StackId};
use dpc_schema::{LoadScope, Organisation};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;

/// The file the dependency graph is written to inside the assembly.
pub const LINEAGE_FILE: &str = "lineage.json";

/// How to synthesize beyond what the organisation says.
pub struct SynthOptions {
    /// The Lambda bundle every function runs (by asset id; staged when built).
    pub runtime: RuntimeAsset,
    /// Renderers for step kinds a library added to the loader's registry.
    pub step_renderers: Vec<Box<dyn EmrStepRenderer>>,
    /// Aspects applied to the whole app before validation (organisation policies).
    pub aspects: Vec<Box<dyn Aspect>>,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            runtime: RuntimeAsset::new(default_runtime_asset_id()),
            step_renderers: Vec::new(),
            aspects: Vec::new(),
        }
    }
}

/// The asset id templates use for the Lambda bundle when the caller names none.
///
/// It must change whenever the code the bundle is built from changes, and must not
/// depend on anything else, so templates stay byte-stable between runs: it hashes the
/// version of the model crate the runtime shares with dpc and of dpc itself.
pub fn default_runtime_asset_id() -> String {
    let mut hash = Sha256::new();
    hash.update(b"dpc-runtime\0");
    hash.update(env!("CARGO_PKG_VERSION").as_bytes());
    hex(&hash.finalize())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What [`build_app`] made: the app and where each stack is.
pub struct BuiltApp {
    /// The app, ready for `synth()`.
    pub app: App,
    /// The central stack, when the whole organisation was built.
    pub central: Option<StackId>,
    /// The account setup stacks by account id.
    pub accounts: BTreeMap<String, account::AccountStack>,
    /// The pipeline stacks, in the organisation's order.
    pub pipelines: Vec<pipeline::PipelineStack>,
}

/// Adds every stack the organisation needs to a new app (see the module docs).
///
/// # Errors
/// Every problem of every stack, not only the first.
pub fn build_app(org: &Organisation, options: SynthOptions) -> Result<BuiltApp, Vec<Diagnostic>> {
    let mut app = App::with_qualifier(&org.platform.cdk_qualifier).map_err(|d| vec![d])?;
    let mut errors = Vec::new();
    let mut central_stack = None;
    let mut accounts = BTreeMap::new();
    if org.scope == LoadScope::Organisation {
        match central::build(&mut app, org, &options.runtime) {
            Ok(built) => central_stack = Some(built.stack),
            Err(d) => errors.push(d),
        }
        for account in &org.platform.accounts {
            match account::build(&mut app, org, account, &options.runtime) {
                Ok(built) => {
                    if let Some(central) = central_stack
                        && let Err(d) = app.add_dependency(built.stack, central)
                    {
                        errors.push(d);
                    }
                    accounts.insert(account.id.clone(), built);
                }
                Err(d) => errors.push(d),
            }
        }
    }
    let ctx = BuildContext {
        platform: &org.platform,
        step_renderers: &options.step_renderers,
    };
    let mut pipelines = Vec::new();
    for p in &org.pipelines {
        match pipeline::build(&mut app, p, &ctx) {
            Ok(built) => {
                if let Some(setup) = accounts.get(&p.account.id)
                    && let Err(d) = app.add_dependency(built.stack, setup.stack)
                {
                    errors.push(d);
                }
                pipelines.push(built);
            }
            Err(ds) => errors.extend(ds),
        }
    }
    for aspect in options.aspects {
        app.add_boxed_aspect(aspect);
    }
    if errors.is_empty() {
        Ok(BuiltApp {
            app,
            central: central_stack,
            accounts,
            pipelines,
        })
    } else {
        Err(errors)
    }
}

/// Builds and synthesizes the organisation into an assembly in memory, with
/// `lineage.json` beside the templates. Nothing is written.
///
/// # Errors
/// Every problem found while building, validating or linting.
pub fn synthesize(org: &Organisation, options: SynthOptions) -> Result<Assembly, Vec<Diagnostic>> {
    let built = build_app(org, options)?;
    let mut assembly = built.app.synth()?;
    let lineage = Lineage::of(org);
    let mut bytes = serde_json::to_vec_pretty(&lineage).map_err(|e| {
        vec![Diagnostic::error(
            "DM0411",
            format!("cannot render {LINEAGE_FILE}: {e}"),
        )]
    })?;
    bytes.push(b'\n');
    assembly
        .add_file(LINEAGE_FILE, bytes)
        .map_err(|d| vec![d])?;
    Ok(assembly)
}
