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
//!    Scoring needs the set's reachability, so a set of more than [`EXACT_SCORE_LIMIT`]
//!    steps is cut at a depth layer instead (`{depth ≤ d}` keeps the critical path too),
//!    one that leaves at least a quarter of the set on each side where one exists, and
//!    among those the one with the fewest pairs not joined by a direct dependency.
//!
//! Each set costs time linear in its steps and dependencies, so a plan costs
//! O((n + e) · h) for a plan nested h sets deep; [`plan_within`] stops at a depth.
//!
//! The result is deterministic: ties follow the order in which steps were written.

use super::asl::Parallel;
use super::chain::{Chain, ChainError, MAX_STATE_NAME};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap};
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
    /// The plan would nest `Parallel` states more than this deep ([`plan_within`]).
    TooDeep(usize),
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
            DagError::TooDeep(limit) => {
                write!(f, "the plan nests `Parallel` states more than {limit} deep")
            }
        }
    }
}

impl std::error::Error for DagError {}

impl Plan {
    /// The most steps that run at once under this plan (what EMR's
    /// `StepConcurrencyLevel` must allow so that no step waits for a slot).
    pub fn concurrency(&self) -> usize {
        // Post-order on an explicit stack: a plan nests as deep as its DAG.
        let mut pending = vec![(self, false)];
        let mut done: Vec<usize> = Vec::new();
        while let Some((plan, visited)) = pending.pop() {
            match plan {
                Plan::Step(_) => done.push(1),
                Plan::Series(parts) | Plan::Parallel(parts) if !visited => {
                    pending.push((plan, true));
                    pending.extend(parts.iter().map(|p| (p, false)));
                }
                Plan::Series(parts) => {
                    let at = done.len().saturating_sub(parts.len());
                    let widest = done.drain(at..).max().unwrap_or(1);
                    done.push(widest);
                }
                Plan::Parallel(parts) => {
                    let at = done.len().saturating_sub(parts.len());
                    let total = done.drain(at..).sum();
                    done.push(total);
                }
            }
        }
        done.pop().unwrap_or(1)
    }

    /// How many `Parallel` states deep the plan nests at its deepest (0 for a chain):
    /// each level indents the states inside it in the template once more.
    pub fn parallel_depth(&self) -> usize {
        let mut pending = vec![(self, 0usize)];
        let mut deepest = 0;
        while let Some((plan, depth)) = pending.pop() {
            match plan {
                Plan::Step(_) => deepest = deepest.max(depth),
                Plan::Series(parts) => pending.extend(parts.iter().map(|p| (p, depth))),
                Plan::Parallel(parts) => pending.extend(parts.iter().map(|p| (p, depth + 1))),
            }
        }
        deepest
    }

    /// Every step of the plan, in the order its states are laid out.
    pub fn steps(&self) -> Vec<usize> {
        let mut out = Vec::new();
        let mut pending = vec![self];
        while let Some(plan) = pending.pop() {
            match plan {
                Plan::Step(i) => out.push(*i),
                Plan::Series(parts) | Plan::Parallel(parts) => pending.extend(parts.iter().rev()),
            }
        }
        out
    }
}

/// Plans steps `0..deps.len()` where `deps[i]` lists the steps step `i` depends on.
///
/// Each set the planner looks at costs time linear in its steps and their
/// dependencies (components by a traversal, every exact cut in one sweep), so a plan
/// costs O((n + e) · h) for n steps, e dependencies and a plan nested h levels deep;
/// no step is compared with every other. Sets of more than [`EXACT_SCORE_LIMIT`] steps
/// without an exact cut are cut by a cheaper rule (see the module documentation).
///
/// # Errors
/// No steps, an unknown index, or a cycle.
pub fn plan(deps: &[Vec<usize>]) -> Result<Plan, DagError> {
    plan_within(deps, usize::MAX)
}

/// [`plan`], giving up as soon as the plan would nest `Parallel` states deeper than
/// `max_parallel_depth` (what [`Plan::parallel_depth`] would say). A caller that cannot
/// use such a plan learns so after work linear in the steps times that depth, however
/// deep the DAG would have nested.
///
/// # Errors
/// As [`plan`], and [`DagError::TooDeep`].
pub fn plan_within(deps: &[Vec<usize>], max_parallel_depth: usize) -> Result<Plan, DagError> {
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
    // A dependency written twice is one edge: the cut sweep counts edges, so each must
    // be there once.
    let deps: Vec<Vec<usize>> = deps
        .iter()
        .map(|ds| {
            let mut ds = ds.clone();
            ds.sort_unstable();
            ds.dedup();
            ds
        })
        .collect();
    let mut succ = vec![Vec::new(); n];
    for (step, ds) in deps.iter().enumerate() {
        for &d in ds {
            succ[d].push(step);
        }
    }
    let order = topological_order(&deps, &succ)?;
    Planner::new(&deps, &succ).plan_all(order, max_parallel_depth)
}

