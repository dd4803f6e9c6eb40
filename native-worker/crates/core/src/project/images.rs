//! Writing one plane projection's images (16-bit and 8-bit PNG, GIFs over time windows) and
//! the records `projections.json` lists them with.

use super::PlaneProjection;
use crate::output::{self, write_gif, write_png_u16, write_png_u8, OutputError, Scale};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// One written image and the intensity range mapped onto its full scale.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ImageRecord {
    pub file: String,
    pub plane: usize,
    pub channel: usize,
    /// `first` (the first raw frame), `mean`, `max` or `std`.
    pub kind: String,
    pub bits: u8,
    pub scale: Scale,
}

/// Contents of `projections.json`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ProjectionsSummary {
    pub schema: u32,
    pub width: usize,
    pub height: usize,
    pub frames: usize,
    pub windows: usize,
    pub images: Vec<ImageRecord>,
}

fn min_max(v: &[f32]) -> Scale {
    let (lo, hi) = v
        .iter()
        .filter(|x| x.is_finite())
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    if lo.is_finite() {
        Scale { lo, hi }
    } else {
        Scale { lo: 0.0, hi: 1.0 }
    }
}

/// Writes the PNGs and GIFs of one plane projection into `dir`; returns the records.
pub fn write_plane_images(
    dir: &Path,
    p: &PlaneProjection,
    multi_channel: bool,
    delay_cs: u16,
) -> Result<Vec<ImageRecord>, OutputError> {
    let stem = if multi_channel {
        format!("plane{}_c{}", p.plane, p.channel)
    } else {
        format!("plane{}", p.plane)
    };
    let mut recs = Vec::new();
    if !p.first.is_empty() {
        let s8 = Scale::percentiles(&p.first, 0.5, 99.5);
        let f8 = format!("first_frame_{}.png", stem);
        write_png_u8(
            &dir.join(&f8),
            p.width,
            p.height,
            &output::to_u8(&p.first, s8),
        )?;
        recs.push(ImageRecord {
            file: f8,
            plane: p.plane,
            channel: p.channel,
            kind: "first".into(),
            bits: 8,
            scale: s8,
        });
    }
    for (kind, img) in [("mean", &p.mean), ("max", &p.max), ("std", &p.std)] {
        let s16 = min_max(img);
        let f16 = format!("{}_{}.png", stem, kind);
        write_png_u16(
            &dir.join(&f16),
            p.width,
            p.height,
            &output::to_u16(img, s16),
        )?;
        recs.push(ImageRecord {
            file: f16,
            plane: p.plane,
            channel: p.channel,
            kind: kind.into(),
            bits: 16,
            scale: s16,
        });
        let s8 = Scale::percentiles(img, 0.5, 99.5);
        let f8 = format!("{}_{}_8bit.png", stem, kind);
        write_png_u8(&dir.join(&f8), p.width, p.height, &output::to_u8(img, s8))?;
        recs.push(ImageRecord {
            file: f8,
            plane: p.plane,
            channel: p.channel,
            kind: kind.into(),
            bits: 8,
            scale: s8,
        });
    }
    for (kind, wins) in [("max", &p.window_max), ("std", &p.window_std)] {
        let pooled: Vec<f32> = wins
            .iter()
            .flat_map(|w| w.iter().step_by(7).copied())
            .collect();
        let s = Scale::percentiles(&pooled, 0.5, 99.5);
        let frames: Vec<Vec<u8>> = wins.iter().map(|w| output::to_u8(w, s)).collect();
        let f = format!("{}_{}.gif", stem, kind);
        write_gif(&dir.join(&f), p.width, p.height, &frames, delay_cs)?;
        recs.push(ImageRecord {
            file: f,
            plane: p.plane,
            channel: p.channel,
            kind: kind.into(),
            bits: 8,
            scale: s,
        });
    }
    Ok(recs)
}

/// Paths of every file listed in a summary (for tests and manifests).
pub fn listed_files(dir: &Path, s: &ProjectionsSummary) -> Vec<PathBuf> {
    s.images.iter().map(|r| dir.join(&r.file)).collect()
}
