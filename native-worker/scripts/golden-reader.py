#!/usr/bin/env python3
"""Regenerates crates/core/tests/golden/reader.json from ../shared/data with tifffile.

For every TIFF: page-0 size, sample type, page count, the sum of page 0 (first sample) and of all
pages (all samples) as float32 values summed in float64, and the first 8 values of page 0.
The Rust reader test compares its own decoding against these numbers.
Usage: pip install tifffile numpy imagecodecs; python3 scripts/golden-reader.py
"""
import glob, json, os, sys, warnings
import numpy as np, tifffile

warnings.filterwarnings("ignore")
root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "data")
root = os.path.normpath(sys.argv[1] if len(sys.argv) > 1 else root)
out = {}
for f in sorted(glob.glob(os.path.join(root, "**", "*.tif*"), recursive=True)):
    rel = os.path.relpath(f, root)
    try:
        with tifffile.TiffFile(f) as t:
            pages = [p.asarray() for p in t.pages]
            p0 = t.pages[0]
            a0 = pages[0]
            spp = p0.samplesperpixel
            if spp > 1:
                a0 = a0[0] if p0.planarconfig == 2 else a0[..., 0]
            out[rel] = {
                "width": int(p0.imagewidth), "height": int(p0.imagelength),
                "dtype": str(p0.dtype), "pages": len(pages), "spp": int(spp),
                "sum0": float(a0.astype(np.float32).astype(np.float64).sum()),
                "sum_all": float(sum(p.astype(np.float32).astype(np.float64).sum() for p in pages)),
                "first": [float(v) for v in a0.astype(np.float32).ravel()[:8]],
            }
    except Exception as e:  # noqa: BLE001 - record files tifffile cannot read
        out[rel] = {"error": str(e)}
json.dump(out, open(os.path.join(os.path.dirname(__file__), "..", "crates", "core", "tests", "golden", "reader.json"), "w"), indent=1, sort_keys=True)
print(len(out), "files")