// Kahn's algorithm, taking the lowest written index among the ready steps each time.
fn topological_order(deps: &[Vec<usize>], succ: &[Vec<usize>]) -> Result<Vec<usize>, DagError> {
    let n = deps.len();
    let mut indegree: Vec<usize> = deps.iter().map(Vec::len).collect();
    let mut ready: BinaryHeap<Reverse<usize>> =
        (0..n).filter(|&i| indegree[i] == 0).map(Reverse).collect();
    let mut order = Vec::with_capacity(n);
    let mut placed = vec![false; n];
    while let Some(Reverse(next)) = ready.pop() {
        order.push(next);
        placed[next] = true;
        for &s in &succ[next] {
            indegree[s] -= 1;
            if indegree[s] == 0 {
                ready.push(Reverse(s));
            }
        }
    }
    if order.len() < n {
        let stuck = (0..n).filter(|&i| !placed[i]).collect();
        return Err(DagError::Cycle(stuck));
    }
    Ok(order)
}

/// Past this many steps, a set without an exact cut is cut by its depth layers alone
/// (`Planner::layer_cut`): scoring each candidate cut by its false waits needs the
/// set's reachability, n² bits and about n³/64 word operations over all candidates.
pub const EXACT_SCORE_LIMIT: usize = 256;

// Past this many steps the cut is not refined step by step (the refinement costs about
// n^4 comparisons); the candidates alone are already valid cuts.
const HILL_CLIMB_LIMIT: usize = 64;

// Work for the planner's explicit stack: a plan nests as deep as the DAG does (a
// ladder of n steps nests about n/3 levels), which recursion would pay for in stack.
enum Work {
    // A set of steps in topological order, still to plan, inside this many `Parallel`
    // states.
    Set(Vec<usize>, usize),
    // The last `parts` plans made, joined in series or side by side.
    Join { series: bool, parts: usize },
}

// Per-step scratch is reused from set to set: a value equal to the current
// generation means "yes" for the current set, anything else "no", so no set costs
// more than its own steps to start.
struct Planner<'a> {
    deps: &'a [Vec<usize>],
    succ: &'a [Vec<usize>],
    generation: usize,
    inside: Vec<usize>,
    seen: Vec<usize>,
    in_prefix_maximal: Vec<usize>,
    in_suffix_minimal: Vec<usize>,
    // Component label, deps left in the suffix, local index, or depth: whichever the
    // current step of the planner needs.
    number: Vec<usize>,
}

