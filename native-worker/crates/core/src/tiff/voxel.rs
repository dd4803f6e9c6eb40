//! The physical size of a voxel, as the recording's metadata states it: OME-XML
//! `PhysicalSizeX/Y/Z` (with their units, µm when absent), the ImageJ description's `unit=` and
//! `spacing=` (z step) with the XResolution/YResolution tags (pixels per unit; without `unit=`,
//! the ResolutionUnit's), or, with neither, the resolution tags alone (inch or centimetre units).
//!
//! ScanImage states only the step between the planes of a stack, in micrometres (its stage unit).
//!
//! Contract: a size is never guessed. Each part the metadata does not state is `None`; sizes in a
//! known length unit are converted to micrometres (`unit` = `"µm"`); an ImageJ unit that is not
//! a known length keeps its own name, the sizes in it (an OME size in an unknown unit is
//! dropped, as each axis has its own). An uncalibrated ImageJ file (`unit=pixel`, or neither
//! `unit=` nor an inch/centimetre ResolutionUnit) and the 72 dots per inch that writers put in
//! by default state no size.

use super::ifd::Resolution;
use serde::Serialize;

/// Size of one voxel: `x` and `y` of a pixel (column and row), `z` between planes, in `unit`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VoxelSize {
    pub x: Option<f64>,
    pub y: Option<f64>,
    pub z: Option<f64>,
    /// `"µm"` for every known length unit (converted); otherwise the metadata's own unit name.
    /// `None` when no size is known.
    pub unit: Option<String>,
    /// Set when the files of a movie state different sizes (which files state what); every
    /// size above is then `None` (`source/voxel_agreement.rs`).
    pub disagreement: Option<String>,
}

/// The unit all known lengths are converted to.
pub const MICROMETRE: &str = "µm";

/// Micrometres in one `unit` (OME, ImageJ and TIFF spellings), `None` if not a known length.
pub fn micrometres_per(unit: &str) -> Option<f64> {
    Some(match unit.trim() {
        "µm" | "μm" | "um" | "micron" | "microns" | "micrometer" | "micrometre" | "\\u00B5m"
        | "\\u00b5m" => 1.0,
        "nm" | "nanometer" | "nanometre" => 1e-3,
        "pm" => 1e-6,
        "Å" | "angstrom" => 1e-4,
        "mm" | "millimeter" | "millimetre" => 1e3,
        "cm" | "centimeter" | "centimetre" => 1e4,
        "m" | "meter" | "metre" => 1e6,
        "in" | "inch" | "inches" => 25_400.0,
        _ => return None,
    })
}

fn positive(v: Option<f64>) -> Option<f64> {
    v.filter(|v| v.is_finite() && *v > 0.0)
}

/// Sizes in `unit` converted to µm when it is a known length; sizes stated without any usable
/// unit name are dropped.
fn in_unit(x: Option<f64>, y: Option<f64>, z: Option<f64>, unit: &str) -> VoxelSize {
    let (x, y, z) = (positive(x), positive(y), positive(z));
    if x.is_none() && y.is_none() && z.is_none() {
        return VoxelSize::default();
    }
    match micrometres_per(unit) {
        Some(k) => VoxelSize {
            x: x.map(|v| v * k),
            y: y.map(|v| v * k),
            z: z.map(|v| v * k),
            unit: Some(MICROMETRE.into()),
            disagreement: None,
        },
        None if !unit.trim().is_empty() => VoxelSize {
            x,
            y,
            z,
            unit: Some(unit.trim().to_string()),
            disagreement: None,
        },
        None => VoxelSize::default(),
    }
}

/// From the attributes of an OME `Pixels` element (`attr(name)`); each axis has its own unit.
pub fn ome<'a>(attr: impl Fn(&str) -> Option<&'a str>) -> VoxelSize {
    let axis = |a: &str| -> Option<f64> {
        let v: f64 = attr(&format!("PhysicalSize{a}"))?.trim().parse().ok()?;
        let unit = attr(&format!("PhysicalSize{a}Unit")).unwrap_or(MICROMETRE);
        positive(Some(v)).and_then(|v| Some(v * micrometres_per(unit)?))
    };
    let (x, y, z) = (axis("X"), axis("Y"), axis("Z"));
    VoxelSize {
        x,
        y,
        z,
        unit: (x.is_some() || y.is_some() || z.is_some()).then(|| MICROMETRE.into()),
        disagreement: None,
    }
}

/// ScanImage keys of the z step, first found first: 5 and later (the step the stack really took,
/// then the one set), 4, 3.
const SCANIMAGE_Z_STEP: [&str; 4] = [
    "SI.hStackManager.actualStackZStepSize",
    "SI.hStackManager.stackZStepSize",
    "scanimage.SI4.stackZStepSize",
    "state.acq.zStepSize",
];

