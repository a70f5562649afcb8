//! The output folder is dpc's alone while it writes: a second synth waits or fails
//! naming the first one's pid, a synth killed with `kill -9` at any point leaves the old
//! assembly, the new one or one without a manifest, and the next synth repairs it.
//!
//! These run the real `dpc` binary as child processes. The test hook
//! `DPC_TEST_PAUSE_BEFORE_WRITE=N` makes it stop before its N-th change to the disk and
//! wait for a line on standard input, so a test can kill it or hold its lock there.

#![cfg(unix)]

mod common;

use common::{copy_example, dpc, read_tree};
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// `dpc synth ORG -o OUT` as a child process, paused before change `pause` when given.
fn spawn_synth(org: &Path, out: &Path, pause: Option<usize>, lock_timeout: &str) -> Child {
    let mut command = Command::new(env!("CARGO_BIN_EXE_dpc"));
    command
        .args([
            "synth",
            org.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ])
        .env("DPC_LOCK_TIMEOUT", lock_timeout)
        .env_remove("DPC_TEST_PAUSE_BEFORE_WRITE")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    if let Some(n) = pause {
        command.env("DPC_TEST_PAUSE_BEFORE_WRITE", n.to_string());
    }
    command.spawn().expect("dpc runs")
}

/// Reads the child's stderr on a thread; returns a receiver of its lines.
fn stderr_lines(child: &mut Child) -> mpsc::Receiver<String> {
    let stderr = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// Waits for the pause line; `false` when the child ended without pausing.
fn paused(lines: &mpsc::Receiver<String>) -> bool {
    loop {
        match lines.recv_timeout(Duration::from_secs(60)) {
            Ok(line) if line.contains("test hook: paused before write") => return true,
            Ok(_) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return false,
            Err(mpsc::RecvTimeoutError::Timeout) => panic!("dpc neither paused nor ended"),
        }
    }
}

/// The folder without dpc's own bookkeeping (temporary, moved-aside and pid files).
fn assembly_files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = read_tree(dir);
    files.retain(|name, _| {
        !(name.starts_with(".dpc-tmp-") || name.starts_with(".dpc-old-") || name == ".dpc-lock")
    });
    files
}

fn copy_tree(from: &Path, to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    for (name, bytes) in read_tree(from) {
        let path = to.join(&name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, bytes).expect("write");
    }
}

#[test]
fn a_synth_killed_at_any_write_leaves_old_or_new_and_the_next_repairs_it() {
    let (_tmp, org) = copy_example("case-study");
    let old_dir = org.join("old.out");
    let run = dpc(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        old_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let old = read_tree(&old_dir);
    // The new input: one pipeline changed (its stack rewritten), one job script changed
    // (its staged asset has a new name, the old one is stale).
    let file = org.join("searches/pipeline.yaml");
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(&file, text.replace("timeout: 3h", "timeout: 4h")).expect("write");
    let script = org.join("listings/jobs/extract_listings.py");
    let mut text = std::fs::read_to_string(&script).expect("read");
    text.push_str("# changed\n");
    std::fs::write(&script, text).expect("write");
    let new_dir = org.join("new.out");
    let run = dpc(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        new_dir.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let new = read_tree(&new_dir);
    assert_ne!(old, new);

    let out = org.join("cdk.out");
    let mut states = [0usize; 3];
    let mut finished = false;
    for n in [
        1, 2, 3, 5, 8, 12, 16, 20, 25, 30, 35, 40, 45, 50, 60, 70, 80, 100, 130, 170, 220, 300,
    ] {
        copy_tree(&old_dir, &out);
        let mut child = spawn_synth(&org, &out, Some(n), "30");
        let lines = stderr_lines(&mut child);
        if !paused(&lines) {
            assert!(child.wait().expect("wait").success());
            assert_eq!(read_tree(&out), new, "not paused: the new assembly");
            finished = true;
            break;
        }
        child.kill().expect("kill -9");
        child.wait().expect("reaped");
        let seen = assembly_files(&out);
        if seen == old {
            states[0] += 1;
        } else if seen == new {
            states[1] += 1;
        } else {
            assert!(
                !seen.contains_key("manifest.json"),
                "killed before write {n}: a manifest over a mix of old and new: {:?}",
                seen.keys()
            );
            states[2] += 1;
        }
        let run = dpc(&[
            "synth",
            org.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(
            run.code, 0,
            "repair after a kill before write {n}: {}",
            run.stderr
        );
        assert_eq!(
            read_tree(&out),
            new,
            "repaired after a kill before write {n}"
        );
    }
    println!(
        "killed: {} left the old assembly, {} the new one, {} one without a manifest",
        states[0], states[1], states[2]
    );
    assert!(finished, "dpc never got past the last pause point");
    assert!(states[0] > 0, "no kill left the old assembly: {states:?}");
    assert!(states[2] > 0, "no kill fell in the commit: {states:?}");
}

#[test]
fn a_second_synth_into_a_locked_folder_names_the_writer_and_one_assembly_results() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    let mut first = spawn_synth(&org, &out, Some(2), "30");
    let lines = stderr_lines(&mut first);
    assert!(paused(&lines), "the first synth pauses holding the lock");
    let second = spawn_synth(&org, &out, None, "0.3")
        .wait_with_output()
        .expect("second synth");
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(1), "{stderr}");
    let expected = format!(
        "another dpc is writing {} (pid {})",
        out.display(),
        first.id()
    );
    assert!(stderr.contains(&expected), "{stderr}");
    assert!(stderr.contains("error[DM0505]"), "{stderr}");
    // The first goes on and finishes: one valid assembly, what a synth alone gives.
    first
        .stdin
        .take()
        .expect("stdin")
        .write_all(b"\n")
        .expect("resume");
    assert!(first.wait().expect("wait").success());
    let reference = org.join("reference");
    let run = dpc(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        reference.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read_tree(&out), read_tree(&reference));
}

#[test]
fn two_synths_at_once_into_one_folder_leave_one_valid_assembly() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    let a = spawn_synth(&org, &out, None, "120");
    let b = spawn_synth(&org, &out, None, "120");
    for child in [a, b] {
        let output = child.wait_with_output().expect("wait");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let reference = org.join("reference");
    let run = dpc(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        reference.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(read_tree(&out), read_tree(&reference));
}

#[test]
fn an_output_path_that_is_no_folder_is_refused_at_once() {
    let (_tmp, org) = copy_example("case-study");
    let fifo = org.join("fifo.out");
    let status = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(status.success());
    let file = org.join("file.out");
    std::fs::write(&file, "mine").expect("write");
    for (path, kind) in [
        (fifo.as_path(), "a FIFO (named pipe)"),
        (file.as_path(), "a regular file"),
        (Path::new("/dev/null"), "a character device"),
    ] {
        let child = Command::new(env!("CARGO_BIN_EXE_dpc"))
            .args([
                "synth",
                org.to_str().expect("utf-8"),
                "-o",
                path.to_str().expect("utf-8"),
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("dpc runs");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let _ = tx.send(child.wait_with_output());
        });
        let output = rx
            .recv_timeout(Duration::from_secs(30))
            .expect("dpc hung on an output path that is no folder")
            .expect("output");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains(&format!("is {kind}, not a folder")),
            "{}: {stderr}",
            path.display()
        );
    }
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "mine");
}
