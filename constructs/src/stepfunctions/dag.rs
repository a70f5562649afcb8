//! From a DAG of steps to states: which steps run one after another, which side by side.
//!
//! ASL can express series (a chain) and parallel composition (a `Parallel` state, which
//! waits for all its branches), not an arbitrary DAG. [`plan`] finds a series-parallel
//! plan that respects every dependency and keeps independent steps concurrent:
//!
//! 1. Steps that are not connected (in either direction) form separate branches of one
//!    `Parallel`.
//! 2. A connected set is cut into a series wherever the cut is *exact*: every step
//!    before it is an ancestor of every step after it, so the cut adds no wait that the
//!    DAG does not already imply. The pieces are planned recursively.
//! 3. A connected set with no exact cut (the "N" shape: `a→c`, `b→c`, `b→d`) is not
//!    series-parallel. It is cut so that the two parts' longest dependency chains add up
//!    to the set's (the series is no longer, in steps, than the DAG's critical path) and,
//!    among such cuts, so that the fewest step pairs wait for each other without a
//!    dependency: candidates are the layers by longest path from the roots or to the
//!    leaves and the prefixes of the topological order, refined by moving single steps
//!    across. The cut respects every dependency; it only delays some independent steps.
//!
//! The result is deterministic: ties follow the order in which steps were written.

use super::asl::Parallel;
use super::chain::{Chain, ChainError, MAX_STATE_NAME};
use std::collections::BTreeSet;
use std::fmt;

/// How steps run: one step, a series, or branches side by side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Plan {
    /// One step, by its index in the input.
    Step(usize),
    /// Parts that run one after another (at least two, none itself a series).
    Series(Vec<Plan>),
    /// Parts that run at the same time (at least two, none itself parallel).
    Parallel(Vec<Plan>),
}

/// Why a set of dependencies is not a DAG dpc can plan.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DagError {
    /// There are no steps.
    Empty,
    /// A dependency names a step index that does not exist.
    UnknownStep {
        /// The step with the dependency.
        step: usize,
        /// The index it depends on.
        dependency: usize,
    },
    /// The steps (indices) form a cycle, or a step depends on itself.
    Cycle(Vec<usize>),
}

impl fmt::Display for DagError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DagError::Empty => f.write_str("a pipeline needs at least one step"),
            DagError::UnknownStep { step, dependency } => {
                write!(
                    f,
                    "step #{step} depends on step #{dependency}, which does not exist"
                )
            }
            DagError::Cycle(steps) => write!(f, "steps {steps:?} depend on each other in a cycle"),
        }
    }
}

impl std::error::Error for DagError {}

impl Plan {
    /// The most steps that run at once under this plan (what EMR's
    /// `StepConcurrencyLevel` must allow so that no step waits for a slot).
    pub fn concurrency(&self) -> usize {
        match self {
            Plan::Step(_) => 1,
            Plan::Series(parts) => parts.iter().map(Plan::concurrency).max().unwrap_or(1),
            Plan::Parallel(parts) => parts.iter().map(Plan::concurrency).sum(),
        }
    }

    /// Every step of the plan, in the order its states are laid out.
    pub fn steps(&self) -> Vec<usize> {
        let mut out = Vec::new();
        self.collect(&mut out);
        out
    }

    fn collect(&self, out: &mut Vec<usize>) {
        match self {
            Plan::Step(i) => out.push(*i),
            Plan::Series(parts) | Plan::Parallel(parts) => {
                parts.iter().for_each(|p| p.collect(out))
            }
        }
    }
}

