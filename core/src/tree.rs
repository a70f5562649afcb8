//! The construct tree: an arena of nodes addressed by [`NodeId`], children in insertion
//! order. It is grown only through [`Scope`](crate::Scope); everything here reads it.

use crate::aspect::Aspect;
use crate::asset::StagedAsset;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::element::{Output, Parameter};
use crate::expr::Expr;
use crate::logical_id::{is_valid_logical_id, make_unique_id};
use crate::resource::{Resource, ResourceRef};
use crate::stack::StackProps;
use indexmap::IndexMap;
use std::fmt;

/// The index of a node in a [`Tree`]; only meaningful for the tree that issued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub(crate) u32);

/// A handle to a stack of an [`App`](crate::App).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub(crate) NodeId);

impl StackId {
    /// The stack's node in the tree.
    pub fn node(self) -> NodeId {
        self.0
    }
}

/// A deferred check registered on a node, run after aspects; returns what is wrong.
/// `Send + Sync` so stacks built on other threads can join one app, and stacks render
/// in parallel over a shared tree.
pub(crate) type Validation = Box<dyn Fn(&Tree) -> Vec<Diagnostic> + Send + Sync>;

pub(crate) struct Node {
    pub(crate) id: String,
    pub(crate) parent: Option<NodeId>,
    pub(crate) children: IndexMap<String, NodeId>,
    pub(crate) kind: NodeKind,
    pub(crate) validations: Vec<Validation>,
    pub(crate) aspects: Vec<Box<dyn Aspect>>,
}

pub(crate) enum NodeKind {
    Root,
    Group,
    Stack(Box<StackData>),
    Resource(Box<Resource>),
    Parameter {
        logical_id: String,
        parameter: Parameter,
    },
    Condition {
        logical_id: String,
        expression: Expr,
    },
    Output {
        logical_id: String,
        output: Output,
    },
}

pub(crate) struct StackData {
    pub(crate) props: StackProps,
    pub(crate) depends_on: Vec<StackId>,
    /// Logical id → the element that owns it, to report collisions with both paths.
    pub(crate) logical_ids: IndexMap<String, NodeId>,
    pub(crate) assets: Vec<StagedAsset>,
}

/// The construct tree of an [`App`](crate::App): the app's root, its stacks, and every
/// construct and element below them.
pub struct Tree {
    nodes: Vec<Node>,
    qualifier: String,
}

impl Tree {
    pub(crate) fn new(qualifier: String) -> Tree {
        let root = Node {
            id: String::new(),
            parent: None,
            children: IndexMap::new(),
            kind: NodeKind::Root,
            validations: Vec::new(),
            aspects: Vec::new(),
        };
        Tree {
            nodes: vec![root],
            qualifier,
        }
    }

    /// The root node (the app).
    pub fn root(&self) -> NodeId {
        NodeId(0)
    }

    /// The CDK bootstrap qualifier the app's stacks are deployed with.
    pub fn qualifier(&self) -> &str {
        &self.qualifier
    }

    /// A node's construct id (empty for the root or an unknown node).
    pub fn construct_id(&self, node: NodeId) -> &str {
        self.get(node).map_or("", |n| n.id.as_str())
    }

    /// A node's path from the root, ids joined by `/` (`dpc-central/Bus/Resource`).
    pub fn path(&self, node: NodeId) -> String {
        let mut ids = self.ancestry(node);
        ids.reverse();
        ids.iter()
            .map(|&n| self.construct_id(n))
            .collect::<Vec<_>>()
            .join("/")
    }

    /// A node's parent (`None` for the root).
    pub fn parent(&self, node: NodeId) -> Option<NodeId> {
        self.get(node).and_then(|n| n.parent)
    }

    /// A node's children, in the order they were added.
    pub fn children(&self, node: NodeId) -> Vec<NodeId> {
        self.get(node)
            .map_or_else(Vec::new, |n| n.children.values().copied().collect())
    }

    /// The child of `node` with construct id `id`.
    pub fn find_child(&self, node: NodeId, id: &str) -> Option<NodeId> {
        self.get(node).and_then(|n| n.children.get(id).copied())
    }

