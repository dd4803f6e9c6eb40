//! Helpers shared by the CLI's integration tests: run the built binary, fresh temp folders.
#![allow(dead_code)] // each test file uses its own subset

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// Runs the `scopecloud-worker` binary built for these tests.
pub fn worker(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scopecloud-worker"))
        .args(args)
        .output()
        .expect("run scopecloud-worker")
}

/// Runs the worker and fails the test with its stderr unless it exits 0.
pub fn ok(args: &[&str]) {
    let o = worker(args);
    assert!(
        o.status.success(),
        "{:?} failed: {}",
        args,
        String::from_utf8_lossy(&o.stderr)
    );
}

/// An empty folder under the temp dir, unique to this test process and `name`.
pub fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("scopecloud-cli-{}-{}", name, std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

pub fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}
