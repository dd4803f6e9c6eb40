//! TIFF/BigTIFF file header and the IFD chain: the byte order, the first IFD, and the offset of
//! every IFD, walked without loops. Contract: every count and offset read from the file is
//! checked against the file length before anything is allocated, so a hostile file cannot make
//! the reader allocate or loop without bound.

use super::error::{Result, TiffError};
use super::handle::Handle;
use serde::Serialize;
use std::collections::HashSet;

/// Byte order of a TIFF file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    pub(crate) fn u16(self, b: &[u8]) -> u16 {
        let a = [b[0], b[1]];
        match self {
            ByteOrder::Little => u16::from_le_bytes(a),
            ByteOrder::Big => u16::from_be_bytes(a),
        }
    }
    pub(crate) fn u32(self, b: &[u8]) -> u32 {
        let a = [b[0], b[1], b[2], b[3]];
        match self {
            ByteOrder::Little => u32::from_le_bytes(a),
            ByteOrder::Big => u32::from_be_bytes(a),
        }
    }
    pub(crate) fn u64(self, b: &[u8]) -> u64 {
        let mut a = [0u8; 8];
        a.copy_from_slice(&b[..8]);
        match self {
            ByteOrder::Little => u64::from_le_bytes(a),
            ByteOrder::Big => u64::from_be_bytes(a),
        }
    }
}

/// The 8- or 16-byte file header.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    pub order: ByteOrder,
    pub bigtiff: bool,
    pub first_ifd: u64,
}

/// Reads and validates the header.
pub fn read_header(h: &mut Handle) -> Result<Header> {
    if h.len() == 0 {
        return Err(TiffError::Empty {
            path: h.path().to_path_buf(),
        });
    }
    if h.len() < 8 {
        return Err(TiffError::NotTiff {
            path: h.path().to_path_buf(),
        });
    }
    let mut b = [0u8; 16];
    let n = if h.len() >= 16 { 16 } else { 8 };
    h.read_at(0, &mut b[..n], "header")?;
    let order = match &b[..2] {
        b"II" => ByteOrder::Little,
        b"MM" => ByteOrder::Big,
        _ => {
            return Err(TiffError::NotTiff {
                path: h.path().to_path_buf(),
            })
        }
    };
    match order.u16(&b[2..4]) {
        42 => Ok(Header {
            order,
            bigtiff: false,
            first_ifd: order.u32(&b[4..8]) as u64,
        }),
        43 => {
            if n < 16 || order.u16(&b[4..6]) != 8 || order.u16(&b[6..8]) != 0 {
                return Err(TiffError::Corrupt {
                    path: h.path().to_path_buf(),
                    detail: "bad BigTIFF header".into(),
                });
            }
            Ok(Header {
                order,
                bigtiff: true,
                first_ifd: order.u64(&b[8..16]),
            })
        }
        _ => Err(TiffError::NotTiff {
            path: h.path().to_path_buf(),
        }),
    }
}

/// Walks the IFD chain and returns every IFD offset in order. Reads two small records per IFD.
/// A loop in the chain or a dangling pointer ends the walk with a warning (pages before it are kept).
pub fn walk_chain(h: &mut Handle, hd: &Header, warnings: &mut Vec<String>) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    let mut off = hd.first_ifd;
    let (cnt_size, entry_size, next_size) = if hd.bigtiff {
        (8u64, 20u64, 8u64)
    } else {
        (2, 12, 4)
    };
    while off != 0 {
        if !seen.insert(off) {
            warnings.push(format!(
                "{}: IFD chain loops back to offset {}; stopped after {} pages",
                h.path().display(),
                off,
                out.len()
            ));
            break;
        }
        let mut cb = [0u8; 8];
        // A next-IFD pointer past the end means the file was cut short: an error, never a
        // silently shorter movie.
        h.read_at(
            off,
            &mut cb[..cnt_size as usize],
            &format!("IFD {}", out.len()),
        )?;
        let n = if hd.bigtiff {
            hd.order.u64(&cb)
        } else {
            hd.order.u16(&cb) as u64
        };
        let next_pos = n
            .checked_mul(entry_size)
            .and_then(|x| x.checked_add(off.checked_add(cnt_size)?));
        let next_pos = match next_pos {
            Some(p) if p.saturating_add(next_size) <= h.len() => p,
            _ => {
                return Err(TiffError::Truncated {
                    path: h.path().to_path_buf(),
                    what: format!(
                        "IFD {} at offset {} with {} entries extends past end of file ({} bytes)",
                        out.len(),
                        off,
                        n,
                        h.len()
                    ),
                });
            }
        };
        if n == 0 {
            warnings.push(format!(
                "{}: IFD {} has no entries; stopped",
                h.path().display(),
                out.len()
            ));
            break;
        }
        out.push(off);
        let mut nb = [0u8; 8];
        h.read_at(next_pos, &mut nb[..next_size as usize], "next IFD offset")?;
        off = if hd.bigtiff {
            hd.order.u64(&nb)
        } else {
            hd.order.u32(&nb) as u64
        };
    }
    if out.is_empty() {
        return Err(TiffError::Empty {
            path: h.path().to_path_buf(),
        });
    }
    Ok(out)
}
