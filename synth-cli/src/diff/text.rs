//! `dpc diff`'s text format, for a terminal: a headline, then per stack its security
//! changes, resources and other entries, then the dependency diff. Replacements are
//! marked `!! REPLACED` on the resource's own line so they cannot be missed.

use serde_json::Value;
use std::fmt::Write;

use super::{
    AssemblyDiff, AssetDiff, Change, DependencyDiff, EntryDiff, PipelineRef, PropertyChange,
    Replacement, ResourceDiff, SecurityChange, StackDiff, Summary, TriggerChange,
};

/// Values longer than this are cut in text output (`--format json` has them whole).
const VALUE_LIMIT: usize = 300;

/// Renders the diff for a terminal. Ends with a newline.
pub fn render_text(diff: &AssemblyDiff) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", headline(&diff.summary, diff.is_empty()));
    if !diff.manifest.is_empty() {
        let _ = writeln!(out, "\nAssembly (manifest.json, outside the stacks)");
        for change in &diff.manifest {
            property_text(&mut out, change, "  ");
        }
    }
    for stack in &diff.stacks {
        stack_text(&mut out, stack);
    }
    match &diff.dependencies {
        Some(deps) if !deps.is_empty() => dependencies_text(&mut out, deps),
        Some(_) => {}
        None => {
            let _ = writeln!(
                out,
                "\nDependencies: not compared (an assembly without lineage.json)"
            );
        }
    }
    out
}

/// `3 stacks changed, 1 added; 4 resources changed, 2 added; 1 replacement; ...`
pub(super) fn headline(s: &Summary, empty: bool) -> String {
    if empty {
        return "no differences".to_owned();
    }
    let mut parts = Vec::new();
    let counts = |items: &[(usize, &str)]| -> Option<String> {
        let words: Vec<String> = items
            .iter()
            .filter(|(n, _)| *n > 0)
            .map(|(n, w)| format!("{n} {w}"))
            .collect();
        (!words.is_empty()).then(|| words.join(", "))
    };
    if let Some(stacks) = counts(&[
        (s.stacks_changed, "changed"),
        (s.stacks_added, "added"),
        (s.stacks_removed, "removed"),
    ]) {
        parts.push(format!("stacks: {stacks}"));
    }
    if let Some(resources) = counts(&[
        (s.resources_changed, "changed"),
        (s.resources_added, "added"),
        (s.resources_removed, "removed"),
    ]) {
        parts.push(format!("resources: {resources}"));
    }
    if s.replacements > 0 {
        parts.push(plural(s.replacements, "REPLACEMENT", "REPLACEMENTS"));
    }
    if s.security_changes > 0 {
        parts.push(plural(
            s.security_changes,
            "security change",
            "security changes",
        ));
    }
    if s.setting_changes > 0 {
        parts.push(plural(
            s.setting_changes,
            "manifest setting changed",
            "manifest settings changed",
        ));
    }
    if s.asset_changes > 0 {
        parts.push(plural(s.asset_changes, "asset changed", "assets changed"));
    }
    if s.pipelines_changed > 0 {
        parts.push(plural(
            s.pipelines_changed,
            "pipeline trigger changed",
            "pipeline triggers changed",
        ));
    }
    if s.firing_changes > 0 {
        parts.push(plural(
            s.firing_changes,
            "pipeline starts or stops firing",
            "pipelines start or stop firing",
        ));
    }
    parts.join("; ")
}

fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(super) fn sign(change: Change) -> &'static str {
    match change {
        Change::Added => "[+]",
        Change::Removed => "[-]",
        Change::Changed => "[~]",
    }
}

fn stack_text(out: &mut String, stack: &StackDiff) {
    let what = match stack.change {
        Change::Added => " (new stack)",
        Change::Removed => " (stack removed)",
        Change::Changed => "",
    };
    let _ = writeln!(out, "\nStack {} ({}){what}", stack.id, stack.environment);
    if let Some(old) = &stack.old_environment {
        let _ = writeln!(
            out,
            "  !! MOVED from {old}: CloudFormation creates a new stack there and leaves the old one"
        );
    }
    if !stack.template.security.is_empty() {
        let _ = writeln!(out, "Security changes");
        for change in &stack.template.security {
            security_line(out, change);
        }
    }
    if !stack.template.resources.is_empty() {
        let _ = writeln!(out, "Resources");
        for resource in &stack.template.resources {
            resource_text(out, resource);
        }
    }
    if !stack.template.entries.is_empty() {
        let _ = writeln!(out, "Other changes");
        for entry in &stack.template.entries {
            entry_text(out, entry);
        }
    }
    if !stack.settings.is_empty() {
        let _ = writeln!(out, "Stack settings (manifest.json)");
        for change in &stack.settings {
            property_text(out, change, "  ");
        }
    }
    if !stack.assets.is_empty() {
        let _ = writeln!(out, "Assets");
        for asset in &stack.assets {
            let _ = writeln!(out, "  {} {}", sign(asset.change), asset_summary(asset));
            for change in &asset.changes {
                property_text(out, change, "      ");
            }
        }
    }
}

