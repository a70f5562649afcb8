//! Aspects: checks and changes applied to every node of the tree after it is built and
//! before it is validated, e.g. an organisation policy such as "every state machine has
//! an `owner` tag", or a rule that sets a retention policy everywhere.

use crate::diagnostic::Diagnostic;
use crate::resource::Resource;
use crate::tree::{NodeId, NodeKind, StackId, Tree};

/// Something to apply to every node below the construct it is added to (that construct
/// included). Aspects run in pre-order; at each node the aspects that apply to it run by
/// [`priority`](Aspect::priority) (lowest first, so changes happen before checks), then
/// outermost first, then in the order they were added — the CDK's order.
///
/// An aspect sees one node at a time through a [`NodeView`]: it can read the whole tree,
/// change the node's resource (type, properties, attributes) and report diagnostics. It
/// cannot add nodes or aspects.
///
/// Aspects are `Send + Sync`: stacks may be built on several threads and joined into one
/// app ([`App::merge`](crate::App::merge)), and the tree is read from several threads
/// while it renders.
pub trait Aspect: Send + Sync {
    /// Visits one node; returns what is wrong with it (diagnostics without a construct
    /// path get the node's path).
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic>;

    /// When this aspect runs at a node relative to the others: [`priority::MUTATING`]
    /// for aspects that change resources, [`priority::READONLY`] for checks.
    fn priority(&self) -> i32 {
        priority::DEFAULT
    }
}

/// Aspect priorities, as in the CDK (`AspectPriority`).
pub mod priority {
    /// Aspects that change the tree.
    pub const MUTATING: i32 = 200;
    /// Aspects that say nothing about themselves.
    pub const DEFAULT: i32 = 500;
    /// Aspects that only check.
    pub const READONLY: i32 = 1000;
}

impl<F> Aspect for F
where
    F: Fn(&mut NodeView<'_>) -> Vec<Diagnostic> + Send + Sync,
{
    fn visit(&self, node: &mut NodeView<'_>) -> Vec<Diagnostic> {
        self(node)
    }
}

/// One node as an [`Aspect`] sees it.
pub struct NodeView<'a> {
    tree: &'a mut Tree,
    node: NodeId,
}

impl<'a> NodeView<'a> {
    /// The node being visited.
    pub fn node(&self) -> NodeId {
        self.node
    }

    /// Its path (`dpc-central/Bus/Resource`).
    pub fn path(&self) -> String {
        self.tree.path(self.node)
    }

    /// Its construct id.
    pub fn id(&self) -> &str {
        self.tree.construct_id(self.node)
    }

    /// Whether the node is a stack.
    pub fn is_stack(&self) -> bool {
        matches!(
            self.tree.get(self.node).map(|n| &n.kind),
            Some(NodeKind::Stack(_))
        )
    }

    /// The stack the node belongs to.
    pub fn stack(&self) -> Option<StackId> {
        self.tree.stack_of(self.node)
    }

    /// The resource, if the node is one.
    pub fn resource(&self) -> Option<&Resource> {
        self.tree.resource_at(self.node)
    }

    /// The resource, mutably, if the node is one.
    pub fn resource_mut(&mut self) -> Option<&mut Resource> {
        self.tree.resource_at_mut(self.node)
    }

    /// The whole tree, read-only.
    pub fn tree(&self) -> &Tree {
        self.tree
    }
}

/// Runs every aspect over the tree; returns all diagnostics they report.
pub(crate) fn invoke_aspects(tree: &mut Tree) -> Vec<Diagnostic> {
    // Take the aspects out so they can borrow the tree mutably while running; nothing can
    // add new ones meanwhile (a NodeView cannot reach them).
    let mut attached: Vec<(NodeId, Vec<Box<dyn Aspect>>)> = Vec::new();
    for node in tree.descendants(tree.root()) {
        if let Some(n) = tree.get_mut(node)
            && !n.aspects.is_empty()
        {
            attached.push((node, std::mem::take(&mut n.aspects)));
        }
    }
    let mut diagnostics = Vec::new();
    if attached.is_empty() {
        return diagnostics;
    }
    for node in tree.descendants(tree.root()) {
        let mut chain = Vec::new();
        let mut cursor = Some(node);
        while let Some(n) = cursor {
            chain.push(n);
            cursor = tree.parent(n);
        }
        chain.reverse();
        let mut applicable: Vec<&dyn Aspect> = chain
            .iter()
            .flat_map(|ancestor| attached.iter().filter(move |(owner, _)| owner == ancestor))
            .flat_map(|(_, aspects)| aspects.iter().map(Box::as_ref))
            .collect();
        // A stable sort keeps ancestors first and insertion order within one priority.
        applicable.sort_by_key(|a| a.priority());
        for aspect in applicable {
            let mut view = NodeView { tree, node };
            let path = view.path();
            diagnostics.extend(
                aspect
                    .visit(&mut view)
                    .into_iter()
                    .map(|d| with_path(d, &path)),
            );
        }
    }
    diagnostics
}

pub(crate) fn with_path(mut diagnostic: Diagnostic, path: &str) -> Diagnostic {
    if diagnostic.construct_path.is_none() && !path.is_empty() {
        diagnostic.construct_path = Some(path.to_owned());
    }
    diagnostic
}
