//! `dpc diff`'s markdown format, for a pull-request comment (GitHub-flavoured): a
//! headline, a warning block listing every replacement, the dependency diff (what a
//! template diff cannot tell), then per stack the security table, the resource table
//! and the property changes as a collapsible `diff` block.

use std::fmt::Write;

use super::text::{
    asset_summary, compact, headline, names, replacement_text, security_summary,
    trigger_change_text,
};
use super::{AssemblyDiff, Change, DependencyDiff, PropertyChange, Replacement, StackDiff};

/// The first line of every comment dpc writes: CI uses it to find and update its own
/// comment instead of adding a new one on every push.
pub const MARKDOWN_MARKER: &str = "<!-- dpc-diff -->";

/// Renders the diff as GitHub-flavoured markdown. Ends with a newline.
pub fn render_markdown(diff: &AssemblyDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{MARKDOWN_MARKER}");
    let _ = writeln!(out, "## dpc diff\n");
    let _ = writeln!(out, "**{}**", headline(&diff.summary, diff.is_empty()));
    replacements_block(&mut out, diff);
    match &diff.dependencies {
        Some(deps) if !deps.is_empty() => dependencies_md(&mut out, deps),
        Some(_) => {}
        None => {
            let _ = writeln!(
                out,
                "\n_Dependencies not compared: an assembly has no `lineage.json`._"
            );
        }
    }
    if !diff.manifest.is_empty() {
        let mut lines = Vec::new();
        diff_lines(&mut lines, &diff.manifest);
        let fence = fence_for(&lines);
        let _ = writeln!(
            out,
            "\n### `manifest.json` outside the stacks\n\n{fence}diff\n{}\n{fence}",
            lines.join("\n")
        );
    }
    for stack in &diff.stacks {
        stack_md(&mut out, stack);
    }
    out
}

fn emoji(change: Change) -> &'static str {
    match change {
        Change::Added => "➕",
        Change::Removed => "➖",
        Change::Changed => "✏️",
    }
}

/// Table cells: no line breaks, `|` escaped.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace(['\n', '\r'], " ")
}

/// Inline code that survives backticks in the text.
fn code(text: &str) -> String {
    let text = cell(text);
    if text.contains('`') {
        format!("`` {text} ``")
    } else {
        format!("`{text}`")
    }
}

fn replacements_block(out: &mut String, diff: &AssemblyDiff) {
    let mut lines = Vec::new();
    for stack in &diff.stacks {
        for r in &stack.template.resources {
            // A renamed logical id is listed once, at its removed half.
            if let Some(replacement) = &r.replacement
                && !matches!(replacement, Replacement::Replaces { .. })
            {
                lines.push(format!(
                    "> - {} {} in {}: {}",
                    code(&r.logical_id),
                    code(&r.resource_type),
                    code(&stack.id),
                    cell(&replacement_text(replacement))
                ));
            }
        }
        if let Some(old) = &stack.old_environment {
            lines.push(format!(
                "> - stack {} moves from {} to {}: a new stack is created and the old one left",
                code(&stack.id),
                code(old),
                code(&stack.environment)
            ));
        }
    }
    if lines.is_empty() {
        return;
    }
    let _ = writeln!(
        out,
        "\n> [!WARNING]\n> **Replaced resources** are deleted and created anew (data in them is lost unless retained):"
    );
    for line in lines {
        let _ = writeln!(out, "{line}");
    }
}

fn dependencies_md(out: &mut String, deps: &DependencyDiff) {
    let _ = writeln!(out, "\n### Dependencies\n");
    if !deps.pipelines.is_empty() {
        let _ = writeln!(out, "| | pipeline | what changed | downstream |");
        let _ = writeln!(out, "|---|---|---|---|");
        for p in &deps.pipelines {
            let what = match p.change {
                Change::Added => "new pipeline".to_owned(),
                Change::Removed => "pipeline removed".to_owned(),
                Change::Changed => p
                    .changes
                    .iter()
                    .map(|c| cell(&trigger_change_text(c)))
                    .collect::<Vec<_>>()
                    .join("<br>"),
            };
            let downstream = if p.downstream.is_empty() {
                "—".to_owned()
            } else {
                cell(&names(&p.downstream))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {what} | {downstream} |",
                emoji(p.change),
                code(&p.pipeline.display()),
            );
        }
    }
    for (heading, list) in [
        ("Start firing", &deps.start_firing),
        ("⚠️ Stop firing", &deps.stop_firing),
    ] {
        if list.is_empty() {
            continue;
        }
        let _ = writeln!(out, "\n**{heading}** (dpc triggers them by itself):\n");
        for change in list {
            let _ = writeln!(
                out,
                "- {}, because of {}",
                code(&change.pipeline.display()),
                if change.because.is_empty() {
                    "changes upstream".to_owned()
                } else {
                    cell(&names(&change.because))
                }
            );
        }
    }
}

