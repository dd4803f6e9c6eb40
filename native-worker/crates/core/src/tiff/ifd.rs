//! Parsing one IFD: the tags an image reader needs (size, samples, compression, predictor,
//! strips or tiles, descriptions). Same contract as `header.rs`: counts and offsets are checked
//! against the file length before anything is allocated.

use super::error::{Result, TiffError};
use super::handle::Handle;
use super::header::Header;

/// One raw directory entry.
#[derive(Clone, Debug)]
struct Entry {
    tag: u16,
    typ: u16,
    count: u64,
    /// The value field (4 or 8 bytes) as stored.
    field: [u8; 8],
}

fn type_size(t: u16) -> Option<u64> {
    Some(match t {
        1 | 2 | 6 | 7 => 1,
        3 | 8 => 2,
        4 | 9 | 11 | 13 => 4,
        5 | 10 | 12 | 16 | 17 | 18 => 8,
        _ => return None,
    })
}

/// Layout of compressed chunks (strips or tiles) in a page.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Chunking {
    Strips { rows_per_strip: u32 },
    Tiles { width: u32, height: u32 },
}

/// Everything needed to decode one page.
#[derive(Clone, Debug)]
pub struct Ifd {
    pub width: u32,
    pub height: u32,
    pub samples_per_pixel: u16,
    pub bits_per_sample: u16,
    /// 1 unsigned, 2 signed, 3 float (TIFF SampleFormat).
    pub sample_format: u16,
    pub compression: u16,
    pub predictor: u16,
    /// 1 chunky (samples interleaved), 2 planar (one set of chunks per sample).
    pub planar: u16,
    pub chunking: Chunking,
    pub offsets: Vec<u64>,
    pub byte_counts: Vec<u64>,
    /// All ImageDescription (270) strings, in tag order (some writers store two).
    pub descriptions: Vec<String>,
    pub software: Option<String>,
    /// XResolution and YResolution (pixels per unit) with ResolutionUnit (1 none, 2 inch,
    /// 3 centimetre; 2 when absent), when both resolutions are positive rationals.
    pub resolution: Option<Resolution>,
}

/// What the resolution tags of a page say.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Resolution {
    pub x_per_unit: f64,
    pub y_per_unit: f64,
    pub unit: u16,
}

struct Parser<'a> {
    h: &'a mut Handle,
    hd: Header,
}

impl<'a> Parser<'a> {
    fn corrupt(&self, detail: String) -> TiffError {
        TiffError::Corrupt {
            path: self.h.path().to_path_buf(),
            detail,
        }
    }

    /// Raw value bytes of an entry, read from the inline field or from its offset.
    fn bytes(&mut self, e: &Entry) -> Result<Vec<u8>> {
        let size = type_size(e.typ)
            .ok_or_else(|| self.corrupt(format!("tag {} has unknown type {}", e.tag, e.typ)))?;
        let total = e
            .count
            .checked_mul(size)
            .ok_or_else(|| self.corrupt(format!("tag {} count overflows", e.tag)))?;
        let inline = if self.hd.bigtiff { 8 } else { 4 };
        if total <= inline {
            return Ok(e.field[..total as usize].to_vec());
        }
        let off = if self.hd.bigtiff {
            self.hd.order.u64(&e.field)
        } else {
            self.hd.order.u32(&e.field) as u64
        };
        self.h
            .read_vec(off, total, &format!("values of tag {}", e.tag))
    }

    fn uints(&mut self, e: &Entry) -> Result<Vec<u64>> {
        let b = self.bytes(e)?;
        let o = self.hd.order;
        Ok(match e.typ {
            1 | 7 => b.iter().map(|&x| x as u64).collect(),
            3 => b.chunks_exact(2).map(|c| o.u16(c) as u64).collect(),
            4 | 13 => b.chunks_exact(4).map(|c| o.u32(c) as u64).collect(),
            16 | 18 => b.chunks_exact(8).map(|c| o.u64(c)).collect(),
            _ => return Err(self.corrupt(format!("tag {} has non-integer type {}", e.tag, e.typ))),
        })
    }

    fn first_uint(&mut self, e: &Entry) -> Result<u64> {
        if e.count == 0 {
            return Err(self.corrupt(format!("tag {} has no values", e.tag)));
        }
        let one = Entry {
            count: 1,
            ..e.clone()
        };
        // A single value is always inline, so this never reads more than one value.
        let inline = if self.hd.bigtiff { 8 } else { 4 };
        let v = if type_size(e.typ)
            .and_then(|s| s.checked_mul(e.count))
            .is_some_and(|t| t <= inline)
        {
            self.uints(&one)?
        } else {
            let size = type_size(e.typ).unwrap_or(1);
            let off = if self.hd.bigtiff {
                self.hd.order.u64(&e.field)
            } else {
                self.hd.order.u32(&e.field) as u64
            };
            let b = self
                .h
                .read_vec(off, size, &format!("value of tag {}", e.tag))?;
            let mut f = [0u8; 8];
            f[..b.len()].copy_from_slice(&b);
            self.uints(&Entry { field: f, ..one })?
        };
        v.first()
            .copied()
            .ok_or_else(|| self.corrupt(format!("tag {} is empty", e.tag)))
    }

    /// The first value of a RATIONAL tag; `None` for another type, no value or a zero denominator.
    fn rational(&mut self, e: &Entry) -> Result<Option<f64>> {
        if e.typ != 5 || e.count == 0 {
            return Ok(None);
        }
        let b = self.bytes(&Entry {
            count: 1,
            ..e.clone()
        })?;
        let (num, den) = (self.hd.order.u32(&b[0..4]), self.hd.order.u32(&b[4..8]));
        Ok((den != 0).then(|| f64::from(num) / f64::from(den)))
    }

