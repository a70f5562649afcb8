//! `dpc diff` on real assembly pairs: the case study synthesized as it is and after one
//! edit of its YAML, both with the dpc under test, then diffed as a user would.

mod common;

use common::{copy_example, dpc};
use serde_json::Value;
use std::path::{Path, PathBuf};

/// Synthesizes `org` into `out`, asserting success.
fn synth(org: &Path, out: &Path) {
    let run = dpc(&["synth", &arg(org), "-o", &arg(out)]);
    assert_eq!(run.code, 0, "synth failed:\n{}", run.stderr);
}

fn arg(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}

/// Replaces `from` by `to` in `file`, which must contain it.
fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).expect("read");
    assert!(text.contains(from), "`{from}` not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).expect("write");
}

/// A pipeline `report` in rent-journey, run after pipeline-x succeeds.
fn add_report(org: &Path) {
    let dir = org.join("report");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("pipeline.yaml"),
        "name: report\naccount: rent-journey\ntrigger:\n  executions:\n    allOf:\n      \
         - { name: pipeline-x, account: rent-journey, status: [SUCCEEDED] }\n\
         steps:\n  - name: send\n    type: shell\n    command: echo sent\n",
    )
    .expect("write");
}

/// Two synthesized assemblies of the case study: `before` applied to both copies, `after`
/// to the new one only. Returns the guards and the two assembly folders.
struct Pair {
    _dirs: Vec<tempfile::TempDir>,
    old: PathBuf,
    new: PathBuf,
}

fn pair(before: impl Fn(&Path), after: impl Fn(&Path)) -> Pair {
    let (old_dir, old_org) = copy_example("case-study");
    let (new_dir, new_org) = copy_example("case-study");
    before(&old_org);
    before(&new_org);
    after(&new_org);
    let out = tempfile::tempdir().expect("tempdir");
    let (old, new) = (out.path().join("old"), out.path().join("new"));
    synth(&old_org, &old);
    synth(&new_org, &new);
    Pair {
        _dirs: vec![old_dir, new_dir, out],
        old,
        new,
    }
}

/// `dpc diff OLD NEW --format json`, parsed.
fn diff_json(p: &Pair) -> Value {
    let run = dpc(&["diff", &arg(&p.old), &arg(&p.new), "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    serde_json::from_str(&run.stdout).expect("diff --format json prints JSON")
}

fn diff_as(p: &Pair, format: &str) -> String {
    let run = dpc(&["diff", &arg(&p.old), &arg(&p.new), "--format", format]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    run.stdout
}

fn stack<'a>(diff: &'a Value, id: &str) -> &'a Value {
    diff["stacks"]
        .as_array()
        .expect("stacks")
        .iter()
        .find(|s| s["id"] == id)
        .unwrap_or_else(|| panic!("no stack {id} in the diff: {diff:#}"))
}

fn resources_of_type<'a>(stack: &'a Value, resource_type: &str) -> Vec<&'a Value> {
    stack["resources"]
        .as_array()
        .expect("resources")
        .iter()
        .filter(|r| r["type"] == resource_type)
        .collect()
}

/// Every change path of a resource, `/`-joined.
fn paths(resource: &Value) -> Vec<String> {
    resource["changes"]
        .as_array()
        .map(|changes| {
            changes
                .iter()
                .map(|c| {
                    c["path"]
                        .as_array()
                        .expect("path")
                        .iter()
                        .map(|s| s.as_str().map_or_else(|| s.to_string(), str::to_owned))
                        .collect::<Vec<_>>()
                        .join("/")
                })
                .collect()
        })
        .unwrap_or_default()
}

fn pipeline_change<'a>(diff: &'a Value, id_prefix: &str) -> &'a Value {
    diff["dependencies"]["pipelines"]
        .as_array()
        .expect("pipelines")
        .iter()
        .find(|p| {
            p["pipeline"]["id"]
                .as_str()
                .is_some_and(|i| i.starts_with(id_prefix))
        })
        .unwrap_or_else(|| panic!("{id_prefix} not in the dependency diff: {diff:#}"))
}

#[test]
fn the_same_organisation_twice_has_no_differences() {
    let p = pair(|_| {}, |_| {});
    let run = dpc(&["diff", &arg(&p.old), &arg(&p.new), "--fail"]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "no differences\n");
}