fn stack_md(out: &mut String, stack: &StackDiff) {
    let what = match stack.change {
        Change::Added => " — new stack",
        Change::Removed => " — **stack removed**",
        Change::Changed => "",
    };
    let _ = writeln!(
        out,
        "\n### {} {}{what}\n\n{}\n",
        emoji(stack.change),
        code(&stack.id),
        code(&stack.environment)
    );
    let t = &stack.template;
    if !t.security.is_empty() {
        let _ = writeln!(out, "**Security changes**\n");
        let _ = writeln!(out, "| | kind | on | statement or rule |");
        let _ = writeln!(out, "|---|---|---|---|");
        for s in &t.security {
            let _ = writeln!(
                out,
                "| {}{} | {} | {} | {} |",
                emoji(s.change),
                if s.broadening { " ⚠️ broadens" } else { "" },
                s.kind.label(),
                code(&s.logical_id),
                code(&security_summary(&s.detail)),
            );
        }
        let _ = writeln!(out);
    }
    if !t.resources.is_empty() {
        let _ = writeln!(out, "| | resource | type | note |");
        let _ = writeln!(out, "|---|---|---|---|");
        for r in &t.resources {
            let note = r
                .replacement
                .as_ref()
                .map(|x| format!("🔁 **{}**", cell(&replacement_text(x))))
                .unwrap_or_default();
            let _ = writeln!(
                out,
                "| {} | {} | {} | {note} |",
                emoji(r.change),
                code(&r.logical_id),
                code(&r.resource_type),
            );
        }
        let _ = writeln!(out);
    }
    for e in &t.entries {
        let name = e
            .name
            .as_deref()
            .map(|n| format!(" {}", code(n)))
            .unwrap_or_default();
        let _ = writeln!(out, "- {} {}{name}", emoji(e.change), e.section);
    }
    if !stack.settings.is_empty() {
        let _ = writeln!(
            out,
            "- ✏️ stack settings (`manifest.json`): {}",
            stack
                .settings
                .iter()
                .map(|c| code(&c.path.to_string()))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for a in &stack.assets {
        let _ = writeln!(
            out,
            "- {} asset {}",
            emoji(a.change),
            code(&asset_summary(a))
        );
    }
    let mut lines = Vec::new();
    for r in &t.resources {
        if r.changes.is_empty() {
            continue;
        }
        lines.push(format!("@@ {} ({}) @@", r.logical_id, r.resource_type));
        diff_lines(&mut lines, &r.changes);
    }
    if !stack.settings.is_empty() {
        lines.push("@@ stack settings (manifest.json) @@".to_owned());
        diff_lines(&mut lines, &stack.settings);
    }
    for a in &stack.assets {
        if !a.changes.is_empty() {
            lines.push(format!("@@ asset {} @@", asset_summary(a)));
            diff_lines(&mut lines, &a.changes);
        }
    }
    for e in &t.entries {
        if e.changes.is_empty() {
            continue;
        }
        let name = e
            .name
            .as_deref()
            .map(|n| format!(" {n}"))
            .unwrap_or_default();
        lines.push(format!("@@ {}{name} @@", e.section));
        diff_lines(&mut lines, &e.changes);
    }
    if !lines.is_empty() {
        let fence = fence_for(&lines);
        let _ = writeln!(
            out,
            "\n<details><summary>Property changes</summary>\n\n{fence}diff"
        );
        for line in lines {
            let _ = writeln!(out, "{line}");
        }
        let _ = writeln!(out, "{fence}\n\n</details>");
    }
}

fn diff_lines(lines: &mut Vec<String>, changes: &[PropertyChange]) {
    for c in changes {
        let path = c.path.to_string();
        lines.push(format!("  {path}"));
        if let Some(old) = &c.old {
            lines.push(format!("- {}", compact(old)));
        }
        if let Some(new) = &c.new {
            lines.push(format!("+ {}", compact(new)));
        }
    }
}

/// A code fence longer than any run of backticks inside the block.
fn fence_for(lines: &[String]) -> String {
    let longest = lines
        .iter()
        .flat_map(|l| l.split(|c| c != '`'))
        .map(str::len)
        .max()
        .unwrap_or(0);
    "`".repeat((longest + 1).max(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_a_table() {
        assert_eq!(cell("a|b\nc"), "a\\|b c");
        assert_eq!(code("x`y"), "`` x`y ``");
    }

    #[test]
    fn fences_outgrow_backticks_inside() {
        assert_eq!(fence_for(&["plain".to_owned()]), "```");
        assert_eq!(fence_for(&["a ```` b".to_owned()]), "`````");
    }
}
