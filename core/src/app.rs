//! [`App`]: the root of a construct tree, its stacks and their dependencies.

use crate::aspect::Aspect;
use crate::codes;
use crate::diagnostic::Diagnostic;
use crate::scope::Scope;
use crate::stack::{self, StackProps};
use crate::tree::{Grafted, NodeKind, StackData, StackId, Tree};
use indexmap::IndexMap;

/// The CDK's default bootstrap qualifier.
pub const DEFAULT_QUALIFIER: &str = "hnb659fds";

/// A cloud application: a tree of stacks, each a tree of constructs. Build it, then
/// [`App::synth`] it into an [`Assembly`](crate::Assembly).
pub struct App {
    pub(crate) tree: Tree,
}

impl Default for App {
    fn default() -> Self {
        App::new()
    }
}

impl App {
    /// An empty app deployed with the default bootstrap qualifier (`hnb659fds`).
    pub fn new() -> App {
        App {
            tree: Tree::new(DEFAULT_QUALIFIER.to_owned()),
        }
    }

    /// An empty app whose stacks use the bootstrap resources of `qualifier` (the
    /// `--qualifier` given to `cdk bootstrap`: lowercase letters and digits, at most 10).
    pub fn with_qualifier(qualifier: &str) -> Result<App, Diagnostic> {
        let valid = !qualifier.is_empty()
            && qualifier.len() <= 10
            && qualifier
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if !valid {
            return Err(Diagnostic::error(
                codes::INVALID_STACK,
                format!("`{qualifier}` is not a CDK bootstrap qualifier"),
            )
            .with_help("a qualifier has 1 to 10 lowercase letters and digits, e.g. `hnb659fds`"));
        }
        Ok(App {
            tree: Tree::new(qualifier.to_owned()),
        })
    }

    /// Adds a stack. `id` is its construct id and its artifact id in the assembly (file
    /// names `<id>.template.json`, ...); `props.stack_name` is its CloudFormation name.
    pub fn add_stack(&mut self, id: &str, props: StackProps) -> Result<StackId, Diagnostic> {
        if let Some(problem) = stack::validate(id, &props).into_iter().next() {
            return Err(problem);
        }
        let data = StackData {
            props,
            depends_on: Vec::new(),
            logical_ids: IndexMap::new(),
            assets: Vec::new(),
        };
        let node = self
            .tree
            .add_child(self.tree.root(), id, NodeKind::Stack(Box::new(data)))?;
        Ok(StackId(node))
    }

    /// A scope at the top of `stack`, to add constructs to it.
    pub fn scope(&mut self, stack: StackId) -> Result<Scope<'_>, Diagnostic> {
        if self.tree.stack_data(stack).is_none() {
            return Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                "this stack is not part of this app",
            ));
        }
        Ok(Scope::new(&mut self.tree, stack.node(), stack))
    }

    /// Makes `stack` deploy after `on`. Depending on itself, on a stack of another app,
    /// or in a cycle is an error.
    pub fn add_dependency(&mut self, stack: StackId, on: StackId) -> Result<(), Diagnostic> {
        let name = |s: StackId| self.tree.construct_id(s.node()).to_owned();
        if self.tree.stack_data(stack).is_none() || self.tree.stack_data(on).is_none() {
            return Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                "both stacks must be part of this app",
            ));
        }
        if stack == on {
            return Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                format!("stack `{}` cannot depend on itself", name(stack)),
            )
            .in_construct(name(stack)));
        }
        if self.depends_on(on, stack) {
            return Err(Diagnostic::error(
                codes::INVALID_STACK_DEPENDENCY,
                format!(
                    "stack `{}` cannot depend on `{}`, which already depends on it",
                    name(stack),
                    name(on)
                ),
            )
            .in_construct(name(stack)));
        }
        if let Some(data) = self.tree.stack_data_mut(stack)
            && !data.depends_on.contains(&on)
        {
            data.depends_on.push(on);
        }
        Ok(())
    }

    /// Moves every stack of `other` into this app, after the stacks already here, so
    /// stacks can be built in separate apps (on separate threads) and synthesized
    /// together. Handles (stacks, resources) taken from `other` are translated with the
    /// returned [`Grafted`]; aspects added to `other`'s root keep applying to its stacks
    /// only, its validations run with this app's.
    ///
    /// # Errors
    /// A stack id already used here, or a different bootstrap qualifier; nothing moves.
    pub fn merge(&mut self, other: App) -> Result<Grafted, Diagnostic> {
        self.tree.graft(other.tree)
    }

    /// Applies `aspect` to every node of the app at synthesis.
    pub fn add_aspect(&mut self, aspect: impl Aspect + 'static) {
        let root = self.tree.root();
        if let Some(node) = self.tree.get_mut(root) {
            node.aspects.push(Box::new(aspect));
        }
    }

    /// [`App::add_aspect`] for an aspect already boxed, e.g. one of a list of
    /// organisation policies chosen at run time.
    pub fn add_boxed_aspect(&mut self, aspect: Box<dyn Aspect>) {
        let root = self.tree.root();
        if let Some(node) = self.tree.get_mut(root) {
            node.aspects.push(aspect);
        }
    }

    /// The construct tree, read-only.
    pub fn tree(&self) -> &Tree {
        &self.tree
    }

    /// Whether `stack` depends on `on`, directly or not.
    fn depends_on(&self, stack: StackId, on: StackId) -> bool {
        let mut pending = vec![stack];
        let mut seen = Vec::new();
        while let Some(s) = pending.pop() {
            if s == on {
                return true;
            }
            if !seen.contains(&s) {
                seen.push(s);
                pending.extend(
                    self.tree
                        .stack_data(s)
                        .map(|d| d.depends_on.clone())
                        .unwrap_or_default(),
                );
            }
        }
        false
    }
}
