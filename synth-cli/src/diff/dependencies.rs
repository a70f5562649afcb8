//! The dependency diff no template diff gives: from the two `lineage.json` graphs, the
//! pipelines whose parents, condition or trigger changed, what runs downstream of them,
//! and which pipelines start or stop being triggered automatically because of it.
//!
//! "Fires" means dpc starts the pipeline by itself: a schedule or cron of an enabled
//! pipeline fires; an enabled `executions` pipeline fires when its condition can hold
//! given which of its parents fire (a parent outside the loaded folder is assumed to);
//! a manual or disabled pipeline never does. This is a least fixpoint over the graph,
//! so a chain hanging off a pipeline that stopped firing stops with it.

use dpc_constructs::lineage::{Lineage, LineageNode, LineageTrigger, node_id};
use dpc_model::{Condition, Status};
use serde::Serialize;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use super::Change;

/// What changed in the dependency graph.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DependencyDiff {
    /// Pipelines added, removed, or whose trigger (parents, condition, schedule,
    /// `enabled`) changed, by account id then name.
    pub pipelines: Vec<PipelineChange>,
    /// Pipelines present before and after that dpc did not trigger and now will.
    pub start_firing: Vec<FiringChange>,
    /// Pipelines present before and after that dpc triggered and now will not.
    pub stop_firing: Vec<FiringChange>,
}

impl DependencyDiff {
    /// Whether nothing changed.
    pub fn is_empty(&self) -> bool {
        self.pipelines.is_empty() && self.start_firing.is_empty() && self.stop_firing.is_empty()
    }
}

/// A pipeline as the diff names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineRef {
    /// `name@account-id`.
    pub id: String,
    /// The pipeline's name.
    pub name: String,
    /// Its account id.
    pub account: String,
    /// Its account's alias, when platform.yaml lists the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
}

impl PipelineRef {
    fn of(node: &LineageNode) -> PipelineRef {
        PipelineRef {
            id: node.id.clone(),
            name: node.name.clone(),
            account: node.account.clone(),
            alias: node.alias.clone(),
        }
    }

    /// `name@alias`, or `name@account-id` when the account has no alias.
    pub fn display(&self) -> String {
        format!(
            "{}@{}",
            self.name,
            self.alias.as_deref().unwrap_or(&self.account)
        )
    }
}

/// One pipeline whose place in the graph changed.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PipelineChange {
    /// Which pipeline.
    pub pipeline: PipelineRef,
    /// Added, removed or changed.
    pub change: Change,
    /// What changed in its trigger (empty for an added or removed pipeline).
    pub changes: Vec<TriggerChange>,
    /// Every pipeline downstream of it (children, their children ...), in the graph after
    /// the change (before it, for a removed pipeline): when it runs differently, so do they.
    pub downstream: Vec<PipelineRef>,
}

/// One change of a pipeline's trigger.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(
    tag = "what",
    rename_all = "camelCase",
    rename_all_fields = "camelCase"
)]
pub enum TriggerChange {
    /// It now also waits for `parent`.
    ParentAdded {
        /// The new parent.
        parent: PipelineRef,
        /// The parent's statuses it accepts.
        statuses: Vec<Status>,
    },
    /// It no longer waits for `parent`.
    ParentRemoved {
        /// The former parent.
        parent: PipelineRef,
        /// The statuses it accepted.
        statuses: Vec<Status>,
    },
    /// It waits for other statuses of `parent`.
    StatusesChanged {
        /// The parent.
        parent: PipelineRef,
        /// The statuses before.
        old: Vec<Status>,
        /// The statuses after.
        new: Vec<Status>,
    },
    /// The condition tree changed (grouping, operators, items), in words.
    ConditionChanged {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// The `within` window changed.
    WithinChanged {
        /// Before.
        old: String,
        /// After.
        new: String,
    },
    /// The kind of trigger or its schedule changed.
    TriggerChanged {
        /// Before, in words.
        old: String,
        /// After, in words.
        new: String,
    },
    /// `enabled` went from false to true.
    Enabled,
    /// `enabled` went from true to false.
    Disabled,
}

/// A pipeline that starts or stops firing, and the changed pipelines that cause it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FiringChange {
    /// The pipeline.
    pub pipeline: PipelineRef,
    /// The changed pipelines upstream of it (or itself) that explain it.
    pub because: Vec<PipelineRef>,
}

