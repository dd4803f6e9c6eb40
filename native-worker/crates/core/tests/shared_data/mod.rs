//! The shared data set of real recordings for the tests on real files: `../shared/data`, the
//! folder beside the project root (the repository holding `native-worker/`), or
//! `$SCOPECLOUD_SHARED_DATA` (the Node tests read the same variable). A folder without the data
//! set's README.md (an empty mount, a wrong variable) counts as absent.
//!
//! Under CI (`CI` set to anything but empty, `0` or `false`) a test whose data is absent fails,
//! naming what is missing. Elsewhere it prints `SKIP: <reason>` and returns early, which cargo
//! reports as ok: that is allowed only outside CI.
//! The CLI's tests include this file too (`#[path]`), so there is one place that decides.
#![allow(dead_code)] // each test file uses its own subset

use std::path::PathBuf;

/// Where the data set is looked for.
pub fn location() -> PathBuf {
    std::env::var_os("SCOPECLOUD_SHARED_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/data")
        })
}

/// Whether the tests run under CI.
pub fn under_ci() -> bool {
    let ci = std::env::var("CI")
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    !ci.is_empty() && ci != "0" && ci != "false"
}

/// Reports that what a test needs is missing: prints `SKIP: <reason>` outside CI.
///
/// # Panics
/// Under CI, with a message naming `reason`.
pub fn missing(reason: &str) {
    assert!(
        !under_ci(),
        "CI=true and what this test needs is missing: {reason}"
    );
    eprintln!("SKIP: {reason}");
}

/// The data set's folder when it holds its README.md and each of `paths`; `None` outside CI
/// (after printing what is absent).
///
/// # Panics
/// Under CI when anything is absent, naming every absent path.
pub fn data_dir_with(paths: &[&str]) -> Option<PathBuf> {
    let dir = location();
    let absent: Vec<String> = std::iter::once("README.md")
        .chain(paths.iter().copied())
        .map(|p| dir.join(p))
        .filter(|p| !p.exists())
        .map(|p| p.display().to_string())
        .collect();
    if absent.is_empty() {
        return Some(dir);
    }
    missing(&format!(
        "shared data set absent: {} not found (the folder ../shared/data beside the checkout, or SCOPECLOUD_SHARED_DATA)",
        absent.join(", ")
    ));
    None
}

/// The data set's folder; see [`data_dir_with`].
pub fn data_dir() -> Option<PathBuf> {
    data_dir_with(&[])
}
