//! Minimal streaming multi-page TIFF writer (uncompressed, one strip per page, little-endian),
//! used to hand synthetic or registered movies to other tools and to test the reader.
//! Pages are written as they come: memory is one frame. Classic TIFF below 4 GiB, BigTIFF
//! when asked (or when the declared size would not fit 32-bit offsets).

use super::{commit, create_tmp, OutputError};
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Stored sample type.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TiffSample {
    U8,
    U16,
    I16,
    F32,
}

impl TiffSample {
    fn bytes(self) -> u64 {
        match self {
            TiffSample::U8 => 1,
            TiffSample::U16 | TiffSample::I16 => 2,
            TiffSample::F32 => 4,
        }
    }
    fn format(self) -> u16 {
        match self {
            TiffSample::U8 | TiffSample::U16 => 1,
            TiffSample::I16 => 2,
            TiffSample::F32 => 3,
        }
    }
}

/// Writes frames one by one; values are rounded and clamped for integer types.
pub struct TiffWriter {
    w: BufWriter<File>,
    tmp: PathBuf,
    path: PathBuf,
    width: u32,
    height: u32,
    sample: TiffSample,
    big: bool,
    pos: u64,
    /// Where the previous "next IFD" pointer lives, to patch it.
    link: u64,
    description: Option<String>,
    /// XResolution = YResolution as a rational, pixels per unit (ResolutionUnit none).
    resolution: Option<(u32, u32)>,
    pages: u64,
}

impl TiffWriter {
    /// Starts a file of `width x height` pages. `frames_hint` (if known) picks BigTIFF when the
    /// movie would exceed 4 GiB; `description` goes into the first page's ImageDescription.
    pub fn create(
        path: &Path,
        width: usize,
        height: usize,
        sample: TiffSample,
        frames_hint: usize,
        description: Option<&str>,
    ) -> Result<Self, OutputError> {
        if width == 0 || height == 0 || width > u32::MAX as usize || height > u32::MAX as usize {
            return Err(OutputError::invalid(
                path,
                format!("image size {}x{}", width, height),
            ));
        }
        let total = (width as u64 * height as u64 * sample.bytes() + 512)
            .saturating_mul(frames_hint as u64);
        let big = total > (u32::MAX as u64 - (1 << 20));
        let (mut w, tmp) = create_tmp(path)?;
        let header: Vec<u8> = if big {
            [
                b"II".as_slice(),
                &43u16.to_le_bytes(),
                &8u16.to_le_bytes(),
                &0u16.to_le_bytes(),
                &0u64.to_le_bytes(),
            ]
            .concat()
        } else {
            [b"II".as_slice(), &42u16.to_le_bytes(), &0u32.to_le_bytes()].concat()
        };
        w.write_all(&header).map_err(|e| OutputError::io(&tmp, e))?;
        let link = if big { 8 } else { 4 };
        Ok(TiffWriter {
            w,
            tmp,
            path: path.to_path_buf(),
            width: width as u32,
            height: height as u32,
            sample,
            big,
            pos: header.len() as u64,
            link,
            description: description.map(str::to_string),
            resolution: None,
            pages: 0,
        })
    }

    /// Stores XResolution and YResolution (`numerator / denominator` pixels per unit, the unit
    /// named elsewhere, e.g. ImageJ's `unit=`) with ResolutionUnit none on the first page.
    #[must_use]
    pub fn with_resolution(mut self, numerator: u32, denominator: u32) -> Self {
        self.resolution = (numerator > 0 && denominator > 0).then_some((numerator, denominator));
        self
    }

    fn put(&mut self, b: &[u8]) -> Result<(), OutputError> {
        self.w
            .write_all(b)
            .map_err(|e| OutputError::io(&self.tmp, e))?;
        self.pos += b.len() as u64;
        Ok(())
    }

