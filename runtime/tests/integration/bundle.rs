//! The glibc symbol check of scripts/build-bundle, on the binary this test built
//! (with the host's glibc): it must refuse a limit the binary exceeds and accept one
//! it meets. (The bundle itself is checked by scripts/build-bundle on every build.)

use std::path::PathBuf;
use std::process::Command;

fn check(max: &str) -> std::process::Output {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    Command::new("bash")
        .arg(root.join("scripts/build-bundle"))
        .arg("--check-glibc")
        .arg(env!("CARGO_BIN_EXE_bootstrap"))
        .arg(max)
        .output()
        .expect("bash runs scripts/build-bundle")
}

#[test]
fn the_glibc_check_refuses_newer_symbols_and_accepts_older_ones() {
    let strict = check("2.2.4");
    assert!(
        !strict.status.success(),
        "every binary needs more than glibc 2.2.4"
    );
    assert!(String::from_utf8_lossy(&strict.stderr).contains("glibc check FAILED"));
    let loose = check("99.0");
    assert!(
        loose.status.success(),
        "{}",
        String::from_utf8_lossy(&loose.stderr)
    );
    assert!(String::from_utf8_lossy(&loose.stdout).contains("<= 99.0"));
}
