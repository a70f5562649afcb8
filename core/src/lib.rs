//! The CloudFormation engine behind dpc (being built).

// Diagnostics are the error type of every fallible call; they are built only on the cold
// path, so their size (one struct, ~200 bytes) is not worth boxing at every call site.
#![allow(clippy::result_large_err)]

pub mod app;
pub mod aspect;
pub mod assembly;
pub mod asset;
pub mod codes;
pub mod diagnostic;
pub mod element;
pub mod expr;
pub mod lint;
pub mod logical_id;
pub mod resource;
pub mod scope;
pub mod stack;
mod synth;
pub mod tree;
pub mod value;
mod write;

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
pub use tree::{NodeId, StackId, Tree};
pub use value::Val;
