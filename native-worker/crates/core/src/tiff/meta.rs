//! Interpretation of ImageJ and ScanImage metadata into a page layout: how many planes and
//! channels are interleaved in the page sequence, and in which order.

use super::voxel::{self, VoxelSize};
use serde::Serialize;
use std::collections::HashMap;

/// Which metadata convention described the page layout.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MetadataKind {
    /// No recognised metadata: every page is a frame.
    Plain,
    ImageJ,
    ScanImage,
    Ome,
}

/// An axis of the page sequence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Axis {
    T,
    Z,
    C,
}

/// How pages are interleaved: `order` lists axes from slowest to fastest varying.
#[derive(Clone, Debug)]
pub struct Layout {
    pub kind: MetadataKind,
    /// Software version for ScanImage ("3.8", "4", "5.7" ...), ImageJ version otherwise.
    pub version: Option<String>,
    /// Planes exposed to the caller.
    pub planes: usize,
    /// Z positions stored per volume (planes plus ScanImage flyback frames that were saved).
    pub z_in_file: usize,
    /// Channels stored as separate pages.
    pub page_channels: usize,
    /// Frames the metadata claims, if it says.
    pub claimed_frames: Option<usize>,
    /// Pages the metadata claims, if it says (ImageJ `images=`).
    pub claimed_pages: Option<usize>,
    pub order: [Axis; 3],
    /// Frames per second of each plane, when the metadata says.
    pub rate_hz: Option<f64>,
    /// Voxel size the metadata states (`voxel.rs`).
    pub voxel: VoxelSize,
}

impl Layout {
    /// One page per frame, no planes or channels.
    pub fn plain() -> Layout {
        Layout {
            kind: MetadataKind::Plain,
            version: None,
            planes: 1,
            z_in_file: 1,
            page_channels: 1,
            claimed_frames: None,
            claimed_pages: None,
            order: [Axis::T, Axis::Z, Axis::C],
            rate_hz: None,
            voxel: VoxelSize::default(),
        }
    }
}

fn float(m: &HashMap<String, String>, k: &str) -> Option<f64> {
    m.get(k)?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v > 0.0)
}

fn key_values(text: &str, sep: char) -> HashMap<String, String> {
    let mut m = HashMap::new();
    for line in text.split(['\n', '\r']) {
        if let Some((k, v)) = line.split_once(sep) {
            m.insert(
                k.trim().to_string(),
                v.trim().trim_matches('\'').to_string(),
            );
        }
    }
    m
}

fn num(m: &HashMap<String, String>, k: &str) -> Option<usize> {
    let v = m.get(k)?;
    let f: f64 = v.trim().parse().ok()?;
    if (0.0..1e12).contains(&f) {
        Some(f as usize)
    } else {
        None
    }
}

fn truthy(m: &HashMap<String, String>, k: &str) -> bool {
    matches!(m.get(k).map(|s| s.trim()), Some("true" | "1"))
}

/// Number of entries in a MATLAB-style list value: `[1;2]` -> 2, `1` -> 1, `[]` -> 0.
fn list_len(v: &str) -> usize {
    v.trim_matches(|c| c == '[' || c == ']' || c == '{' || c == '}')
        .split([';', ' ', ','])
        .filter(|s| !s.trim().is_empty())
        .count()
}

/// Parses an ImageJ description (`ImageJ=1.52\nimages=...`).
/// A stack with only `slices=` and no `hyperstack=true` is read as a time series, because
/// that is how ImageJ labels most saved calcium movies.
pub fn imagej(desc: &str) -> Option<Layout> {
    if !desc.starts_with("ImageJ=") {
        return None;
    }
    let m = key_values(desc, '=');
    let channels = num(&m, "channels").unwrap_or(1).max(1);
    let mut slices = num(&m, "slices").unwrap_or(1).max(1);
    let mut frames = num(&m, "frames");
    let hyper = truthy(&m, "hyperstack");
    if !hyper && frames.unwrap_or(1) <= 1 && channels == 1 && slices > 1 {
        frames = Some(slices);
        slices = 1;
    }
    Some(Layout {
        kind: MetadataKind::ImageJ,
        version: m.get("ImageJ").cloned(),
        planes: slices,
        z_in_file: slices,
        page_channels: channels,
        claimed_frames: frames,
        claimed_pages: num(&m, "images"),
        order: [Axis::T, Axis::Z, Axis::C],
        rate_hz: float(&m, "finterval")
            .map(|s| 1.0 / s)
            .or_else(|| float(&m, "fps")),
        voxel: VoxelSize::default(),
    })
}