/// The dependency diff of two graphs.
pub fn diff_lineage(old: &Lineage, new: &Lineage) -> DependencyDiff {
    let old_nodes: BTreeMap<&str, &LineageNode> = loaded(old);
    let new_nodes: BTreeMap<&str, &LineageNode> = loaded(new);
    let mut pipelines = Vec::new();
    for (id, node) in &new_nodes {
        match old_nodes.get(id) {
            None => pipelines.push(PipelineChange {
                pipeline: PipelineRef::of(node),
                change: Change::Added,
                changes: Vec::new(),
                downstream: downstream(new, id),
            }),
            Some(before) => {
                let changes = trigger_changes(old, before, new, node);
                if !changes.is_empty() {
                    pipelines.push(PipelineChange {
                        pipeline: PipelineRef::of(node),
                        change: Change::Changed,
                        changes,
                        downstream: downstream(new, id),
                    });
                }
            }
        }
    }
    for (id, node) in &old_nodes {
        if !new_nodes.contains_key(id) {
            pipelines.push(PipelineChange {
                pipeline: PipelineRef::of(node),
                change: Change::Removed,
                changes: Vec::new(),
                downstream: downstream(old, id),
            });
        }
    }
    pipelines.sort_by(|a, b| {
        (&a.pipeline.account, &a.pipeline.name).cmp(&(&b.pipeline.account, &b.pipeline.name))
    });

    let fired_before = fires(old);
    let fired_after = fires(new);
    let changed: BTreeSet<&str> = pipelines.iter().map(|p| p.pipeline.id.as_str()).collect();
    let mut start_firing = Vec::new();
    let mut stop_firing = Vec::new();
    for node in new.pipelines.iter().filter(|n| !n.external) {
        let id = node.id.as_str();
        let (Some(&before), Some(&after)) = (fired_before.get(id), fired_after.get(id)) else {
            continue;
        };
        if before == after || !old_nodes.contains_key(id) {
            continue;
        }
        let mut because: Vec<PipelineRef> = Vec::new();
        for lineage in [new, old] {
            for ancestor in upstream_and_self(lineage, id) {
                if changed.contains(ancestor.as_str())
                    && !because.iter().any(|b| b.id == ancestor)
                    && let Some(n) = lineage.node(&ancestor)
                {
                    because.push(PipelineRef::of(n));
                }
            }
        }
        because.sort();
        let change = FiringChange {
            pipeline: PipelineRef::of(node),
            because,
        };
        if after {
            start_firing.push(change);
        } else {
            stop_firing.push(change);
        }
    }
    DependencyDiff {
        pipelines,
        start_firing,
        stop_firing,
    }
}

/// The pipelines the graph holds itself, without parents it only names.
fn loaded(lineage: &Lineage) -> BTreeMap<&str, &LineageNode> {
    lineage
        .pipelines
        .iter()
        .filter(|n| !n.external)
        .map(|n| (n.id.as_str(), n))
        .collect()
}

fn parents_of<'a>(lineage: &'a Lineage, id: &str) -> BTreeMap<&'a str, &'a [Status]> {
    lineage
        .edges
        .iter()
        .filter(|e| e.child == id)
        .map(|e| (e.parent.as_str(), e.statuses.as_slice()))
        .collect()
}

fn node_ref(lineage: &Lineage, id: &str) -> PipelineRef {
    match lineage.node(id) {
        Some(node) => PipelineRef::of(node),
        None => {
            let (name, account) = id.rsplit_once('@').unwrap_or((id, ""));
            PipelineRef {
                id: id.to_owned(),
                name: name.to_owned(),
                account: account.to_owned(),
                alias: None,
            }
        }
    }
}

