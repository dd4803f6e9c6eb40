#!/usr/bin/env python3
"""Writes small synthetic seed TIFFs for the fuzzer into fuzz/corpus/tiff_reader (no shared data
is copied: ../shared/data must not be committed). Covers BigTIFF, both byte orders, every sample
type, strips and tiles, LZW/Deflate/PackBits, both predictors, ImageJ, OME and planar RGB.
Usage: pip install tifffile numpy imagecodecs; python3 scripts/fuzz-seeds.py
"""
import os
import numpy as np
import tifffile

out = os.path.join(os.path.dirname(__file__), "..", "fuzz", "corpus", "tiff_reader")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(0)
n = 0


def save(name, data, **kw):
    global n
    tifffile.imwrite(os.path.join(out, f"seed-{n:02d}-{name}.tif"), data, **kw)
    n += 1


for dt in ["uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64", "float16", "float32", "float64"]:
    a = (rng.random((2, 9, 7)) * 100).astype(dt)
    save(dt, a, byteorder="<" if n % 2 else ">", bigtiff=dt.endswith("64"))
a = (rng.random((3, 12, 10)) * 200).astype("uint8")
save("lzw-hpred", a, compression="lzw", predictor=True)
save("deflate", a, compression="zlib")
save("packbits", a, compression="packbits")
save("tiled", (rng.random((20, 20)) * 60000).astype("uint16"), tile=(16, 16))
save("tiled-bigtiff-be", (rng.random((20, 20)) * 60000).astype("uint16"), tile=(16, 16), bigtiff=True, byteorder=">")
save("float-pred", rng.random((2, 8, 8)).astype("float32"), compression="zlib", predictor=3)
save("lzw-16-hpred", (rng.random((8, 9)) * 60000).astype("uint16"), compression="lzw", predictor=True, rowsperstrip=3)
save("imagej-hyper", (rng.random((3, 2, 6, 5)) * 200).astype("uint8"), imagej=True, metadata={"axes": "TZYX"})
save("ome", (rng.random((2, 3, 6, 5)) * 200).astype("uint16"), ome=True, metadata={"axes": "TCYX"})
save("rgb-planar", (rng.random((3, 6, 5)) * 200).astype("uint8"), photometric="rgb", planarconfig="separate")
save("rgb-chunky-lzw", (rng.random((6, 5, 3)) * 200).astype("uint8"), photometric="rgb", compression="lzw", predictor=True)
save("scanimage-like", (rng.random((4, 8, 8)) * 200).astype("int16"),
     description="SI.VERSION_MAJOR = '5.7'\nSI.hChannels.channelSave = [1;2]\nSI.hFastZ.enable = false")
print(n, "seeds in", os.path.normpath(out))