    /// The node at `path` (`"dpc-central/Bus/Resource"`), if there is one.
    pub fn find(&self, path: &str) -> Option<NodeId> {
        path.split('/')
            .try_fold(self.root(), |node, id| self.find_child(node, id))
    }

    /// `node` and every node below it, pre-order (parents before children, children in
    /// insertion order).
    pub fn descendants(&self, node: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if let Some(data) = self.get(n) {
                out.push(n);
                stack.extend(data.children.values().rev().copied());
            }
        }
        out
    }

    /// The stack `node` belongs to (a stack belongs to itself).
    pub fn stack_of(&self, node: NodeId) -> Option<StackId> {
        self.ancestry(node)
            .into_iter()
            .find(|&n| matches!(self.get(n).map(|d| &d.kind), Some(NodeKind::Stack(_))))
            .map(StackId)
    }

    /// Every stack, in the order they were added.
    pub fn stacks(&self) -> Vec<StackId> {
        self.children(self.root())
            .into_iter()
            .filter(|&n| matches!(self.get(n).map(|d| &d.kind), Some(NodeKind::Stack(_))))
            .map(StackId)
            .collect()
    }

    /// A stack's properties.
    pub fn stack_props(&self, stack: StackId) -> Option<&StackProps> {
        self.stack_data(stack).map(|s| &s.props)
    }

    /// The resource a handle points to.
    pub fn resource(&self, resource: &ResourceRef) -> Option<&Resource> {
        self.resource_at(resource.node)
            .filter(|r| r.logical_id() == resource.logical_id())
    }

    /// The resource at `node`, if the node is a resource.
    pub fn resource_at(&self, node: NodeId) -> Option<&Resource> {
        match self.get(node).map(|n| &n.kind) {
            Some(NodeKind::Resource(r)) => Some(r),
            _ => None,
        }
    }

    /// The logical id of the element (resource, parameter, condition, output) at `node`.
    pub fn logical_id(&self, node: NodeId) -> Option<&str> {
        match self.get(node).map(|n| &n.kind) {
            Some(NodeKind::Resource(r)) => Some(r.logical_id()),
            Some(NodeKind::Parameter { logical_id, .. })
            | Some(NodeKind::Condition { logical_id, .. })
            | Some(NodeKind::Output { logical_id, .. }) => Some(logical_id),
            _ => None,
        }
    }

    // ---- crate-internal: growing and mutating ----

    /// Moves every node of `other` (another app's tree) below this tree's root, after
    /// the nodes already here; `other`'s root becomes this root. Returns where `other`'s
    /// nodes went. Nothing moves when one of `other`'s stacks has the id of a stack here,
    /// or the qualifiers differ.
    pub(crate) fn graft(&mut self, other: Tree) -> Result<Grafted, Diagnostic> {
        if other.qualifier != self.qualifier {
            return Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                format!(
                    "cannot merge an app with bootstrap qualifier `{}` into one with `{}`",
                    other.qualifier, self.qualifier
                ),
            ));
        }
        let root = self.root();
        let mut other_nodes = other.nodes.into_iter();
        let Some(other_root) = other_nodes.next() else {
            return Ok(Grafted { base: 0 });
        };
        for id in other_root.children.keys() {
            self.check_child_id(root, id)?;
        }
        let base = u32::try_from(self.nodes.len() - 1).map_err(|_| too_many_nodes())?;
        let total = self.nodes.len() + other_nodes.len();
        u32::try_from(total).map_err(|_| too_many_nodes())?;
        let grafted = Grafted { base };
        let map = |n: NodeId| grafted.node(n);
        self.nodes.reserve(other_nodes.len());
        for mut node in other_nodes {
            node.parent = node.parent.map(map);
            for child in node.children.values_mut() {
                *child = map(*child);
            }
            if let NodeKind::Stack(data) = &mut node.kind {
                for dep in &mut data.depends_on {
                    *dep = StackId(map(dep.0));
                }
                for owner in data.logical_ids.values_mut() {
                    *owner = map(*owner);
                }
            }
            self.nodes.push(node);
        }
        let Node {
            children,
            validations,
            aspects,
            ..
        } = other_root;
        // Aspects added to the other app's root applied to its nodes only: each of its
        // stacks gets them (shared), rather than this app's other stacks.
        // They go first: they were outer to the stacks' own aspects.
        let shared: Vec<std::sync::Arc<dyn Aspect>> =
            aspects.into_iter().map(std::sync::Arc::from).collect();
        let stacks: Vec<NodeId> = children.values().map(|&c| map(c)).collect();
        if let Some(r) = self.get_mut(root) {
            for (id, child) in children {
                r.children.insert(id, map(child));
            }
            r.validations.extend(validations);
        }
        for stack in stacks {
            if let Some(node) = self.get_mut(stack) {
                let own = std::mem::take(&mut node.aspects);
                node.aspects = shared
                    .iter()
                    .map(|a| Box::new(SharedAspect(a.clone())) as Box<dyn Aspect>)
                    .chain(own)
                    .collect();
            }
        }
        Ok(grafted)
    }

    pub(crate) fn get(&self, node: NodeId) -> Option<&Node> {
        self.nodes.get(node.0 as usize)
    }

    pub(crate) fn get_mut(&mut self, node: NodeId) -> Option<&mut Node> {
        self.nodes.get_mut(node.0 as usize)
    }

    pub(crate) fn stack_data(&self, stack: StackId) -> Option<&StackData> {
        match self.get(stack.0).map(|n| &n.kind) {
            Some(NodeKind::Stack(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn stack_data_mut(&mut self, stack: StackId) -> Option<&mut StackData> {
        match self.get_mut(stack.0).map(|n| &mut n.kind) {
            Some(NodeKind::Stack(s)) => Some(s),
            _ => None,
        }
    }

    pub(crate) fn resource_at_mut(&mut self, node: NodeId) -> Option<&mut Resource> {
        match self.get_mut(node).map(|n| &mut n.kind) {
            Some(NodeKind::Resource(r)) => Some(r),
            _ => None,
        }
    }

    /// `node`, its parent, ..., the root.
    fn ancestry(&self, node: NodeId) -> Vec<NodeId> {
        let mut out = Vec::new();
        let mut cursor = self.get(node).map(|_| node);
        while let Some(n) = cursor {
            if n != self.root() {
                out.push(n);
            }
            cursor = self.parent(n);
        }
        out
    }

    /// Checks that `id` is a valid construct id not yet used under `parent`.
    fn check_child_id(&self, parent: NodeId, id: &str) -> Result<(), Diagnostic> {
        let parent_path = self.path(parent);
        let Some(parent_node) = self.get(parent) else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_RESOURCE,
                "the parent construct is not part of this app",
            ));
        };
        if id.is_empty() || id.contains('/') {
            return Err(Diagnostic::error(
                codes::INVALID_CONSTRUCT_ID,
                format!("construct id `{id}` under `{parent_path}` is not valid"),
            )
            .in_construct(parent_path)
            .with_help("a construct id is not empty and does not contain `/`"));
        }
        if parent_node.children.contains_key(id) {
            let where_ = if parent_path.is_empty() {
                "the app".to_owned()
            } else {
                format!("`{parent_path}`")
            };
            return Err(Diagnostic::error(
                codes::DUPLICATE_CONSTRUCT_ID,
                format!("there is already a construct with id `{id}` in {where_}"),
            )
            .in_construct(parent_path)
            .with_help("construct ids must be unique among siblings"));
        }
        Ok(())
    }

    /// Adds a child node; the id must be valid and unique among its siblings.
    pub(crate) fn add_child(
        &mut self,
        parent: NodeId,
        id: &str,
        kind: NodeKind,
    ) -> Result<NodeId, Diagnostic> {
        self.check_child_id(parent, id)?;
        let node = NodeId(u32::try_from(self.nodes.len()).map_err(|_| {
            Diagnostic::error(
                codes::INVALID_CONSTRUCT_ID,
                "the construct tree has more than 2^32 nodes",
            )
        })?);
        self.nodes.push(Node {
            id: id.to_owned(),
            parent: Some(parent),
            children: IndexMap::new(),
            kind,
            validations: Vec::new(),
            aspects: Vec::new(),
        });
        if let Some(p) = self.get_mut(parent) {
            p.children.insert(id.to_owned(), node);
        }
        Ok(node)
    }

    /// Adds an element (resource, parameter, condition, output) under `parent`, giving it
    /// the CDK logical id of its path below the stack and reserving that id in the stack.
    pub(crate) fn add_element(
        &mut self,
        parent: NodeId,
        id: &str,
        make: impl FnOnce(String) -> NodeKind,
    ) -> Result<(NodeId, StackId, String), Diagnostic> {
        self.check_child_id(parent, id)?;
        let parent_path = self.path(parent);
        let Some(stack) = self.stack_of(parent) else {
            return Err(Diagnostic::error(
                codes::UNKNOWN_RESOURCE,
                format!("`{id}` must be added inside a stack, not under `{parent_path}`"),
            ));
        };
        let mut components: Vec<String> = self
            .ancestry(parent)
            .into_iter()
            .take_while(|&n| n != stack.0)
            .map(|n| self.construct_id(n).to_owned())
            .collect();
        components.reverse();
        components.push(id.to_owned());
        let logical_id = make_unique_id(&components);
        let path = if parent_path.is_empty() {
            id.to_owned()
        } else {
            format!("{parent_path}/{id}")
        };
        if !is_valid_logical_id(&logical_id) {
            return Err(Diagnostic::error(
                codes::INVALID_LOGICAL_ID,
                format!("the construct path `{path}` gives no valid logical id (`{logical_id}`)"),
            )
            .in_construct(path)
            .with_help("use construct ids with letters or digits"));
        }
        if let Some(&other) = self
            .stack_data(stack)
            .and_then(|s| s.logical_ids.get(&logical_id))
        {
            return Err(Diagnostic::error(
                codes::LOGICAL_ID_COLLISION,
                format!(
                    "`{path}` and `{}` both get logical id `{logical_id}`",
                    self.path(other)
                ),
            )
            .in_construct(path)
            .with_help("rename one of the constructs"));
        }
        let node = self.add_child(parent, id, make(logical_id.clone()))?;
        if let Some(s) = self.stack_data_mut(stack) {
            s.logical_ids.insert(logical_id.clone(), node);
        }
        Ok((node, stack, logical_id))
    }
}

