//! Synthesis one stack at a time: what [`synthesize`](crate::app::synthesize) does when
//! no aspect needs the whole tree. Each unit (the central stack, an account's setup
//! stack, a pipeline's stack) is built into an app of its own, rendered and linted on
//! whichever core is free, and its construct tree dropped; the renderings are then merged
//! in the organisation's order, given their dependencies, and linted across stacks. The
//! result is byte for byte what building everything into one app gives.

use crate::app::{
    Built, LINEAGE_FILE, PipelineOrigin, SynthOptions, build_unit, lineage_bytes, noted, units,
};
use crate::lineage::Lineage;
use crate::pipeline::BuildContext;
use dpc_core::{Assembly, Diagnostic, Rendered};
use dpc_schema::Organisation;
use rayon::prelude::*;

/// One unit, rendered: its stacks, and what its stack needs to deploy after.
struct Unit {
    rendered: Rendered,
    /// For a pipeline stack: its artifact id, and where the pipeline is defined.
    origin: Option<PipelineOrigin>,
    /// For an account setup stack: the account id.
    account: Option<String>,
    /// Artifact id of the stack built.
    artifact_id: String,
}

pub(crate) fn synthesize(
    org: &Organisation,
    options: &SynthOptions,
) -> Result<Assembly, Vec<Diagnostic>> {
    let ctx = BuildContext {
        platform: &org.platform,
        step_renderers: &options.step_renderers,
    };
    let results: Vec<Result<Unit, Problems>> = units(org)
        .par_iter()
        .map(|unit| {
            let (app, built) = build_unit(unit, org, options, &ctx);
            let built = built.map_err(Problems::Build)?;
            let (origin, account) = match (&built, unit) {
                (Built::Pipeline(p), crate::app::Unit::Pipeline(pipeline)) => {
                    (Some(PipelineOrigin::of(&p.artifact_id, pipeline)), None)
                }
                (Built::Account(_), crate::app::Unit::Account(account)) => {
                    (None, Some(account.id.clone()))
                }
                _ => (None, None),
            };
            let artifact_id = match &built {
                Built::Central(stack) => app.tree().construct_id(stack.node()).to_owned(),
                Built::Account(a) => app.tree().construct_id(a.stack.node()).to_owned(),
                Built::Pipeline(p) => p.artifact_id.clone(),
            };
            let rendered = app.render().map_err(Problems::Synth)?;
            Ok(Unit {
                rendered,
                origin,
                account,
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
    if !build_errors.is_empty() {
        return Err(build_errors);
    }
    let origins: Vec<PipelineOrigin> = built.iter().filter_map(|u| u.origin.clone()).collect();
    let note = |ds: Vec<Diagnostic>| -> Vec<Diagnostic> {
        ds.into_iter().map(|d| noted(d, &origins)).collect()
    };
    if !synth_errors.is_empty() {
        return Err(note(synth_errors));
    }

    let mut merged: Option<Rendered> = None;
    let mut central: Option<String> = None;
    let mut accounts: indexmap::IndexMap<String, String> = indexmap::IndexMap::new();
    let mut errors = Vec::new();
    for unit in built {
        let after = match (&unit.origin, &unit.account) {
            (Some(origin), _) => accounts.get(&origin.account_id).cloned(),
            (None, Some(_)) => central.clone(),
            (None, None) => None,
        };
        match &unit.account {
            Some(account) => {
                accounts.insert(account.clone(), unit.artifact_id.clone());
            }
            None if unit.origin.is_none() => central = Some(unit.artifact_id.clone()),
            None => {}
        }
        let all = match merged.as_mut() {
            None => merged.insert(unit.rendered),
            Some(all) => {
                if let Err(d) = all.merge(unit.rendered) {
                    errors.push(d);
                    continue;
                }
                all
            }
        };
        if let Some(on) = after
            && let Err(d) = all.add_dependency(&unit.artifact_id, &on)
        {
            errors.push(d);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let Some(merged) = merged else {
        // No stack at all (a folder without pipelines is refused by the loader).
        return dpc_core::App::with_qualifier(&org.platform.cdk_qualifier)
            .map_err(|d| vec![d])?
            .synth()
            .and_then(|mut assembly| {
                assembly
                    .add_file(LINEAGE_FILE, lineage_bytes(&Lineage::of(org))?)
                    .map_err(|d| vec![d])?;
                Ok(assembly)
            });
    };
    let mut assembly = merged.into_assembly().map_err(note)?;
    assembly
        .add_file(LINEAGE_FILE, lineage_bytes(&Lineage::of(org))?)
        .map_err(|d| vec![d])?;
    Ok(assembly)
}

/// Why a unit produced no rendering.
enum Problems {
    Build(Vec<Diagnostic>),
    Synth(Vec<Diagnostic>),
}
