"""Runs suite2p (CPU) on one TIFF for bench/worker.ts and writes its ROIs the way the worker does.

usage: python suite2p_run.py MOVIE.tif OUT_DIR FS NPLANES THREADS HEIGHT WIDTH

Default settings except fs, tau = 1.0, nplanes, torch_device = "cpu" and, for frames that fit in
one registration block (height or width <= 128, the default block), registration.block_size
(64, 64): suite2p 1.1's non-rigid step fails on a one-block grid ("Input and output sizes should
be greater than 0"), so it keeps its non-rigid registration with smaller blocks. THREADS caps
every thread pool (OpenMP/BLAS/numba/torch), as --threads does for the worker.

Writes, like the worker's outputs, so both are scored by the same command:
  OUT_DIR/regions.json  [{"id", "plane", "coordinates": [[row, col], ...]}] for every ROI
  OUT_DIR/rois.json     {"rois": [{"id", "plane", "iscell"}]} (iscell = iscell[:, 0] > 0)
and prints {"elapsed", "rois", "cells", "settings_changed"} as the last stdout line.
"""
import json
import os
import sys
import time

movie, out, fs, nplanes, threads, height, width = (
    sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6]), int(sys.argv[7]))
# thread caps must be set before numpy, numba and torch load
for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "NUMBA_NUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[var] = str(threads)

import numpy as np  # noqa: E402
import suite2p  # noqa: E402
import torch  # noqa: E402

torch.set_num_threads(threads)
settings = suite2p.default_settings()
settings["torch_device"] = "cpu"
settings["fs"] = fs
settings["tau"] = 1.0
changed = {"fs": fs, "tau": 1.0, "torch_device": "cpu"}
block = settings["registration"]["block_size"]
if height <= block[0] or width <= block[1]:
    settings["registration"]["block_size"] = (64, 64)
    changed["registration.block_size"] = [64, 64]
db = suite2p.default_db()
db["data_path"] = [os.path.dirname(os.path.abspath(movie))]
db["file_list"] = [os.path.basename(movie)]
db["save_path0"] = out
db["nplanes"] = nplanes
t0 = time.time()
suite2p.run_s2p(db=db, settings=settings)
elapsed = time.time() - t0
regions, rois = [], []
for p in range(nplanes):
    d = os.path.join(out, "suite2p", f"plane{p}")
    if not os.path.exists(os.path.join(d, "stat.npy")):
        continue
    stat = np.load(os.path.join(d, "stat.npy"), allow_pickle=True)
    iscell = np.load(os.path.join(d, "iscell.npy"))
    for s, c in zip(stat, iscell):
        i = len(regions)
        regions.append({"id": i, "plane": p, "coordinates": np.c_[s["ypix"], s["xpix"]].astype(int).tolist()})
        rois.append({"id": i, "plane": p, "iscell": bool(c[0] > 0)})
with open(os.path.join(out, "regions.json"), "w") as f:
    json.dump(regions, f)
with open(os.path.join(out, "rois.json"), "w") as f:
    json.dump({"rois": rois}, f)
print(json.dumps({"elapsed": elapsed, "rois": len(rois), "cells": sum(r["iscell"] for r in rois), "settings_changed": changed}))
