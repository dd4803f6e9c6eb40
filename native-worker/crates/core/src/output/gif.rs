//! Animated grayscale GIF writer.

use super::{commit, create_tmp, OutputError};
use std::path::Path;

/// Writes 8-bit grayscale `frames` (each `height * width`) as a looping GIF, `delay_cs`
/// hundredths of a second per frame.
pub fn write_gif(
    path: &Path,
    width: usize,
    height: usize,
    frames: &[Vec<u8>],
    delay_cs: u16,
) -> Result<(), OutputError> {
    if width == 0 || height == 0 || width > u16::MAX as usize || height > u16::MAX as usize {
        return Err(OutputError::invalid(
            path,
            format!("GIF size {}x{} out of range", width, height),
        ));
    }
    let (w, tmp) = create_tmp(path)?;
    let palette: Vec<u8> = (0..=255u8).flat_map(|v| [v, v, v]).collect();
    let err = |e: gif::EncodingError| OutputError::invalid(path, e.to_string());
    let mut enc = gif::Encoder::new(w, width as u16, height as u16, &palette).map_err(err)?;
    enc.set_repeat(gif::Repeat::Infinite).map_err(err)?;
    for f in frames {
        if f.len() != width * height {
            return Err(OutputError::invalid(
                path,
                format!("GIF frame of {} pixels for {}x{}", f.len(), width, height),
            ));
        }
        let mut frame =
            gif::Frame::from_indexed_pixels(width as u16, height as u16, f.clone(), None);
        frame.delay = delay_cs;
        enc.write_frame(&frame).map_err(err)?;
    }
    let w = enc.into_inner().map_err(|e| OutputError::io(&tmp, e))?;
    commit(w, &tmp, path)
}