fn trigger_changes(
    old: &Lineage,
    before: &LineageNode,
    new: &Lineage,
    after: &LineageNode,
) -> Vec<TriggerChange> {
    let mut out = Vec::new();
    let old_parents = parents_of(old, &before.id);
    let new_parents = parents_of(new, &after.id);
    for (parent, statuses) in &new_parents {
        match old_parents.get(parent) {
            None => out.push(TriggerChange::ParentAdded {
                parent: node_ref(new, parent),
                statuses: statuses.to_vec(),
            }),
            Some(was) if was != statuses => out.push(TriggerChange::StatusesChanged {
                parent: node_ref(new, parent),
                old: was.to_vec(),
                new: statuses.to_vec(),
            }),
            Some(_) => {}
        }
    }
    for (parent, statuses) in &old_parents {
        if !new_parents.contains_key(parent) {
            out.push(TriggerChange::ParentRemoved {
                parent: node_ref(old, parent),
                statuses: statuses.to_vec(),
            });
        }
    }
    match (&before.trigger, &after.trigger) {
        (
            LineageTrigger::Executions {
                within: w0,
                condition: c0,
            },
            LineageTrigger::Executions {
                within: w1,
                condition: c1,
            },
        ) => {
            if c0 != c1 {
                out.push(TriggerChange::ConditionChanged {
                    old: condition_text(old, c0),
                    new: condition_text(new, c1),
                });
            }
            if w0 != w1 {
                out.push(TriggerChange::WithinChanged {
                    old: w0.clone(),
                    new: w1.clone(),
                });
            }
        }
        (t0, t1) if t0 != t1 => out.push(TriggerChange::TriggerChanged {
            old: trigger_text(old, t0),
            new: trigger_text(new, t1),
        }),
        _ => {}
    }
    match (before.enabled, after.enabled) {
        (false, true) => out.push(TriggerChange::Enabled),
        (true, false) => out.push(TriggerChange::Disabled),
        _ => {}
    }
    out
}

/// Every pipeline reachable downstream of `id`, in the graph's node order.
fn downstream(lineage: &Lineage, id: &str) -> Vec<PipelineRef> {
    let reached = reach(lineage, id, true);
    lineage
        .pipelines
        .iter()
        .filter(|n| n.id != id && reached.contains(&n.id))
        .map(PipelineRef::of)
        .collect()
}

/// `id` and every pipeline upstream of it.
fn upstream_and_self(lineage: &Lineage, id: &str) -> BTreeSet<String> {
    reach(lineage, id, false)
}

fn reach(lineage: &Lineage, start: &str, down: bool) -> BTreeSet<String> {
    let mut seen = BTreeSet::new();
    let mut queue = VecDeque::from([start.to_owned()]);
    while let Some(id) = queue.pop_front() {
        if !seen.insert(id.clone()) {
            continue;
        }
        for edge in &lineage.edges {
            let (from, to) = if down {
                (&edge.parent, &edge.child)
            } else {
                (&edge.child, &edge.parent)
            };
            if *from == id {
                queue.push_back(to.clone());
            }
        }
    }
    seen
}

/// Which pipelines dpc triggers by itself (see the module comment).
fn fires(lineage: &Lineage) -> BTreeMap<String, bool> {
    let mut fires: BTreeMap<String, bool> = lineage
        .pipelines
        .iter()
        .map(|n| (n.id.clone(), false))
        .collect();
    loop {
        let mut grew = false;
        for node in &lineage.pipelines {
            if fires.get(&node.id) == Some(&true) {
                continue;
            }
            let now = match &node.trigger {
                LineageTrigger::Unknown => true,
                LineageTrigger::Manual => false,
                LineageTrigger::Schedule { .. } | LineageTrigger::Cron { .. } => node.enabled,
                LineageTrigger::Executions { condition, .. } => {
                    node.enabled
                        && condition.eval(&mut |item| {
                            fires.get(&node_id(&item.pipeline)).copied().unwrap_or(true)
                        })
                }
            };
            if now {
                fires.insert(node.id.clone(), true);
                grew = true;
            }
        }
        if !grew {
            return fires;
        }
    }
}

