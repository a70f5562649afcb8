//! Writing the cloud assembly: changed files only, stale files removed, foreign
//! directories refused, failed synthesis leaves the directory alone.

// Helpers outside #[test] fns unwrap too: in a test a panic is the failure report.
#![allow(clippy::unwrap_used)]

use dpc_core::{App, Assembly, FileAsset, RawResource, StackProps, codes};
use serde_json::json;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn env() -> StackProps {
    StackProps {
        account: "111111111111".into(),
        region: "eu-west-1".into(),
        ..StackProps::default()
    }
}

/// A fresh directory under the system temp dir, removed first if a previous run left it.
fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("dpc-core-writer-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

/// Stacks `A` (a queue named `queue_name`) and, when `with_b`, `B` with a zipped directory asset.
fn assembly(queue_name: &str, with_b: bool, asset_dir: &Path) -> Assembly {
    let mut app = App::new();
    let a = app.add_stack("A", env()).unwrap();
    app.scope(a)
        .unwrap()
        .add_resource(
            "Q",
            RawResource::new("AWS::SQS::Queue", json!({"QueueName": queue_name})),
        )
        .unwrap();
    if with_b {
        let b = app.add_stack("B", env()).unwrap();
        app.scope(b)
            .unwrap()
            .add_file_asset(FileAsset::directory(asset_dir))
            .unwrap();
    }
    app.synth().unwrap()
}

/// Every file under `dir`, relative path → bytes.
fn snapshot(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let rel = path
                    .strip_prefix(dir)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    out
}

fn asset_source(name: &str) -> PathBuf {
    let dir = temp_dir(&format!("{name}-src"));
    std::fs::create_dir_all(dir.join("pkg")).unwrap();
    std::fs::write(dir.join("main.py"), "print(1)\n").unwrap();
    std::fs::write(dir.join("pkg/util.py"), "X = 1\n").unwrap();
    dir
}

#[test]
fn rewrites_only_what_changed_and_removes_stale_files() {
    let out = temp_dir("rewrite");
    let src = asset_source("rewrite");

    let first = assembly("one", true, &src).write(&out).unwrap();
    assert!(first.unchanged.is_empty() && first.removed.is_empty());
    assert_eq!(
        first.written.last().map(String::as_str),
        Some("manifest.json"),
        "manifest last"
    );
    let written = snapshot(&out);
    let reference = assembly("one", true, &src);
    let expected: Vec<&str> = reference.files().map(|(p, _)| p).collect();
    assert!(
        expected.iter().all(|p| written.contains_key(*p)),
        "{:?}",
        written.keys()
    );
    let asset_file = expected
        .iter()
        .find(|p| p.ends_with("/pkg/util.py"))
        .unwrap()
        .to_string();

    let again = assembly("one", true, &src).write(&out).unwrap();
    assert!(again.written.is_empty(), "{:?}", again.written);
    assert!(again.removed.is_empty());
    assert_eq!(snapshot(&out), written);

    // Changing A's template rewrites A's template, its asset manifest (the template's
    // hash) and the manifest (the template URL); B is untouched.
    let changed = assembly("two", true, &src).write(&out).unwrap();
    assert_eq!(
        changed.written,
        ["A.template.json", "A.assets.json", "manifest.json"]
    );

    // Dropping B removes its files, including the staged asset directory.
    let dropped = assembly("two", false, &src).write(&out).unwrap();
    assert!(
        dropped.removed.contains(&"B.template.json".to_owned()),
        "{:?}",
        dropped.removed
    );
    assert!(
        dropped.removed.contains(&asset_file),
        "{:?}",
        dropped.removed
    );
    let asset_dir = asset_file.split('/').next().unwrap();
    assert!(
        !out.join(asset_dir).exists(),
        "empty asset directory removed"
    );
    assert!(!out.join("B.assets.json").exists());
    assert!(out.join("A.template.json").exists());

    let _ = std::fs::remove_dir_all(&out);
    let _ = std::fs::remove_dir_all(&src);
}

#[test]
fn refuses_a_foreign_non_empty_directory_and_leaves_it_alone() {
    let out = temp_dir("foreign");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("notes.txt"), "mine").unwrap();
    let before = snapshot(&out);
    let err = assembly("one", false, Path::new("unused"))
        .write(&out)
        .unwrap_err();
    assert_eq!(err.code, codes::FOREIGN_OUTPUT_DIR);
    assert!(
        err.message.contains("was not written by dpc"),
        "{}",
        err.message
    );
    assert_eq!(snapshot(&out), before);

    // A file where the directory should be is refused too, as what it is.
    let file = out.join("notes.txt");
    let err = assembly("one", false, Path::new("unused"))
        .write(&file)
        .unwrap_err();
    assert_eq!(err.code, codes::OUTPUT_NOT_A_FOLDER);
    assert!(
        err.message.contains("is a regular file, not a folder"),
        "{}",
        err.message
    );
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn user_files_in_a_dpc_directory_survive() {
    let out = temp_dir("userfiles");
    assembly("one", false, Path::new("unused"))
        .write(&out)
        .unwrap();
    std::fs::write(out.join("README.txt"), "kept").unwrap();
    let report = assembly("two", false, Path::new("unused"))
        .write(&out)
        .unwrap();
    assert!(report.removed.is_empty());
    assert_eq!(std::fs::read(out.join("README.txt")).unwrap(), b"kept");
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn a_failed_synth_never_touches_the_directory() {
    let out = temp_dir("failed");
    assembly("one", false, Path::new("unused"))
        .write(&out)
        .unwrap();
    let before = snapshot(&out);

    let mut app = App::new();
    let a = app.add_stack("A", env()).unwrap();
    app.scope(a)
        .unwrap()
        .add_resource(
            "Q",
            RawResource::new("AWS::SQS::Queue", json!({"QueueName": {"Ref": "Nope"}})),
        )
        .unwrap();
    let diagnostics = match app.synth() {
        Ok(assembly) => panic!(
            "synth should fail; it would write {:?}",
            assembly.write(&out)
        ),
        Err(diagnostics) => diagnostics,
    };
    assert_eq!(diagnostics[0].code, codes::DANGLING_REFERENCE);
    assert_eq!(snapshot(&out), before);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn extra_files_are_written_and_checked() {
    let out = temp_dir("extra");
    let mut asm = assembly("one", false, Path::new("unused"));
    asm.add_file("lineage.json", b"{}\n".to_vec()).unwrap();
    for bad in [
        "../escape.json",
        "/abs.json",
        "manifest.json",
        "A.template.json",
        "a//b",
        ".dpc-assembly",
        "",
    ] {
        assert_eq!(
            asm.add_file(bad, vec![]).unwrap_err().code,
            codes::INVALID_ASSEMBLY_FILE,
            "{bad}"
        );
    }
    assert_eq!(asm.files().last().map(|(p, _)| p), Some("manifest.json"));
    let report = asm.write(&out).unwrap();
    assert!(report.written.contains(&"lineage.json".to_owned()));
    assert_eq!(std::fs::read(out.join("lineage.json")).unwrap(), b"{}\n");
    // The next synth without lineage.json removes it: it was dpc's.
    let report = assembly("one", false, Path::new("unused"))
        .write(&out)
        .unwrap();
    assert_eq!(report.removed, ["lineage.json"]);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn an_asset_built_later_is_listed_but_never_removed() {
    let out = temp_dir("later");
    let build = || {
        let mut app = App::new();
        let a = app.add_stack("A", env()).unwrap();
        let asset = FileAsset::file(out.join("no-such-bundle.zip")).with_id("bundle-1");
        app.scope(a).unwrap().add_file_asset(asset).unwrap();
        app.synth().unwrap()
    };
    build().write(&out).unwrap();
    // What `--bundle` would do: build the zip into the assembly under its staged name.
    std::fs::write(out.join("asset.bundle-1.zip"), b"PK").unwrap();
    let report = build().write(&out).unwrap();
    assert!(report.removed.is_empty());
    assert_eq!(
        std::fs::read(out.join("asset.bundle-1.zip")).unwrap(),
        b"PK"
    );
    let _ = std::fs::remove_dir_all(&out);
}