impl<'a> Planner<'a> {
    fn new(deps: &'a [Vec<usize>], succ: &'a [Vec<usize>]) -> Planner<'a> {
        let n = deps.len();
        Planner {
            deps,
            succ,
            generation: 0,
            inside: vec![0; n],
            seen: vec![0; n],
            in_prefix_maximal: vec![0; n],
            in_suffix_minimal: vec![0; n],
            number: vec![0; n],
        }
    }

    fn plan_all(&mut self, order: Vec<usize>, max_depth: usize) -> Result<Plan, DagError> {
        let mut work = vec![Work::Set(order, 0)];
        let mut done: Vec<Plan> = Vec::new();
        while let Some(item) = work.pop() {
            match item {
                Work::Set(nodes, _) if nodes.len() == 1 => done.push(Plan::Step(nodes[0])),
                Work::Set(nodes, depth) => {
                    let (series, pieces) = self.split(&nodes);
                    let inner = if series { depth } else { depth + 1 };
                    if inner > max_depth {
                        return Err(DagError::TooDeep(max_depth));
                    }
                    work.push(Work::Join {
                        series,
                        parts: pieces.len(),
                    });
                    work.extend(pieces.into_iter().rev().map(|p| Work::Set(p, inner)));
                }
                Work::Join { series, parts } => {
                    let at = done.len().saturating_sub(parts);
                    let children = done.split_off(at);
                    done.push(if series {
                        let mut flat = Vec::with_capacity(children.len());
                        for child in children {
                            match child {
                                Plan::Series(parts) => flat.extend(parts),
                                other => flat.push(other),
                            }
                        }
                        Plan::Series(flat)
                    } else {
                        Plan::Parallel(children)
                    });
                }
            }
        }
        // The stack starts with one set and every set leaves one plan.
        Ok(done.pop().unwrap_or(Plan::Step(0)))
    }

    // How one set (of two or more steps, in topological order) divides: side by side
    // into its components, or in series at its exact cuts, or else in two at the best
    // inexact cut.
    fn split(&mut self, nodes: &[usize]) -> (bool, Vec<Vec<usize>>) {
        self.generation += 1;
        let g = self.generation;
        for &x in nodes {
            self.inside[x] = g;
        }
        if let Some(components) = self.components(nodes) {
            return (false, components);
        }
        let cuts = self.exact_cuts(nodes);
        if cuts.is_empty() {
            let (a, b) = self.best_inexact_cut(nodes);
            return (true, vec![a, b]);
        }
        let mut pieces = Vec::with_capacity(cuts.len() + 1);
        let mut from = 0;
        for cut in cuts.into_iter().chain([nodes.len()]) {
            pieces.push(nodes[from..cut].to_vec());
            from = cut;
        }
        (true, pieces)
    }

    fn is_inside(&self, x: usize) -> bool {
        self.inside[x] == self.generation
    }

    // Weakly connected components, each in topological order, ordered by their
    // lowest written index (so branches follow the order steps were written); `None`
    // when the set is connected.
    fn components(&mut self, nodes: &[usize]) -> Option<Vec<Vec<usize>>> {
        let g = self.generation;
        let mut lowest: Vec<usize> = Vec::new();
        let mut stack = Vec::new();
        for &start in nodes {
            if self.seen[start] == g {
                continue;
            }
            let label = lowest.len();
            self.seen[start] = g;
            self.number[start] = label;
            let mut low = start;
            stack.push(start);
            while let Some(x) = stack.pop() {
                for &y in self.deps[x].iter().chain(self.succ[x].iter()) {
                    if self.inside[y] == g && self.seen[y] != g {
                        self.seen[y] = g;
                        self.number[y] = label;
                        low = low.min(y);
                        stack.push(y);
                    }
                }
            }
            lowest.push(low);
        }
        if lowest.len() < 2 {
            return None;
        }
        let mut components = vec![Vec::new(); lowest.len()];
        for &x in nodes {
            components[self.number[x]].push(x);
        }
        let mut labels: Vec<usize> = (0..components.len()).collect();
        labels.sort_by_key(|&c| lowest[c]);
        let mut by_label: Vec<Option<Vec<usize>>> = components.into_iter().map(Some).collect();
        Some(
            labels
                .into_iter()
                .filter_map(|c| by_label[c].take())
                .collect(),
        )
    }

    // Positions k (1..len) where every node before k is an ancestor of every node from
    // k, for a connected set in topological order.
    //
    // Every set the planner looks at is convex (a path between two of its steps stays
    // in it: true of all steps, and kept by taking components, pieces between exact
    // cuts, and a dependency-closed first part and its rest), so reachability inside
    // the set is the DAG's. Then the cut at k is exact iff every maximal step m of the
    // prefix (no successor in the prefix) is a direct dependency of every minimal step
    // s of the suffix (no dependency in the suffix). If: every prefix step reaches
    // some m and every suffix step is reached from some s. Only if: on a path m → … → s
    // the step after m is not in the prefix (m is maximal), so it and everything after
    // it on the path are in the suffix; the step before s is then a dependency of s in
    // the suffix unless it is m, and s is minimal.
    //
    // The sweep keeps M (prefix-maximal), S (suffix-minimal, by a count of each step's
    // dependencies still in the suffix) and E, the edges from M to S; the cut is exact
    // iff E = |M|·|S|. Each step enters and leaves each set once, and each time its
    // edges are counted once, so all cuts cost O(n + e).
    fn exact_cuts(&mut self, nodes: &[usize]) -> Vec<usize> {
        let g = self.generation;
        let mut maximal = 0u64;
        let mut minimal = 0u64;
        let mut edges = 0u64;
        for &x in nodes {
            let in_set = self.deps[x].iter().filter(|&&d| self.is_inside(d)).count();
            self.number[x] = in_set;
            if in_set == 0 {
                self.in_suffix_minimal[x] = g;
                minimal += 1;
            }
        }
        let (deps, succ) = (self.deps, self.succ);
        let mut cuts = Vec::new();
        for (k, &x) in nodes.iter().enumerate().take(nodes.len() - 1) {
            // x, the suffix's first step, has all its dependencies in the prefix: it
            // leaves S.
            self.in_suffix_minimal[x] = 0;
            minimal -= 1;
            edges -= self.edges_from_maximal(x);
            for &y in &succ[x] {
                if self.inside[y] == g {
                    self.number[y] -= 1;
                    if self.number[y] == 0 {
                        self.in_suffix_minimal[y] = g;
                        minimal += 1;
                        edges += self.edges_from_maximal(y);
                    }
                }
            }
            // Its dependencies now have a successor in the prefix.
            for &d in &deps[x] {
                if self.in_prefix_maximal[d] == g {
                    self.in_prefix_maximal[d] = 0;
                    maximal -= 1;
                    edges -= self.edges_to_minimal(d);
                }
            }
            // It has none yet (its successors come after it).
            self.in_prefix_maximal[x] = g;
            maximal += 1;
            edges += self.edges_to_minimal(x);
            if edges == maximal * minimal {
                cuts.push(k + 1);
            }
        }
        cuts
    }

    fn edges_from_maximal(&self, x: usize) -> u64 {
        let g = self.generation;
        self.deps[x]
            .iter()
            .filter(|&&d| self.in_prefix_maximal[d] == g)
            .count() as u64
    }

    fn edges_to_minimal(&self, x: usize) -> u64 {
        let g = self.generation;
        self.succ[x]
            .iter()
            .filter(|&&s| self.in_suffix_minimal[s] == g)
            .count() as u64
    }

    fn best_inexact_cut(&mut self, nodes: &[usize]) -> (Vec<usize>, Vec<usize>) {
        let first = if nodes.len() <= EXACT_SCORE_LIMIT {
            self.scored_cut(nodes)
        } else {
            self.layer_cut(nodes)
        };
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (i, &x) in nodes.iter().enumerate() {
            if first[i] { a.push(x) } else { b.push(x) }
        }
        (a, b)
    }

    // The cut of a large set: `{depth ≤ d}` for a d that leaves at least a quarter of
    // the set on each side where one does (the most even d otherwise), so the sets cut
    // this way shrink geometrically and a chain of such cuts is O(log n) deep; among
    // those, the d with the fewest step pairs that could wait for each other without a
    // dependency, counting as ordered only pairs joined by a direct dependency (an
    // upper bound of the false waits, so no reachability is needed); ties go to the
    // smaller d. Every depth layer is a valid cut (closed under dependencies, and a
    // longest chain crosses it once, so the series is no longer than the critical
    // path). O(n + e).
    fn layer_cut(&mut self, nodes: &[usize]) -> Vec<bool> {
        let mut max_depth = 0;
        for &x in nodes {
            let depth = self.deps[x]
                .iter()
                .filter(|&&d| self.is_inside(d))
                .map(|&d| self.number[d] + 1)
                .max()
                .unwrap_or(0);
            self.number[x] = depth;
            max_depth = max_depth.max(depth);
        }
        let mut per_depth = vec![0u64; max_depth + 1];
        // crossing[d] - crossing[d - 1]: edges starting at depth d minus those ending
        // there; an edge u→v crosses every cut from depth(u) to depth(v) - 1.
        let mut crossing = vec![0i64; max_depth + 1];
        for &x in nodes {
            per_depth[self.number[x]] += 1;
            for &d in &self.deps[x] {
                if self.is_inside(d) {
                    crossing[self.number[d]] += 1;
                    crossing[self.number[x]] -= 1;
                }
            }
        }
        let total = nodes.len() as u64;
        let mut below = 0u64;
        let mut across = 0i64;
        // (not even enough, unevenness or score, d)
        let mut best: Option<(bool, u64, usize)> = None;
        for d in 0..max_depth {
            below += per_depth[d];
            across += crossing[d];
            let smaller = below.min(total - below);
            let uneven = smaller * 4 < total;
            let pairs = below * (total - below);
            let rank = if uneven {
                total - smaller
            } else {
                pairs.saturating_sub(u64::try_from(across).unwrap_or(0))
            };
            if best.is_none_or(|(u, r, _)| (uneven, rank) < (u, r)) {
                best = Some((uneven, rank, d));
            }
        }
        // A connected set of two or more steps has an edge, so max_depth ≥ 1.
        let cut = best.map_or(0, |(_, _, d)| d);
        nodes.iter().map(|&x| self.number[x] <= cut).collect()
    }

    // The cut of a small set, as the module doc says: candidates from depth layers,
    // height layers and prefixes, the valid one with the fewest false waits, refined by
    // single moves for sets of at most HILL_CLIMB_LIMIT steps. Works on the set's own
    // indices (its topological order) with bitsets.
    fn scored_cut(&mut self, nodes: &[usize]) -> Vec<bool> {
        for (i, &x) in nodes.iter().enumerate() {
            self.number[x] = i;
        }
        let local = |list: &[usize]| -> Vec<usize> {
            list.iter()
                .filter(|&&y| self.is_inside(y))
                .map(|&y| self.number[y])
                .collect()
        };
        let deps: Vec<Vec<usize>> = nodes.iter().map(|&x| local(&self.deps[x])).collect();
        let succ: Vec<Vec<usize>> = nodes.iter().map(|&x| local(&self.succ[x])).collect();
        let cut = LocalCut::new(deps, succ);
        cut.best()
    }
}

