//! The event pattern of a pipeline's `executions` trigger rule.
//!
//! SPEC: the rule matches `source`, `detail-type`, `detail.pipeline`, `detail.account`,
//! and, wherever it fits EventBridge's pattern limit, the statuses the condition needs,
//! never more than the condition asks. The trigger manager only emits a trigger event
//! when the condition holds, and a holding condition implies that the latest status of
//! each parent it relies on is one it accepts; `detail.upstream` carries exactly those
//! latest statuses. So the condition, read as "status of parent ∈ set" only (recency
//! and `within` are the manager's business), is a test the pattern can make without
//! ever rejecting a legitimate trigger event.
//!
//! The condition is put in disjunctive normal form: each alternative is a set of
//! `upstream.<account>.<name> ∈ statuses` fields (two constraints on one parent in one
//! alternative intersect), written as fields when there is one alternative and as a
//! `$or` of them otherwise. Alternatives implied by others are dropped. When the result
//! is longer than EventBridge's 2,048 characters, or the normal form explodes, the
//! pattern matches pipeline and account only and synthesis warns.

use crate::aws::events::{EventPattern, MAX_PATTERN_CHARS};
use dpc_model::{
    Condition, ConditionNode, ExecutionsTrigger, Operator, PipelineId, Status, TRIGGER_DETAIL_TYPE,
    TRIGGER_SOURCE,
};
use std::collections::{BTreeMap, BTreeSet};

/// The most alternatives dpc writes into a `$or` before it gives up on statuses.
pub const MAX_ALTERNATIVES: usize = 64;

/// One alternative: each parent's accepted statuses.
type Alternative = BTreeMap<PipelineId, BTreeSet<Status>>;

/// The rule's pattern, and whether it had to leave the statuses out.
#[derive(Clone, Debug, PartialEq)]
pub struct TriggerPattern {
    /// The pattern written into the rule.
    pub pattern: EventPattern,
    /// `Some(reason)` when the statuses were left out.
    pub statuses_dropped: Option<String>,
}

/// The pattern for trigger events that start `pipeline`.
pub fn trigger_pattern(pipeline: &PipelineId, trigger: &ExecutionsTrigger) -> TriggerPattern {
    let base = EventPattern::new()
        .source([TRIGGER_SOURCE])
        .detail_type([TRIGGER_DETAIL_TYPE])
        .exact(&["detail", "pipeline"], [pipeline.name.as_str()])
        .exact(&["detail", "account"], [pipeline.account.as_str()]);
    let Some(alternatives) = normal_form(&trigger.condition) else {
        return TriggerPattern {
            pattern: base,
            statuses_dropped: Some(format!(
                "the condition has more than {MAX_ALTERNATIVES} alternative combinations of parent statuses"
            )),
        };
    };
    let mut pattern = base.clone();
    match alternatives.as_slice() {
        // No combination of statuses can satisfy the condition: nothing to narrow.
        [] => {}
        [only] => add_statuses(&mut pattern, false, only),
        many => {
            let ors = many
                .iter()
                .map(|alt| {
                    let mut level = EventPattern::new();
                    add_statuses(&mut level, true, alt);
                    level
                })
                .collect();
            pattern.level_mut(&["detail"]).any_of = ors;
        }
    }
    let len = pattern.len_chars();
    if len > MAX_PATTERN_CHARS {
        return TriggerPattern {
            pattern: base,
            statuses_dropped: Some(format!(
                "the pattern with statuses would be {len} characters; EventBridge allows {MAX_PATTERN_CHARS}"
            )),
        };
    }
    TriggerPattern {
        pattern,
        statuses_dropped: None,
    }
}

// `inside_detail`: the level is a `$or` alternative, which lives inside `detail`.
fn add_statuses(level: &mut EventPattern, inside_detail: bool, alternative: &Alternative) {
    for (parent, statuses) in alternative {
        let full = [
            "detail",
            "upstream",
            parent.account.as_str(),
            parent.name.as_str(),
        ];
        let path = if inside_detail { &full[1..] } else { &full[..] };
        *level = std::mem::take(level).exact(path, statuses.iter().map(|s| s.as_str()));
    }
}

/// The condition as alternatives, or `None` past [`MAX_ALTERNATIVES`].
fn normal_form(condition: &Condition) -> Option<Vec<Alternative>> {
    let node = |n: &ConditionNode| -> Option<Vec<Alternative>> {
        match n {
            ConditionNode::Item(item) => {
                let mut alt = Alternative::new();
                alt.insert(item.pipeline.clone(), item.status.iter().copied().collect());
                Some(vec![alt])
            }
            ConditionNode::Group(group) => normal_form(group),
        }
    };
    let all = if condition.all_of.is_empty() {
        None
    } else {
        let mut acc = vec![Alternative::new()];
        for n in &condition.all_of {
            acc = and(&acc, &node(n)?)?;
        }
        Some(acc)
    };
    let any = if condition.any_of.is_empty() {
        None
    } else {
        let mut acc = Vec::new();
        for n in &condition.any_of {
            acc.extend(node(n)?);
        }
        Some(acc)
    };
    let combined = match (all, any) {
        (Some(a), Some(b)) => match condition.operator {
            Operator::And => and(&a, &b)?,
            Operator::Or => a.into_iter().chain(b).collect(),
        },
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => Vec::new(),
    };
    let simplified = simplify(combined);
    (simplified.len() <= MAX_ALTERNATIVES).then_some(simplified)
}