fn trigger_text(lineage: &Lineage, trigger: &LineageTrigger) -> String {
    lineage.describe_trigger(trigger)
}

/// A condition in words (see [`Lineage::describe_condition`]).
pub fn condition_text(lineage: &Lineage, condition: &Condition) -> String {
    lineage.describe_condition(condition)
}

#[cfg(test)]
mod tests {
    use super::*;
    use dpc_constructs::lineage::{LineageAccount, LineageEdge};
    use dpc_model::{ConditionItem, ConditionNode, Operator, PipelineId};

    fn accounts() -> Vec<LineageAccount> {
        ["core", "search", "rent"]
            .iter()
            .enumerate()
            .map(|(i, alias)| LineageAccount {
                alias: (*alias).to_owned(),
                id: format!("{}", 222_222_222_222u64 + 111_111_111_111 * i as u64),
                region: "eu-west-1".to_owned(),
            })
            .collect()
    }

    fn account(alias: &str) -> String {
        accounts()
            .into_iter()
            .find(|a| a.alias == alias)
            .map(|a| a.id)
            .expect("known alias")
    }

    fn scheduled(name: &str, alias: &str) -> LineageNode {
        LineageNode {
            id: format!("{name}@{}", account(alias)),
            name: name.to_owned(),
            account: account(alias),
            alias: Some(alias.to_owned()),
            enabled: true,
            trigger: LineageTrigger::Schedule {
                cron: "0 3 * * ? *".to_owned(),
                timezone: "UTC".to_owned(),
            },
            external: false,
        }
    }

    /// `name@alias` waiting for all of `parents` (name, alias) to succeed.
    fn after(name: &str, alias: &str, parents: &[(&str, &str)]) -> LineageNode {
        let items = parents
            .iter()
            .map(|(n, a)| {
                ConditionNode::Item(ConditionItem {
                    pipeline: PipelineId::new(account(a), *n),
                    status: vec![Status::Succeeded],
                })
            })
            .collect();
        LineageNode {
            trigger: LineageTrigger::Executions {
                within: "24h".to_owned(),
                condition: Condition {
                    operator: Operator::And,
                    all_of: items,
                    any_of: Vec::new(),
                },
            },
            ..scheduled(name, alias)
        }
    }

    fn graph(nodes: Vec<LineageNode>) -> Lineage {
        let mut edges = Vec::new();
        for node in &nodes {
            if let LineageTrigger::Executions { condition, .. } = &node.trigger {
                for item in condition.items() {
                    edges.push(LineageEdge {
                        parent: node_id(&item.pipeline),
                        child: node.id.clone(),
                        statuses: item.status.clone(),
                    });
                }
            }
        }
        Lineage {
            version: "1".to_owned(),
            accounts: accounts(),
            pipelines: nodes,
            edges,
        }
    }

    fn case_study(x_parents: &[(&str, &str)]) -> Vec<LineageNode> {
        vec![
            scheduled("listings", "core"),
            scheduled("searches", "search"),
            after("pipeline-x", "rent", x_parents),
            after("report", "rent", &[("pipeline-x", "rent")]),
        ]
    }

    #[test]
    fn equal_graphs_have_no_dependency_changes() {
        let g = graph(case_study(&[("listings", "core"), ("searches", "search")]));
        assert!(diff_lineage(&g, &g).is_empty());
    }

