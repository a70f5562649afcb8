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
            acc = and(acc, &node(n)?)?;
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
            Operator::And => and(a, &b)?,
            Operator::Or => a.into_iter().chain(b).collect(),
        },
        (Some(a), None) => a,
        (None, Some(b)) => b,
        (None, None) => Vec::new(),
    };
    let simplified = simplify(combined);
    (simplified.len() <= MAX_ALTERNATIVES).then_some(simplified)
}

// Each left alternative is moved into its last pairing rather than cloned, so an
// `allOf` of n items grows one alternative in place instead of copying it n times.
fn and(left: Vec<Alternative>, right: &[Alternative]) -> Option<Vec<Alternative>> {
    let mut out = Vec::new();
    for mut l in left {
        'pairs: for (k, r) in right.iter().enumerate() {
            let mut merged = if k + 1 == right.len() {
                std::mem::take(&mut l)
            } else {
                l.clone()
            };
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
//
// Every pair is compared, and an `and` may hand over thousands of alternatives that
// share an `allOf` of many items; so the entries all alternatives share are set aside
// first (they hold on both sides of every comparison), and the rest are compared as
// small sorted lists of (parent number, status bits).
fn simplify(alternatives: Vec<Alternative>) -> Vec<Alternative> {
    let Some((first, others)) = alternatives.split_first() else {
        return alternatives;
    };
    let common: BTreeSet<&PipelineId> = first
        .iter()
        .filter(|(parent, statuses)| others.iter().all(|alt| alt.get(*parent) == Some(statuses)))
        .map(|(parent, _)| parent)
        .collect();
    let mut numbers: BTreeMap<&PipelineId, usize> = BTreeMap::new();
    let bits = |statuses: &BTreeSet<Status>| {
        statuses.iter().fold(0u8, |acc, s| {
            acc | 1 << Status::ALL.iter().position(|a| a == s).unwrap_or(0)
        })
    };
    // BTreeMap iteration is by parent, and numbers are given in first-seen order, so
    // each list is sorted by parent but not by number: sort it.
    let own: Vec<Vec<(usize, u8)>> = alternatives
        .iter()
        .map(|alt| {
            let mut list: Vec<(usize, u8)> = alt
                .iter()
                .filter(|(p, _)| !common.contains(p))
                .map(|(p, statuses)| {
                    let next = numbers.len();
                    (*numbers.entry(p).or_insert(next), bits(statuses))
                })
                .collect();
            list.sort_unstable();
            list
        })
        .collect();
    // A parent outside `common` is never one `common` holds, so `weaker`'s remaining
    // entries are exactly what `stronger` must match (as tightly or tighter).
    let covers = |weaker: usize, stronger: usize| {
        own[weaker].iter().all(|&(parent, loose)| {
            own[stronger]
                .binary_search_by_key(&parent, |&(p, _)| p)
                .is_ok_and(|at| own[stronger][at].1 & !loose == 0)
        })
    };
    let mut kept: Vec<Alternative> = Vec::new();
    for (i, alt) in alternatives.iter().enumerate() {
        let redundant =
            (0..alternatives.len()).any(|j| j != i && covers(j, i) && (!covers(i, j) || j < i));
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

    // The comparison as it was written first: every pair on whole alternatives.
    fn simplify_by_pairs(alternatives: Vec<Alternative>) -> Vec<Alternative> {
        let covers = |weaker: &Alternative, stronger: &Alternative| {
            weaker.iter().all(|(parent, statuses)| {
                stronger.get(parent).is_some_and(|s| s.is_subset(statuses))
            })
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

    proptest::proptest! {
        #[test]
        fn simplify_keeps_what_comparing_whole_alternatives_kept(
            alternatives in proptest::collection::vec(
                proptest::collection::btree_map(0usize..4, 1u8..32, 0..4),
                0..10,
            ),
            shared in proptest::collection::btree_map(4usize..6, 1u8..32, 0..3),
        ) {
            let alternatives: Vec<Alternative> = alternatives
                .into_iter()
                .map(|alt| {
                    alt.into_iter()
                        .chain(shared.clone())
                        .map(|(p, bits)| {
                            let statuses = Status::ALL
                                .into_iter()
                                .enumerate()
                                .filter(|(i, _)| bits >> i & 1 == 1)
                                .map(|(_, s)| s)
                                .collect();
                            (PipelineId::new("222222222222", format!("p{p}")), statuses)
                        })
                        .collect()
                })
                .collect();
            proptest::prop_assert_eq!(
                simplify(alternatives.clone()),
                simplify_by_pairs(alternatives)
            );
        }
    }
}
