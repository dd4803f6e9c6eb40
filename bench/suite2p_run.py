"""Runs suite2p (CPU) on one TIFF for bench/worker.ts and writes its cell ROIs as regions.

usage: python suite2p_run.py MOVIE.tif OUT_DIR FS NPLANES
Default settings except fs, tau = 1.0, nplanes and torch_device = "cpu". Writes
OUT_DIR/regions-cells.json: [{"id", "plane", "coordinates": [[row, col], ...]}] for the ROIs
suite2p classifies as cells (iscell[:, 0] > 0), and prints the elapsed seconds.
"""
import json
import os
import sys
import time

import numpy as np
import suite2p

movie, out, fs, nplanes = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
settings = suite2p.default_settings()
settings["torch_device"] = "cpu"
settings["fs"] = fs
settings["tau"] = 1.0
db = suite2p.default_db()
db["data_path"] = [os.path.dirname(os.path.abspath(movie))]
db["file_list"] = [os.path.basename(movie)]
db["save_path0"] = out
db["nplanes"] = nplanes
t0 = time.time()
suite2p.run_s2p(db=db, settings=settings)
elapsed = time.time() - t0
regions = []
for p in range(nplanes):
    d = os.path.join(out, "suite2p", f"plane{p}")
    if not os.path.exists(os.path.join(d, "stat.npy")):
        continue
    stat = np.load(os.path.join(d, "stat.npy"), allow_pickle=True)
    iscell = np.load(os.path.join(d, "iscell.npy"))
    for i, (s, c) in enumerate(zip(stat, iscell)):
        if c[0] > 0:
            coords = np.c_[s["ypix"], s["xpix"]].astype(int).tolist()
            regions.append({"id": len(regions), "plane": p, "coordinates": coords})
with open(os.path.join(out, "regions-cells.json"), "w") as f:
    json.dump(regions, f)
print(json.dumps({"elapsed": elapsed, "cells": len(regions)}))
