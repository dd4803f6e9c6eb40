//! Location of `../shared/data` (relative to the project root) for the reader/output tests.

use std::path::PathBuf;

/// The shared data folder, or `None` (after printing why) when it is absent, so tests skip.
/// `SCOPECLOUD_DATA` overrides the location.
pub fn data_dir() -> Option<PathBuf> {
    let p = std::env::var_os("SCOPECLOUD_DATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/data")
        });
    if p.is_dir() {
        Some(p)
    } else {
        eprintln!(
            "SKIP: shared data folder {} is absent; tests on real files skipped",
            p.display()
        );
        None
    }
}