#[test]
fn a_renamed_step_changes_the_state_machine_in_place() {
    let p = pair(
        |_| {},
        |org| {
            let file = org.join("pipeline-x/pipeline.yaml");
            edit(&file, "- name: aggregate", "- name: compute");
            edit(&file, "dependsOn: [aggregate]", "dependsOn: [compute]");
        },
    );
    let diff = diff_json(&p);
    assert_eq!(diff["stacks"].as_array().expect("stacks").len(), 1);
    let x = stack(&diff, "dpc-pipeline-rent-journey-pipeline-x");
    assert_eq!(x["change"], "changed");
    let machines = resources_of_type(x, "AWS::StepFunctions::StateMachine");
    assert_eq!(machines.len(), 1);
    assert_eq!(machines[0]["change"], "changed");
    assert!(machines[0].get("replacement").is_none());
    let changed = paths(machines[0]);
    assert!(
        changed.iter().any(|p| p.ends_with("/States/compute")),
        "{changed:#?}"
    );
    assert!(
        changed.iter().any(|p| p.ends_with("/States/aggregate")),
        "{changed:#?}"
    );
    assert_eq!(diff["summary"]["replacements"], 0);
    assert_eq!(diff["dependencies"]["pipelines"], Value::Array(vec![]));
    // --fail turns "something differs" into exit 1, as CI wants.
    let run = dpc(&["diff", &arg(&p.old), &arg(&p.new), "--fail"]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.contains("StateMachine"), "{}", run.stdout);
}

#[test]
fn an_added_pipeline_is_a_new_stack_and_a_new_node() {
    let p = pair(|_| {}, add_report);
    let diff = diff_json(&p);
    let report = stack(&diff, "dpc-pipeline-rent-journey-report");
    assert_eq!(report["change"], "added");
    assert!(resources_of_type(report, "AWS::StepFunctions::StateMachine")[0]["change"] == "added");
    let node = pipeline_change(&diff, "report@444444444444");
    assert_eq!(node["change"], "added");
    assert_eq!(node["pipeline"]["alias"], "rent-journey");
    assert_eq!(diff["summary"]["stacksAdded"], 1);
}

#[test]
fn a_removed_parent_names_the_pipelines_downstream() {
    let p = pair(add_report, |org| {
        edit(
            &org.join("pipeline-x/pipeline.yaml"),
            "      - name: searches\n        account: search\n        status: [SUCCEEDED]\n",
            "",
        );
    });
    let diff = diff_json(&p);
    let x = pipeline_change(&diff, "pipeline-x@");
    assert_eq!(x["change"], "changed");
    let changes = x["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["what"] == "parentRemoved" && c["parent"]["id"] == "searches@333333333333"),
        "{changes:#?}"
    );
    let downstream: Vec<&str> = x["downstream"]
        .as_array()
        .expect("downstream")
        .iter()
        .filter_map(|d| d["id"].as_str())
        .collect();
    assert_eq!(downstream, ["report@444444444444"]);
    // The templates say so too: the trigger rule no longer waits for searches.
    let rules = resources_of_type(
        stack(&diff, "dpc-pipeline-rent-journey-pipeline-x"),
        "AWS::Events::Rule",
    );
    assert!(rules.iter().any(|r| r["change"] == "changed"));

    let markdown = diff_as(&p, "markdown");
    assert!(markdown.contains("### Dependencies"), "{markdown}");
    assert!(
        markdown.contains("no longer waits for searches@search (SUCCEEDED)"),
        "{markdown}"
    );
    assert!(markdown.contains("report@rent-journey"), "{markdown}");
}

#[test]
fn a_disabled_parent_stops_everything_below_it() {
    let p = pair(add_report, |org| {
        edit(
            &org.join("searches/pipeline.yaml"),
            "timeout: 3h\n",
            "timeout: 3h\nenabled: false\n",
        );
    });
    let diff = diff_json(&p);
    let stopped: Vec<&str> = diff["dependencies"]["stopFiring"]
        .as_array()
        .expect("stopFiring")
        .iter()
        .filter_map(|c| c["pipeline"]["id"].as_str())
        .collect();
    assert_eq!(
        stopped,
        [
            "searches@333333333333",
            "pipeline-x@444444444444",
            "report@444444444444"
        ]
    );
    let text = diff_as(&p, "text");
    assert!(
        text.contains("report@rent-journey STOPS FIRING, because of searches@search"),
        "{text}"
    );
}

