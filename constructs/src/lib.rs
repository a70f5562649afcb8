//! dpc's construct library: typed AWS resources (L1), constructs with secure
//! defaults (L2), and the product's own stacks (L3): the central account, the
//! account setup and one stack per pipeline. It is also dpc as a library: what the
//! `dpc` CLI does, a program can do — and add pipelines in code, step types, resources,
//! overrides and policies of its own. `use dpc_constructs::prelude::*` brings it all in.
//!
//! # The model
//!
//! The model is the AWS CDK's, on the engine in [`dpc_core`]:
//!
//! - **Tree.** An [`App`](dpc_core::App) owns a tree of constructs. Its root holds the
//!   **stacks**; each stack is one CloudFormation template deployed to one account and
//!   region (`dpc-central`, `dpc-account-<alias>`, `dpc-pipeline-<alias>-<name>`).
//!   Every node has an id unique among its siblings and a path
//!   (`dpc-pipeline-rent-journey-pipeline-x/StateMachine/Resource`).
//! - **Scope.** A [`Scope`](dpc_core::Scope) is a cursor on one node and the only way
//!   to grow the tree: `child` adds a construct, `add_resource` a resource (a typed L1 of
//!   [`aws`], or a [`RawResource`](dpc_core::RawResource) for anything else).
//! - **Construct.** A construct is a function or a `new` taking `&mut Scope`: it adds a
//!   child, puts resources under it and returns a handle whose fields are intrinsic
//!   expressions (`role.arn()`), so the next construct can wire to it. L2 constructs
//!   ([`aws`]) own secure defaults and refuse what AWS would reject; the L3 stacks
//!   ([`central`], [`account`], [`pipeline`]) are dpc's topology, built from the
//!   organisation ([`app::build_app`]).
//! - **Synth.** [`BuiltApp::synth`](app::BuiltApp::synth) runs the phases in order —
//!   aspects (organisation policies, property overrides), validations (every problem
//!   collected), rendering (logical ids are the CDK's), lint (references that leave
//!   their template, CloudFormation's quotas) — and returns an
//!   [`Assembly`](dpc_core::Assembly) in memory. Nothing touches the disk until
//!   [`Assembly::write`](dpc_core::Assembly::write), which writes a cloud assembly the CDK
//!   CLI deploys. Same input, same bytes.
//!
//! A pipeline reaches the tree one way, whether written in YAML or in Rust: as a
//! `pipeline.yaml` ([`dpc_schema::model::PipelineFile`]; in code through
//! [`builder::PipelineBuilder`]) checked and resolved by the loader
//! ([`dpc_schema::Pipeline`]), then built by [`pipeline::build`]. New `type:`s of steps
//! come from [`steps::StepType`]; [`app::Dpc`] carries them, code pipelines and aspects
//! through load → build → synth.
//!
//! # Example
//!
//! The case study, plus one pipeline written in Rust, plus a queue of our own in its
//! stack, a property override, and a policy every state machine must meet:
//!
//! ```
//! use dpc_constructs::prelude::*;
//! use serde_json::json;
//! use std::path::Path;
//!
//! # fn main() -> Result<(), Vec<Diagnostic>> {
//! let nightly = PipelineBuilder::new("nightly", "core-data")
//!     .owner("core-data-team")
//!     .cron("0 2 * * ? *")
//!     .step(StepBuilder::shell("compact", "echo compacting {{ds}}"));
//!
//! // Organisation policy: every state machine belongs to a team.
//! let owned = |node: &mut NodeView<'_>| -> Vec<Diagnostic> {
//!     let is_machine = node
//!         .resource()
//!         .is_some_and(|r| r.type_name == "AWS::StepFunctions::StateMachine");
//!     let tags = node.stack().and_then(|s| node.tree().stack_props(s)).map(|p| &p.tags);
//!     if is_machine && !tags.is_some_and(|t| t.contains_key("dpc:owner")) {
//!         return vec![Diagnostic::error("ORG001", "this state machine has no owner")];
//!     }
//!     Vec::new()
//! };
//!
//! let dpc = Dpc::new().pipeline(nightly).aspect(owned);
//! let (org, _warnings) = dpc.load(Path::new("../examples/case-study"))?;
//! let mut app = dpc.build(&org)?;
//!
//! // A construct of our own in the pipeline's stack: a child scope and a raw resource.
//! let mut stack = app.pipeline_scope("core-data", "nightly").map_err(|d| vec![d])?;
//! let mut extras = stack.child("Extras").map_err(|d| vec![d])?;
//! let queue = RawResource::new("AWS::SQS::Queue", json!({ "SqsManagedSseEnabled": true }));
//! let queue_id = extras.add_resource("Queue", queue).map_err(|d| vec![d])?.logical_id().to_owned();
//!
//! // An escape hatch on a generated resource, by construct path; the path is checked.
//! app.override_property(
//!     "dpc-pipeline-core-data-nightly/Logs/Resource",
//!     "RetentionInDays",
//!     json!(90),
//! )
//! .map_err(|d| vec![d])?;
//!
//! let assembly = app.synth()?;
//! let stack = assembly
//!     .stacks()
//!     .iter()
//!     .find(|s| s.artifact_id == "dpc-pipeline-core-data-nightly")
//!     .expect("the code pipeline's stack");
//! let resources = &stack.template()["Resources"];
//! assert_eq!(resources[&queue_id]["Type"], "AWS::SQS::Queue");
//! let logs = resources.as_object().into_iter().flatten().find(|(_, r)| r["Type"] == "AWS::Logs::LogGroup");
//! assert_eq!(logs.map(|(_, r)| &r["Properties"]["RetentionInDays"]), Some(&json!(90)));
//! // `assembly.write(Path::new("cdk.out"))` writes it for `cdk deploy --app cdk.out`.
//! # Ok(())
//! # }
//! ```

pub mod account;
pub mod alarms;
pub mod app;
pub mod aws;
pub mod builder;
mod by_stack;
pub mod central;
pub mod lineage;
pub mod pipeline;
pub mod prelude;
pub mod security;
pub mod stepfunctions;
pub mod steps;

/// Every diagnostic code this crate emits (`DM03xx`), with what each means.
pub use aws::codes;
