//! The dependency graph across accounts, as `dpc graph` shows it and `dpc synth`
//! writes it into the assembly (`lineage.json`).
//!
//! The graph is a pure function of the organisation: one node per pipeline, one edge
//! per (parent, child) pair labelled with the statuses the child waits for. Parents a
//! single project names but the loaded organisation does not hold appear as nodes
//! marked `external`, so the picture is never silently incomplete.

use dpc_model::{Condition, ConditionNode, Operator, PipelineId, Status};
use dpc_schema::{Organisation, Pipeline, Trigger};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// The version of the `lineage.json` format.
pub const LINEAGE_VERSION: &str = "1";

/// The whole graph: accounts, pipelines and their dependency edges.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Lineage {
    /// The format version, [`LINEAGE_VERSION`].
    pub version: String,
    /// Every account of platform.yaml, in the order written.
    pub accounts: Vec<LineageAccount>,
    /// Every pipeline, ordered by account id then name.
    pub pipelines: Vec<LineageNode>,
    /// Every edge, ordered by child then parent.
    pub edges: Vec<LineageEdge>,
}

/// An account of the organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageAccount {
    /// The alias platform.yaml gives it.
    pub alias: String,
    /// The 12-digit id.
    pub id: String,
    /// Its region.
    pub region: String,
}

/// A pipeline in the graph.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LineageNode {
    /// `name@account-id`, the node's identity.
    pub id: String,
    /// The pipeline's name.
    pub name: String,
    /// Its account id.
    pub account: String,
    /// Its account's alias, when platform.yaml lists the account.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alias: Option<String>,
    /// Whether it runs on its triggers (`enabled` in pipeline.yaml).
    pub enabled: bool,
    /// What starts it.
    pub trigger: LineageTrigger,
    /// A parent named by a condition that is not among the loaded pipelines.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub external: bool,
}

/// What starts a pipeline, as the graph shows it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum LineageTrigger {
    /// Started by hand only.
    Manual,
    /// A time of day; `cron` is the EventBridge expression in `timezone`.
    Schedule {
        /// The six-field cron expression.
        cron: String,
        /// The IANA time zone the expression is read in.
        timezone: String,
    },
    /// A cron expression (UTC).
    Cron {
        /// The six-field cron expression.
        cron: String,
    },
    /// Upstream statuses.
    Executions {
        /// The `within` window, e.g. `24h`.
        within: String,
        /// The resolved condition tree.
        condition: Condition,
    },
    /// Not loaded: a parent outside the folder given to dpc.
    Unknown,
}

/// A dependency: `child` waits for `parent` to reach one of `statuses`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LineageEdge {
    /// The upstream pipeline's node id.
    pub parent: String,
    /// The downstream pipeline's node id.
    pub child: String,
    /// The statuses of the parent any item of the child's condition accepts.
    pub statuses: Vec<Status>,
}

/// The node id of a pipeline: `name@account-id`.
pub fn node_id(id: &PipelineId) -> String {
    format!("{}@{}", id.name, id.account)
}

impl Lineage {
    /// Builds the graph of every loaded pipeline.
    pub fn of(org: &Organisation) -> Lineage {
        let alias_of = |account: &str| org.platform.account_by_id(account).map(|a| a.alias.clone());
        let mut nodes: BTreeMap<(String, String), LineageNode> = BTreeMap::new();
        let mut edges: BTreeMap<(String, String), BTreeSet<Status>> = BTreeMap::new();
        for pipeline in &org.pipelines {
            let id = pipeline.id();
            nodes.insert(
                (id.account.clone(), id.name.clone()),
                LineageNode {
                    id: node_id(&id),
                    name: id.name.clone(),
                    account: id.account.clone(),
                    alias: alias_of(&id.account),
                    enabled: pipeline.enabled,
                    trigger: trigger_of(pipeline),
                    external: false,
                },
            );
            if let Trigger::Executions(exec) = &pipeline.trigger {
                for item in exec.condition.items() {
                    edges
                        .entry((node_id(&id), node_id(&item.pipeline)))
                        .or_default()
                        .extend(item.status.iter().copied());
                }
            }
        }
        // Parents outside the loaded folder still appear, marked, so a single project's
        // graph shows what it waits for.
        for pipeline in &org.pipelines {
            if let Trigger::Executions(exec) = &pipeline.trigger {
                for parent in exec.condition.parents() {
                    nodes
                        .entry((parent.account.clone(), parent.name.clone()))
                        .or_insert_with(|| LineageNode {
                            id: node_id(parent),
                            name: parent.name.clone(),
                            account: parent.account.clone(),
                            alias: alias_of(&parent.account),
                            enabled: true,
                            trigger: LineageTrigger::Unknown,
                            external: true,
                        });
                }
            }
        }
        Lineage {
            version: LINEAGE_VERSION.to_string(),
            accounts: org
                .platform
                .accounts
                .iter()
                .map(|a| LineageAccount {
                    alias: a.alias.clone(),
                    id: a.id.clone(),
                    region: a.region.clone(),
                })
                .collect(),
            pipelines: nodes.into_values().collect(),
            edges: edges
                .into_iter()
                .map(|((child, parent), statuses)| LineageEdge {
                    parent,
                    child,
                    statuses: statuses.into_iter().collect(),
                })
                .collect(),
        }
    }

