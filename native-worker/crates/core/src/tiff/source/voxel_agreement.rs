//! The voxel size of a movie of several files: each file's metadata states its own, and the movie
//! has one only when every file states the same.
//!
//! Contract: no file's size is picked over another's. When they differ (a file stating no size
//! differs from one stating a size), every part is `None`, `disagreement` says which files state
//! what (file names) and a warning says the same with full paths.

use super::super::voxel::VoxelSize;
use std::path::{Path, PathBuf};

/// Sizes closer than this, relative, are the same (one size converted from another unit).
const SAME: f64 = 1e-6;

/// Groups of sizes the disagreement lists by name; the rest are counted.
const NAMED_GROUPS: usize = 4;

fn same_part(a: Option<f64>, b: Option<f64>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => (a - b).abs() <= SAME * a.abs().max(b.abs()),
        _ => false,
    }
}

fn same(a: &VoxelSize, b: &VoxelSize) -> bool {
    a.unit == b.unit && same_part(a.x, b.x) && same_part(a.y, b.y) && same_part(a.z, b.z)
}

/// `x 0.5, y 0.5, z 2 µm`, or `no size`.
fn describe(v: &VoxelSize) -> String {
    let parts: Vec<String> = [("x", v.x), ("y", v.y), ("z", v.z)]
        .iter()
        .filter_map(|(axis, s)| s.map(|s| format!("{axis} {}", (s * 1e6).round() / 1e6)))
        .collect();
    match (&v.unit, parts.is_empty()) {
        (Some(unit), false) => format!("{} {unit}", parts.join(", ")),
        _ => "no size".into(),
    }
}

/// `a.tif` or `a.tif and 3 more`, each file named by `name`.
fn files(group: &[&Path], name: impl Fn(&Path) -> String) -> String {
    match group {
        [one] => name(one),
        [first, rest @ ..] => format!("{} and {} more", name(first), rest.len()),
        [] => String::new(),
    }
}

fn list(groups: &[(&VoxelSize, Vec<&Path>)], name: impl Fn(&Path) -> String) -> String {
    let mut text: Vec<String> = groups
        .iter()
        .take(NAMED_GROUPS)
        .map(|(v, g)| format!("{}: {}", files(g, &name), describe(v)))
        .collect();
    if groups.len() > NAMED_GROUPS {
        text.push(format!("{} more sizes", groups.len() - NAMED_GROUPS));
    }
    text.join("; ")
}

/// The size every one of `sizes` (each file with what its own metadata states) states; when they
/// differ, none (see the module's contract), with a warning pushed to `warnings`.
pub(super) fn agreed(sizes: &[(PathBuf, VoxelSize)], warnings: &mut Vec<String>) -> VoxelSize {
    let mut groups: Vec<(&VoxelSize, Vec<&Path>)> = Vec::new();
    for (path, v) in sizes {
        match groups.iter_mut().find(|(g, _)| same(g, v)) {
            Some((_, paths)) => paths.push(path),
            None => groups.push((v, vec![path])),
        }
    }
    if groups.len() < 2 {
        return sizes.first().map(|(_, v)| v.clone()).unwrap_or_default();
    }
    let file_name = |p: &Path| {
        p.file_name()
            .map_or_else(|| p.display().to_string(), |n| n.to_string_lossy().into())
    };
    warnings.push(format!(
        "the input files state different voxel sizes ({}); no voxel size is used",
        list(&groups, |p| p.display().to_string())
    ));
    VoxelSize {
        disagreement: Some(list(&groups, file_name)),
        ..VoxelSize::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn um(x: Option<f64>, z: Option<f64>) -> VoxelSize {
        VoxelSize {
            x,
            y: x,
            z,
            unit: Some("µm".into()),
            disagreement: None,
        }
    }

    fn sized(list: &[(&str, VoxelSize)]) -> Vec<(PathBuf, VoxelSize)> {
        list.iter()
            .map(|(p, v)| (PathBuf::from(p), v.clone()))
            .collect()
    }

    #[test]
    fn files_that_agree_give_their_size() {
        let mut w = Vec::new();
        let v = um(Some(0.5), Some(2.0));
        let near = um(Some(0.5 * (1.0 + 1e-9)), Some(2.0));
        let got = agreed(
            &sized(&[("/d/a.tif", v.clone()), ("/d/b.tif", near)]),
            &mut w,
        );
        assert_eq!((got, w.len()), (v, 0));
        let none = agreed(
            &sized(&[("a", VoxelSize::default()), ("b", VoxelSize::default())]),
            &mut w,
        );
        assert_eq!((none, w.len()), (VoxelSize::default(), 0));
    }

    #[test]
    fn files_that_differ_give_none_and_say_which_states_what() {
        let mut w = Vec::new();
        let got = agreed(
            &sized(&[
                ("/d/a.tif", um(Some(0.5), Some(2.0))),
                ("/d/b.tif", um(Some(0.5), Some(5.0))),
                ("/d/c.tif", um(Some(0.5), Some(2.0))),
                ("/d/e.tif", VoxelSize::default()),
            ]),
            &mut w,
        );
        assert_eq!(
            (got.x, got.y, got.z, got.unit.as_deref()),
            (None, None, None, None)
        );
        assert_eq!(
            got.disagreement.as_deref(),
            Some("a.tif and 1 more: x 0.5, y 0.5, z 2 µm; b.tif: x 0.5, y 0.5, z 5 µm; e.tif: no size")
        );
        assert_eq!(w.len(), 1);
        assert!(w[0].contains("/d/b.tif: x 0.5, y 0.5, z 5 µm"), "{}", w[0]);
        // A unit of its own is another size, and past four sizes the rest are counted.
        let furlong = VoxelSize {
            unit: Some("furlong".into()),
            ..um(Some(0.5), Some(2.0))
        };
        let mut many = vec![("f.tif", furlong)];
        many.extend(
            ["1.tif", "2.tif", "3.tif", "4.tif"]
                .iter()
                .zip(1..)
                .map(|(n, z)| (*n, um(None, Some(f64::from(z))))),
        );
        let got = agreed(&sized(&many), &mut w);
        let text = got.disagreement.unwrap();
        assert!(
            text.starts_with("f.tif: x 0.5, y 0.5, z 2 furlong; 1.tif: z 1 µm"),
            "{text}"
        );
        assert!(text.ends_with("; 1 more sizes"), "{text}");
    }
}
