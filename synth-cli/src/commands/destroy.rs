//! `dpc destroy [PATH]`: deletes the platform's stacks through the AWS CDK CLI, in the
//! reverse of deployment order — pipelines first, then the account setups, the central
//! stack last — one `cdk destroy --exclusively` per stack, stopping at the first failure.

use super::deploy::{Cdk, Target, common_args, deployment_order, prepare, run_one, select};
use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};

/// `dpc destroy`'s arguments.
#[derive(Debug, clap::Args)]
pub struct DestroyArgs {
    /// What to destroy and how.
    #[command(flatten)]
    pub target: Target,
    /// Do not let the CDK CLI ask for confirmation (`cdk destroy --force`).
    #[arg(long)]
    pub force: bool,
}

/// Runs `dpc destroy`.
pub fn run(args: DestroyArgs, io: &mut Io<'_>) -> i32 {
    let target = &args.target;
    let cdk = if target.dry_run {
        Cdk::shown_only()
    } else {
        match Cdk::find() {
            Ok(cdk) => cdk,
            Err(error) => {
                print_diagnostics(io, &[error], false, "destroy");
                return EXIT_INPUT;
            }
        }
    };
    let prepared = match prepare(target, false, io) {
        Ok(p) => p,
        Err(code) => return code,
    };
    let mut plan = match select(
        deployment_order(&prepared.snapshot),
        prepared.snapshot.lineage.as_ref(),
        &target.accounts,
        &target.pipelines,
    ) {
        Ok(plan) => plan,
        Err(errors) => {
            print_diagnostics(io, &errors, false, "destroy");
            return EXIT_INPUT;
        }
    };
    plan.reverse();
    let mut destroyed: Vec<&str> = Vec::new();
    for (i, p) in plan.iter().enumerate() {
        let mut cdk_args = vec!["destroy".to_owned()];
        cdk_args.extend(common_args(target, &prepared.dir));
        if args.force {
            cdk_args.push("--force".to_owned());
        }
        cdk_args.push(p.stack.id.clone());
        match run_one(
            &cdk,
            "destroy",
            target.dry_run,
            &cdk_args,
            &plan,
            i,
            &destroyed,
            io,
        ) {
            Ok(true) => {}
            Ok(false) => continue,
            Err(code) => return code,
        }
        destroyed.push(&p.stack.id);
    }
    if !target.dry_run {
        let _ = writeln!(
            io.stderr,
            "destroyed {} stack{}: {}",
            destroyed.len(),
            if destroyed.len() == 1 { "" } else { "s" },
            destroyed.join(", ")
        );
    }
    EXIT_OK
}
