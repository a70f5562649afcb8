//! What dpc reads is checked before it is read, and stays where it belongs: a FIFO where
//! a file or folder should be is an error at once (never a hang), and a job script
//! outside its project is an error at its line, never copied into an assembly.

#![cfg(unix)]

mod common;

use common::{Outcome, copy_example, dpc, read_tree};
use std::path::Path;
use std::sync::mpsc;
use std::time::Duration;

/// Runs `dpc ARGS` on another thread and fails the test if it does not end within 20
/// seconds: a read that blocks on a FIFO must fail the test, not hang it.
fn dpc_within_time(args: &[&str]) -> Outcome {
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        let _ = tx.send(dpc(&refs));
    });
    rx.recv_timeout(Duration::from_secs(20))
        .expect("dpc did not finish within 20 s: it blocked on something it should not read")
}

fn mkfifo(path: &Path) {
    let status = std::process::Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("mkfifo runs");
    assert!(status.success(), "mkfifo {}", path.display());
}

/// `(line, column)` of the first `script: <value>` in `text`, 1-based, at the value.
fn script_position(text: &str, value: &str) -> (usize, usize) {
    let needle = format!("script: {value}");
    for (i, line) in text.lines().enumerate() {
        if let Some(col) = line.find(&needle) {
            return (i + 1, col + "script: ".len() + 1);
        }
    }
    panic!("no `{needle}` in\n{text}");
}

/// Points pipeline-x's spark step at `script` and returns where the value sits.
fn use_script(org: &Path, script: &str) -> (String, usize, usize) {
    let file = org.join("pipeline-x/pipeline.yaml");
    let text = std::fs::read_to_string(&file).expect("pipeline.yaml");
    let text = text.replace("script: jobs/aggregate.py", &format!("script: {script}"));
    std::fs::write(&file, &text).expect("write pipeline.yaml");
    let (line, column) = script_position(&text, script);
    (file.display().to_string(), line, column)
}

