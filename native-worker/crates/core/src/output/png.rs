//! Grayscale PNG writers (8-bit and 16-bit).

use super::{commit, create_tmp, OutputError};
use std::io::Write;
use std::path::Path;

fn write(
    path: &Path,
    width: usize,
    height: usize,
    depth: png::BitDepth,
    bytes: &[u8],
) -> Result<(), OutputError> {
    let mut encoded = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut encoded, width as u32, height as u32);
        enc.set_color(png::ColorType::Grayscale);
        enc.set_depth(depth);
        let err = |e: png::EncodingError| OutputError::invalid(path, e.to_string());
        let mut wr = enc.write_header().map_err(err)?;
        wr.write_image_data(bytes).map_err(err)?;
        wr.finish().map_err(err)?;
    }
    let (mut w, tmp) = create_tmp(path)?;
    w.write_all(&encoded)
        .map_err(|e| OutputError::io(&tmp, e))?;
    commit(w, &tmp, path)
}

/// Writes an 8-bit grayscale PNG; `pixels` is row-major `height * width`.
pub fn write_png_u8(
    path: &Path,
    width: usize,
    height: usize,
    pixels: &[u8],
) -> Result<(), OutputError> {
    if pixels.len() != width * height || width == 0 || height == 0 {
        return Err(OutputError::invalid(
            path,
            format!("{} pixels for a {}x{} image", pixels.len(), width, height),
        ));
    }
    write(path, width, height, png::BitDepth::Eight, pixels)
}

/// Writes a 16-bit grayscale PNG (big-endian samples as PNG requires).
pub fn write_png_u16(
    path: &Path,
    width: usize,
    height: usize,
    pixels: &[u16],
) -> Result<(), OutputError> {
    if pixels.len() != width * height || width == 0 || height == 0 {
        return Err(OutputError::invalid(
            path,
            format!("{} pixels for a {}x{} image", pixels.len(), width, height),
        ));
    }
    let bytes: Vec<u8> = pixels.iter().flat_map(|v| v.to_be_bytes()).collect();
    write(path, width, height, png::BitDepth::Sixteen, &bytes)
}