/// Plans steps `0..deps.len()` where `deps[i]` lists the steps step `i` depends on.
///
/// # Errors
/// No steps, an unknown index, or a cycle.
pub fn plan(deps: &[Vec<usize>]) -> Result<Plan, DagError> {
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

/// Renders a plan as a chain: each step through `step` (which returns the states of
/// one step), series as chains, parallel parts as `Parallel` states named after the
/// first step of each branch.
///
/// # Errors
/// A step's chain cannot be continued, or names collide.
pub fn render(
    plan: &Plan,
    names: &[String],
    step: &mut dyn FnMut(usize) -> Result<Chain, ChainError>,
) -> Result<Chain, ChainError> {
    let mut used = BTreeSet::new();
    render_inner(plan, names, step, &mut used)
}

fn render_inner(
    plan: &Plan,
    names: &[String],
    step: &mut dyn FnMut(usize) -> Result<Chain, ChainError>,
    used: &mut BTreeSet<String>,
) -> Result<Chain, ChainError> {
    match plan {
        Plan::Step(i) => step(*i),
        Plan::Series(parts) => {
            let mut chains = Vec::new();
            for part in parts {
                chains.push(render_inner(part, names, step, used)?);
            }
            Chain::sequence(chains).unwrap_or_else(|| Err(ChainError::NoOpenEnd(String::new())))
        }
        Plan::Parallel(parts) => {
            let mut branches = Vec::new();
            let mut firsts = Vec::new();
            for part in parts {
                if let Some(&first) = part.steps().first() {
                    firsts.push(names.get(first).cloned().unwrap_or_default());
                }
                branches.push(render_inner(part, names, step, used)?.into_branch(None));
            }
            let name = parallel_name(&firsts, used);
            let mut state = Parallel::new(branches);
            state.comment = Some(format!(
                "{} branches run at the same time; the next state starts when all have finished",
                parts.len()
            ));
            Chain::state(name, state)
        }
    }
}

fn parallel_name(firsts: &[String], used: &mut BTreeSet<String>) -> String {
    let full = format!("Run {}", join_and(firsts));
    let mut name = if full.chars().count() <= MAX_STATE_NAME {
        full
    } else {
        let first = firsts.first().map(String::as_str).unwrap_or_default();
        let short = format!("Run {first} and {} more", firsts.len().saturating_sub(1));
        if short.chars().count() <= MAX_STATE_NAME {
            short
        } else {
            format!("Run {} steps together", firsts.len())
        }
    };
    let base = name.clone();
    let mut k = 2;
    while used.contains(&name) {
        name = format!("{base} #{k}");
        k += 1;
    }
    used.insert(name.clone());
    name
}

fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Plan::{Parallel as P, Series as S, Step as T};

    #[test]
    fn chains_diamonds_and_forests() {
        // No dependencies: all side by side.
        assert_eq!(plan(&[vec![], vec![]]).unwrap(), P(vec![T(0), T(1)]));
        // Chain.
        assert_eq!(
            plan(&[vec![], vec![0], vec![1]]).unwrap(),
            S(vec![T(0), T(1), T(2)])
        );
        // Diamond a -> (b | c) -> d.
        let diamond = plan(&[vec![], vec![0], vec![0], vec![1, 2]]).unwrap();
        assert_eq!(diamond, S(vec![T(0), P(vec![T(1), T(2)]), T(3)]));
        assert_eq!(diamond.concurrency(), 2);
        // Two chains side by side, one with a fork.
        let p = plan(&[vec![], vec![0], vec![0], vec![], vec![3]]).unwrap();
        assert_eq!(
            p,
            P(vec![
                S(vec![T(0), P(vec![T(1), T(2)])]),
                S(vec![T(3), T(4)])
            ])
        );
        assert_eq!(p.concurrency(), 3);
    }

    #[test]
    fn n_shape_is_cut_without_breaking_dependencies() {
        // a->c, b->c, b->d: not series-parallel.
        let p = plan(&[vec![], vec![], vec![0, 1], vec![1]]).unwrap();
        assert_eq!(p, S(vec![P(vec![T(0), T(1)]), P(vec![T(2), T(3)])]));
    }

    #[test]
    fn cycles_and_unknown_steps_are_errors() {
        assert_eq!(plan(&[vec![1], vec![0]]), Err(DagError::Cycle(vec![0, 1])));
        assert_eq!(plan(&[vec![0]]), Err(DagError::Cycle(vec![0])));
        assert_eq!(
            plan(&[vec![3]]),
            Err(DagError::UnknownStep {
                step: 0,
                dependency: 3
            })
        );
        assert_eq!(plan(&[]), Err(DagError::Empty));
    }

    #[test]
    fn parallel_names_fit_and_stay_unique() {
        let mut used = BTreeSet::new();
        let names = vec!["a".to_string(), "b".to_string(), "c".to_string()];
        assert_eq!(parallel_name(&names, &mut used), "Run a, b and c");
        assert_eq!(parallel_name(&names, &mut used), "Run a, b and c #2");
        let long: Vec<String> = (0..5).map(|i| format!("{}{i}", "x".repeat(60))).collect();
        let name = parallel_name(&long, &mut used);
        assert!(name.chars().count() <= MAX_STATE_NAME, "{name}");
    }

    // Step → the steps certain to have finished before it starts, under `plan`.
    fn before(plan: &Plan) -> std::collections::BTreeMap<usize, BTreeSet<usize>> {
        fn walk(
            plan: &Plan,
            done: &BTreeSet<usize>,
            out: &mut std::collections::BTreeMap<usize, BTreeSet<usize>>,
        ) -> BTreeSet<usize> {
            match plan {
                Plan::Step(i) => {
                    assert!(out.insert(*i, done.clone()).is_none(), "step {i} twice");
                    let mut d = done.clone();
                    d.insert(*i);
                    d
                }
                Plan::Series(parts) => parts.iter().fold(done.clone(), |d, p| walk(p, &d, out)),
                Plan::Parallel(parts) => {
                    let mut all = done.clone();
                    for p in parts {
                        all.extend(walk(p, done, out));
                    }
                    all
                }
            }
        }
        let mut out = std::collections::BTreeMap::new();
        walk(plan, &BTreeSet::new(), &mut out);
        out
    }

    // Run time in steps when every step takes one unit.
    fn makespan(plan: &Plan) -> usize {
        match plan {
            Plan::Step(_) => 1,
            Plan::Series(parts) => parts.iter().map(makespan).sum(),
            Plan::Parallel(parts) => parts.iter().map(makespan).max().unwrap_or(0),
        }
    }

    fn longest_chain(deps: &[Vec<usize>]) -> usize {
        let mut len = vec![0; deps.len()];
        for i in 0..deps.len() {
            len[i] = 1 + deps[i].iter().map(|&d| len[d]).max().unwrap_or(0);
        }
        len.into_iter().max().unwrap_or(0)
    }

    fn ancestors(deps: &[Vec<usize>], i: usize) -> BTreeSet<usize> {
        let mut out = BTreeSet::new();
        let mut pending = deps[i].clone();
        while let Some(d) = pending.pop() {
            if out.insert(d) {
                pending.extend(deps[d].iter().copied());
            }
        }
        out
    }

    // A random DAG over `n` steps: each step depends on earlier ones (edges only go
    // forward, so there is no cycle), chosen by the bits of `edges`.
    fn dag(n: usize, edges: &[bool]) -> Vec<Vec<usize>> {
        let mut k = 0;
        (0..n)
            .map(|i| {
                (0..i)
                    .filter(|_| {
                        k += 1;
                        edges.get(k - 1).copied().unwrap_or(false)
                    })
                    .collect()
            })
            .collect()
    }

    // A random series-parallel DAG: `shape` says, level by level, whether to compose in
    // series or in parallel.
    fn series_parallel(shape: &[bool], leaves: usize) -> Vec<Vec<usize>> {
        // Build by repeatedly composing blocks of steps; each block is (first, last sets).
        let mut deps: Vec<Vec<usize>> = Vec::new();
        let mut blocks: Vec<(Vec<usize>, Vec<usize>)> = (0..leaves)
            .map(|_| {
                deps.push(Vec::new());
                (vec![deps.len() - 1], vec![deps.len() - 1])
            })
            .collect();
        let mut i = 0;
        while blocks.len() > 1 {
            let b = blocks.pop().unwrap();
            let a = blocks.pop().unwrap();
            let series = shape.get(i).copied().unwrap_or(true);
            i += 1;
            if series {
                for &x in &b.0 {
                    deps[x].extend(a.1.iter().copied());
                }
                blocks.insert(0, (a.0, b.1));
            } else {
                blocks.insert(0, ([a.0, b.0].concat(), [a.1, b.1].concat()));
            }
        }
        deps
    }

    proptest::proptest! {
        #[test]
        fn any_dag_is_planned_in_dependency_order_as_fast_as_its_longest_chain(
            n in 1usize..14,
            edges in proptest::collection::vec(proptest::bool::weighted(0.25), 0..91),
        ) {
            let deps = dag(n, &edges);
            let plan = plan(&deps).unwrap();
            let before = before(&plan);
            proptest::prop_assert_eq!(before.len(), n);
            for (i, ds) in deps.iter().enumerate() {
                for d in ds {
                    proptest::prop_assert!(before[&i].contains(d), "{} before {}", d, i);
                }
            }
            proptest::prop_assert_eq!(makespan(&plan), longest_chain(&deps));
            proptest::prop_assert!(plan.concurrency() <= n);
        }

        #[test]
        fn series_parallel_dags_wait_only_for_their_dependencies(
            leaves in 1usize..12,
            shape in proptest::collection::vec(proptest::bool::ANY, 0..12),
        ) {
            let deps = series_parallel(&shape, leaves);
            let plan = plan(&deps).unwrap();
            let before = before(&plan);
            for i in 0..deps.len() {
                proptest::prop_assert_eq!(&before[&i], &ancestors(&deps, i), "step {}", i);
            }
        }
    }
}
