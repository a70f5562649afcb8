//! What `dpc` does when its own output cannot be written: a full disk is an error
//! (exit 1, said on standard error), a reader that closed the pipe is an ordinary end.

use std::path::PathBuf;
use std::process::{Command, Stdio};

fn case_study() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../examples/case-study")
}

#[test]
fn a_full_standard_output_fails_the_command() {
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .expect("/dev/full exists on Linux");
    let out = Command::new(env!("CARGO_BIN_EXE_dpc"))
        .args(["graph", "--format", "json"])
        .arg(case_study())
        .stdin(Stdio::null())
        .stdout(full)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert!(
        stderr.contains("error: cannot write to standard output") && stderr.contains("space"),
        "stderr: {stderr}"
    );
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let (reader, writer) = std::io::pipe().unwrap();
    // The consumer is gone before dpc writes a byte, as after `| head` has read enough.
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_dpc"))
        .args(["schema", "pipeline"])
        .stdin(Stdio::null())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

#[test]
fn a_command_that_failed_keeps_its_exit_code_when_the_pipe_closes() {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let missing = case_study().join("no-such-project");
    let out = Command::new(env!("CARGO_BIN_EXE_dpc"))
        .args(["validate", "--format", "json"])
        .arg(missing)
        .stdin(Stdio::null())
        .stdout(writer)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}