// A set of local indices as bits.
#[derive(Clone, PartialEq, Eq)]
struct Bits(Vec<u64>);

impl Bits {
    fn empty(n: usize) -> Bits {
        Bits(vec![0; n.div_ceil(64)])
    }
    fn from_fn(n: usize, f: impl Fn(usize) -> bool) -> Bits {
        let mut bits = Bits::empty(n);
        for i in (0..n).filter(|&i| f(i)) {
            bits.set(i);
        }
        bits
    }
    fn get(&self, i: usize) -> bool {
        self.0[i / 64] >> (i % 64) & 1 == 1
    }
    fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }
    fn toggle(&mut self, i: usize) {
        self.0[i / 64] ^= 1 << (i % 64);
    }
    fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }
}

/// Judges cuts of one connected set of steps, by local index in topological order,
/// into a first part and a rest.
struct LocalCut {
    deps: Vec<Vec<usize>>,
    // reach[a]: the steps a is an ancestor of.
    reach: Vec<Bits>,
    depth: Vec<usize>,
    height: Vec<usize>,
    all: Bits,
    longest: usize,
}

impl LocalCut {
    fn new(deps: Vec<Vec<usize>>, succ: Vec<Vec<usize>>) -> LocalCut {
        let n = deps.len();
        let mut reach = vec![Bits::empty(n); n];
        for a in (0..n).rev() {
            let mut row = Bits::empty(n);
            for &s in &succ[a] {
                row.set(s);
                for (w, r) in row.0.iter_mut().zip(&reach[s].0) {
                    *w |= r;
                }
            }
            reach[a] = row;
        }
        let mut depth = vec![0usize; n];
        for x in 0..n {
            depth[x] = deps[x].iter().map(|&d| depth[d] + 1).max().unwrap_or(0);
        }
        let mut height = vec![0usize; n];
        for x in (0..n).rev() {
            height[x] = succ[x].iter().map(|&s| height[s] + 1).max().unwrap_or(0);
        }
        let all = Bits::from_fn(n, |_| true);
        let mut cut = LocalCut {
            deps,
            reach,
            depth,
            height,
            all,
            longest: 0,
        };
        cut.longest = cut.longest_chain(&cut.all);
        cut
    }

