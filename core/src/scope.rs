//! [`Scope`]: the cursor through which constructs grow the tree.

use crate::aspect::Aspect;
use crate::asset::{self, AssetRef, FileAsset};
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::element::{Output, Parameter};
use crate::expr::Expr;
use crate::resource::{IntoResource, Resource, ResourceOptions, ResourceRef};
use crate::tree::{NodeId, NodeKind, StackId, Tree};
use serde_json::Value;

/// A place in a stack where constructs add children and elements. Get one for a stack
/// from [`App::scope`](crate::App::scope), and one for a child with [`Scope::child`];
/// a child scope borrows its parent, so construction reads like the tree it builds.
///
/// Handles ([`ResourceRef`], [`AssetRef`], logical ids) outlive scopes: keep those, not
/// scopes, to wire constructs together.
pub struct Scope<'t> {
    tree: &'t mut Tree,
    node: NodeId,
    stack: StackId,
}

impl<'t> Scope<'t> {
    pub(crate) fn new(tree: &'t mut Tree, node: NodeId, stack: StackId) -> Scope<'t> {
        Scope { tree, node, stack }
    }

    /// Adds a child construct `id` and returns a scope for it. The id must not be empty,
    /// contain `/`, or be used by a sibling.
    pub fn child(&mut self, id: &str) -> Result<Scope<'_>, Diagnostic> {
        let node = self.tree.add_child(self.node, id, NodeKind::Group)?;
        Ok(Scope {
            tree: self.tree,
            node,
            stack: self.stack,
        })
    }

    /// Adds a resource as child `id`: a typed L1 (any [`CfnResource`](crate::CfnResource))
    /// or a [`RawResource`](crate::RawResource). Its logical id is computed from its path
    /// below the stack and fixed from now on; two elements of one stack with the same
    /// logical id are an error naming both paths.
    pub fn add_resource<R: IntoResource>(
        &mut self,
        id: &str,
        resource: R,
    ) -> Result<ResourceRef, Diagnostic> {
        self.add_resource_with_options(id, resource, ResourceOptions::default())
    }

    /// [`Scope::add_resource`] with `DependsOn`, `Condition`, policies or `Metadata` set.
    pub fn add_resource_with_options<R: IntoResource>(
        &mut self,
        id: &str,
        resource: R,
        options: ResourceOptions,
    ) -> Result<ResourceRef, Diagnostic> {
        let path = self.child_path(id);
        let (type_name, properties) = resource.into_type_and_properties().map_err(|why| {
            Diagnostic::error(
                codes::INVALID_PROPERTIES,
                format!("cannot render the properties of `{path}`: {why}"),
            )
            .in_construct(path.clone())
        })?;
        let resource_type = type_name.clone();
        let (node, stack, logical_id) = self.tree.add_element(self.node, id, |logical_id| {
            NodeKind::Resource(Box::new(Resource::new(
                logical_id, type_name, properties, options,
            )))
        })?;
        Ok(ResourceRef {
            node,
            stack,
            logical_id,
            type_name: resource_type,
        })
    }

    /// The resource behind a handle, to change its properties or attributes after it was
    /// added (grants, overrides). A handle from another app is an error.
    pub fn resource_mut(&mut self, resource: &ResourceRef) -> Result<&mut Resource, Diagnostic> {
        let found = self.tree.resource(resource).is_some();
        match self.tree.resource_at_mut(resource.node) {
            Some(r) if found => Ok(r),
            _ => Err(Diagnostic::error(
                codes::UNKNOWN_RESOURCE,
                format!(
                    "there is no resource `{}` in this app",
                    resource.logical_id()
                ),
            )),
        }
    }

    /// Sets a property of a resource by dotted path: the CDK's `addPropertyOverride`
    /// (see [`Resource::override_property`]).
    pub fn override_property(
        &mut self,
        resource: &ResourceRef,
        path: &str,
        value: Value,
    ) -> Result<(), Diagnostic> {
        let construct_path = self.tree.path(resource.node);
        self.resource_mut(resource)?
            .override_property(path, value)
            .map(|_| ())
            .map_err(|d| d.in_construct(construct_path))
    }

