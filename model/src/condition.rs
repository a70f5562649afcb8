//! The resolved condition tree of an `executions:` trigger.

use crate::{Duration, Status};
use serde::{Deserialize, Serialize};
use std::fmt;

/// A pipeline's identity across the organisation: its account id and its name.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PipelineId {
    /// The 12-digit AWS account id the pipeline lives in.
    pub account: String,
    /// The pipeline's name, unique within its account.
    pub name: String,
}

impl PipelineId {
    /// A pipeline id from an account id and a name.
    pub fn new(account: impl Into<String>, name: impl Into<String>) -> PipelineId {
        PipelineId {
            account: account.into(),
            name: name.into(),
        }
    }
}

impl fmt::Display for PipelineId {
    /// `name@account`, the form `dpc graph --upstream` takes.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.name, self.account)
    }
}

/// How a group's `allOf` and `anyOf` blocks combine when both are given.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Operator {
    /// Both blocks must hold.
    #[default]
    And,
    /// Either block may hold.
    Or,
}

/// One leaf of a condition: an upstream pipeline and the statuses that satisfy it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ConditionItem {
    /// The upstream pipeline.
    pub pipeline: PipelineId,
    /// The statuses of its latest event that make this item hold (never empty).
    pub status: Vec<Status>,
}

/// An entry of an `allOf` or `anyOf` list: a leaf or a nested group.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ConditionNode {
    /// An upstream pipeline with the statuses it must have.
    Item(ConditionItem),
    /// A nested group with its own operator.
    Group(Condition),
}

/// A group of conditions: `allOf` items, `anyOf` items, and how the two combine.
///
/// An absent block is empty: a group with only `allOf` holds when all of them hold.
/// A group with neither block is rejected by validation before it reaches here.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Condition {
    /// How `all_of` and `any_of` combine when both are non-empty.
    pub operator: Operator,
    /// Entries that must all hold.
    pub all_of: Vec<ConditionNode>,
    /// Entries of which at least one must hold.
    pub any_of: Vec<ConditionNode>,
}

/// The `executions:` trigger of a pipeline, resolved: its condition and its `within`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExecutionsTrigger {
    /// The condition tree.
    pub condition: Condition,
    /// Upstream events older than this at evaluation time do not count (default 24h).
    pub within: Duration,
}

impl Condition {
    /// Every leaf of the tree, depth first, in the order written.
    pub fn items(&self) -> Vec<&ConditionItem> {
        let mut out = Vec::new();
        self.collect_items(&mut out);
        out
    }

    fn collect_items<'a>(&'a self, out: &mut Vec<&'a ConditionItem>) {
        for node in self.all_of.iter().chain(&self.any_of) {
            match node {
                ConditionNode::Item(item) => out.push(item),
                ConditionNode::Group(group) => group.collect_items(out),
            }
        }
    }

    /// The distinct upstream pipelines the tree names, in first-mention order.
    pub fn parents(&self) -> Vec<&PipelineId> {
        // A set beside the list: a condition may name hundreds of parents.
        let mut seen: std::collections::BTreeSet<&PipelineId> = std::collections::BTreeSet::new();
        self.items()
            .into_iter()
            .map(|item| &item.pipeline)
            .filter(|p| seen.insert(p))
            .collect()
    }

    /// Evaluates the tree given which leaves hold: `holds(item)` answers for one leaf.
    ///
    /// The combination rule is SPEC's: `allOf` holds when all its entries do (and is
    /// absent when empty), `anyOf` when at least one does; `operator` joins the two
    /// blocks when both are present.
    pub fn eval(&self, holds: &mut dyn FnMut(&ConditionItem) -> bool) -> bool {
        let eval_node =
            |node: &ConditionNode, holds: &mut dyn FnMut(&ConditionItem) -> bool| match node {
                ConditionNode::Item(item) => holds(item),
                ConditionNode::Group(group) => group.eval(holds),
            };
        let all = if self.all_of.is_empty() {
            None
        } else {
            let mut ok = true;
            for node in &self.all_of {
                ok &= eval_node(node, holds);
            }
            Some(ok)
        };
        let any = if self.any_of.is_empty() {
            None
        } else {
            let mut ok = false;
            for node in &self.any_of {
                ok |= eval_node(node, holds);
            }
            Some(ok)
        };
        match (all, any) {
            (Some(a), Some(b)) => match self.operator {
                Operator::And => a && b,
                Operator::Or => a || b,
            },
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str) -> ConditionNode {
        ConditionNode::Item(ConditionItem {
            pipeline: PipelineId::new("111111111111", name),
            status: vec![Status::Succeeded],
        })
    }

    #[test]
    fn operator_joins_blocks_and_groups_nest() {
        let c = Condition {
            operator: Operator::Or,
            all_of: vec![item("a"), item("b")],
            any_of: vec![ConditionNode::Group(Condition {
                operator: Operator::And,
                all_of: vec![item("c")],
                any_of: vec![],
            })],
        };
        let truth = |names: &[&str]| {
            let names: Vec<String> = names.iter().map(|s| s.to_string()).collect();
            c.clone()
                .eval(&mut |i: &ConditionItem| names.contains(&i.pipeline.name))
        };
        assert!(truth(&["a", "b"]));
        assert!(truth(&["c"]));
        assert!(!truth(&["a"]));
        assert_eq!(
            c.parents()
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>(),
            ["a", "b", "c"]
        );
    }
}
