//! `dpc graph [PATH] [--format mermaid|dot|json] [--upstream|--downstream NAME@ACCOUNT]`.

use crate::codes;
use crate::output::print_diagnostics;
use crate::{EXIT_INPUT, EXIT_OK, Io};
use dpc_constructs::lineage::{Lineage, LineageNode};
use dpc_core::Diagnostic;
use std::collections::BTreeMap;
use std::path::Path;

/// The notations the graph is printed in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notation {
    /// A Mermaid flowchart.
    Mermaid,
    /// Graphviz DOT.
    Dot,
    /// lineage.json's format.
    Json,
}

/// Prints the dependency graph of everything under `path`, or the part of it up- or
/// downstream of one pipeline.
pub fn run(
    path: &Path,
    notation: Notation,
    downstream: Option<&str>,
    upstream: Option<&str>,
    io: &mut Io<'_>,
) -> i32 {
    let what = format!("graph `{}`", path.display());
    let (org, warnings) = match dpc_schema::load_organisation(path) {
        Ok(loaded) => loaded,
        Err(errors) => {
            print_diagnostics(io, &errors, false, &what);
            return EXIT_INPUT;
        }
    };
    print_diagnostics(io, &warnings, false, &what);
    let mut lineage = Lineage::of(&org);
    for (spec, down) in [(downstream, true), (upstream, false)] {
        let Some(spec) = spec else { continue };
        match lineage.resolve(spec) {
            Some(start) => lineage = lineage.reachable(&start, down),
            None => {
                let known: Vec<String> = lineage
                    .pipelines
                    .iter()
                    .map(|n| format!("{}@{}", n.name, n.alias.as_deref().unwrap_or(&n.account)))
                    .collect();
                let mut d = Diagnostic::error(
                    codes::UNKNOWN_GRAPH_PIPELINE,
                    format!("no pipeline `{spec}` in `{}`", path.display()),
                )
                .with_note("write NAME@ACCOUNT, with the account's alias or 12-digit id");
                if let Some(close) = closest(spec, &known) {
                    d = d.with_help(format!("did you mean `{close}`?"));
                }
                print_diagnostics(io, &[d], false, &what);
                return EXIT_INPUT;
            }
        }
    }
    let text = match notation {
        Notation::Mermaid => mermaid(&lineage),
        Notation::Dot => dot(&lineage),
        Notation::Json => serde_json::to_string_pretty(&lineage).unwrap_or_default() + "\n",
    };
    let _ = write!(io.stdout, "{text}");
    EXIT_OK
}

fn closest<'a>(wanted: &str, known: &'a [String]) -> Option<&'a str> {
    dpc_schema::suggest::closest(wanted, known.iter().map(String::as_str))
}

/// The nodes grouped by account (alias when known), accounts in platform.yaml's order
/// and external accounts after them.
fn clusters(lineage: &Lineage) -> Vec<(String, Vec<&LineageNode>)> {
    let mut by_account: BTreeMap<&str, Vec<&LineageNode>> = BTreeMap::new();
    for node in &lineage.pipelines {
        by_account.entry(&node.account).or_default().push(node);
    }
    let mut out = Vec::new();
    for account in &lineage.accounts {
        if let Some(nodes) = by_account.remove(account.id.as_str()) {
            out.push((format!("{} ({})", account.alias, account.id), nodes));
        }
    }
    for (account, nodes) in by_account {
        out.push((format!("{account} (not in platform.yaml)"), nodes));
    }
    out
}

/// What starts a pipeline, in a few words: the second line of its node.
fn trigger_label(lineage: &Lineage, node: &LineageNode) -> String {
    let mut label = lineage.describe_trigger(&node.trigger);
    if !node.enabled {
        label.push_str(" (disabled)");
    }
    label
}

/// A Mermaid flowchart: accounts as subgraphs, edges labelled with statuses.
fn mermaid(lineage: &Lineage) -> String {
    let index: BTreeMap<&str, usize> = lineage
        .pipelines
        .iter()
        .enumerate()
        .map(|(i, n)| (n.id.as_str(), i))
        .collect();
    let escape = |s: &str| s.replace('"', "#quot;");
    let mut out = String::from("flowchart LR\n");
    for (i, (label, nodes)) in clusters(lineage).into_iter().enumerate() {
        out.push_str(&format!("  subgraph account{i}[\"{}\"]\n", escape(&label)));
        for node in nodes {
            out.push_str(&format!(
                "    p{}[\"<b>{}</b><br/>{}\"]\n",
                index[node.id.as_str()],
                escape(&node.name),
                escape(&trigger_label(lineage, node)),
            ));
        }
        out.push_str("  end\n");
    }
    for edge in &lineage.edges {
        let statuses: Vec<&str> = edge.statuses.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "  p{} -->|{}| p{}\n",
            index[edge.parent.as_str()],
            statuses.join(" or "),
            index[edge.child.as_str()],
        ));
    }
    out
}

/// Graphviz DOT: accounts as clusters, edges labelled with statuses.
fn dot(lineage: &Lineage) -> String {
    let quote = |s: &str| format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""));
    let mut out = String::from(
        "digraph dpc {\n  rankdir=LR;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [fontname=\"Helvetica\", fontsize=10];\n",
    );
    for (i, (label, nodes)) in clusters(lineage).into_iter().enumerate() {
        out.push_str(&format!(
            "  subgraph cluster_{i} {{\n    label={};\n    style=dashed;\n",
            quote(&label)
        ));
        for node in nodes {
            let text = format!("{}\n{}", node.name, trigger_label(lineage, node));
            out.push_str(&format!(
                "    {} [label={}{}];\n",
                quote(&node.id),
                quote(&text).replace('\n', "\\n"),
                if node.external {
                    ", style=\"rounded,dotted\""
                } else {
                    ""
                },
            ));
        }
        out.push_str("  }\n");
    }
    for edge in &lineage.edges {
        let statuses: Vec<&str> = edge.statuses.iter().map(|s| s.as_str()).collect();
        out.push_str(&format!(
            "  {} -> {} [label={}];\n",
            quote(&edge.parent),
            quote(&edge.child),
            quote(&statuses.join(" or "))
        ));
    }
    out.push_str("}\n");
    out
}