    /// Adds a template parameter as child `id`; returns its logical id (refer to it with
    /// `Expr::reference(id)`).
    pub fn add_parameter(&mut self, id: &str, parameter: Parameter) -> Result<String, Diagnostic> {
        if parameter.type_name.is_empty() {
            return Err(Diagnostic::error(
                codes::INVALID_ELEMENT,
                format!("parameter `{}` has no type", self.child_path(id)),
            )
            .in_construct(self.child_path(id))
            .with_help("set `type_name`, e.g. `String`"));
        }
        let (_, _, logical_id) =
            self.tree
                .add_element(self.node, id, |logical_id| NodeKind::Parameter {
                    logical_id,
                    parameter,
                })?;
        Ok(logical_id)
    }

    /// Adds a template condition as child `id`; returns its logical id, for
    /// [`Expr::if_`], [`Expr::condition`] and resource/output `Condition`s.
    pub fn add_condition(&mut self, id: &str, expression: Expr) -> Result<String, Diagnostic> {
        let (_, _, logical_id) =
            self.tree
                .add_element(self.node, id, |logical_id| NodeKind::Condition {
                    logical_id,
                    expression,
                })?;
        Ok(logical_id)
    }

    /// Adds a stack output as child `id`; returns its logical id (the output's name).
    pub fn add_output(&mut self, id: &str, output: Output) -> Result<String, Diagnostic> {
        let (_, _, logical_id) =
            self.tree
                .add_element(self.node, id, |logical_id| NodeKind::Output {
                    logical_id,
                    output,
                })?;
        Ok(logical_id)
    }

    /// Registers a check that runs after aspects, before rendering: it reads the finished
    /// tree and returns what is wrong. Diagnostics without a construct path get this
    /// scope's path. Use it for things that accumulate (targets per rule), not for what
    /// can be checked when the construct is created.
    pub fn add_validation(
        &mut self,
        check: impl Fn(&Tree) -> Vec<Diagnostic> + Send + Sync + 'static,
    ) {
        if let Some(node) = self.tree.get_mut(self.node) {
            node.validations.push(Box::new(check));
        }
    }

    /// Applies `aspect` to this construct and everything below it at synthesis.
    pub fn add_aspect(&mut self, aspect: impl Aspect + 'static) {
        if let Some(node) = self.tree.get_mut(self.node) {
            node.aspects.push(Box::new(aspect));
        }
    }

    /// Adds a file asset to this scope's stack: staged into the assembly and uploaded by
    /// the CDK CLI to the environment's bootstrap bucket. The content is read now.
    pub fn add_file_asset(&mut self, asset: FileAsset) -> Result<AssetRef, Diagnostic> {
        let path = self.path();
        let staged = asset::stage(asset, path.clone()).map_err(|d| d.in_construct(path))?;
        let (account, region) = self.stack_env();
        let bucket = asset::bucket_name(self.tree.qualifier(), account, region);
        let asset_ref = AssetRef {
            s3_url: Expr::Str(format!("s3://{bucket}/{}", staged.object_key)),
            object_key: Expr::Str(staged.object_key.clone()),
            bucket_name: Expr::Str(bucket),
            hash: staged.hash.clone(),
        };
        if let Some(stack) = self.tree.stack_data_mut(self.stack)
            && !stack
                .assets
                .iter()
                .any(|a| a.staged_path == staged.staged_path)
        {
            stack.assets.push(staged);
        }
        Ok(asset_ref)
    }

    /// This construct's path (`dpc-central/Bus`).
    pub fn path(&self) -> String {
        self.tree.path(self.node)
    }

    /// This construct's node.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// The stack this scope is in.
    pub fn stack(&self) -> StackId {
        self.stack
    }

    /// The stack's account and region.
    pub fn stack_env(&self) -> (&str, &str) {
        self.tree
            .stack_props(self.stack)
            .map_or(("", ""), |p| (p.account.as_str(), p.region.as_str()))
    }

    /// The stack's CloudFormation name.
    pub fn stack_name(&self) -> &str {
        let artifact_id = self.tree.construct_id(self.stack.node());
        self.tree
            .stack_props(self.stack)
            .and_then(|p| p.stack_name.as_deref())
            .unwrap_or(artifact_id)
    }

    /// The tree, read-only (e.g. to look at a resource through its handle).
    pub fn tree(&self) -> &Tree {
        self.tree
    }

    fn child_path(&self, id: &str) -> String {
        format!("{}/{id}", self.path())
    }
}
