//! Synthesis one stack at a time: what [`synthesize`](crate::app::synthesize) does when
//! no aspect needs the whole tree. Each unit (the central stack, an account's setup
//! stack, a pipeline's stack) is built into an app of its own, rendered and linted on
//! whichever core is free, and its construct tree dropped; the renderings are then merged
//! in the organisation's order, given their dependencies, and linted across stacks. The
//! result is byte for byte what building everything into one app gives.
//!
//! With [`SynthOptions::cache_dir`], each unit has a key: the SHA-256 of everything its
//! builder is given (the platform, and the account or the pipeline, as resolved, in their
//! `Debug` form, which names every field), the runtime asset, and dpc itself (its version
//! and the hash of the sources that decide what it writes, `DPC_SYNTH_SOURCE_ID`). The
//! central and account builders get an organisation with the platform only, so they
//! cannot read what their key leaves out. With step renderers a library added (code the
//! key cannot see) nothing is cached. A unit whose key the folder's cache holds, with its
//! templates intact, is not built.

use crate::app::{
    LINEAGE_FILE, PipelineOrigin, SynthOptions, build_unit, lineage_bytes, noted, units,
};
use crate::lineage::Lineage;
use crate::pipeline::BuildContext;
use dpc_core::cache::RenderCache;
use dpc_core::{Assembly, Diagnostic, Rendered};
use dpc_model::naming;
use dpc_schema::Organisation;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

/// One unit, rendered: its stack, and what decides which stack it deploys after.
struct Unit {
    rendered: Rendered,
    role: Role,
    /// The stack's artifact id.
    artifact_id: String,
}

/// Which kind of stack a unit is.
enum Role {
    Central,
    /// An account's setup stack, by account id.
    Account(String),
    /// A pipeline's stack, and where the pipeline is defined.
    Pipeline(PipelineOrigin),
}