/// From ScanImage's `key = value` settings (`value(key)`, quotes trimmed) of a movie of `planes`
/// planes: the z step in µm, unsigned (a negative step is a stack taken upwards). A value that is
/// not a non-zero number (`[]`, `NaN`, `0`) is skipped. ScanImage writes its stack settings
/// into single-plane recordings too, so with fewer than 2 planes it states nothing.
pub fn scanimage<'a>(value: impl Fn(&str) -> Option<&'a str>, planes: usize) -> VoxelSize {
    if planes < 2 {
        return VoxelSize::default();
    }
    let z = SCANIMAGE_Z_STEP.iter().find_map(|k| {
        let v: f64 = value(k)?.trim().parse().ok()?;
        positive(Some(v.abs()))
    });
    in_unit(None, None, z, MICROMETRE)
}

/// Pixel width and height in units per pixel, from pixels per unit.
fn pixel_size(r: Option<&Resolution>) -> (Option<f64>, Option<f64>) {
    r.map_or((None, None), |r| {
        (Some(1.0 / r.x_per_unit), Some(1.0 / r.y_per_unit))
    })
}

/// The length unit ResolutionUnit names (inch or centimetre), `None` for none or for the
/// 72 dots per inch writers store when they know no size.
fn resolution_unit(r: &Resolution) -> Option<&'static str> {
    match r.unit {
        2 if r.x_per_unit == 72.0 && r.y_per_unit == 72.0 => None,
        2 => Some("inch"),
        3 => Some("cm"),
        _ => None,
    }
}

/// From an ImageJ description (`ImageJ=...`) and the page's resolution tags, which ImageJ
/// writes in pixels per `unit=` (as ImageJ reads it: without `unit=`, the ResolutionUnit's inch
/// or centimetre); `None` when `desc` is not ImageJ's.
pub fn imagej(desc: &str, res: Option<&Resolution>) -> Option<VoxelSize> {
    if !desc.starts_with("ImageJ=") {
        return None;
    }
    let value = |k: &str| {
        desc.split(['\n', '\r'])
            .find_map(|l| l.split_once('=').filter(|(key, _)| key.trim() == k))
            .map(|(_, v)| v.trim().to_string())
    };
    let unit = match value("unit") {
        Some(u) if matches!(u.as_str(), "" | "pixel" | "pixels") => None,
        Some(u) => Some(u),
        None => res.and_then(resolution_unit).map(str::to_string),
    };
    let Some(unit) = unit else {
        return Some(VoxelSize::default());
    };
    let (x, y) = pixel_size(res);
    let z = value("spacing").and_then(|s| s.parse::<f64>().ok());
    Some(in_unit(x, y, z, &unit))
}

/// From the resolution tags alone (no ImageJ or OME metadata): inch or centimetre units, and
/// not the 72 dots per inch that writers store when they know no size.
pub fn resolution_only(res: Option<&Resolution>) -> VoxelSize {
    let Some((r, unit)) = res.and_then(|r| Some((r, resolution_unit(r)?))) else {
        return VoxelSize::default();
    };
    let (x, y) = pixel_size(Some(r));
    in_unit(x, y, None, unit)
}

/// The voxel size the first page's metadata states: the ImageJ description (with the resolution
/// tags), else the resolution tags alone. OME metadata is read with its layout (`ome.rs`).
pub fn from_page(descriptions: &[String], res: Option<&Resolution>) -> VoxelSize {
    descriptions
        .iter()
        .find_map(|d| imagej(d, res))
        .unwrap_or_else(|| resolution_only(res))
}