/// Where [`App::merge`](crate::App::merge) put the nodes of the other app's tree: its node `n` (not its root) is
/// now node `n + base` here, its root is this root.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Grafted {
    base: u32,
}

impl Grafted {
    /// The node the other tree called `node`, in this tree.
    pub fn node(&self, node: NodeId) -> NodeId {
        if node.0 == 0 {
            node
        } else {
            NodeId(node.0 + self.base)
        }
    }

    /// The stack the other app called `stack`, in this app.
    pub fn stack(&self, stack: StackId) -> StackId {
        StackId(self.node(stack.0))
    }

    /// A handle to a resource of the other app, for this app.
    pub fn resource(&self, resource: &ResourceRef) -> ResourceRef {
        ResourceRef {
            node: self.node(resource.node),
            stack: self.stack(resource.stack),
            ..resource.clone()
        }
    }
}

/// One aspect applied below several nodes.
struct SharedAspect(std::sync::Arc<dyn Aspect>);

impl Aspect for SharedAspect {
    fn visit(&self, node: &mut crate::aspect::NodeView<'_>) -> Vec<Diagnostic> {
        self.0.visit(node)
    }

    fn priority(&self) -> i32 {
        self.0.priority()
    }
}

fn too_many_nodes() -> Diagnostic {
    Diagnostic::error(
        codes::INVALID_CONSTRUCT_ID,
        "the construct tree has more than 2^32 nodes",
    )
}

impl fmt::Debug for Tree {
    /// The tree as a list of paths, for test failures.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(
                self.descendants(self.root())
                    .into_iter()
                    .skip(1)
                    .map(|n| self.path(n)),
            )
            .finish()
    }
}
