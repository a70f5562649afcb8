//! Cycles in a dependency graph, named in order so a message can show them.

/// Every cycle of the graph on nodes `0..n` with `edges` (`(a, b)`: a depends on b), one
/// per strongly connected component: the nodes in order, starting at the smallest, each
/// depending on the next and the last on the first. A node depending on itself is a
/// cycle of one. Sorted by first node.
///
/// Linear in nodes and edges (plus sorting each node's edges): a pipeline may have
/// thousands of steps, so nothing here scans every edge per node.
pub(crate) fn cycles(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut depends: Vec<Vec<usize>> = vec![Vec::new(); n];
    for &(a, b) in edges {
        if a < n && b < n {
            depends[a].push(b);
        }
    }
    for list in &mut depends {
        list.sort_unstable();
        list.dedup();
    }
    let component_of = strongly_connected(&depends);
    let mut components: Vec<Vec<usize>> = Vec::new();
    for (node, &c) in component_of.iter().enumerate() {
        if c >= components.len() {
            components.resize_with(c + 1, Vec::new);
        }
        components[c].push(node);
    }
    let mut out = Vec::new();
    for members in &components {
        let start = members.iter().copied().min().unwrap_or(0);
        if members.len() == 1 {
            if depends[start].binary_search(&start).is_ok() {
                out.push(vec![start]);
            }
            continue;
        }
        if let Some(path) = path_back(start, &depends, &component_of) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Each node's strongly connected component (numbered in the order Tarjan's algorithm
/// closes them), on an explicit stack: a chain of thousands of steps would overflow a
/// thread's stack as recursion.
fn strongly_connected(depends: &[Vec<usize>]) -> Vec<usize> {
    const UNSEEN: usize = usize::MAX;
    let n = depends.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut component = vec![UNSEEN; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut next_index = 0;
    let mut next_component = 0;
    // (node, how many of its edges have been followed)
    let mut calls: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN {
            continue;
        }
        index[root] = next_index;
        low[root] = next_index;
        next_index += 1;
        stack.push(root);
        on_stack[root] = true;
        calls.push((root, 0));
        while let Some(&mut (v, ref mut followed)) = calls.last_mut() {
            if let Some(&w) = depends[v].get(*followed) {
                *followed += 1;
                if index[w] == UNSEEN {
                    index[w] = next_index;
                    low[w] = next_index;
                    next_index += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    calls.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            calls.pop();
            if let Some(&(parent, _)) = calls.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component[w] = next_component;
                    if w == v {
                        break;
                    }
                }
                next_component += 1;
            }
        }
    }
    component
}

/// A shortest path from `start` back to itself inside its strongly connected component
/// (breadth first, so the cycle shown is the tightest one; ties to the smaller node).
fn path_back(start: usize, depends: &[Vec<usize>], component_of: &[usize]) -> Option<Vec<usize>> {
    let mut previous: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        // Sorted and without duplicates already.
        let next = depends[node]
            .iter()
            .copied()
            .filter(|&b| component_of[b] == component_of[start]);
        for b in next {
            if b == start {
                let mut path = vec![node];
                let mut at = node;
                while at != start {
                    at = previous[&at];
                    path.push(at);
                }
                path.reverse();
                return Some(path);
            }
            if let std::collections::btree_map::Entry::Vacant(e) = previous.entry(b) {
                e.insert(node);
                queue.push_back(b);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cycles_in_order() {
        assert_eq!(cycles(3, &[(0, 1), (1, 2)]), Vec::<Vec<usize>>::new());
        assert_eq!(cycles(3, &[(0, 1), (1, 2), (2, 0)]), vec![vec![0, 1, 2]]);
        assert_eq!(cycles(2, &[(1, 1)]), vec![vec![1]]);
        assert_eq!(cycles(4, &[(2, 3), (3, 2), (0, 1)]), vec![vec![2, 3]]);
        // Duplicate edges, a tighter cycle inside a longer one.
        assert_eq!(
            cycles(4, &[(0, 1), (0, 1), (1, 2), (2, 3), (3, 0), (2, 0)]),
            vec![vec![0, 1, 2]]
        );
    }

    #[test]
    fn components_are_the_mutually_reachable_nodes() {
        // Two cycles joined one way, a self-loop, a lone node.
        let depends = vec![vec![1], vec![0, 2], vec![3], vec![2], vec![4], vec![]];
        let c = strongly_connected(&depends);
        assert_eq!(c[0], c[1]);
        assert_eq!(c[2], c[3]);
        assert_ne!(c[0], c[2]);
        let distinct: std::collections::BTreeSet<usize> = c.iter().copied().collect();
        assert_eq!(distinct.len(), 4);
    }

    #[test]
    fn ten_thousand_nodes_in_one_cycle_and_in_a_chain() {
        let n = 10_000;
        let ring: Vec<(usize, usize)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
        let found = cycles(n, &ring);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0], (0..n).collect::<Vec<_>>());
        let chain: Vec<(usize, usize)> = (1..n).map(|i| (i, i - 1)).collect();
        assert!(cycles(n, &chain).is_empty());
    }
}