/// `files "job.py": hash 1a2b… -> 3c4d…`.
pub(super) fn asset_summary(asset: &AssetDiff) -> String {
    let hash = match (&asset.old_hash, &asset.new_hash) {
        (Some(a), Some(b)) if a != b => format!(": hash {a} -> {b}"),
        (Some(a), None) => format!(" (hash {a})"),
        (None, Some(b)) => format!(" (hash {b})"),
        _ => String::new(),
    };
    format!(
        "{} {}{hash}",
        asset.section,
        Value::String(asset.name.clone())
    )
}

fn security_line(out: &mut String, change: &SecurityChange) {
    let _ = writeln!(
        out,
        "  {} {} of {} ({}){}",
        sign(change.change),
        change.kind.label(),
        change.logical_id,
        change.resource_type,
        if change.broadening {
            "  (broadens)"
        } else {
            ""
        },
    );
    let _ = writeln!(out, "      {}", security_summary(&change.detail));
}

/// A statement or rule in one line: `Allow s3:GetObject on arn:… to {…} when {…}`.
pub(super) fn security_summary(detail: &Value) -> String {
    if let Some(direction) = detail.get("direction").and_then(Value::as_str) {
        let mut s = format!(
            "{direction} {} ports {}",
            compact(detail.get("protocol").unwrap_or(&Value::Null)),
            compact(detail.get("ports").unwrap_or(&Value::Null)),
        );
        let peer = detail.get("peer").unwrap_or(&Value::Null);
        let _ = write!(
            s,
            " {} {}",
            if direction == "ingress" { "from" } else { "to" },
            compact(peer)
        );
        if let Some(d) = detail.get("description") {
            let _ = write!(s, " ({})", compact(d));
        }
        return s;
    }
    if detail.get("Effect").is_none() {
        return compact(detail);
    }
    let mut s = String::new();
    let field = |key: &str| detail.get(key).map(list_text);
    if let Some(effect) = detail.get("Effect").and_then(Value::as_str) {
        s.push_str(effect);
    }
    for (key, word) in [
        ("Action", ""),
        ("NotAction", "everything except"),
        ("Resource", "on"),
        ("NotResource", "on everything except"),
        ("Principal", "to"),
        ("NotPrincipal", "to everyone except"),
        ("Condition", "when"),
        ("EventBusName", "on bus"),
    ] {
        if let Some(text) = field(key) {
            if !word.is_empty() {
                s.push(' ');
                s.push_str(word);
            }
            s.push(' ');
            s.push_str(&text);
        }
    }
    s
}

/// A list as `a, b`: strings as they are, `{"Fn::Sub": "…"}` as its template (what a
/// reader recognises as an ARN), anything else as compact JSON.
fn list_text(value: &Value) -> String {
    let one = |v: &Value| match v {
        Value::String(s) => s.clone(),
        Value::Object(map) if map.len() == 1 => match map.get("Fn::Sub") {
            Some(Value::String(template)) => template.clone(),
            _ => compact(v),
        },
        other => compact(other),
    };
    match value {
        Value::Array(items) => items.iter().map(one).collect::<Vec<_>>().join(", "),
        other => one(other),
    }
}

/// Compact JSON, cut at [`VALUE_LIMIT`] characters.
pub(super) fn compact(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() <= VALUE_LIMIT {
        return text;
    }
    let cut: String = text.chars().take(VALUE_LIMIT).collect();
    format!("{cut}… (cut; --format json has it whole)")
}

/// `!! REPLACED: …` words for a resource, when it is replaced.
pub(super) fn replacement_text(replacement: &Replacement) -> String {
    match replacement {
        Replacement::Properties { properties } => {
            format!("REPLACED: {} cannot change in place", properties.join(", "))
        }
        Replacement::TypeChanged { from } => format!("REPLACED: the type was {from}"),
        Replacement::ReplacedBy { logical_id } => {
            format!("REPLACED by {logical_id} (logical id changed)")
        }
        Replacement::Replaces { logical_id } => {
            format!("REPLACES {logical_id} (logical id changed)")
        }
    }
}

fn resource_text(out: &mut String, resource: &ResourceDiff) {
    let flag = resource
        .replacement
        .as_ref()
        .map(|r| format!("  !! {}", replacement_text(r)))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "  {} {} {}{flag}",
        sign(resource.change),
        resource.resource_type,
        resource.logical_id
    );
    for change in &resource.changes {
        property_text(out, change, "      ");
    }
}

