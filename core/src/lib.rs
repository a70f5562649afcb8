//! The CloudFormation engine behind dpc (being built).

pub mod app;
pub mod aspect;
pub mod asset;
pub mod codes;
pub mod diagnostic;
pub mod element;
pub mod expr;
pub mod logical_id;
pub mod resource;
pub mod scope;
pub mod stack;
pub mod tree;
pub mod value;

pub use app::App;
pub use aspect::{Aspect, NodeView};
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