    fn len(&self) -> usize {
        self.deps.len()
    }

    fn best(&self) -> Vec<bool> {
        let n = self.len();
        let max_depth = self.depth.iter().copied().max().unwrap_or(0);
        let max_height = self.height.iter().copied().max().unwrap_or(0);
        // Which candidates are valid is known without testing each: every depth layer
        // and every height layer is (closed under dependencies, and a longest chain
        // crosses it once), and a prefix of the topological order is closed, its
        // longest chain is the longest ending in it and the suffix's the longest
        // starting in it. Testing each, as `is_valid` does, would cost a walk of the
        // set per candidate.
        let mut longest_before = vec![0usize; n + 1];
        for x in 0..n {
            longest_before[x + 1] = longest_before[x].max(self.depth[x] + 1);
        }
        let mut longest_from = vec![0usize; n + 1];
        for x in (0..n).rev() {
            longest_from[x] = longest_from[x + 1].max(self.height[x] + 1);
        }
        let depth_cuts = (0..max_depth).map(|d| Bits::from_fn(n, |x| self.depth[x] <= d));
        let height_cuts = (0..max_height).map(|h| Bits::from_fn(n, |x| self.height[x] > h));
        let prefixes = (1..n)
            .filter(|&k| longest_before[k] + longest_from[k] == self.longest)
            .map(|k| Bits::from_fn(n, |x| x < k));
        let mut best = depth_cuts
            .chain(height_cuts)
            .chain(prefixes)
            .min_by_key(|c| self.false_waits(c))
            // Depth cuts keep the longest chain and a connected set of two or more
            // steps has at least one, so this fallback is never taken.
            .unwrap_or_else(|| Bits::from_fn(n, |x| x == 0));
        if n <= HILL_CLIMB_LIMIT {
            best = self.improve(best);
        }
        (0..n).map(|x| best.get(x)).collect()
    }

    // The number of steps on the longest dependency chain within `set`.
    fn longest_chain(&self, set: &Bits) -> usize {
        let mut length = vec![0usize; self.len()];
        let mut longest = 0;
        for x in (0..self.len()).filter(|&x| set.get(x)) {
            length[x] = 1 + self.deps[x]
                .iter()
                .filter(|&&d| set.get(d))
                .map(|&d| length[d])
                .max()
                .unwrap_or(0);
            longest = longest.max(length[x]);
        }
        longest
    }

    fn rest(&self, first: &Bits) -> Bits {
        Bits(
            self.all
                .0
                .iter()
                .zip(&first.0)
                .map(|(a, f)| a & !f)
                .collect(),
        )
    }

    // A cut is valid when nothing in the first part depends on the rest, both parts are
    // non-empty, and the two parts' longest chains add up to the set's: running them in
    // series then takes no longer (in steps) than the DAG itself needs.
    fn is_valid(&self, first: &Bits) -> bool {
        let count = first.count();
        if count == 0 || count >= self.len() {
            return false;
        }
        let closed = (0..self.len())
            .filter(|&x| first.get(x))
            .all(|x| self.deps[x].iter().all(|&d| first.get(d)));
        if !closed {
            return false;
        }
        self.longest_chain(first) + self.longest_chain(&self.rest(first)) == self.longest
    }

