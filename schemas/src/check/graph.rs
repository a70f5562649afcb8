//! Cycles in a dependency graph, named in order so a message can show them.

use petgraph::algo::tarjan_scc;
use petgraph::graph::{DiGraph, NodeIndex};

/// Every cycle of the graph on nodes `0..n` with `edges` (`(a, b)`: a depends on b), one
/// per strongly connected component: the nodes in order, starting at the smallest, each
/// depending on the next and the last on the first. A node depending on itself is a
/// cycle of one. Sorted by first node.
pub(crate) fn cycles(n: usize, edges: &[(usize, usize)]) -> Vec<Vec<usize>> {
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: Vec<NodeIndex> = (0..n).map(|i| graph.add_node(i)).collect();
    for &(a, b) in edges {
        if a < n && b < n {
            graph.update_edge(nodes[a], nodes[b], ());
        }
    }
    let mut out = Vec::new();
    for component in tarjan_scc(&graph) {
        let members: Vec<usize> = component.iter().map(|ix| graph[*ix]).collect();
        let start = members.iter().copied().min().unwrap_or(0);
        if members.len() == 1 {
            if edges.contains(&(start, start)) {
                out.push(vec![start]);
            }
            continue;
        }
        if let Some(path) = path_back(start, &members, edges) {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// A shortest path from `start` back to itself inside `members` (breadth first, so the
/// cycle shown is the tightest one).
fn path_back(start: usize, members: &[usize], edges: &[(usize, usize)]) -> Option<Vec<usize>> {
    let mut previous: std::collections::BTreeMap<usize, usize> = std::collections::BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(node) = queue.pop_front() {
        let mut next: Vec<usize> = edges
            .iter()
            .filter(|(a, b)| *a == node && members.contains(b))
            .map(|(_, b)| *b)
            .collect();
        next.sort_unstable();
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
    }
}