pub(crate) fn synthesize(
    org: &Organisation,
    options: &SynthOptions,
) -> Result<Assembly, Vec<Diagnostic>> {
    let ctx = BuildContext {
        platform: &org.platform,
        step_renderers: &options.step_renderers,
    };
    // What the central and account builders may see: the platform, not the pipelines.
    let setup_org = Organisation {
        platform: org.platform.clone(),
        pipelines: Vec::new(),
        root: org.root.clone(),
        scope: org.scope.clone(),
    };
    let cache = options
        .cache_dir
        .as_deref()
        .filter(|_| options.step_renderers.is_empty())
        // Recorded asset sources are read again only from the organisation's tree and
        // the Lambda bundle: the index is a hint, and may name any path.
        .map(|dir| {
            let bundle: Vec<std::path::PathBuf> = options.runtime.bundle.iter().cloned().collect();
            RenderCache::open(dir).with_sources(std::slice::from_ref(&org.root), &bundle)
        });
    let keys = cache.as_ref().map(|_| Keys::new(&setup_org, options));
    let qualifier = &org.platform.cdk_qualifier;
    let results: Vec<Result<Unit, Problems>> = units(org)
        .par_iter()
        .map(|unit| {
            let key = keys.as_ref().map(|k| k.of(unit));
            // The stack id each builder gives its stack (from dpc_model::naming).
            let (role, artifact_id) = match unit {
                crate::app::Unit::Pipeline(p) => {
                    let id = naming::pipeline_artifact_id(&p.account.alias, &p.name);
                    (Role::Pipeline(PipelineOrigin::of(&id, p)), id)
                }
                crate::app::Unit::Account(a) => {
                    (Role::Account(a.id.clone()), crate::account::stack_id(a))
                }
                crate::app::Unit::Central => (Role::Central, crate::central::STACK_ID.to_owned()),
            };
            // A unit is one stack: an entry holding anything else is not this unit's.
            let reused = match (&cache, &key) {
                (Some(cache), Some(key)) => cache
                    .get(key, qualifier)
                    .filter(|r| r.stack_ids().eq([artifact_id.as_str()])),
                _ => None,
            };
            let rendered = match reused {
                Some(rendered) => rendered,
                None => {
                    let (app, built) = build_unit(unit, &setup_org, options, &ctx);
                    built.map_err(Problems::Build)?;
                    let mut rendered = app.render().map_err(Problems::Synth)?;
                    if let Some(key) = &key {
                        rendered.cache_as(key);
                    }
                    rendered
                }
            };
            Ok(Unit {
                rendered,
                role,
                artifact_id,
            })
        })
        .collect();

    // As `build_app(..)?.synth()`: problems building any stack first; then those of
    // validating and rendering.
    let mut build_errors = Vec::new();
    let mut synth_errors = Vec::new();
    let mut built = Vec::with_capacity(results.len());
    for result in results {
        match result {
            Ok(unit) => built.push(unit),
            Err(Problems::Build(ds)) => build_errors.extend(ds),
            Err(Problems::Synth(ds)) => synth_errors.extend(ds),
        }
    }
    // Every pipeline's origin, built or not, so that a problem of any pipeline stack
    // is placed in its pipeline.yaml.
    let origins: Vec<PipelineOrigin> = org
        .pipelines
        .iter()
        .map(|p| PipelineOrigin::of(&naming::pipeline_artifact_id(&p.account.alias, &p.name), p))
        .collect();
    let note = |ds: Vec<Diagnostic>| -> Vec<Diagnostic> {
        ds.into_iter().map(|d| noted(d, &origins)).collect()
    };
    if !build_errors.is_empty() {
        return Err(note(build_errors));
    }
    if !synth_errors.is_empty() {
        return Err(note(synth_errors));
    }

    // Central first, then each account's setup after it, each pipeline after its
    // account's setup: the order and dependencies `build_app` gives.
    let mut merged = dpc_core::App::with_qualifier(qualifier)
        .map_err(|d| vec![d])?
        .render()?;
    let mut central: Option<String> = None;
    let mut accounts: indexmap::IndexMap<String, String> = indexmap::IndexMap::new();
    let mut errors = Vec::new();
    for unit in built {
        let after = match &unit.role {
            Role::Central => {
                central = Some(unit.artifact_id.clone());
                None
            }
            Role::Account(account) => {
                accounts.insert(account.clone(), unit.artifact_id.clone());
                central.clone()
            }
            Role::Pipeline(origin) => accounts.get(&origin.account_id).cloned(),
        };
        if let Err(d) = merged.merge(unit.rendered) {
            errors.push(d);
            continue;
        }
        if let Some(on) = after
            && let Err(d) = merged.add_dependency(&unit.artifact_id, &on)
        {
            errors.push(d);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut assembly = merged.into_assembly().map_err(note)?;
    assembly
        .add_file(LINEAGE_FILE, lineage_bytes(&Lineage::of(org))?)
        .map_err(|d| vec![d])?;
    Ok(assembly)
}

/// The cache keys of an organisation's units.
struct Keys {
    /// What every key starts with: dpc's version and sources, the runtime.
    common: Vec<u8>,
    /// The organisation the central and account builders see, as `Debug` text.
    setup_org: String,
    /// The platform the pipeline builder sees, as `Debug` text.
    platform: String,
}

impl Keys {
    fn new(setup_org: &Organisation, options: &SynthOptions) -> Keys {
        let mut common = Vec::new();
        common.extend_from_slice(b"dpc unit key 1\0");
        common.extend_from_slice(env!("CARGO_PKG_VERSION").as_bytes());
        common.push(0);
        common.extend_from_slice(env!("DPC_SYNTH_SOURCE_ID").as_bytes());
        common.push(0);
        common.extend_from_slice(format!("{:?}", options.runtime).as_bytes());
        common.push(0);
        Keys {
            common,
            setup_org: format!("{setup_org:?}"),
            platform: format!("{:?}", setup_org.platform),
        }
    }

    fn of(&self, unit: &crate::app::Unit<'_>) -> String {
        let mut hash = Sha256::new();
        hash.update(&self.common);
        match unit {
            crate::app::Unit::Central => {
                hash.update(b"central\0");
                hash.update(self.setup_org.as_bytes());
            }
            crate::app::Unit::Account(account) => {
                hash.update(b"account\0");
                hash.update(self.setup_org.as_bytes());
                hash.update(format!("{account:?}").as_bytes());
            }
            crate::app::Unit::Pipeline(pipeline) => {
                hash.update(b"pipeline\0");
                hash.update(self.platform.as_bytes());
                hash.update(format!("{pipeline:?}").as_bytes());
            }
        }
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }
}

/// Why a unit produced no rendering.
enum Problems {
    Build(Vec<Diagnostic>),
    Synth(Vec<Diagnostic>),
}
