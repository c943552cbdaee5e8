//! Running the `admix` binary from the tests, as a user would.

#![allow(dead_code)] // each test file uses a part

use serde_json::Value;
use std::process::{Command, Output};

pub fn admix(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_admix"))
        .args(args)
        .output()
        .expect("the admix binary runs")
}

/// Runs a command that must succeed and returns its stdout.
pub fn admix_ok(args: &[&str]) -> Vec<u8> {
    let out = admix(args);
    assert!(
        out.status.success(),
        "admix {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Runs a command that must succeed and returns its stdout as JSON.
pub fn admix_json(args: &[&str]) -> Value {
    serde_json::from_slice(&admix_ok(args)).expect("stdout is JSON")
}

/// Runs a command that must fail without a panic, and returns its one-line
/// message and exit code.
pub fn admix_failure(args: &[&str]) -> (String, Option<i32>) {
    let out = admix(args);
    assert!(!out.status.success(), "admix {args:?} should fail");
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(
        !stderr.contains("panicked"),
        "a panic for admix {args:?}: {stderr}"
    );
    assert_eq!(
        stderr.trim_end().lines().count(),
        1,
        "one line for {args:?}: {stderr}"
    );
    (stderr, out.status.code())
}

/// Runs a command that must fail with the program's own error (not a usage
/// error), and returns its one line.
pub fn admix_error(args: &[&str]) -> String {
    let (stderr, _) = admix_failure(args);
    assert!(stderr.starts_with("admix: error:"), "{stderr}");
    stderr
}