    /// Appends one frame of `width * height` values.
    pub fn write_frame(&mut self, frame: &[f32]) -> Result<(), OutputError> {
        let n = self.width as usize * self.height as usize;
        if frame.len() != n {
            return Err(OutputError::invalid(
                &self.path,
                format!("frame of {} values, {} expected", frame.len(), n),
            ));
        }
        let mut data = Vec::with_capacity(n * self.sample.bytes() as usize);
        for &v in frame {
            match self.sample {
                TiffSample::U8 => data.push(v.round().clamp(0.0, 255.0) as u8),
                TiffSample::U16 => {
                    data.extend_from_slice(&(v.round().clamp(0.0, 65535.0) as u16).to_le_bytes())
                }
                TiffSample::I16 => data
                    .extend_from_slice(&(v.round().clamp(-32768.0, 32767.0) as i16).to_le_bytes()),
                TiffSample::F32 => data.extend_from_slice(&v.to_le_bytes()),
            }
        }
        if self.pos % 2 == 1 {
            self.put(&[0])?;
        }
        let data_at = self.pos;
        self.put(&data)?;
        let desc = if self.pages == 0 {
            self.description.take()
        } else {
            None
        };
        let desc_at = self.pos;
        if let Some(d) = &desc {
            let mut b = d.as_bytes().to_vec();
            b.push(0);
            if b.len() % 2 == 1 {
                b.push(0);
            }
            self.put(&b)?;
        }
        let res = if self.pages == 0 {
            self.resolution
        } else {
            None
        };
        let res_at = self.pos;
        if let Some((n, d)) = res {
            self.put(&[n.to_le_bytes(), d.to_le_bytes()].concat())?;
        }
        if !self.big && self.pos > u32::MAX as u64 - 4096 {
            return Err(OutputError::invalid(
                &self.path,
                "movie exceeds 4 GiB; give frames_hint to write BigTIFF",
            ));
        }
        let ifd_at = self.pos;
        // (tag, type, count, value)
        let mut entries: Vec<(u16, u16, u64, u64)> = vec![
            (256, 4, 1, self.width as u64),
            (257, 4, 1, self.height as u64),
            (258, 3, 1, self.sample.bytes() * 8),
            (259, 3, 1, 1),
            (262, 3, 1, 1),
            (273, if self.big { 16 } else { 4 }, 1, data_at),
            (277, 3, 1, 1),
            (278, 4, 1, self.height as u64),
            (279, if self.big { 16 } else { 4 }, 1, data.len() as u64),
            (339, 3, 1, self.sample.format() as u64),
        ];
        if let Some(d) = &desc {
            entries.push((270, 2, d.len() as u64 + 1, desc_at));
        }
        if let Some((n, d)) = res {
            // BigTIFF holds the 8-byte rational in the entry itself; classic TIFF points at it.
            let value = if self.big {
                u64::from(n) | (u64::from(d) << 32)
            } else {
                res_at
            };
            entries.push((282, 5, 1, value));
            entries.push((283, 5, 1, value));
            entries.push((296, 3, 1, 1));
        }
        entries.sort_by_key(|e| e.0);
        let mut ifd = Vec::new();
        if self.big {
            ifd.extend_from_slice(&(entries.len() as u64).to_le_bytes());
        } else {
            ifd.extend_from_slice(&(entries.len() as u16).to_le_bytes());
        }
        for (tag, typ, count, value) in entries {
            ifd.extend_from_slice(&tag.to_le_bytes());
            ifd.extend_from_slice(&typ.to_le_bytes());
            let inline_short = typ == 3;
            if self.big {
                ifd.extend_from_slice(&count.to_le_bytes());
                let mut v = [0u8; 8];
                if inline_short {
                    v[..2].copy_from_slice(&(value as u16).to_le_bytes());
                } else if typ == 4 {
                    v[..4].copy_from_slice(&(value as u32).to_le_bytes());
                } else {
                    v = value.to_le_bytes();
                }
                ifd.extend_from_slice(&v);
            } else {
                ifd.extend_from_slice(&(count as u32).to_le_bytes());
                let mut v = [0u8; 4];
                if inline_short {
                    v[..2].copy_from_slice(&(value as u16).to_le_bytes());
                } else {
                    v = (value as u32).to_le_bytes();
                }
                ifd.extend_from_slice(&v);
            }
        }
        let next_at = ifd_at + ifd.len() as u64;
        ifd.extend_from_slice(if self.big {
            &[0u8; 8][..]
        } else {
            &[0u8; 4][..]
        });
        self.put(&ifd)?;
        // Point the previous page (or the header) at this IFD.
        let io = |e| OutputError::io(&self.tmp, e);
        self.w.seek(SeekFrom::Start(self.link)).map_err(io)?;
        let ptr: Vec<u8> = if self.big {
            ifd_at.to_le_bytes().to_vec()
        } else {
            (ifd_at as u32).to_le_bytes().to_vec()
        };
        self.w
            .write_all(&ptr)
            .map_err(|e| OutputError::io(&self.tmp, e))?;
        self.w
            .seek(SeekFrom::Start(self.pos))
            .map_err(|e| OutputError::io(&self.tmp, e))?;
        self.link = next_at;
        self.pages += 1;
        Ok(())
    }

    /// Moves the finished file into place; a file without pages is an error.
    pub fn finish(self) -> Result<(), OutputError> {
        if self.pages == 0 {
            return Err(OutputError::invalid(&self.path, "no frames written"));
        }
        commit(self.w, &self.tmp, &self.path)
    }
}
