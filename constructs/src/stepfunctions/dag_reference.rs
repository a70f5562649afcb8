//! The planner as it was before it was made near-linear (an n×n reachability matrix
//! and O(n^3) exact cuts), kept for the tests only: the new planner must give the same
//! plan for every set the old one could afford.

use super::{DagError, Plan};
use std::collections::BTreeSet;

/// Plans steps `0..deps.len()` where `deps[i]` lists the steps step `i` depends on.
///
/// # Errors
/// No steps, an unknown index, or a cycle.
pub(super) fn plan(deps: &[Vec<usize>]) -> Result<Plan, DagError> {
    let n = deps.len();
    if n == 0 {
        return Err(DagError::Empty);
    }
    for (step, ds) in deps.iter().enumerate() {
        for &dependency in ds {
            if dependency >= n {
                return Err(DagError::UnknownStep { step, dependency });
            }
        }
    }
    let order = topological_order(deps)?;
    let mut succ = vec![Vec::new(); n];
    for (step, ds) in deps.iter().enumerate() {
        for &d in ds {
            succ[d].push(step);
        }
    }
    // reach[a][b]: a is an ancestor of b.
    let mut reach = vec![vec![false; n]; n];
    for &a in order.iter().rev() {
        for &s in &succ[a] {
            let below = reach[s].clone();
            let row = &mut reach[a];
            row[s] = true;
            for (slot, reached) in row.iter_mut().zip(below) {
                *slot |= reached;
            }
        }
    }
    let planner = Planner {
        deps,
        succ: &succ,
        reach: &reach,
    };
    Ok(planner.plan_set(order))
}

// Kahn's algorithm, taking the lowest written index among the ready steps each time.
fn topological_order(deps: &[Vec<usize>]) -> Result<Vec<usize>, DagError> {
    let n = deps.len();
    let mut indegree: Vec<usize> = deps
        .iter()
        .map(|ds| ds.iter().collect::<BTreeSet<_>>().len())
        .collect();
    let mut succ = vec![BTreeSet::new(); n];
    for (step, ds) in deps.iter().enumerate() {
        for &d in ds {
            succ[d].insert(step);
        }
    }
    let mut ready: BTreeSet<usize> = (0..n).filter(|&i| indegree[i] == 0).collect();
    let mut order = Vec::with_capacity(n);
    while let Some(next) = ready.pop_first() {
        order.push(next);
        for &s in &succ[next] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.insert(s);
            }
        }
    }
    if order.len() < n {
        let stuck = (0..n).filter(|i| !order.contains(i)).collect();
        return Err(DagError::Cycle(stuck));
    }
    Ok(order)
}

struct Planner<'a> {
    deps: &'a [Vec<usize>],
    succ: &'a [Vec<usize>],
    reach: &'a [Vec<bool>],
}

