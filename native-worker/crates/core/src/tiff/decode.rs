//! Chunk decompression (none, PackBits, LZW, Deflate), predictors and sample conversion to f32.
//! Contract: decompressors write at most `expected` bytes and report a short stream as an
//! error; nothing here panics on malformed input.

use super::header::ByteOrder;

/// TIFF compression codes this reader decodes.
pub fn compression_name(code: u16) -> &'static str {
    match code {
        1 => "none",
        5 => "lzw",
        8 | 32946 => "deflate",
        32773 => "packbits",
        7 => "jpeg",
        _ => "other",
    }
}

/// Decompresses `src` into exactly `expected` bytes.
pub fn decompress(code: u16, src: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let out = match code {
        1 => {
            if src.len() < expected {
                return Err(format!(
                    "uncompressed chunk holds {} bytes, {} expected",
                    src.len(),
                    expected
                ));
            }
            src[..expected].to_vec()
        }
        32773 => packbits(src, expected),
        5 => lzw(src, expected)?,
        8 | 32946 => deflate(src, expected)?,
        other => {
            return Err(format!(
                "compression {} ({}) is not supported",
                other,
                compression_name(other)
            ))
        }
    };
    if out.len() < expected {
        return Err(format!(
            "compressed chunk decodes to {} bytes, {} expected",
            out.len(),
            expected
        ));
    }
    Ok(out)
}

fn packbits(src: &[u8], expected: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(expected);
    let mut i = 0;
    while i < src.len() && out.len() < expected {
        let n = src[i] as i8;
        i += 1;
        if n >= 0 {
            let len = n as usize + 1;
            let end = (i + len).min(src.len());
            out.extend_from_slice(&src[i..end]);
            i = end;
        } else if n != -128 {
            let len = (1 - n as isize) as usize;
            if let Some(&b) = src.get(i) {
                out.extend(std::iter::repeat_n(b, len));
            }
            i += 1;
        }
    }
    out.truncate(expected);
    out
}

fn lzw(src: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    let mut out = vec![0u8; expected];
    let mut dec = weezl::decode::Decoder::with_tiff_size_switch(weezl::BitOrder::Msb, 8);
    let (mut i, mut o) = (0usize, 0usize);
    while o < expected {
        let r = dec.decode_bytes(&src[i..], &mut out[o..]);
        i += r.consumed_in;
        o += r.consumed_out;
        match r.status {
            Ok(weezl::LzwStatus::Ok) => {
                if r.consumed_in == 0 && r.consumed_out == 0 {
                    break;
                }
            }
            Ok(_) => break,
            Err(e) => {
                if o < expected {
                    return Err(format!("LZW stream error after {} bytes: {}", o, e));
                }
                break;
            }
        }
    }
    out.truncate(o);
    Ok(out)
}

fn deflate(src: &[u8], expected: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = vec![0u8; expected];
    let mut dec = flate2::read::ZlibDecoder::new(src);
    let mut o = 0;
    while o < expected {
        match dec.read(&mut out[o..]) {
            Ok(0) => break,
            Ok(n) => o += n,
            Err(e) => return Err(format!("deflate stream error after {} bytes: {}", o, e)),
        }
    }
    out.truncate(o);
    Ok(out)
}

/// Undoes horizontal differencing (predictor 2) in place on rows of `row_samples` samples
/// of `bytes` bytes each, with `spp` interleaved samples per pixel.
pub fn undo_horizontal(
    buf: &mut [u8],
    bytes: usize,
    row_samples: usize,
    spp: usize,
    order: ByteOrder,
) {
    let row_bytes = row_samples * bytes;
    if row_bytes == 0 {
        return;
    }
    for row in buf.chunks_exact_mut(row_bytes) {
        for i in spp..row_samples {
            let (a, b) = ((i - spp) * bytes, i * bytes);
            match bytes {
                1 => row[b] = row[b].wrapping_add(row[a]),
                2 => {
                    let v = order.u16(&row[b..]).wrapping_add(order.u16(&row[a..]));
                    put(
                        &mut row[b..b + 2],
                        &v.to_le_bytes(),
                        &v.to_be_bytes(),
                        order,
                    );
                }
                4 => {
                    let v = order.u32(&row[b..]).wrapping_add(order.u32(&row[a..]));
                    put(
                        &mut row[b..b + 4],
                        &v.to_le_bytes(),
                        &v.to_be_bytes(),
                        order,
                    );
                }
                8 => {
                    let v = order.u64(&row[b..]).wrapping_add(order.u64(&row[a..]));
                    put(
                        &mut row[b..b + 8],
                        &v.to_le_bytes(),
                        &v.to_be_bytes(),
                        order,
                    );
                }
                _ => {}
            }
        }
    }
}

fn put(dst: &mut [u8], le: &[u8], be: &[u8], order: ByteOrder) {
    dst.copy_from_slice(match order {
        ByteOrder::Little => le,
        ByteOrder::Big => be,
    });
}

/// Undoes the floating-point predictor (3): per row, byte-wise differencing over the whole row,
/// then bytes regrouped from significance planes. The result is big-endian regardless of the
/// file's byte order.
pub fn undo_float(buf: &mut [u8], bytes: usize, row_samples: usize, spp: usize) {
    let row_bytes = row_samples * bytes;
    if row_bytes == 0 {
        return;
    }
    let mut tmp = vec![0u8; row_bytes];
    for row in buf.chunks_exact_mut(row_bytes) {
        for i in spp..row_bytes {
            row[i] = row[i].wrapping_add(row[i - spp]);
        }
        tmp.copy_from_slice(row);
        for k in 0..row_samples {
            for b in 0..bytes {
                row[k * bytes + b] = tmp[b * row_samples + k];
            }
        }
    }
}