#[test]
fn a_fifo_as_pipeline_yaml_is_an_error_at_once() {
    let (_tmp, org) = copy_example("case-study");
    let file = org.join("searches/pipeline.yaml");
    std::fs::remove_file(&file).expect("remove");
    mkfifo(&file);
    // Listed as a project? A FIFO is not a regular file, so it is not found as one, or
    // refused when it is named: either way no read blocks.
    let project = org.join("searches");
    let run = dpc_within_time(&["validate", project.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let named = dpc_within_time(&["validate", file.to_str().expect("utf-8")]);
    assert_eq!(named.code, 1, "{}", named.stderr);
    let run = dpc_within_time(&["validate", org.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("FIFO") && run.stderr.contains("searches/pipeline.yaml"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_fifo_as_platform_yaml_is_an_error_at_once() {
    let (_tmp, org) = copy_example("case-study");
    let file = org.join("platform.yaml");
    std::fs::remove_file(&file).expect("remove");
    mkfifo(&file);
    let run = dpc_within_time(&["validate", org.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(run.stderr.contains("platform.yaml"), "{}", run.stderr);
}

#[test]
fn a_fifo_as_a_job_script_is_an_error_at_its_line() {
    let (_tmp, org) = copy_example("case-study");
    let script = org.join("pipeline-x/jobs/aggregate.py");
    std::fs::remove_file(&script).expect("remove");
    mkfifo(&script);
    let out = org.join("cdk.out");
    let run = dpc_within_time(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("script `jobs/aggregate.py` of step `aggregate` is a FIFO (named pipe), not a regular file"),
        "{}",
        run.stderr
    );
    let text = std::fs::read_to_string(org.join("pipeline-x/pipeline.yaml")).expect("read");
    let (line, column) = script_position(&text, "jobs/aggregate.py");
    let at = format!("pipeline-x/pipeline.yaml:{line}:{column}");
    assert!(run.stderr.contains(&at), "not at {at}: {}", run.stderr);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn a_fifo_given_to_diff_is_an_error_at_once() {
    let (_tmp, org) = copy_example("case-study");
    let out = org.join("cdk.out");
    let run = dpc(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let fifo = org.join("fifo");
    mkfifo(&fifo);
    // As the assembly folder…
    let run = dpc_within_time(&[
        "diff",
        fifo.to_str().expect("utf-8"),
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("is a FIFO (named pipe), not a cloud assembly folder"),
        "{}",
        run.stderr
    );
    // …and as a template and a manifest inside one.
    let copy = org.join("copy.out");
    std::fs::create_dir_all(&copy).expect("mkdir");
    for (name, bytes) in read_tree(&out) {
        if !name.contains('/') {
            std::fs::write(copy.join(&name), bytes).expect("copy");
        }
    }
    let template = copy.join("dpc-central.template.json");
    std::fs::remove_file(&template).expect("remove");
    mkfifo(&template);
    let run = dpc_within_time(&[
        "diff",
        out.to_str().expect("utf-8"),
        copy.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("dpc-central.template.json"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("FIFO"), "{}", run.stderr);
    std::fs::remove_file(copy.join("manifest.json")).expect("remove");
    mkfifo(&copy.join("manifest.json"));
    let run = dpc_within_time(&[
        "diff",
        out.to_str().expect("utf-8"),
        copy.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("manifest.json") && run.stderr.contains("FIFO"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_script_outside_the_project_is_an_error_at_its_line_in_each_form() {
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let secret = elsewhere.path().join("secret.py");
    std::fs::write(&secret, "SECRET = 'never shipped'\n").expect("write");
    let absolute = secret.display().to_string();
    for (script, label) in [
        ("../shared.py", "`..` leads out of the project folder"),
        (
            absolute.as_str(),
            "an absolute path outside the project folder",
        ),
        ("jobs/out.py", "a link that leads out of the project folder"),
    ] {
        let (_t, org) = copy_example("case-study");
        std::fs::write(org.join("shared.py"), "SHARED = 'never shipped'\n").expect("write");
        std::os::unix::fs::symlink(&secret, org.join("pipeline-x/jobs/out.py")).expect("symlink");
        let (file, line, column) = use_script(&org, script);
        let run = dpc(&["validate", org.to_str().expect("utf-8")]);
        assert_eq!(run.code, 1, "{script}: {}", run.stderr);
        assert!(
            run.stderr.contains("error[DM0225]"),
            "{script}: {}",
            run.stderr
        );
        assert!(run.stderr.contains(label), "{script}: {}", run.stderr);
        let at = format!("pipeline-x/pipeline.yaml:{line}:{column}");
        assert!(
            run.stderr.contains(&at),
            "{script} not at {at} of {file}: {}",
            run.stderr
        );

        let out = org.join("cdk.out");
        let run = dpc(&[
            "synth",
            org.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        assert_eq!(run.code, 1, "{script}: {}", run.stderr);
        assert!(!out.exists(), "{script}: nothing written");
    }
}

#[test]
fn a_link_inside_the_project_to_a_file_inside_it_is_shipped() {
    let (_tmp, org) = copy_example("case-study");
    let jobs = org.join("pipeline-x/jobs");
    std::os::unix::fs::symlink("aggregate.py", jobs.join("linked.py")).expect("symlink");
    use_script(&org, "jobs/linked.py");
    let out = org.join("cdk.out");
    let run = dpc(&[
        "synth",
        org.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let script = std::fs::read(jobs.join("aggregate.py")).expect("script");
    assert!(
        read_tree(&out)
            .iter()
            .any(|(name, bytes)| name.starts_with("asset.") && *bytes == script),
        "the linked script is staged"
    );
}

/// Whether this test runs as root, where permission bits do not stop reads: the owner of
/// a file it just made.
fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = tempfile::NamedTempFile::new().expect("temp file");
    probe.as_file().metadata().expect("metadata").uid() == 0
}

#[test]
fn an_unreadable_project_folder_is_an_error_not_a_dropped_stack() {
    use std::os::unix::fs::PermissionsExt;
    let (tmp, org) = copy_example("case-study");
    let project = org.join("searches");
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    let run = if running_as_root() {
        // Root reads any folder: run dpc as `nobody` instead, which the bits do stop.
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            println!("skipped: running as root and /usr/bin/setpriv is missing to drop privileges");
            return;
        }
        std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755))
            .expect("chmod");
        let output = std::process::Command::new(setpriv)
            .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_dpc"))
            .args([
                "synth",
                org.to_str().expect("utf-8"),
                "-o",
                "/dev/null/never",
            ])
            .output()
            .expect("setpriv runs");
        Outcome {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    } else {
        let out = org.join("cdk.out");
        dpc(&[
            "synth",
            org.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
        ])
    };
    std::fs::set_permissions(&project, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("error[DM0102]: cannot read folder") && run.stderr.contains("searches"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_linked_pipeline_yaml_is_an_error_not_a_dropped_stack() {
    let (_tmp, org) = copy_example("case-study");
    let file = org.join("searches/pipeline.yaml");
    let moved = org.join("searches/real.yaml");
    std::fs::rename(&file, &moved).expect("rename");
    std::os::unix::fs::symlink("real.yaml", &file).expect("symlink");
    let run = dpc(&["validate", org.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("searches/pipeline.yaml` is a symbolic link"),
        "{}",
        run.stderr
    );
}

#[test]
fn a_folder_name_that_is_not_utf8_is_reported_with_its_lossy_path() {
    use std::os::unix::ffi::OsStrExt;
    let (_tmp, org) = copy_example("case-study");
    let name = std::ffi::OsStr::from_bytes(b"caf\xe9");
    if std::fs::create_dir(org.join(name)).is_err() {
        println!("skipped: this file system refuses names that are not UTF-8");
        return;
    }
    let run = dpc(&["validate", org.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("folder name `") && run.stderr.contains("caf\u{fffd}` is not UTF-8"),
        "{}",
        run.stderr
    );
}
