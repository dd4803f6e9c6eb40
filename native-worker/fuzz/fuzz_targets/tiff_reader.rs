//! Fuzz target: any byte string opened as a TIFF must give `Ok` or a `TiffError`, never a
//! panic, hang or unbounded allocation. Reads every frame of every plane and channel (capped).
#![no_main]

use libfuzzer_sys::fuzz_target;
use worker_core::tiff::{OpenOptions, Source};

fuzz_target!(|data: &[u8]| {
    let Ok(src) = Source::from_bytes(data.to_vec(), &OpenOptions::default()) else {
        return;
    };
    let info = src.info().clone();
    // The reader bounds a frame by the file size; the harness keeps its own buffer small too.
    if info.width * info.height > 1 << 24 {
        return;
    }
    let mut r = src.reader();
    let mut frame = vec![0f32; info.width * info.height];
    let mut budget = 64usize;
    for p in 0..info.planes {
        for c in 0..info.channels {
            for t in 0..info.frames {
                if budget == 0 {
                    return;
                }
                budget -= 1;
                let _ = r.read_frame(p, c, t, &mut frame);
            }
        }
    }
});
