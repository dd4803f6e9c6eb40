//! Replays the committed fuzz corpus (`fuzz/corpus/tiff_reader`, including crash regressions)
//! through the reader on the stable toolchain: every input must give `Ok` or an error.

use worker_core::tiff::{OpenOptions, Source};

#[test]
fn corpus_never_panics() {
    let dir =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fuzz/corpus/tiff_reader");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "the committed fuzz corpus {} is unreadable: {e}",
            dir.display()
        )
    });
    let mut n = 0;
    for e in entries.flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        n += 1;
        let Ok(src) = Source::from_bytes(bytes, &OpenOptions::default()) else {
            continue;
        };
        let info = src.info().clone();
        if info.width * info.height > 1 << 24 {
            continue;
        }
        let mut r = src.reader();
        let mut f = vec![0f32; info.width * info.height];
        for t in 0..info.frames.min(8) {
            let _ = r.read_frame(0, 0, t, &mut f);
        }
    }
    eprintln!("replayed {} corpus files", n);
}
