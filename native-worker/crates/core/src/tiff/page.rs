//! Decoding one page (IFD) into an f32 frame for one sample (channel within the pixel).
//! Contract: `out` has `width * height` elements; only the chunks holding the requested sample
//! are read, so memory is bounded by one frame plus one chunk.

use super::decode::{decompress, undo_float, undo_horizontal, SampleType};
use super::error::{Result, TiffError};
use super::handle::Handle;
use super::header::ByteOrder;
use super::ifd::{Chunking, Ifd};

/// Largest decoded chunk accepted, in bytes; larger claims are treated as corrupt.
pub const MAX_CHUNK_BYTES: u64 = 1 << 31;

/// Checks that a page can be decoded by this reader and returns its sample type.
pub fn check_supported(ifd: &Ifd, h: &Handle) -> Result<SampleType> {
    let unsupported = |d: String| TiffError::Unsupported {
        path: h.path().to_path_buf(),
        detail: d,
    };
    let st = SampleType {
        format: if ifd.sample_format == 4 {
            1
        } else {
            ifd.sample_format
        },
        bits: ifd.bits_per_sample,
    };
    st.name().map_err(unsupported)?;
    if !matches!(ifd.compression, 1 | 5 | 8 | 32946 | 32773) {
        return Err(unsupported(format!(
            "compression {} ({}) is not supported",
            ifd.compression,
            super::decode::compression_name(ifd.compression)
        )));
    }
    match (ifd.predictor, st.format) {
        (1, _) | (2, 1 | 2) | (3, 3) => {}
        (p, _) => {
            return Err(unsupported(format!(
                "predictor {} with sample format {} is not supported",
                p, st.format
            )))
        }
    }
    if !matches!(ifd.planar, 1 | 2) {
        return Err(unsupported(format!(
            "PlanarConfiguration {} is not supported",
            ifd.planar
        )));
    }
    Ok(st)
}

/// Decodes sample `sample` of the page described by `ifd` into `out` (row-major, width*height).
pub fn read_page(
    h: &mut Handle,
    order: ByteOrder,
    ifd: &Ifd,
    sample: usize,
    out: &mut [f32],
) -> Result<()> {
    let st = check_supported(ifd, h)?;
    let corrupt = |h: &Handle, d: String| TiffError::Corrupt {
        path: h.path().to_path_buf(),
        detail: d,
    };
    let (w, ht) = (ifd.width as usize, ifd.height as usize);
    let spp = ifd.samples_per_pixel as usize;
    if out.len() != w * ht || sample >= spp {
        return Err(TiffError::OutOfRange {
            detail: format!("sample {} of a {}x{}x{} page", sample, w, ht, spp),
        });
    }
    let (cw, ch) = match ifd.chunking {
        Chunking::Strips { rows_per_strip } => (w, rows_per_strip as usize),
        Chunking::Tiles { width, height } => (width as usize, height as usize),
    };
    let across = w.div_ceil(cw);
    let down = ht.div_ceil(ch);
    // Chunk counts come from the file: overflow means a corrupt header, not a huge image.
    let per_plane = across
        .checked_mul(down)
        .ok_or_else(|| corrupt(h, format!("{}x{} chunks overflow", across, down)))?;
    let (cspp, base, pick) = if ifd.planar == 2 {
        (1, sample.saturating_mul(per_plane), 0)
    } else {
        (spp, 0, sample)
    };
    let needed = base.saturating_add(per_plane);
    if ifd.offsets.len() < needed {
        return Err(corrupt(
            h,
            format!(
                "{} strip/tile offsets listed, {} needed",
                ifd.offsets.len(),
                needed
            ),
        ));
    }
    let bps = st.bytes();
    let tiled = matches!(ifd.chunking, Chunking::Tiles { .. });
    for cy in 0..down {
        for cx in 0..across {
            let idx = base + cy * across + cx;
            // Strips hold only the rows that exist; tiles are always full size.
            let rows = if tiled { ch } else { ch.min(ht - cy * ch) };
            let expected = (cw as u64)
                .saturating_mul(rows as u64)
                .saturating_mul(cspp as u64)
                .saturating_mul(bps as u64);
            if expected > MAX_CHUNK_BYTES {
                return Err(corrupt(
                    h,
                    format!("chunk of {} bytes is implausibly large", expected),
                ));
            }
            let off = ifd.offsets[idx];
            let count = match ifd.byte_counts.get(idx) {
                Some(&c) if c > 0 => c,
                _ if ifd.compression == 1 => expected,
                _ => return Err(corrupt(h, format!("strip/tile {} has no byte count", idx))),
            };
            let count = if ifd.compression == 1 {
                count.min(expected)
            } else {
                count
            };
            if count > h.len() {
                return Err(TiffError::Truncated {
                    path: h.path().to_path_buf(),
                    what: format!(
                        "strip/tile {} claims {} bytes, file has {}",
                        idx,
                        count,
                        h.len()
                    ),
                });
            }
            // No codec here expands more than a few thousand times; a larger claim is a lie
            // that would only make us allocate.
            if ifd.compression != 1 && expected > count.saturating_mul(8192).saturating_add(1 << 20)
            {
                return Err(corrupt(
                    h,
                    format!(
                        "strip/tile {} of {} bytes cannot decode to {} bytes",
                        idx, count, expected
                    ),
                ));
            }
            let src = h.read_vec(off, count, &format!("strip/tile {}", idx))?;
            let mut buf = decompress(ifd.compression, &src, expected as usize)
                .map_err(|d| corrupt(h, format!("strip/tile {}: {}", idx, d)))?;
            let row_samples = cw * cspp;
            let mut val_order = order;
            match ifd.predictor {
                2 => undo_horizontal(&mut buf, bps, row_samples, cspp, order),
                3 => {
                    undo_float(&mut buf, bps, row_samples, cspp);
                    val_order = ByteOrder::Big;
                }
                _ => {}
            }
            let x0 = cx * cw;
            let y0 = cy * ch;
            let xs = cw.min(w - x0);
            let ys = rows.min(ht - y0);
            for r in 0..ys {
                let dst = &mut out[(y0 + r) * w + x0..(y0 + r) * w + x0 + xs];
                let src_row = r * cw * cspp;
                st.convert(&buf, src_row + pick, cspp, val_order, dst);
            }
        }
    }
    Ok(())
}