#[test]
fn a_widened_iam_policy_is_in_the_security_section() {
    let p = pair(
        |_| {},
        |org| {
            edit(
                &org.join("pipeline-x/pipeline.yaml"),
                "write: [s3://lake/metric-x/]",
                "write: [s3://lake/metric-x/, s3://lake/shared/]",
            );
        },
    );
    let diff = diff_json(&p);
    let x = stack(&diff, "dpc-pipeline-rent-journey-pipeline-x");
    let security = x["security"].as_array().expect("security");
    let widened: Vec<&Value> = security
        .iter()
        .filter(|s| {
            s["change"] == "added"
                && s["kind"] == "iamStatement"
                && s["broadening"] == true
                && s["detail"].to_string().contains("lake/shared/*")
        })
        .collect();
    assert!(!widened.is_empty(), "{security:#?}");
    assert_eq!(widened[0]["resourceType"], "AWS::IAM::Role");
    assert!(
        security.iter().any(|s| s["change"] == "removed"),
        "the narrower statement is shown as removed"
    );
    let markdown = diff_as(&p, "markdown");
    assert!(markdown.contains("**Security changes**"), "{markdown}");
    assert!(markdown.contains("⚠️ broadens"), "{markdown}");
}

#[test]
fn a_changed_bus_policy_is_a_resource_policy_change() {
    let p = pair(
        |_| {},
        |org| {
            edit(
                &org.join("platform.yaml"),
                "  organizationId: o-a1b2c3d4e5\n",
                "",
            )
        },
    );
    let diff = diff_json(&p);
    let central = stack(&diff, "dpc-central");
    let bus: Vec<&Value> = central["security"]
        .as_array()
        .expect("security")
        .iter()
        .filter(|s| {
            s["kind"] == "resourcePolicy" && s["resourceType"] == "AWS::Events::EventBusPolicy"
        })
        .collect();
    assert!(
        bus.iter()
            .any(|s| s["change"] == "removed" && s["detail"].to_string().contains("o-a1b2c3d4e5")),
        "{bus:#?}"
    );
    assert!(bus.iter().any(|s| s["change"] == "added"), "{bus:#?}");
}

#[test]
fn a_moved_vpc_replaces_the_security_groups_loudly() {
    let p = pair(
        |_| {},
        |org| {
            edit(
                &org.join("platform.yaml"),
                "vpcId: vpc-0b1c2d3e",
                "vpcId: vpc-0f0f0f0f",
            )
        },
    );
    let diff = diff_json(&p);
    let search = stack(&diff, "dpc-account-search");
    let groups = resources_of_type(search, "AWS::EC2::SecurityGroup");
    assert!(!groups.is_empty());
    for group in &groups {
        assert_eq!(group["replacement"]["reason"], "properties", "{group:#}");
        assert_eq!(group["replacement"]["properties"][0], "VpcId", "{group:#}");
    }
    assert!(diff["summary"]["replacements"].as_u64() >= Some(groups.len() as u64));
    let text = diff_as(&p, "text");
    assert!(
        text.contains("!! REPLACED: VpcId cannot change in place"),
        "{text}"
    );
    let markdown = diff_as(&p, "markdown");
    assert!(markdown.contains("> [!WARNING]"), "{markdown}");
    assert!(markdown.contains("`dpc-account-search`"), "{markdown}");
}

#[test]
fn a_renamed_logical_id_is_a_replacement_pair() {
    // Renaming the central bus keeps its logical id (a create-only change); renaming a
    // construct id is what moves a logical id, so edit the template as a refactor would.
    let p = pair(|_| {}, |_| {});
    let template = p.new.join("dpc-central.template.json");
    let mut t: Value =
        serde_json::from_slice(&std::fs::read(&template).expect("read")).expect("json");
    let resources = t["Resources"].as_object_mut().expect("resources");
    let (id, bus) = resources
        .iter()
        .find(|(_, r)| r["Type"] == "AWS::SNS::Topic")
        .map(|(k, v)| (k.clone(), v.clone()))
        .expect("the central stack has a topic");
    resources.shift_remove(&id);
    resources.insert("RenamedTopic12345678".to_owned(), bus);
    std::fs::write(&template, serde_json::to_vec_pretty(&t).expect("json")).expect("write");
    let diff = diff_json(&p);
    let central = stack(&diff, "dpc-central");
    let topics = resources_of_type(central, "AWS::SNS::Topic");
    assert!(topics.iter().any(|r| r["logicalId"] == id.as_str()
        && r["change"] == "removed"
        && r["replacement"]["reason"] == "replacedBy"
        && r["replacement"]["logicalId"] == "RenamedTopic12345678"));
    assert!(
        topics
            .iter()
            .any(|r| r["logicalId"] == "RenamedTopic12345678"
                && r["replacement"]["reason"] == "replaces")
    );
    assert_eq!(diff["summary"]["replacements"], 1);
}

