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

/// A synthetic movie `synth` writes: the settings the tests vary (as command-line values), the
/// frame square.
pub struct Synth<'a> {
    pub planes: &'a str,
    pub frames: &'a str,
    /// Width and height in pixels.
    pub size: &'a str,
    pub cells: &'a str,
    pub groups: &'a str,
    /// `None`: synth's default seed.
    pub seed: Option<&'a str>,
    /// Further `synth` arguments (`--pixel-size 2.5` ...).
    pub extra: &'a [&'a str],
}

impl Default for Synth<'_> {
    fn default() -> Self {
        Synth {
            planes: "1",
            frames: "160",
            size: "64",
            cells: "16",
            groups: "2",
            seed: None,
            extra: &[],
        }
    }
}

impl Synth<'_> {
    /// The two-plane movie of 240 frames that the plane-selection and merge tests analyse whole
    /// and plane by plane.
    pub fn sharded() -> Self {
        Synth {
            planes: "2",
            frames: "240",
            cells: "24",
            seed: Some("7"),
            ..Synth::default()
        }
    }

    /// Writes the movie to `path`, failing the test when `synth` fails; returns `path`.
    pub fn write(&self, path: &Path) -> PathBuf {
        let mut args = vec![
            "synth",
            "-o",
            s(path),
            "--planes",
            self.planes,
            "--frames",
            self.frames,
            "--width",
            self.size,
            "--height",
            self.size,
            "--cells",
            self.cells,
            "--groups",
            self.groups,
            "-q",
        ];
        if let Some(seed) = self.seed {
            args.extend(["--seed", seed]);
        }
        args.extend_from_slice(self.extra);
        ok(&args);
        path.to_path_buf()
    }
}

/// A synthetic two-plane movie of 160 frames of `size` x `size` pixels in `d`.
pub fn two_plane_movie(d: &Path, name: &str, size: &str, seed: &str) -> PathBuf {
    Synth {
        planes: "2",
        size,
        seed: Some(seed),
        ..Synth::default()
    }
    .write(&d.join(name))
}

/// Runs `analyze` of `inputs` into `out` with `extra` arguments, failing the test with its stderr
/// unless it exits 0; returns its stdout (the progress lines unless `extra` has `-q`).
pub fn analyze(inputs: &[&Path], out: &Path, extra: &[&str]) -> String {
    let mut args = vec!["analyze", "-i"];
    args.extend(inputs.iter().map(|p| s(p)));
    args.extend(["-o", s(out)]);
    args.extend_from_slice(extra);
    let o = worker(&args);
    assert!(
        o.status.success(),
        "{:?} failed: {}",
        args,
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout).expect("stdout is UTF-8")
}

/// The `summary.json` of the results folder `dir`.
pub fn summary(dir: &Path) -> serde_json::Value {
    json(&dir.join("summary.json"))
}

/// The ROI records of the results folder `dir`'s `rois.json`.
pub fn rois(dir: &Path) -> Vec<serde_json::Value> {
    json(&dir.join("rois.json"))["rois"]
        .as_array()
        .unwrap_or_else(|| panic!("{}: no rois array", dir.display()))
        .clone()
}

/// `path` parsed as JSON, failing the test with its name when it cannot be.
pub fn json(path: &Path) -> serde_json::Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {}", path.display(), e));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {}", path.display(), e))
}