/// Parses ScanImage metadata from the frame-invariant text (ImageDescription for 3.x/4,
/// the Software tag or the BigTIFF header block for 5 and later), with the z step of a stack
/// (`voxel::scanimage`).
pub fn scanimage(texts: &[&str]) -> Option<Layout> {
    let joined = texts.join("\n");
    if joined.contains("state.software.version") || joined.contains("state.acq.") {
        let m = key_values(&joined, '=');
        let channels = num(&m, "state.acq.numberOfChannelsSave")
            .unwrap_or(1)
            .max(1);
        let slices = num(&m, "state.acq.numberOfZSlices").unwrap_or(1).max(1);
        return Some(Layout {
            kind: MetadataKind::ScanImage,
            version: m.get("state.software.version").cloned(),
            planes: slices,
            z_in_file: slices,
            page_channels: channels,
            claimed_frames: num(&m, "state.acq.numberOfFrames"),
            claimed_pages: None,
            // Slow stacks: all frames of a slice, then the next slice.
            order: [Axis::Z, Axis::T, Axis::C],
            rate_hz: float(&m, "state.acq.frameRate"),
            voxel: voxel::scanimage(|k| m.get(k).map(String::as_str), slices),
        });
    }
    if joined.contains("scanimage.SI4.") {
        let m = key_values(&joined, '=');
        let channels = m
            .get("scanimage.SI4.channelsSave")
            .map_or(1, |v| list_len(v))
            .max(1);
        let slices = num(&m, "scanimage.SI4.stackNumSlices").unwrap_or(1).max(1);
        let fast = truthy(&m, "scanimage.SI4.fastZEnable");
        let flyback = if fast && !truthy(&m, "scanimage.SI4.fastZDiscardFlybackFrames") {
            num(&m, "scanimage.SI4.fastZNumDiscardFrames").unwrap_or(0)
        } else {
            0
        };
        let mut l = si_layout("4".into(), channels, slices, flyback, fast);
        l.voxel = voxel::scanimage(|k| m.get(k).map(String::as_str), slices);
        l.rate_hz = float(&m, "scanimage.SI4.scanFrameRate").map(|r| {
            if fast {
                r / slices.saturating_add(flyback) as f64
            } else {
                r
            }
        });
        return Some(l);
    }
    if joined.contains("SI.hChannels.") || joined.contains("SI.VERSION_MAJOR") {
        let m = key_values(&joined, '=');
        let version = m
            .get("SI.VERSION_MAJOR")
            .cloned()
            .unwrap_or_else(|| "5".into());
        let channels = m
            .get("SI.hChannels.channelSave")
            .map_or(1, |v| list_len(v))
            .max(1);
        let stack_on = truthy(&m, "SI.hStackManager.enable");
        let fast = truthy(&m, "SI.hFastZ.enable")
            || (stack_on
                && m.get("SI.hStackManager.stackMode")
                    .is_some_and(|s| s == "fast"));
        let slices = if fast || stack_on {
            num(&m, "SI.hStackManager.actualNumSlices")
                .or_else(|| num(&m, "SI.hStackManager.numSlices"))
                .unwrap_or(1)
                .max(1)
        } else {
            1
        };
        let flyback = if fast && !truthy(&m, "SI.hFastZ.discardFlybackFrames") {
            num(&m, "SI.hFastZ.numDiscardFlybackFrames").unwrap_or(0)
        } else {
            0
        };
        let mut l = si_layout(version, channels, slices, flyback, fast);
        l.voxel = voxel::scanimage(|k| m.get(k).map(String::as_str), slices);
        l.rate_hz = if fast {
            float(&m, "SI.hRoiManager.scanVolumeRate").or_else(|| {
                float(&m, "SI.hRoiManager.scanFrameRate")
                    .map(|r| r / slices.saturating_add(flyback) as f64)
            })
        } else {
            float(&m, "SI.hRoiManager.scanFrameRate")
        };
        return Some(l);
    }
    None
}

fn si_layout(
    version: String,
    channels: usize,
    slices: usize,
    flyback: usize,
    fast: bool,
) -> Layout {
    Layout {
        kind: MetadataKind::ScanImage,
        version: Some(version),
        planes: slices,
        z_in_file: slices.saturating_add(flyback),
        page_channels: channels,
        claimed_frames: None,
        claimed_pages: None,
        // Fast Z: volume after volume, channels innermost; slow stacks: slice after slice.
        order: if fast || slices == 1 {
            [Axis::T, Axis::Z, Axis::C]
        } else {
            [Axis::Z, Axis::T, Axis::C]
        },
        rate_hz: None,
        voxel: VoxelSize::default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn imagej_hyperstack() {
        let l =
            imagej("ImageJ=1.11a\nimages=480\nslices=2\nframes=240\nhyperstack=true\n").unwrap();
        assert_eq!(
            (l.planes, l.page_channels, l.claimed_frames),
            (2, 1, Some(240))
        );
    }

    #[test]
    fn imagej_plain_slices_are_time() {
        let l = imagej("ImageJ=1.49i\nimages=3500\nslices=3500\nloop=false").unwrap();
        assert_eq!(
            (l.planes, l.claimed_frames, l.claimed_pages),
            (1, Some(3500), Some(3500))
        );
    }

    #[test]
    fn scanimage5_fast_z_with_flyback() {
        let t = "SI.VERSION_MAJOR = '2019'\nSI.hChannels.channelSave = [1;2]\nSI.hFastZ.enable = true\n\
                 SI.hStackManager.numSlices = 3\nSI.hFastZ.numDiscardFlybackFrames = 1\nSI.hFastZ.discardFlybackFrames = false";
        let l = scanimage(&[t]).unwrap();
        assert_eq!(
            (l.planes, l.z_in_file, l.page_channels, l.order[0]),
            (3, 4, 2, Axis::T)
        );
    }

    #[test]
    fn scanimage4_channels() {
        let l =
            scanimage(&["scanimage.SI4.channelsSave = [1;2;3]\nscanimage.SI4.stackNumSlices = 1"])
                .unwrap();
        assert_eq!(l.page_channels, 3);
    }
}
