//! The CloudFormation engine behind dpc: a small, typed, deterministic twin of the AWS
//! CDK's core. It knows CloudFormation (templates, intrinsics, logical ids, quotas, the
//! cloud-assembly format) and nothing about YAML or pipelines.
//!
//! # The model
//!
//! - **Tree.** An [`App`] owns a [`Tree`] of constructs: the app at the root, [`stack`]s
//!   below it, then any depth of constructs. Each node has a construct id (unique among
//!   its siblings, no `/`) and a path (`dpc-central/Bus/Resource`). Children keep the order
//!   they were added in, and so do templates.
//! - **Scope.** A [`Scope`] is a cursor on one node and the only way to grow the tree:
//!   [`Scope::child`] adds a construct, [`Scope::add_resource`] a resource (a typed L1
//!   implementing [`CfnResource`], or a [`RawResource`]), and parameters, conditions,
//!   outputs, file assets, validations and aspects. Get one per stack with [`App::scope`].
//! - **Constructs** are plain Rust: a function or a `new` that takes `&mut Scope`, adds a
//!   child, adds resources under it and returns a handle. Handles ([`ResourceRef`],
//!   [`AssetRef`]) carry final logical ids, so [`Expr`]s made from them
//!   (`r.attr("Arn")`) can be used at once. Resources can still be changed later through
//!   [`Scope::resource_mut`] (grants, [`Resource::override_property`]).
//! - **Logical ids** are the CDK's ([`logical_id::make_unique_id`]): computed from the path
//!   below the stack when the element is added, fixed from then on; a collision inside a
//!   stack is an error naming both paths.
//! - **Synth.** [`App::synth`] runs the phases in order — [`Aspect`]s (pre-order, may change
//!   resources), validations (all diagnostics collected), render (one template per stack,
//!   2-space JSON), [`lint`] (references that leave their template, CloudFormation quotas)
//!   — and returns an [`Assembly`] in memory, or every problem found. Nothing touches the
//!   disk until [`Assembly::write`], which writes a cloud assembly the AWS CDK CLI deploys
//!   (`cdk deploy --app <dir>`), only the files that changed, manifest last.
//!
//! Same input, same bytes: no clocks, no random ids, ordered maps everywhere.
//!
//! # Example
//!
//! ```
//! use dpc_core::{App, Diagnostic, Output, RawResource, StackProps};
//! use serde_json::json;
//!
//! # fn main() -> Result<(), Diagnostic> {
//! let mut app = App::new();
//! let props = StackProps {
//!     account: "111111111111".into(),
//!     region: "eu-west-1".into(),
//!     ..StackProps::default()
//! };
//! let stack = app.add_stack("dpc-central", props)?;
//!
//! let mut scope = app.scope(stack)?;
//! // An L2-style construct: a child `Bus` whose primary resource is named `Resource`.
//! let mut bus = scope.child("Bus")?;
//! let event_bus = RawResource::new("AWS::Events::EventBus", json!({ "Name": "dpc" }));
//! let resource = bus.add_resource("Resource", event_bus)?;
//! assert_eq!(resource.logical_id(), "BusEA82B648"); // the id the CDK would give it
//! scope.add_output("BusArn", Output::new(resource.attr("Arn")))?;
//!
//! let assembly = match app.synth() {
//!     Ok(assembly) => assembly,
//!     Err(diagnostics) => {
//!         diagnostics.iter().for_each(|d| eprintln!("{d}"));
//!         std::process::exit(1);
//!     }
//! };
//! let template = &assembly.stacks()[0].template();
//! assert_eq!(template["Outputs"]["BusArn"]["Value"], json!({ "Fn::GetAtt": ["BusEA82B648", "Arn"] }));
//! // `assembly.write(Path::new("cdk.out"))?` puts it on disk for `cdk deploy --app cdk.out`.
//! # Ok(())
//! # }
//! ```

// Diagnostics are the error type of every fallible call; they are built only on the cold
// path, so their size (one struct, ~200 bytes) is not worth boxing at every call site.
#![allow(clippy::result_large_err)]
#![deny(missing_docs)]

pub mod app;
pub mod aspect;
pub mod assembly;
pub mod asset;
pub mod cache;
pub mod codes;
pub mod diagnostic;
pub mod element;
pub mod expr;
pub mod lint;
pub mod logical_id;
pub mod output;
pub mod read;
pub mod resource;
pub mod scope;
pub mod stack;
mod synth;

pub mod tree;
pub mod value;
pub mod write;

pub use app::{App, DEFAULT_QUALIFIER};
pub use aspect::{Aspect, NodeView};
pub use assembly::{Assembly, StackArtifact, WriteReport};
pub use asset::{AssetPackaging, AssetRef, AssetSource, FileAsset};
pub use diagnostic::{Diagnostic, Location, Severity};
pub use element::{Output, Parameter};
pub use expr::{Expr, Pseudo, dynamic_ref};
pub use resource::{
    CfnResource, DeletionPolicy, IntoResource, RawResource, Resource, ResourceOptions, ResourceRef,
};
pub use scope::Scope;
pub use stack::StackProps;
pub use synth::Rendered;
pub use tree::{Grafted, NodeId, StackId, Tree};
pub use value::Val;