fn and(left: &[Alternative], right: &[Alternative]) -> Option<Vec<Alternative>> {
    let mut out = Vec::new();
    for l in left {
        'pairs: for r in right {
            let mut merged = l.clone();
            for (parent, statuses) in r {
                match merged.get_mut(parent) {
                    Some(existing) => {
                        *existing = existing.intersection(statuses).copied().collect();
                        if existing.is_empty() {
                            continue 'pairs;
                        }
                    }
                    None => {
                        merged.insert(parent.clone(), statuses.clone());
                    }
                }
            }
            out.push(merged);
            if out.len() > MAX_ALTERNATIVES * MAX_ALTERNATIVES {
                return None;
            }
        }
    }
    Some(simplify(out))
}

// Drops alternatives that another alternative already covers (it asks for no more,
// on fewer or the same parents) and exact duplicates, keeping the first written.
fn simplify(alternatives: Vec<Alternative>) -> Vec<Alternative> {
    let covers = |weaker: &Alternative, stronger: &Alternative| {
        weaker
            .iter()
            .all(|(parent, statuses)| stronger.get(parent).is_some_and(|s| s.is_subset(statuses)))
    };
    let mut kept: Vec<Alternative> = Vec::new();
    for (i, alt) in alternatives.iter().enumerate() {
        let redundant = alternatives
            .iter()
            .enumerate()
            .any(|(j, other)| j != i && covers(other, alt) && (!covers(alt, other) || j < i));
        if !redundant {
            kept.push(alt.clone());
        }
    }
    kept
}

#[cfg(test)]
mod tests {
    use super::*;
    use dpc_model::{ConditionItem, Duration};
    use serde_json::json;

    fn item(account: &str, name: &str, statuses: &[Status]) -> ConditionNode {
        ConditionNode::Item(ConditionItem {
            pipeline: PipelineId::new(account, name),
            status: statuses.to_vec(),
        })
    }

    fn trigger(condition: Condition) -> ExecutionsTrigger {
        ExecutionsTrigger {
            condition,
            within: Duration::from_secs(86_400),
        }
    }

    #[test]
    fn all_of_becomes_fields() {
        let t = trigger(Condition {
            operator: Operator::And,
            all_of: vec![
                item("222222222222", "listings", &[Status::Succeeded]),
                item("333333333333", "searches", &[Status::Succeeded]),
            ],
            any_of: vec![],
        });
        let p = trigger_pattern(&PipelineId::new("444444444444", "pipeline-x"), &t);
        assert_eq!(p.statuses_dropped, None);
        assert_eq!(
            p.pattern.to_json(),
            json!({
                "source": ["dpc.orchestrator"],
                "detail-type": ["Pipeline Trigger"],
                "detail": {
                    "pipeline": ["pipeline-x"],
                    "account": ["444444444444"],
                    "upstream": {
                        "222222222222": {"listings": ["SUCCEEDED"]},
                        "333333333333": {"searches": ["SUCCEEDED"]}
                    }
                }
            })
        );
    }

    #[test]
    fn any_of_becomes_or_and_redundant_alternatives_go() {
        let t = trigger(Condition {
            operator: Operator::And,
            all_of: vec![],
            any_of: vec![
                item("1", "a", &[Status::Succeeded]),
                item("1", "b", &[Status::Failed]),
                // Implied by the first alternative's weaker form? No: different parents.
                ConditionNode::Group(Condition {
                    operator: Operator::And,
                    all_of: vec![
                        item("1", "a", &[Status::Succeeded]),
                        item("1", "c", &[Status::Succeeded]),
                    ],
                    any_of: vec![],
                }),
            ],
        });
        let p = trigger_pattern(&PipelineId::new("9", "x"), &t);
        assert_eq!(
            p.pattern.to_json()["detail"]["$or"],
            json!([
                {"upstream": {"1": {"a": ["SUCCEEDED"]}}},
                {"upstream": {"1": {"b": ["FAILED"]}}}
            ])
        );
    }

    #[test]
    fn conflicting_constraints_intersect_and_huge_conditions_fall_back() {
        let t = trigger(Condition {
            operator: Operator::And,
            all_of: vec![
                item("1", "a", &[Status::Succeeded, Status::Failed]),
                item("1", "a", &[Status::Failed, Status::TimedOut]),
            ],
            any_of: vec![],
        });
        let p = trigger_pattern(&PipelineId::new("9", "x"), &t);
        assert_eq!(
            p.pattern.to_json()["detail"]["upstream"],
            json!({"1": {"a": ["FAILED"]}})
        );
        // 8 groups of anyOf pairs under allOf: 2^8 alternatives.
        let groups = (0..8)
            .map(|g| {
                ConditionNode::Group(Condition {
                    operator: Operator::And,
                    all_of: vec![],
                    any_of: vec![
                        item("1", &format!("p{g}a"), &[Status::Succeeded]),
                        item("1", &format!("p{g}b"), &[Status::Succeeded]),
                    ],
                })
            })
            .collect();
        let big = trigger(Condition {
            operator: Operator::And,
            all_of: groups,
            any_of: vec![],
        });
        let p = trigger_pattern(&PipelineId::new("9", "x"), &big);
        assert!(p.statuses_dropped.is_some());
        assert!(p.pattern.to_json()["detail"].get("upstream").is_none());
    }
}