fn property_text(out: &mut String, change: &PropertyChange, indent: &str) {
    let path = if change.path.0.is_empty() {
        "(value)".to_owned()
    } else {
        change.path.to_string()
    };
    match (&change.old, &change.new) {
        (Some(old), Some(new)) => {
            let _ = writeln!(
                out,
                "{indent}[~] {path}: {} -> {}",
                compact(old),
                compact(new)
            );
        }
        (None, Some(new)) => {
            let _ = writeln!(out, "{indent}[+] {path}: {}", compact(new));
        }
        (Some(old), None) => {
            let _ = writeln!(out, "{indent}[-] {path}: {}", compact(old));
        }
        (None, None) => {}
    }
}

fn entry_text(out: &mut String, entry: &EntryDiff) {
    let name = entry
        .name
        .as_deref()
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    let _ = writeln!(out, "  {} {}{name}", sign(entry.change), entry.section);
    for change in &entry.changes {
        property_text(out, change, "      ");
    }
}

/// One trigger change in words.
pub(super) fn trigger_change_text(change: &TriggerChange) -> String {
    let statuses =
        |s: &[dpc_model::Status]| s.iter().map(|s| s.as_str()).collect::<Vec<_>>().join("|");
    match change {
        TriggerChange::ParentAdded {
            parent,
            statuses: s,
        } => {
            format!("now also waits for {} ({})", parent.display(), statuses(s))
        }
        TriggerChange::ParentRemoved {
            parent,
            statuses: s,
        } => {
            format!("no longer waits for {} ({})", parent.display(), statuses(s))
        }
        TriggerChange::StatusesChanged { parent, old, new } => format!(
            "waits for {} {} instead of {}",
            parent.display(),
            statuses(new),
            statuses(old)
        ),
        TriggerChange::ConditionChanged { old, new } => {
            format!("condition: {old} -> {new}")
        }
        TriggerChange::WithinChanged { old, new } => format!("within: {old} -> {new}"),
        TriggerChange::TriggerChanged { old, new } => format!("trigger: {old} -> {new}"),
        TriggerChange::Enabled => "enabled (its triggers are on again)".to_owned(),
        TriggerChange::Disabled => "disabled (deployed, its triggers are off)".to_owned(),
    }
}

pub(super) fn names(pipelines: &[PipelineRef]) -> String {
    pipelines
        .iter()
        .map(PipelineRef::display)
        .collect::<Vec<_>>()
        .join(", ")
}

fn dependencies_text(out: &mut String, deps: &DependencyDiff) {
    let _ = writeln!(out, "\nDependencies");
    for p in &deps.pipelines {
        let what = match p.change {
            Change::Added => " (new pipeline)",
            Change::Removed => " (pipeline removed)",
            Change::Changed => "",
        };
        let _ = writeln!(out, "  {} {}{what}", sign(p.change), p.pipeline.display());
        for change in &p.changes {
            let _ = writeln!(out, "      {}", trigger_change_text(change));
        }
        if !p.downstream.is_empty() {
            let _ = writeln!(out, "      downstream: {}", names(&p.downstream));
        }
    }
    for (word, list) in [
        ("starts firing", &deps.start_firing),
        ("STOPS FIRING", &deps.stop_firing),
    ] {
        for change in list {
            let _ = writeln!(
                out,
                "  {} {word}, because of {}",
                change.pipeline.display(),
                if change.because.is_empty() {
                    "changes upstream".to_owned()
                } else {
                    names(&change.because)
                }
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn statements_read_as_a_sentence() {
        let s = security_summary(
            &json!({"Effect": "Allow", "Principal": {"Service": ["states.amazonaws.com"]},
            "Action": ["s3:GetObject", "s3:PutObject"], "Resource": ["arn:aws:s3:::lake/*"]}),
        );
        assert_eq!(
            s,
            r#"Allow s3:GetObject, s3:PutObject on arn:aws:s3:::lake/* to {"Service":["states.amazonaws.com"]}"#
        );
    }

    #[test]
    fn substituted_arns_read_as_their_template() {
        let s = security_summary(&json!({"Effect": "Allow", "Action": ["s3:GetObject"],
            "Resource": [{"Fn::Sub": "arn:${AWS::Partition}:s3:::lake/*"}, {"Ref": "Bucket"}]}));
        assert_eq!(
            s,
            r#"Allow s3:GetObject on arn:${AWS::Partition}:s3:::lake/*, {"Ref":"Bucket"}"#
        );
    }

    #[test]
    fn rules_read_as_a_sentence() {
        let s = security_summary(&json!({"direction": "egress", "group": {"Ref": "Sg"},
            "protocol": "tcp", "ports": [443, 443], "peer": {"CidrIp": "0.0.0.0/0"}}));
        assert_eq!(
            s,
            r#"egress "tcp" ports [443,443] to {"CidrIp":"0.0.0.0/0"}"#
        );
    }

    #[test]
    fn long_values_are_cut_with_a_pointer_to_json() {
        let long = Value::String("x".repeat(1000));
        let text = compact(&long);
        assert!(text.len() < 400);
        assert!(text.ends_with("--format json has it whole)"));
    }
}