impl VoxelSize {
    /// This size with `other`'s z step where this one states none, when both are in one unit (or
    /// this one states nothing).
    pub fn with_z_of(self, other: &VoxelSize) -> VoxelSize {
        match (self.z, other.z) {
            (None, Some(z)) if self.unit.is_none() || self.unit == other.unit => VoxelSize {
                z: Some(z),
                unit: other.unit.clone(),
                ..self
            },
            _ => self,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn res(x: f64, y: f64, unit: u16) -> Resolution {
        Resolution {
            x_per_unit: x,
            y_per_unit: y,
            unit,
        }
    }

    #[test]
    fn imagej_spacing_unit_and_resolution() {
        let v = imagej(
            "ImageJ=1.53t\nimages=4\nslices=2\nunit=micron\nspacing=10.0\n",
            Some(&res(2.0, 4.0, 1)),
        )
        .unwrap();
        assert_eq!(
            v,
            VoxelSize {
                x: Some(0.5),
                y: Some(0.25),
                z: Some(10.0),
                unit: Some("µm".into()),
                disagreement: None,
            }
        );
    }

    #[test]
    fn imagej_escaped_micro_sign_and_nanometres() {
        let v = imagej(
            "ImageJ=1.11a\nunit=\\u00B5m\nspacing=2.5",
            Some(&res(1.0, 1.0, 1)),
        )
        .unwrap();
        assert_eq!(
            (v.x, v.z, v.unit.as_deref()),
            (Some(1.0), Some(2.5), Some("µm"))
        );
        let nm = imagej("ImageJ=1.11a\nunit=nm\nspacing=500", None).unwrap();
        assert_eq!((nm.x, nm.z), (None, Some(0.5)));
    }

    #[test]
    fn imagej_without_unit_states_nothing() {
        let r = res(1.0, 1.0, 1);
        for d in [
            "ImageJ=1.11a\nimages=480\nslices=2\nframes=240\nhyperstack=true\n",
            "ImageJ=1.11a\nunit=pixel\nspacing=3",
        ] {
            assert_eq!(imagej(d, Some(&r)), Some(VoxelSize::default()), "{d}");
        }
        assert_eq!(imagej("not imagej", Some(&r)), None);
        // Without unit=, ImageJ reads the ResolutionUnit: 20 000 pixels per cm, 5 µm planes.
        let cm = imagej(
            "ImageJ=\nslices=2\nspacing=0.0005",
            Some(&res(20_000.0, 20_000.0, 3)),
        );
        assert_eq!(
            cm.map(|v| (v.x, v.unit)),
            Some((Some(0.5), Some("µm".to_string())))
        );
    }

    #[test]
    fn imagej_unknown_unit_keeps_its_name() {
        let v = imagej(
            "ImageJ=1.11a\nunit=furlong\nspacing=2",
            Some(&res(4.0, 4.0, 1)),
        )
        .unwrap();
        assert_eq!(
            (v.x, v.z, v.unit.as_deref()),
            (Some(0.25), Some(2.0), Some("furlong"))
        );
    }

    #[test]
    fn resolution_tags_alone() {
        // 10 000 pixels per centimetre: 1 µm pixels.
        let v = resolution_only(Some(&res(10_000.0, 5_000.0, 3)));
        assert_eq!((v.x, v.y, v.z), (Some(1.0), Some(2.0), None));
        assert_eq!(v.unit.as_deref(), Some("µm"));
        assert_eq!(
            resolution_only(Some(&res(72.0, 72.0, 2))),
            VoxelSize::default()
        );
        assert_eq!(
            resolution_only(Some(&res(3.0, 3.0, 1))),
            VoxelSize::default()
        );
        assert_eq!(resolution_only(None), VoxelSize::default());
    }

    fn si<'a>(pairs: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<&'a str> {
        |k| pairs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v)
    }

    #[test]
    fn scanimage_z_step_of_each_generation() {
        let z = |pairs: &[(&str, &str)], planes| scanimage(si(pairs), planes).z;
        // 5 and later: the actual step first, the set one when the actual is empty.
        let both = [
            ("SI.hStackManager.actualStackZStepSize", "2.5"),
            ("SI.hStackManager.stackZStepSize", "3"),
        ];
        assert_eq!(z(&both, 3), Some(2.5));
        let empty = [
            ("SI.hStackManager.actualStackZStepSize", "[]"),
            ("SI.hStackManager.stackZStepSize", "-4"),
        ];
        assert_eq!(z(&empty, 2), Some(4.0));
        assert_eq!(z(&[("scanimage.SI4.stackZStepSize", "25")], 4), Some(25.0));
        assert_eq!(z(&[("state.acq.zStepSize", "1.5")], 2), Some(1.5));
        assert_eq!(
            scanimage(si(&[("state.acq.zStepSize", "1.5")]), 2)
                .unit
                .as_deref(),
            Some("µm")
        );
        // No stack, or no usable step: nothing.
        assert_eq!(scanimage(si(&both), 1), VoxelSize::default());
        for bad in ["0", "NaN", "[]", ""] {
            assert_eq!(z(&[("state.acq.zStepSize", bad)], 2), None, "{bad}");
        }
    }

    #[test]
    fn z_of_another_size_fills_a_missing_step_in_the_same_unit() {
        let step = scanimage(si(&[("state.acq.zStepSize", "5")]), 2);
        let pixels = resolution_only(Some(&res(10_000.0, 10_000.0, 3)));
        let v = pixels.clone().with_z_of(&step);
        assert_eq!(
            (v.x, v.z, v.unit.as_deref()),
            (Some(1.0), Some(5.0), Some("µm"))
        );
        assert_eq!(VoxelSize::default().with_z_of(&step), step);
        let furlong = imagej("ImageJ=\nunit=furlong", Some(&res(4.0, 4.0, 1))).unwrap();
        assert_eq!(furlong.clone().with_z_of(&step), furlong);
    }

    #[test]
    fn ome_units_per_axis() {
        let attrs = [
            ("PhysicalSizeX", "0.5"),
            ("PhysicalSizeY", "500"),
            ("PhysicalSizeYUnit", "nm"),
            ("PhysicalSizeZ", "0.002"),
            ("PhysicalSizeZUnit", "mm"),
        ];
        let v = ome(|k| attrs.iter().find(|(n, _)| *n == k).map(|(_, v)| *v));
        assert_eq!(
            (v.x, v.y, v.unit.as_deref()),
            (Some(0.5), Some(0.5), Some("µm"))
        );
        assert!((v.z.unwrap() - 2.0).abs() < 1e-12);
        let none = ome(|_| None);
        assert_eq!(none, VoxelSize::default());
        let bad = ome(|k| (k == "PhysicalSizeZ").then_some("-1"));
        assert_eq!(bad, VoxelSize::default());
    }
}