    /// The node with this id.
    pub fn node(&self, id: &str) -> Option<&LineageNode> {
        self.pipelines.iter().find(|n| n.id == id)
    }

    /// Resolves `NAME@ACCOUNT` (account as alias or id) to a node id.
    pub fn resolve(&self, spec: &str) -> Option<String> {
        let (name, account) = spec.rsplit_once('@')?;
        let account_id = self
            .accounts
            .iter()
            .find(|a| a.alias == account || a.id == account)
            .map_or(account, |a| a.id.as_str());
        let id = format!("{name}@{account_id}");
        self.node(&id).map(|n| n.id.clone())
    }

    /// The part of the graph reachable from `start` following edges downstream
    /// (`downstream = true`: its children, their children, ...) or upstream; `start`
    /// included.
    pub fn reachable(&self, start: &str, downstream: bool) -> Lineage {
        let mut keep: BTreeSet<String> = BTreeSet::new();
        let mut queue = VecDeque::from([start.to_string()]);
        while let Some(id) = queue.pop_front() {
            if !keep.insert(id.clone()) {
                continue;
            }
            for edge in &self.edges {
                let (from, to) = if downstream {
                    (&edge.parent, &edge.child)
                } else {
                    (&edge.child, &edge.parent)
                };
                if *from == id && !keep.contains(to) {
                    queue.push_back(to.clone());
                }
            }
        }
        Lineage {
            version: self.version.clone(),
            accounts: self.accounts.clone(),
            pipelines: self
                .pipelines
                .iter()
                .filter(|n| keep.contains(&n.id))
                .cloned()
                .collect(),
            edges: self
                .edges
                .iter()
                .filter(|e| keep.contains(&e.parent) && keep.contains(&e.child))
                .cloned()
                .collect(),
        }
    }
}

impl Lineage {
    /// What starts a pipeline, in a few words: `cron(0 3 * * ? *) UTC`, `manual`,
    /// or its condition with `within`.
    pub fn describe_trigger(&self, trigger: &LineageTrigger) -> String {
        match trigger {
            LineageTrigger::Manual => "manual".to_owned(),
            LineageTrigger::Schedule { cron, timezone } => format!("cron({cron}) {timezone}"),
            LineageTrigger::Cron { cron } => format!("cron({cron}) UTC"),
            LineageTrigger::Executions { within, condition } => {
                format!("{} within {within}", self.describe_condition(condition))
            }
            LineageTrigger::Unknown => "not loaded".to_owned(),
        }
    }

    /// A condition in words, accounts by alias:
    /// `listings@core-data SUCCEEDED and (a@x FAILED or b@y FAILED)`.
    pub fn describe_condition(&self, condition: &Condition) -> String {
        let words = |nodes: &[ConditionNode], joiner: &str| -> Option<String> {
            if nodes.is_empty() {
                return None;
            }
            let parts: Vec<String> = nodes
                .iter()
                .map(|n| match n {
                    ConditionNode::Item(item) => {
                        let account = self
                            .accounts
                            .iter()
                            .find(|a| a.id == item.pipeline.account)
                            .map_or(item.pipeline.account.as_str(), |a| a.alias.as_str());
                        let statuses: Vec<&str> = item.status.iter().map(|s| s.as_str()).collect();
                        format!("{}@{} {}", item.pipeline.name, account, statuses.join("|"))
                    }
                    ConditionNode::Group(g) => format!("({})", self.describe_condition(g)),
                })
                .collect();
            Some(parts.join(joiner))
        };
        match (
            words(&condition.all_of, " and "),
            words(&condition.any_of, " or "),
        ) {
            (Some(a), Some(b)) => {
                let op = match condition.operator {
                    Operator::And => "and",
                    Operator::Or => "or",
                };
                format!("({a}) {op} ({b})")
            }
            (Some(a), None) => a,
            (None, Some(b)) => b,
            (None, None) => String::new(),
        }
    }
}

fn trigger_of(pipeline: &Pipeline) -> LineageTrigger {
    match &pipeline.trigger {
        Trigger::Manual => LineageTrigger::Manual,
        Trigger::Schedule(s) => LineageTrigger::Schedule {
            cron: s.cron_expression(),
            timezone: s.timezone.clone(),
        },
        Trigger::Cron(c) => LineageTrigger::Cron { cron: c.clone() },
        Trigger::Executions(e) => LineageTrigger::Executions {
            within: e.within.to_string(),
            condition: e.condition.clone(),
        },
    }
}