    #[test]
    fn a_removed_parent_names_the_pipeline_and_everything_downstream() {
        let old = graph(case_study(&[("listings", "core"), ("searches", "search")]));
        let new = graph(case_study(&[("listings", "core")]));
        let diff = diff_lineage(&old, &new);
        assert_eq!(diff.pipelines.len(), 1);
        let x = &diff.pipelines[0];
        assert_eq!(x.pipeline.display(), "pipeline-x@rent");
        assert!(matches!(
            &x.changes[0],
            TriggerChange::ParentRemoved { parent, .. } if parent.display() == "searches@search"
        ));
        assert!(matches!(
            &x.changes[1],
            TriggerChange::ConditionChanged { old, new }
                if old == "listings@core SUCCEEDED and searches@search SUCCEEDED"
                    && new == "listings@core SUCCEEDED"
        ));
        let downstream: Vec<String> = x.downstream.iter().map(PipelineRef::display).collect();
        assert_eq!(downstream, ["report@rent"]);
        // Both still fire: one parent fewer does not starve anyone.
        assert!(diff.start_firing.is_empty() && diff.stop_firing.is_empty());
    }

    #[test]
    fn disabling_a_parent_stops_the_chain_below_it() {
        let old = graph(case_study(&[("listings", "core"), ("searches", "search")]));
        let mut nodes = case_study(&[("listings", "core"), ("searches", "search")]);
        nodes[1].enabled = false;
        let new = graph(nodes);
        let diff = diff_lineage(&old, &new);
        assert_eq!(diff.pipelines.len(), 1);
        assert_eq!(diff.pipelines[0].changes, [TriggerChange::Disabled]);
        let stopped: Vec<String> = diff
            .stop_firing
            .iter()
            .map(|c| c.pipeline.display())
            .collect();
        assert_eq!(
            stopped,
            ["searches@search", "pipeline-x@rent", "report@rent"]
        );
        for change in &diff.stop_firing {
            let because: Vec<String> = change.because.iter().map(PipelineRef::display).collect();
            assert_eq!(because, ["searches@search"]);
        }
        // And back: enabling it starts them again.
        let back = diff_lineage(&new, &old);
        assert_eq!(back.start_firing.len(), 3);
        assert_eq!(back.pipelines[0].changes, [TriggerChange::Enabled]);
    }

    #[test]
    fn added_and_removed_pipelines_and_new_parents() {
        let old = graph(vec![
            scheduled("listings", "core"),
            scheduled("legacy", "core"),
        ]);
        let new = graph(vec![
            scheduled("listings", "core"),
            after("fresh", "search", &[("listings", "core")]),
        ]);
        let diff = diff_lineage(&old, &new);
        let summary: Vec<(String, Change)> = diff
            .pipelines
            .iter()
            .map(|p| (p.pipeline.display(), p.change))
            .collect();
        assert_eq!(
            summary,
            [
                ("legacy@core".to_owned(), Change::Removed),
                ("fresh@search".to_owned(), Change::Added)
            ]
        );
    }

    #[test]
    fn a_schedule_that_became_a_dependency_is_a_trigger_change_with_a_new_parent() {
        let old = graph(vec![
            scheduled("listings", "core"),
            scheduled("searches", "search"),
        ]);
        let new = graph(vec![
            scheduled("listings", "core"),
            after("searches", "search", &[("listings", "core")]),
        ]);
        let diff = diff_lineage(&old, &new);
        let changes = &diff.pipelines[0].changes;
        assert!(
            matches!(&changes[0], TriggerChange::ParentAdded { parent, statuses }
            if parent.display() == "listings@core" && statuses == &[Status::Succeeded])
        );
        assert!(
            matches!(&changes[1], TriggerChange::TriggerChanged { old, new }
            if old == "cron(0 3 * * ? *) UTC" && new == "listings@core SUCCEEDED within 24h")
        );
    }

    #[test]
    fn a_manual_parent_means_its_children_do_not_fire_by_themselves() {
        let mut nodes = vec![
            scheduled("listings", "core"),
            after("x", "rent", &[("listings", "core")]),
        ];
        let old = graph(nodes.clone());
        nodes[0].trigger = LineageTrigger::Manual;
        let new = graph(nodes);
        let diff = diff_lineage(&old, &new);
        let stopped: Vec<String> = diff
            .stop_firing
            .iter()
            .map(|c| c.pipeline.display())
            .collect();
        assert_eq!(stopped, ["listings@core", "x@rent"]);
    }
}