impl Planner<'_> {
    // `nodes` is in topological order.
    fn plan_set(&self, nodes: Vec<usize>) -> Plan {
        if nodes.len() == 1 {
            return Plan::Step(nodes[0]);
        }
        let components = self.components(&nodes);
        if components.len() > 1 {
            return Plan::Parallel(components.into_iter().map(|c| self.plan_set(c)).collect());
        }
        let cuts = self.exact_cuts(&nodes);
        let pieces: Vec<Vec<usize>> = if cuts.is_empty() {
            let (a, b) = self.best_inexact_cut(&nodes);
            vec![a, b]
        } else {
            let mut pieces = Vec::new();
            let mut from = 0;
            for cut in cuts.into_iter().chain([nodes.len()]) {
                pieces.push(nodes[from..cut].to_vec());
                from = cut;
            }
            pieces
        };
        let mut series = Vec::new();
        for piece in pieces {
            match self.plan_set(piece) {
                Plan::Series(parts) => series.extend(parts),
                other => series.push(other),
            }
        }
        Plan::Series(series)
    }

    // Weakly connected components, each in topological order, ordered by their
    // lowest written index (so branches follow the order steps were written).
    fn components(&self, nodes: &[usize]) -> Vec<Vec<usize>> {
        let inside: BTreeSet<usize> = nodes.iter().copied().collect();
        let mut seen = BTreeSet::new();
        let mut components: Vec<Vec<usize>> = Vec::new();
        for &start in nodes {
            if !seen.insert(start) {
                continue;
            }
            let mut members = BTreeSet::from([start]);
            let mut stack = vec![start];
            while let Some(x) = stack.pop() {
                let neighbours = self.deps[x].iter().chain(self.succ[x].iter());
                for &y in neighbours {
                    if inside.contains(&y) && seen.insert(y) {
                        members.insert(y);
                        stack.push(y);
                    }
                }
            }
            components.push(
                nodes
                    .iter()
                    .copied()
                    .filter(|x| members.contains(x))
                    .collect(),
            );
        }
        components.sort_by_key(|c| c.iter().min().copied());
        components
    }

    // Positions k (1..len) where every node before k is an ancestor of every node from k.
    fn exact_cuts(&self, nodes: &[usize]) -> Vec<usize> {
        (1..nodes.len())
            .filter(|&k| {
                nodes[..k]
                    .iter()
                    .all(|&a| nodes[k..].iter().all(|&b| self.reach[a][b]))
            })
            .collect()
    }

    fn best_inexact_cut(&self, nodes: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let inside: BTreeSet<usize> = nodes.iter().copied().collect();
        // Longest path from the set's roots (depth) and to its leaves (height).
        let mut depth = vec![0usize; self.deps.len()];
        for &x in nodes {
            depth[x] = self.deps[x]
                .iter()
                .filter(|d| inside.contains(d))
                .map(|&d| depth[d] + 1)
                .max()
                .unwrap_or(0);
        }
        let mut height = vec![0usize; self.deps.len()];
        for &x in nodes.iter().rev() {
            height[x] = self.succ[x]
                .iter()
                .filter(|s| inside.contains(s))
                .map(|&s| height[s] + 1)
                .max()
                .unwrap_or(0);
        }
        let mut candidates: Vec<BTreeSet<usize>> = Vec::new();
        let max_depth = nodes.iter().map(|&x| depth[x]).max().unwrap_or(0);
        for d in 0..max_depth {
            candidates.push(nodes.iter().copied().filter(|&x| depth[x] <= d).collect());
        }
        let max_height = nodes.iter().map(|&x| height[x]).max().unwrap_or(0);
        for h in 0..max_height {
            candidates.push(nodes.iter().copied().filter(|&x| height[x] > h).collect());
        }
        for k in 1..nodes.len() {
            candidates.push(nodes[..k].iter().copied().collect());
        }
        let longest = self.longest_chain(nodes, &inside);
        let cut = Cut {
            planner: self,
            nodes,
            longest,
        };
        let mut best = candidates
            .into_iter()
            .filter(|c| cut.is_valid(c))
            .min_by_key(|c| cut.false_waits(c))
            // Depth cuts keep the longest chain and a connected set of two or more steps
            // has at least one, so this fallback is never taken.
            .unwrap_or_else(|| BTreeSet::from([nodes[0]]));
        if nodes.len() <= HILL_CLIMB_LIMIT {
            best = cut.improve(best);
        }
        let first = nodes.iter().copied().filter(|x| best.contains(x)).collect();
        let rest = nodes
            .iter()
            .copied()
            .filter(|x| !best.contains(x))
            .collect();
        (first, rest)
    }

    // The number of steps on the longest dependency chain within `set`.
    fn longest_chain(&self, nodes: &[usize], set: &BTreeSet<usize>) -> usize {
        let mut length = vec![0usize; self.deps.len()];
        let mut longest = 0;
        for &x in nodes.iter().filter(|x| set.contains(x)) {
            length[x] = 1 + self.deps[x]
                .iter()
                .filter(|d| set.contains(d))
                .map(|&d| length[d])
                .max()
                .unwrap_or(0);
            longest = longest.max(length[x]);
        }
        longest
    }
}

// Past this many steps the cut is not refined step by step (the refinement costs about
// n^4 comparisons); the candidates alone are already valid cuts.
const HILL_CLIMB_LIMIT: usize = 64;

/// Judges cuts of one connected set of steps into a first part and a rest.
struct Cut<'p, 'a> {
    planner: &'p Planner<'a>,
    nodes: &'p [usize],
    longest: usize,
}

impl Cut<'_, '_> {
    // A cut is valid when nothing in the first part depends on the rest, both parts are
    // non-empty, and the two parts' longest chains add up to the set's: running them in
    // series then takes no longer (in steps) than the DAG itself needs.
    fn is_valid(&self, first: &BTreeSet<usize>) -> bool {
        if first.is_empty() || first.len() >= self.nodes.len() {
            return false;
        }
        let closed = first.iter().all(|&x| {
            self.planner.deps[x]
                .iter()
                .all(|d| !self.in_set(*d) || first.contains(d))
        });
        if !closed {
            return false;
        }
        let rest: BTreeSet<usize> = self
            .nodes
            .iter()
            .copied()
            .filter(|x| !first.contains(x))
            .collect();
        self.planner.longest_chain(self.nodes, first)
            + self.planner.longest_chain(self.nodes, &rest)
            == self.longest
    }

    fn in_set(&self, x: usize) -> bool {
        self.nodes.contains(&x)
    }

    // Pairs (a, b) with a in the first part and b in the rest that the series makes
    // wait although b does not depend on a.
    fn false_waits(&self, first: &BTreeSet<usize>) -> usize {
        first
            .iter()
            .map(|&a| {
                self.nodes
                    .iter()
                    .filter(|b| !first.contains(b) && !self.planner.reach[a][**b])
                    .count()
            })
            .sum()
    }

    // Moves single steps across the cut while that lowers the false waits and keeps the
    // cut valid; the first best move wins, so the result is deterministic.
    fn improve(&self, mut first: BTreeSet<usize>) -> BTreeSet<usize> {
        let mut score = self.false_waits(&first);
        loop {
            let mut best: Option<(usize, BTreeSet<usize>)> = None;
            for &x in self.nodes {
                let mut moved = first.clone();
                if !moved.remove(&x) {
                    moved.insert(x);
                }
                if !self.is_valid(&moved) {
                    continue;
                }
                let s = self.false_waits(&moved);
                if s < score && best.as_ref().is_none_or(|(b, _)| s < *b) {
                    best = Some((s, moved));
                }
            }
            match best {
                Some((s, moved)) => {
                    score = s;
                    first = moved;
                }
                None => return first,
            }
        }
    }
}
