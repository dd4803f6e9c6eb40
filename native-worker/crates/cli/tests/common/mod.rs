//! Helpers shared by the CLI's integration tests: run the built binary, fresh temp folders.
#![allow(dead_code)] // each test file uses its own subset

pub mod contract;

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

/// The bytes of `p`, failing the test with its name when it cannot be read.
pub fn bytes(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("{}: {}", p.display(), e))
}

/// A synthetic two-plane movie of 160 frames of `size` x `size` pixels in `d`.
pub fn two_plane_movie(d: &Path, name: &str, size: &str, seed: &str) -> PathBuf {
    let m = d.join(name);
    ok(&[
        "synth",
        "-o",
        s(&m),
        "--planes",
        "2",
        "--frames",
        "160",
        "--width",
        size,
        "--height",
        size,
        "--cells",
        "16",
        "--groups",
        "2",
        "--seed",
        seed,
        "-q",
    ]);
    m
}

/// `path` parsed as JSON, failing the test with its name when it cannot be.
pub fn json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {}", path.display(), e))
}