    fn ascii(&mut self, e: &Entry) -> Result<String> {
        let b = self.bytes(e)?;
        let end = b.iter().rposition(|&c| c != 0).map_or(0, |p| p + 1);
        Ok(String::from_utf8_lossy(&b[..end]).into_owned())
    }
}

/// Parses the IFD at `off`.
pub fn read_ifd(h: &mut Handle, hd: Header, off: u64) -> Result<Ifd> {
    let (cnt_size, entry_size) = if hd.bigtiff {
        (8usize, 20usize)
    } else {
        (2, 12)
    };
    let mut cb = [0u8; 8];
    h.read_at(off, &mut cb[..cnt_size], "IFD entry count")?;
    let n = if hd.bigtiff {
        hd.order.u64(&cb)
    } else {
        hd.order.u16(&cb) as u64
    };
    let raw = h.read_vec(
        off + cnt_size as u64,
        n.saturating_mul(entry_size as u64),
        "IFD entries",
    )?;
    let mut entries = Vec::with_capacity(n as usize);
    for c in raw.chunks_exact(entry_size) {
        let tag = hd.order.u16(&c[0..2]);
        let typ = hd.order.u16(&c[2..4]);
        let mut field = [0u8; 8];
        let count = if hd.bigtiff {
            field.copy_from_slice(&c[12..20]);
            hd.order.u64(&c[4..12])
        } else {
            field[..4].copy_from_slice(&c[8..12]);
            hd.order.u32(&c[4..8]) as u64
        };
        entries.push(Entry {
            tag,
            typ,
            count,
            field,
        });
    }
    let mut p = Parser { h, hd };
    let find = |t: u16| entries.iter().find(|e| e.tag == t).cloned();
    let need = |p: &Parser, t: u16, name: &str| -> Result<Entry> {
        find(t)
            .ok_or_else(|| p.corrupt(format!("IFD at offset {} lacks {} (tag {})", off, name, t)))
    };
    let width = p.first_uint(&need(&p, 256, "ImageWidth")?)?;
    let height = p.first_uint(&need(&p, 257, "ImageLength")?)?;
    let uint_or = |p: &mut Parser, t: u16, d: u64| -> Result<u64> {
        match find(t) {
            Some(e) if e.count > 0 => p.first_uint(&e),
            _ => Ok(d),
        }
    };
    let spp = uint_or(&mut p, 277, 1)?;
    let bits = uint_or(&mut p, 258, 1)?;
    let sample_format = uint_or(&mut p, 339, 1)?;
    let compression = uint_or(&mut p, 259, 1)?;
    let predictor = uint_or(&mut p, 317, 1)?;
    let planar = uint_or(&mut p, 284, 1)?;
    if width == 0 || height == 0 || width > u32::MAX as u64 || height > u32::MAX as u64 {
        return Err(p.corrupt(format!("image size {}x{} is invalid", width, height)));
    }
    if spp == 0 || spp > 64 {
        return Err(p.corrupt(format!("SamplesPerPixel {} is invalid", spp)));
    }
    let tiled = find(322).is_some() || find(324).is_some();
    let (chunking, off_tag, cnt_tag) = if tiled {
        let tw = p.first_uint(&need(&p, 322, "TileWidth")?)?;
        let th = p.first_uint(&need(&p, 323, "TileLength")?)?;
        if tw == 0 || th == 0 || tw > u32::MAX as u64 || th > u32::MAX as u64 {
            return Err(p.corrupt(format!("tile size {}x{} is invalid", tw, th)));
        }
        (
            Chunking::Tiles {
                width: tw as u32,
                height: th as u32,
            },
            324,
            325,
        )
    } else {
        let rps = uint_or(&mut p, 278, height)?.clamp(1, height);
        (
            Chunking::Strips {
                rows_per_strip: rps as u32,
            },
            273,
            279,
        )
    };
    let oe = need(&p, off_tag, "strip/tile offsets")?;
    let offsets = p.uints(&oe)?;
    let byte_counts = match find(cnt_tag) {
        Some(e) => p.uints(&e)?,
        None => Vec::new(),
    };
    let mut descriptions = Vec::new();
    for e in entries.iter().filter(|e| e.tag == 270) {
        descriptions.push(p.ascii(e)?);
    }
    let software = match find(305) {
        Some(e) => Some(p.ascii(&e)?),
        None => None,
    };
    let mut res = [None, None];
    for (k, t) in [282u16, 283].into_iter().enumerate() {
        if let Some(e) = find(t) {
            res[k] = p.rational(&e)?.filter(|v| v.is_finite() && *v > 0.0);
        }
    }
    let resolution = match res {
        [Some(x_per_unit), Some(y_per_unit)] => Some(Resolution {
            x_per_unit,
            y_per_unit,
            unit: uint_or(&mut p, 296, 2)?.min(u16::MAX as u64) as u16,
        }),
        _ => None,
    };
    Ok(Ifd {
        width: width as u32,
        height: height as u32,
        samples_per_pixel: spp as u16,
        bits_per_sample: bits.min(u16::MAX as u64) as u16,
        sample_format: sample_format.min(u16::MAX as u64) as u16,
        compression: compression.min(u16::MAX as u64) as u16,
        predictor: predictor.min(u16::MAX as u64) as u16,
        planar: planar.min(u16::MAX as u64) as u16,
        chunking,
        offsets,
        byte_counts,
        descriptions,
        software,
        resolution,
    })
}
