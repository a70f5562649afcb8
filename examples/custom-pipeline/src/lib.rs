//! dpc as a library, by example: an organisation's own dpc binary.
//!
//! It adds to what the `dpc` CLI does, through the public API of `dpc-constructs`
//! (`dpc_constructs::prelude`) only:
//!
//! - a step type, [`hive::HiveStep`] (`type: hive`): its fields and their schema, its
//!   checks, the EMR step it runs, the script it ships and the permission it needs;
//! - a pipeline written in Rust, [`daily_report`], that uses it and waits for the case
//!   study's `pipeline-x`;
//! - organisation policies as aspects ([`policy`]): every state machine has an owner,
//!   EMR uses only allowed instance types;
//!
//! and it loads the case study's `platform.yaml` and pipelines with the same loader,
//! builds the same stacks and writes the same kind of cloud assembly (`main.rs`).

pub mod hive;
pub mod policy;

use dpc_constructs::prelude::*;
use hive::HiveStep;

/// `daily-report` in account `rent-journey`: once `pipeline-x` succeeded, a Hive script
/// turns metric X into a report, then a shell step announces it.
pub fn daily_report() -> PipelineBuilder {
    PipelineBuilder::new("daily-report", "rent-journey")
        .project_dir(env!("CARGO_MANIFEST_DIR"))
        .description("The daily report of metric X, one row per region")
        .owner("rent-journey-team")
        .tag("cost-center", "4711")
        .timeout("3h")
        .executions(
            ExecutionsBuilder::new()
                .within("12h")
                .all_of(ConditionBuilder::succeeded("pipeline-x", "rent-journey")),
        )
        .cluster(ClusterBuilder::new().core(InstanceGroupBuilder::new("m5.xlarge").count(2)))
        .access(
            AccessBuilder::new()
                .read(["s3://lake/metric-x/"])
                .write(["s3://lake/reports/metric-x/"])
                .glue_databases(["analytics"]),
        )
        .step(
            HiveStep::step("report", "jobs/daily_report.hql")
                .variable("DS", "{{ds}}")
                .variable("INPUT", "s3://lake/metric-x/dt={{ds}}/")
                .variable("OUTPUT", "s3://lake/reports/metric-x/dt={{ds}}/")
                .setting("hive.exec.compress.output", "true")
                .timeout("1h")
                .retries(1),
        )
        .step(
            StepBuilder::shell(
                "announce",
                "echo the report for {{ds}} is in s3://lake/reports/metric-x/dt={{ds}}/",
            )
            .depends_on(["report"]),
        )
        .notifications(NotificationsBuilder::pipeline_status().slack(["data-pipeline-alerts"]))
}

/// This organisation's dpc: the Hive step type, the code pipeline, and the policies
/// (instance types limited to `allowed`).
pub fn dpc<I, S>(allowed: I) -> Dpc
where
    I: IntoIterator<Item = S>,
    S: Into<String>,
{
    Dpc::new()
        .step_type(HiveStep)
        .pipeline(daily_report())
        .aspect(policy::RequireOwner)
        .aspect(policy::AllowedInstanceTypes::new(allowed))
}