/// Converts IEEE half precision bits to f32.
pub fn f16_to_f32(h: u16) -> f32 {
    let sign = ((h >> 15) as u32) << 31;
    let exp = ((h >> 10) & 0x1f) as u32;
    let man = (h & 0x3ff) as u32;
    let bits = if exp == 0 {
        if man == 0 {
            sign
        } else {
            // Subnormal: value = man * 2^-24.
            let v = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -v } else { v };
        }
    } else if exp == 31 {
        sign | 0x7f80_0000 | (man << 13)
    } else {
        sign | ((exp + 112) << 23) | (man << 13)
    };
    f32::from_bits(bits)
}

/// Pixel sample type of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SampleType {
    /// 1 unsigned, 2 signed, 3 float.
    pub format: u16,
    pub bits: u16,
}

impl SampleType {
    /// numpy-style name (`uint16`, `float32` ...), or an error text for unsupported types.
    pub fn name(self) -> Result<&'static str, String> {
        Ok(match (self.format, self.bits) {
            (1 | 4, 8) => "uint8",
            (1 | 4, 16) => "uint16",
            (1 | 4, 32) => "uint32",
            (1 | 4, 64) => "uint64",
            (2, 8) => "int8",
            (2, 16) => "int16",
            (2, 32) => "int32",
            (2, 64) => "int64",
            (3, 16) => "float16",
            (3, 32) => "float32",
            (3, 64) => "float64",
            (f, b) => {
                return Err(format!(
                    "sample format {} with {} bits per sample is not supported",
                    f, b
                ))
            }
        })
    }

    pub fn bytes(self) -> usize {
        (self.bits / 8) as usize
    }

    /// Converts `dst.len()` samples starting at sample `first`, every `step` samples, to f32.
    /// Dispatches on the type once per call so the inner loops stay simple.
    pub fn convert(self, buf: &[u8], first: usize, step: usize, order: ByteOrder, dst: &mut [f32]) {
        let n = self.bytes();
        macro_rules! conv {
            ($f:expr) => {
                for (k, d) in dst.iter_mut().enumerate() {
                    let o = (first + k * step) * n;
                    *d = $f(&buf[o..o + n]);
                }
            };
        }
        let le = order == ByteOrder::Little;
        match (self.format, self.bits, le) {
            (1 | 4, 8, _) => conv!(|b: &[u8]| b[0] as f32),
            (1 | 4, 16, true) => conv!(|b: &[u8]| u16::from_le_bytes([b[0], b[1]]) as f32),
            (2, 16, true) => conv!(|b: &[u8]| i16::from_le_bytes([b[0], b[1]]) as f32),
            (1 | 4, 16, false) => conv!(|b: &[u8]| u16::from_be_bytes([b[0], b[1]]) as f32),
            (2, 16, false) => conv!(|b: &[u8]| i16::from_be_bytes([b[0], b[1]]) as f32),
            _ => {
                for (k, d) in dst.iter_mut().enumerate() {
                    *d = self.get(buf, first + k * step, order);
                }
            }
        }
    }

    /// Reads sample `i` of `buf` as f32.
    #[inline]
    pub fn get(self, buf: &[u8], i: usize, order: ByteOrder) -> f32 {
        let n = self.bytes();
        let b = &buf[i * n..i * n + n];
        match (self.format, self.bits) {
            (2, 8) => b[0] as i8 as f32,
            (_, 8) => b[0] as f32,
            (2, 16) => order.u16(b) as i16 as f32,
            (3, 16) => f16_to_f32(order.u16(b)),
            (_, 16) => order.u16(b) as f32,
            (2, 32) => order.u32(b) as i32 as f32,
            (3, 32) => f32::from_bits(order.u32(b)),
            (_, 32) => order.u32(b) as f32,
            (2, 64) => order.u64(b) as i64 as f32,
            (3, 64) => f64::from_bits(order.u64(b)) as f32,
            _ => order.u64(b) as f32,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packbits_roundtrip_example() {
        // Example from the TIFF 6.0 specification.
        let src = [
            0xFE, 0xAA, 0x02, 0x80, 0x00, 0x2A, 0xFD, 0xAA, 0x03, 0x80, 0x00, 0x2A, 0x22, 0xF7,
            0xAA,
        ];
        let want = [
            0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0xAA, 0xAA, 0xAA, 0xAA, 0x80, 0x00, 0x2A, 0x22,
            0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA, 0xAA,
        ];
        assert_eq!(packbits(&src, want.len()), want);
    }

    #[test]
    fn half_floats() {
        assert_eq!(f16_to_f32(0x3c00), 1.0);
        assert_eq!(f16_to_f32(0xc000), -2.0);
        assert_eq!(f16_to_f32(0x0001), 5.960_464_5e-8);
        assert!(f16_to_f32(0x7c00).is_infinite());
    }

    #[test]
    fn horizontal_predictor_16bit() {
        let mut b = vec![1, 0, 1, 0, 2, 0];
        undo_horizontal(&mut b, 2, 3, 1, ByteOrder::Little);
        assert_eq!(b, vec![1, 0, 2, 0, 4, 0]);
    }

    #[test]
    fn short_streams_are_errors() {
        assert!(decompress(1, &[1, 2], 4).is_err());
        assert!(decompress(8, &[0x78, 0x9c], 4).is_err());
        assert!(decompress(5, &[], 4).is_err());
        assert!(decompress(7, &[], 4).is_err());
    }
}