#[test]
fn diff_needs_two_assemblies_or_a_base() {
    let run = dpc(&["diff", "only-one"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("dpc diff OLD NEW"), "{}", run.stderr);
    let missing = dpc(&["diff", "/nonexistent/a", "/nonexistent/b"]);
    assert_eq!(missing.code, 1);
    assert!(
        missing.stderr.contains("manifest.json"),
        "{}",
        missing.stderr
    );
}

fn git(dir: &Path, args: &[&str]) -> String {
    let out = std::process::Command::new("git")
        .arg("-C")
        .arg(dir)
        .args([
            "-c",
            "user.name=dpc test",
            "-c",
            "user.email=test@example.com",
            "-c",
            "commit.gpgsign=false",
        ])
        .args(args)
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn base_synthesizes_the_ref_in_a_worktree_and_removes_it() {
    let (_guard, org) = copy_example("case-study");
    let repo = org.parent().expect("temp dir").to_path_buf();
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "case study"]);
    edit(
        &org.join("pipeline-x/pipeline.yaml"),
        "write: [s3://lake/metric-x/]",
        "write: [s3://lake/metric-x/, s3://lake/shared/]",
    );

    let run = dpc(&[
        "diff",
        "--base",
        "HEAD",
        &arg(&org),
        "--format",
        "json",
        "--fail",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let diff: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(diff["stacks"].as_array().expect("stacks").len(), 1);
    stack(&diff, "dpc-pipeline-rent-journey-pipeline-x");
    assert_eq!(
        git(&repo, &["worktree", "list"]).lines().count(),
        1,
        "the temporary worktree is gone"
    );

    // Unchanged against itself; and a ref that is no commit is an input error.
    git(&repo, &["commit", "--quiet", "-am", "widen"]);
    let same = dpc(&["diff", "--base", "HEAD", &arg(&org), "--fail"]);
    assert_eq!(same.code, 0, "{}{}", same.stdout, same.stderr);
    let bad = dpc(&["diff", "--base", "no-such-branch", &arg(&org)]);
    assert_eq!(bad.code, 1);
    assert!(
        bad.stderr.contains("`no-such-branch` names no commit"),
        "{}",
        bad.stderr
    );
    assert_eq!(git(&repo, &["worktree", "list"]).lines().count(), 1);
}

#[test]
fn the_replacement_table_covers_every_type_the_examples_emit() {
    let examples = common::repo().join("examples");
    let mut checked = 0;
    for entry in std::fs::read_dir(&examples).expect("examples") {
        let dir = entry.expect("entry").path();
        if !dir.join("platform.yaml").is_file() {
            continue;
        }
        let out = tempfile::tempdir().expect("tempdir");
        synth(&dir, out.path());
        for file in std::fs::read_dir(out.path()).expect("assembly") {
            let path = file.expect("entry").path();
            if !path.to_string_lossy().ends_with(".template.json") {
                continue;
            }
            let t: Value =
                serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
            for (id, r) in t["Resources"].as_object().into_iter().flatten() {
                let ty = r["Type"].as_str().unwrap_or_default();
                assert!(
                    dpc_cli::diff::replacement::is_known(ty),
                    "{ty} ({id} in {}) is not in synth-cli/data/replacement-table.json: \
                     run scripts/gen-replacement-table",
                    path.display()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "only {checked} resources checked");
}

/// The case study with pipeline-x's `cost-center` tag changed: a change that lives only
/// in `manifest.json` (stack tags), none of the templates.
fn retag(org: &Path) {
    edit(
        &org.join("pipeline-x/pipeline.yaml"),
        r#"tags: { cost-center: "4711" }"#,
        r#"tags: { cost-center: "4712" }"#,
    );
}

#[test]
fn a_tag_only_change_fails_the_binary() {
    let p = pair(|_| {}, retag);
    let templates = |dir: &Path| {
        common::read_tree(dir)
            .into_iter()
            .filter(|(name, _)| name.ends_with(".template.json"))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        templates(&p.old),
        templates(&p.new),
        "only the manifest differs"
    );
    // The real binary, as CI runs it.
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_dpc"))
        .args(["diff", &arg(&p.old), &arg(&p.new), "--fail"])
        .env("NO_COLOR", "1")
        .output()
        .expect("dpc runs");
    let stdout = String::from_utf8_lossy(&run.stdout);
    assert_eq!(run.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("Stack dpc-pipeline-rent-journey-pipeline-x")
            && stdout.contains(r#"[~] properties.tags.cost-center: "4711" -> "4712""#),
        "{stdout}"
    );
    let diff = diff_json(&p);
    assert_eq!(diff["summary"]["settingChanges"], 1);
    let x = stack(&diff, "dpc-pipeline-rent-journey-pipeline-x");
    assert_eq!(
        x["settings"][0]["path"],
        serde_json::json!(["properties", "tags", "cost-center"])
    );
    assert!(diff_as(&p, "markdown").contains("`properties.tags.cost-center`"));
}

#[test]
fn base_sees_a_tag_only_change() {
    let (_guard, org) = copy_example("case-study");
    let repo = org.parent().expect("temp dir").to_path_buf();
    git(&repo, &["init", "--quiet"]);
    git(&repo, &["add", "."]);
    git(&repo, &["commit", "--quiet", "-m", "case study"]);
    retag(&org);
    let run = dpc(&["diff", "--base", "HEAD", &arg(&org), "--fail"]);
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains(r#"[~] properties.tags.cost-center: "4711" -> "4712""#),
        "{}",
        run.stdout
    );
}

/// The mutation property test: any single change to a file `cdk deploy` reads (the
/// manifest, a template, an asset manifest) makes `dpc diff --fail` exit 1.
///
/// Not mutated, because they are not deployment changes (see `diff/settings.rs`): the
/// `version` of the manifest and of each asset manifest, `cdk.out`, `lineage.json`
/// (compared as the dependency graph), dpc's own marker and cache files.
mod mutations {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;
    use std::sync::OnceLock;

    /// The kinds of file `cdk deploy` reads, by how their names end.
    const KINDS: [&str; 3] = ["manifest.json", ".template.json", ".assets.json"];

    /// One place a mutation can go: a file and a path of keys and indexes into it.
    #[derive(Clone, Debug)]
    struct Site {
        file: String,
        path: Vec<Step>,
        what: Node,
    }

    #[derive(Clone, Debug)]
    enum Step {
        Key(String),
        Index(usize),
    }

    /// What is at the path.
    #[derive(Clone, Debug)]
    enum Node {
        /// A string, number, bool or null: changed.
        Leaf,
        /// An object key (the last step): renamed.
        Key,
        /// An array element (the last step): removed.
        Element,
        /// An empty object or array: gets an element.
        Empty,
    }

    /// The case study synthesized once for all cases, with every mutation site.
    fn assembly() -> &'static (tempfile::TempDir, Vec<Site>) {
        static ASSEMBLY: OnceLock<(tempfile::TempDir, Vec<Site>)> = OnceLock::new();
        ASSEMBLY.get_or_init(|| {
            let out = tempfile::tempdir().expect("tempdir");
            synth(&common::repo().join("examples/case-study"), out.path());
            let mut sites = Vec::new();
            for (file, bytes) in common::read_tree(out.path()) {
                if !(file == "manifest.json"
                    || file.ends_with(".template.json")
                    || file.ends_with(".assets.json"))
                {
                    continue;
                }
                let value: Value = serde_json::from_slice(&bytes).expect("json");
                collect(&file, &mut Vec::new(), &value, &mut sites);
            }
            (out, sites)
        })
    }

    fn collect(file: &str, path: &mut Vec<Step>, value: &Value, out: &mut Vec<Site>) {
        let site = |path: &[Step], what| Site {
            file: file.to_owned(),
            path: path.to_vec(),
            what,
        };
        match value {
            Value::Object(map) if map.is_empty() => out.push(site(path, Node::Empty)),
            Value::Array(items) if items.is_empty() => out.push(site(path, Node::Empty)),
            Value::Object(map) => {
                for (key, child) in map {
                    // The file format's version is not a deployment change.
                    if path.is_empty() && key == "version" {
                        continue;
                    }
                    path.push(Step::Key(key.clone()));
                    out.push(site(path, Node::Key));
                    collect(file, path, child, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Step::Index(i));
                    out.push(site(path, Node::Element));
                    collect(file, path, child, out);
                    path.pop();
                }
            }
            _ => out.push(site(path, Node::Leaf)),
        }
    }

    /// `value` with the mutation of `site` applied.
    fn mutate(mut value: Value, site: &Site) -> Value {
        let (parent_path, last) = match site.what {
            Node::Key | Node::Element => {
                (&site.path[..site.path.len() - 1], site.path.last().cloned())
            }
            Node::Leaf | Node::Empty => (&site.path[..], None),
        };
        let mut node = &mut value;
        for step in parent_path {
            node = match step {
                Step::Key(k) => node.get_mut(k.as_str()).expect("path exists"),
                Step::Index(i) => node.get_mut(*i).expect("path exists"),
            };
        }
        match (&site.what, last, node) {
            (Node::Key, Some(Step::Key(k)), Value::Object(map)) => {
                // Renamed in place: the order of keys stays as it was.
                *map = std::mem::take(map)
                    .into_iter()
                    .map(|(key, v)| {
                        if key == k {
                            (format!("{key}-mutated"), v)
                        } else {
                            (key, v)
                        }
                    })
                    .collect();
            }
            (Node::Element, Some(Step::Index(i)), Value::Array(items)) => {
                items.remove(i);
            }
            (Node::Empty, None, Value::Object(map)) => {
                map.insert("mutated".to_owned(), Value::from("mutated"));
            }
            (Node::Empty, None, Value::Array(items)) => items.push(Value::from("mutated")),
            (Node::Leaf, None, leaf) => {
                *leaf = match leaf.take() {
                    Value::String(s) => Value::String(format!("{s}-mutated")),
                    Value::Bool(b) => Value::Bool(!b),
                    Value::Number(n) => Value::from(n.as_f64().unwrap_or(0.0) + 1.0),
                    _ => Value::from("mutated"),
                };
            }
            (what, _, node) => panic!("cannot apply {what:?} to {node}"),
        }
        value
    }

    proptest! {
        // Each case reads and diffs two assemblies in-process: bounded, so CI stays fast.
        #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

        #[test]
        fn any_single_mutation_fails_the_diff(kind in 0..KINDS.len(), pick in any::<Index>()) {
            let (old, sites) = assembly();
            // A kind of file first, then a site in it: templates hold most of the sites,
            // and the manifest and asset manifests must be hit as often.
            let sites: Vec<&Site> =
                sites.iter().filter(|s| s.file.ends_with(KINDS[kind])).collect();
            prop_assume!(!sites.is_empty());
            let site = *pick.get(&sites);
            let new = tempfile::tempdir().expect("tempdir");
            for (file, bytes) in common::read_tree(old.path()) {
                std::fs::write(new.path().join(&file), bytes).expect("write");
            }
            let file = new.path().join(&site.file);
            let value: Value =
                serde_json::from_slice(&std::fs::read(&file).expect("read")).expect("json");
            let mutated = mutate(value, site);
            std::fs::write(&file, serde_json::to_vec_pretty(&mutated).expect("json"))
                .expect("write");
            let run = dpc(&["diff", &arg(old.path()), &arg(new.path()), "--fail"]);
            prop_assert_eq!(
                run.code, 1,
                "{:?} went unnoticed:\n{}{}", site, run.stdout, run.stderr
            );
        }
    }

    /// The sites cover all three kinds of file, so a case can hit each.
    #[test]
    fn every_kind_of_file_has_mutation_sites() {
        let (_, sites) = assembly();
        for suffix in KINDS {
            assert!(
                sites.iter().any(|s| s.file.ends_with(suffix)),
                "no site in a {suffix} file"
            );
        }
    }
}