    // Pairs (a, b) with a in the first part and b in the rest that the series makes
    // wait although b does not depend on a.
    fn false_waits(&self, first: &Bits) -> usize {
        let rest = self.rest(first);
        (0..self.len())
            .filter(|&a| first.get(a))
            .map(|a| {
                rest.0
                    .iter()
                    .zip(&self.reach[a].0)
                    .map(|(r, reached)| (r & !reached).count_ones() as usize)
                    .sum::<usize>()
            })
            .sum()
    }

    // Moves single steps across the cut while that lowers the false waits and keeps the
    // cut valid; the first best move wins, so the result is deterministic.
    fn improve(&self, mut first: Bits) -> Bits {
        let mut score = self.false_waits(&first);
        loop {
            let mut best: Option<(usize, Bits)> = None;
            for x in 0..self.len() {
                let mut moved = first.clone();
                moved.toggle(x);
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
    // An explicit stack rather than recursion, as the plan nests as deep as the DAG.
    // Steps are rendered in layout order and each `Parallel` is named after its
    // branches (post-order), which decides who gets a `#2`.
    enum Visit<'p> {
        Enter(&'p Plan),
        Leave(&'p Plan),
    }
    let mut used = ParallelNames::default();
    let mut pending = vec![Visit::Enter(plan)];
    // Each rendered part with the first step of its layout.
    let mut done: Vec<(Chain, usize)> = Vec::new();
    while let Some(visit) = pending.pop() {
        match visit {
            Visit::Enter(Plan::Step(i)) => done.push((step(*i)?, *i)),
            Visit::Enter(p @ (Plan::Series(parts) | Plan::Parallel(parts))) => {
                pending.push(Visit::Leave(p));
                pending.extend(parts.iter().rev().map(Visit::Enter));
            }
            Visit::Leave(Plan::Step(_)) => {}
            Visit::Leave(Plan::Series(parts)) => {
                let at = done.len().saturating_sub(parts.len());
                let rendered = done.split_off(at);
                let first = rendered.first().map_or(0, |(_, f)| *f);
                let chains = rendered.into_iter().map(|(c, _)| c).collect();
                let chain = Chain::sequence(chains)
                    .unwrap_or_else(|| Err(ChainError::NoOpenEnd(String::new())))?;
                done.push((chain, first));
            }
            Visit::Leave(Plan::Parallel(parts)) => {
                let at = done.len().saturating_sub(parts.len());
                let rendered = done.split_off(at);
                let first = rendered.first().map_or(0, |(_, f)| *f);
                let firsts: Vec<String> = rendered
                    .iter()
                    .map(|(_, f)| names.get(*f).cloned().unwrap_or_default())
                    .collect();
                let branches = rendered
                    .into_iter()
                    .map(|(c, _)| c.into_branch(None))
                    .collect();
                let name = parallel_name(&firsts, &mut used);
                let mut state = Parallel::new(branches);
                state.comment = Some(format!(
                    "{} branches run at the same time; the next state starts when all have finished",
                    parts.len()
                ));
                done.push((Chain::state(name, state)?, first));
            }
        }
    }
    done.pop()
        .map(|(chain, _)| chain)
        .ok_or_else(|| ChainError::NoOpenEnd(String::new()))
}

// The names given to `Parallel` states so far, and for each base name the next `#k`
// worth trying: every smaller one is taken (names are never given back), so finding a
// free name does not walk past all earlier ones.
#[derive(Default)]
struct ParallelNames {
    used: BTreeSet<String>,
    next_suffix: BTreeMap<String, usize>,
}

fn parallel_name(firsts: &[String], used: &mut ParallelNames) -> String {
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
    let mut k = used.next_suffix.get(&base).copied().unwrap_or(2);
    while used.used.contains(&name) {
        name = format!("{base} #{k}");
        k += 1;
    }
    used.next_suffix.insert(base, k);
    used.used.insert(name.clone());
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
#[path = "dag_reference.rs"]
mod reference;

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
        assert_eq!(diamond.parallel_depth(), 1);
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
        let mut used = ParallelNames::default();
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

    // Positions where every step before is an ancestor of every step after, by
    // brute force.
    fn brute_force_cuts(deps: &[Vec<usize>], order: &[usize]) -> Vec<usize> {
        let ancestors: Vec<BTreeSet<usize>> = (0..deps.len()).map(|i| ancestors(deps, i)).collect();
        (1..order.len())
            .filter(|&k| {
                order[..k]
                    .iter()
                    .all(|a| order[k..].iter().all(|&b| ancestors[b].contains(a)))
            })
            .collect()
    }

    fn sweep_cuts(deps: &[Vec<usize>]) -> (Vec<usize>, Vec<usize>) {
        let deps: Vec<Vec<usize>> = deps
            .iter()
            .map(|ds| {
                ds.iter()
                    .copied()
                    .collect::<BTreeSet<_>>()
                    .into_iter()
                    .collect()
            })
            .collect();
        let mut succ = vec![Vec::new(); deps.len()];
        for (i, ds) in deps.iter().enumerate() {
            for &d in ds {
                succ[d].push(i);
            }
        }
        let order = topological_order(&deps, &succ).unwrap();
        let mut planner = Planner::new(&deps, &succ);
        planner.generation = 1;
        planner.inside = vec![1; deps.len()];
        (planner.exact_cuts(&order), order)
    }

    // Steps in a ladder of rungs, each a step before, then what the next rung holds
    // beside a side step, then a step after: n = 3r + 1 steps nesting 2r levels deep.
    // Steps depend only on earlier ones (the helpers above count on it).
    fn ladder(n: usize) -> Vec<Vec<usize>> {
        let rungs = (n - 1) / 3;
        let before = |j: usize| j;
        let side = |j: usize| rungs + j;
        let core = 2 * rungs;
        let mut deps: Vec<Vec<usize>> = Vec::new();
        for j in 0..rungs {
            deps.push(if j == 0 { vec![] } else { vec![before(j - 1)] });
        }
        for j in 0..rungs {
            deps.push(vec![before(j)]);
        }
        deps.push(if rungs == 0 {
            vec![]
        } else {
            vec![before(rungs - 1)]
        });
        // The afters, innermost first: each waits for what it wraps and its side step.
        let mut inner = core;
        for j in (0..rungs).rev() {
            deps.push(vec![inner, side(j)]);
            inner = deps.len() - 1;
        }
        deps
    }

    // A random DAG of `n` steps, each depending on up to three of the `window` steps
    // before it (SplitMix64, so the shape never changes).
    fn random_dag(n: usize, window: usize, seed: u64) -> Vec<Vec<usize>> {
        let mut state = seed;
        let mut next = move || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        (0..n)
            .map(|i| {
                if i == 0 {
                    return vec![];
                }
                let count = 1 + (next() % 3) as usize;
                (0..count)
                    .map(|_| i - 1 - (next() as usize % i.min(window)))
                    .collect()
            })
            .collect()
    }

    // Folds a plan bottom-up without recursion (test plans nest thousands deep):
    // steps count `leaf`, series combine their parts by `series`, parallel parts by
    // `parallel`.
    fn fold(
        plan: &Plan,
        leaf: usize,
        series: fn(usize, usize) -> usize,
        parallel: fn(usize, usize) -> usize,
    ) -> usize {
        let mut pending = vec![(plan, false)];
        let mut done: Vec<usize> = Vec::new();
        while let Some((p, visited)) = pending.pop() {
            match p {
                Plan::Step(_) => done.push(leaf),
                Plan::Series(parts) | Plan::Parallel(parts) if !visited => {
                    pending.push((p, true));
                    pending.extend(parts.iter().map(|q| (q, false)));
                }
                Plan::Series(parts) | Plan::Parallel(parts) => {
                    let at = done.len() - parts.len();
                    let join = if matches!(p, Plan::Series(_)) {
                        series
                    } else {
                        parallel
                    };
                    let value = done.drain(at..).reduce(join).unwrap_or(0);
                    done.push(value + usize::from(leaf == 0));
                }
            }
        }
        done.pop().unwrap_or(0)
    }

    fn nesting(plan: &Plan) -> usize {
        fold(plan, 0, usize::max, usize::max)
    }

    fn unit_makespan(plan: &Plan) -> usize {
        fold(plan, 1, |a, b| a + b, usize::max)
    }

    // Every step once, as fast as the longest chain, and (for sizes where listing
    // each step's predecessors is affordable) every dependency finished first.
    fn assert_sound(deps: &[Vec<usize>], plan: &Plan) {
        let steps = plan.steps();
        assert_eq!(steps.len(), deps.len());
        assert_eq!(steps.iter().collect::<BTreeSet<_>>().len(), deps.len());
        assert_eq!(unit_makespan(plan), longest_chain(deps));
        if deps.len() <= 2_000 {
            let before = before(plan);
            for (i, ds) in deps.iter().enumerate() {
                for d in ds {
                    assert!(before[&i].contains(d), "{d} before {i}");
                }
            }
        }
    }

    #[test]
    fn ten_thousand_steps_plan_and_render_in_a_small_stack() {
        // 4 MiB, half the main thread's default: no recursion that grows with the
        // DAG's depth, in planning, measuring, rendering or dropping a plan.
        let run = || {
            let chain: Vec<Vec<usize>> = (0..10_000)
                .map(|i| if i == 0 { vec![] } else { vec![i - 1] })
                .collect();
            let p = plan(&chain).unwrap();
            assert_eq!(p, S((0..10_000).map(T).collect()));
            let fan_out: Vec<Vec<usize>> = (0..10_000)
                .map(|i| if i == 0 { vec![] } else { vec![0] })
                .collect();
            let p = plan(&fan_out).unwrap();
            assert_eq!(p.concurrency(), 9_999);
            let deep = ladder(10_000);
            let p = plan(&deep).unwrap();
            assert_sound(&deep, &p);
            assert!(nesting(&p) > 6_000, "{}", nesting(&p));
            assert_eq!(p.parallel_depth(), 3_333);
            let names: Vec<String> = (0..deep.len()).map(|i| format!("s{i}")).collect();
            let pass = |i: usize| {
                Chain::state(
                    format!("s{i}"),
                    super::super::asl::Pass::result(
                        serde_json::Value::Null,
                        super::super::asl::ResultPath::Discard,
                    ),
                )
            };
            let mut step = pass;
            let chain = render(&p, &names, &mut step).unwrap();
            assert_eq!(chain.start(), "s0");
            // Dropping a deeply nested chain is left to the caller's checks (below).
            std::mem::forget(chain);
            let wide = random_dag(10_000, 10_000, 7);
            assert_sound(&wide, &plan(&wide).unwrap());
            let local = random_dag(10_000, 20, 11);
            assert_sound(&local, &plan(&local).unwrap());
        };
        std::thread::Builder::new()
            .stack_size(4 << 20)
            .spawn(run)
            .unwrap()
            .join()
            .unwrap();
    }

    #[test]
    fn sets_past_the_hill_climb_plan_as_the_cubic_planner_did() {
        // Connected, not series-parallel, between HILL_CLIMB_LIMIT and
        // EXACT_SCORE_LIMIT steps: scored without refinement.
        for (n, window, seed) in [(70, 6, 1), (90, 10, 2), (120, 4, 3), (100, 100, 4)] {
            let deps = random_dag(n, window, seed);
            assert_eq!(plan(&deps), reference::plan(&deps), "{n} {window} {seed}");
        }
    }

    #[test]
    fn plan_within_stops_past_its_depth() {
        // 128 rungs nest 128 `Parallel` states; one more rung is one level too many.
        let fits = ladder(3 * 128 + 1);
        assert_eq!(plan_within(&fits, 128).map(|p| p.parallel_depth()), Ok(128));
        let deeper = ladder(3 * 129 + 1);
        assert_eq!(plan_within(&deeper, 128), Err(DagError::TooDeep(128)));
        assert_eq!(
            plan_within(&ladder(10_000), 128),
            Err(DagError::TooDeep(128))
        );
        assert_eq!(plan_within(&fits, 1_000), plan(&fits));
    }

    #[test]
    fn large_sets_without_exact_cuts_get_a_valid_layer_cut() {
        // N shapes side by side and chained: no exact cut, more than EXACT_SCORE_LIMIT
        // steps.
        for (n, window, seed) in [(300, 300, 1), (600, 5, 2), (2_000, 40, 3)] {
            let deps = random_dag(n, window, seed);
            let p = plan(&deps).unwrap();
            assert_sound(&deps, &p);
        }
    }

    proptest::proptest! {
        #[test]
        fn the_sweep_finds_exactly_the_exact_cuts(
            n in 1usize..24,
            edges in proptest::collection::vec(proptest::bool::weighted(0.3), 0..276),
        ) {
            let deps = dag(n, &edges);
            let (cuts, order) = sweep_cuts(&deps);
            proptest::prop_assert_eq!(cuts, brute_force_cuts(&deps, &order));
        }

        #[test]
        fn plans_are_the_ones_the_cubic_planner_made(
            n in 1usize..40,
            density in 0.05f64..0.6,
            bits in proptest::collection::vec(0u32..1000, 0..780),
            twice in proptest::collection::vec(0usize..40, 0..4),
        ) {
            let edges: Vec<bool> = bits.iter().map(|&b| f64::from(b) < density * 1000.0).collect();
            let mut deps = dag(n, &edges);
            // A dependency written twice changes nothing.
            for &i in &twice {
                if let Some(&d) = deps.get(i % n).and_then(|ds| ds.first()) {
                    deps[i % n].push(d);
                }
            }
            proptest::prop_assert_eq!(plan(&deps), reference::plan(&deps));
        }

        #[test]
        fn random_orders_and_cycles_match_the_cubic_planner(
            n in 1usize..12,
            pairs in proptest::collection::vec((0usize..12, 0usize..12), 0..30),
        ) {
            let mut deps = vec![Vec::new(); n];
            for (a, b) in pairs {
                deps[a % n].push(b % n);
            }
            proptest::prop_assert_eq!(plan(&deps), reference::plan(&deps));
        }
    }
}
