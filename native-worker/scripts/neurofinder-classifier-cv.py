#!/usr/bin/env python3
"""Can a trained cell classifier beat the worker's hand-made cell score on real recordings?

Honest cross-validation on the two neurofinder-600 quarters (../shared/data/neurofinder-600/TL and
TR): a classifier is trained on one quarter's labels and scored on the other, both ways; the
threshold is chosen on the training quarter only. Scoring is the neurofinder way: Hungarian
matching of centroids within 10 px; recall, precision, F1 of the ROIs called cells.

Candidates (`--pool`):
  worker  every ROI the worker's `detect` writes (activity ROIs and mean-image somata), cells or not;
  dense   those plus disks (radius 0.45 d, d = 9 px) at every local maximum above 1.0 of the
          ring, filled-disk and dark-disk soma templates on the local-contrast mean image
          (anatomy well beyond what the worker keeps).
Features per candidate (pixel set S, surround = 2-4 px dilation ring):
  log size, compactness, ring / filled template responses at the centroid in the mean, max and
  std images, S-minus-surround local contrast in the three images, mean local correlation in 1-s
  bins (and minus its surround), strongest transient of the neuropil-corrected trace in robust
  noise SDs, its skewness, log brightness ratios, the worker's own score, and (dense) a flag for
  activity origin.
Models: L2 logistic regression (Newton) and 150 rounds of boosted decision stumps. Candidates
whose called-cell score ranks them are kept greedily, skipping any within `--sep` px of one
already kept. Also printed: each model scored on the quarter it was trained on (an optimistic
ceiling for these features).

Usage (numpy and scipy):
  scripts/neurofinder-classifier-cv.py [--worker target/release/scopecloud-worker]
      [--data ../../shared/data] [--pool worker|dense] [--sep 8] [--work /tmp/nf-cv]
Runs `scopecloud-worker register` and `detect` (fs 7 Hz, default options) on both quarters.
Labels are read here only, to train and to score; the worker never reads them.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
from scipy.ndimage import (binary_dilation, correlate, gaussian_filter, maximum_filter,
                           uniform_filter)
from scipy.optimize import linear_sum_assignment

QUARTERS = ("TL", "TR")
D = 9.0


def centroids(sets):
    return np.array([np.mean(np.asarray(s, float), 0) for s in sets]).reshape(-1, 2)


def f1_score(truth_c, det_c, r=10.0):
    if len(det_c) == 0 or len(truth_c) == 0:
        return 0.0, 0.0, 0.0
    d = np.linalg.norm(truth_c[:, None] - det_c[None], axis=2)
    ri, ci = linear_sum_assignment(np.where(d > r, 1e6, d))
    m = sum(1 for a, b in zip(ri, ci) if d[a, b] <= r)
    rec, prec = m / len(truth_c), m / len(det_c)
    return rec, prec, (2 * rec * prec / (rec + prec) if m else 0.0)


def local_contrast(img, d=D):
    img = np.sqrt(np.maximum(img, 0))
    hp = img - gaussian_filter(img, 0.9 * d)
    return hp / np.sqrt(gaussian_filter(hp * hp, 1.2 * d) + 1e-6)


def template(r_mid, r_out, inner, outer):
    r = int(np.ceil(r_out))
    yy, xx = np.mgrid[-r:r + 1, -r:r + 1]
    rr = np.hypot(yy, xx)
    t = np.where(rr < r_mid, inner, np.where(rr < r_out, outer, np.nan))
    m = ~np.isnan(t)
    t[m] -= t[m].mean()
    t[m] /= np.sqrt((t[m] ** 2).sum())
    t[~m] = 0
    return t


def responses(img, d=D):
    lc = local_contrast(img, d)
    ring = correlate(lc, template(0.35 * d, 0.7 * d, -1, 1), mode="constant")
    fill = correlate(lc, template(0.5 * d, 0.8 * d, 1, -1), mode="constant")
    return ring, fill, lc


def correlation_image(mov, fs):
    b = max(1, int(round(fs)))
    t = mov.shape[0] // b
    x = mov[: t * b].reshape(t, b, *mov.shape[1:]).mean(1)
    x = x - x.mean(0)
    x = x - uniform_filter(x, (1, 25, 25))
    x = x / (x.std(0) + 1e-6)
    nb = uniform_filter(x, (1, 3, 3)) * 9 - x
    nb = nb / (nb.std(0) + 1e-6)
    return (x * nb).mean(0), x


def run_worker(worker, data, work, q):
    reg, det = os.path.join(work, f"reg_{q}"), os.path.join(work, f"det_{q}")
    if not os.path.exists(os.path.join(det, "rois.json")):
        movie = os.path.join(data, "neurofinder-600", q, "movie.tif")
        subprocess.run([worker, "register", "--input", movie, "--fs", "7", "--out", reg], check=True,
                       stdout=subprocess.DEVNULL)
        subprocess.run([worker, "detect", "--registered", reg, "--out", det], check=True,
                       stdout=subprocess.DEVNULL)
    return reg, det


def features(reg, det, pool):
    meta = json.load(open(os.path.join(reg, "registered.json")))["planes"][0]
    t, h, w = meta["frames"], meta["height"], meta["width"]
    mov = np.fromfile(os.path.join(reg, "registered_plane0.f32"), "<f4").reshape(t, h, w)
    mean, mx, sd = (np.load(os.path.join(reg, f"{n}_plane0.npy")) for n in ("mean", "max", "std"))
    regions = json.load(open(os.path.join(det, "regions.json")))
    rois = json.load(open(os.path.join(det, "rois.json")))["rois"]
    ring, fill, lc = responses(mean)
    ring_x, fill_x, lc_x = responses(mx)
    ring_s, fill_s, lc_s = responses(sd)
    corr, binned = correlation_image(mov, 7.0)
    cands = [(np.asarray(g["coordinates"]), 1.0, r["score"], r["iscell"]) for g, r in zip(regions, rois)]
    if pool == "dense":
        yy, xx = np.mgrid[0:h, 0:w]
        size = 2 * int(round(0.35 * D)) + 1
        pts = set()
        for resp in (np.maximum(ring, 0.75 * fill), -fill):
            pts |= set(zip(*np.nonzero((resp == maximum_filter(resp, size=size)) & (resp > 1.0))))
        for y, x in sorted(pts):
            cands.append((np.argwhere(np.hypot(yy - y, xx - x) <= 0.45 * D), 0.0, 0.0, False))
    rows, cs, worker_cell = [], [], []
    for px, act, score, iscell in cands:
        m = np.zeros((h, w), bool)
        m[px[:, 0], px[:, 1]] = True
        sur = binary_dilation(m, iterations=4) & ~binary_dilation(m, iterations=1)
        c = px.mean(0)
        cy, cx = int(round(c[0])), int(round(c[1]))
        n = len(px)
        spread = np.sqrt(((px - c) ** 2).sum(1)).mean()
        compact = (spread + 0.5) / ((2 / 3) * np.sqrt(n / np.pi) + 0.5)
        tr = binned[:, m].mean(1) - 0.7 * binned[:, sur].mean(1)
        noise = 1.4826 * np.median(np.abs(np.diff(tr))) / np.sqrt(2) + 1e-6
        z = (tr.max() - np.median(tr)) / noise
        skew = ((tr - tr.mean()) ** 3).mean() / (tr.std() ** 3 + 1e-9)
        rows.append([
            act, np.log(n), compact, ring[cy, cx], fill[cy, cx], ring_x[cy, cx], fill_x[cy, cx],
            ring_s[cy, cx], fill_s[cy, cx], lc[m].mean() - lc[sur].mean(),
            lc_x[m].mean() - lc_x[sur].mean(), lc_s[m].mean() - lc_s[sur].mean(), corr[m].mean(),
            corr[m].mean() - corr[sur].mean(), z, skew, np.log(mean[m].mean() / mean[sur].mean()),
            np.log(sd[m].mean() / sd[sur].mean()), score,
        ])
        cs.append(c)
        worker_cell.append(iscell)
    return np.array(rows), np.array(cs), np.array(worker_cell)


def fit_logistic(x, y, l2=1.0, iters=50):
    mu, s = x.mean(0), x.std(0) + 1e-9
    z = np.c_[np.ones(len(x)), (x - mu) / s]
    wts = np.zeros(z.shape[1])
    reg = l2 * np.diag(np.r_[0, np.ones(len(wts) - 1)])
    for _ in range(iters):
        p = 1 / (1 + np.exp(-z @ wts))
        g = z.T @ (p - y) + reg @ wts
        hess = (z * (p * (1 - p))[:, None]).T @ z + reg
        wts -= np.linalg.solve(hess, g)
    return lambda xn: 1 / (1 + np.exp(-np.c_[np.ones(len(xn)), (xn - mu) / s] @ wts))


def fit_stumps(x, y, rounds=150, lr=0.1):
    cuts = [np.unique(np.quantile(x[:, j], np.linspace(0.05, 0.95, 19))) for j in range(x.shape[1])]
    f = np.zeros(len(y))
    model = []
    for _ in range(rounds):
        p = 1 / (1 + np.exp(-f))
        g, hs = y - p, p * (1 - p) + 1e-6
        best = None
        for j in range(x.shape[1]):
            for t in cuts[j]:
                left = x[:, j] <= t
                gl, gr, hl, hr = g[left].sum(), g[~left].sum(), hs[left].sum(), hs[~left].sum()
                gain = gl * gl / (hl + 1) + gr * gr / (hr + 1)
                if best is None or gain > best[0]:
                    best = (gain, j, t, gl / (hl + 1), gr / (hr + 1))
        _, j, t, vl, vr = best
        model.append((j, t, lr * vl, lr * vr))
        f += np.where(x[:, j] <= t, lr * vl, lr * vr)

    def predict(xn):
        out = np.zeros(len(xn))
        for j, t, vl, vr in model:
            out += np.where(xn[:, j] <= t, vl, vr)
        return 1 / (1 + np.exp(-out))
    return predict


def keep(p, cs, thr, sep):
    order, kept = np.argsort(-p), []
    for i in order:
        if p[i] < thr:
            break
        if all(np.linalg.norm(cs[i] - cs[j]) >= sep for j in kept):
            kept.append(i)
    return kept


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser()
    ap.add_argument("--worker", default=os.path.join(here, "..", "target", "release", "scopecloud-worker"))
    ap.add_argument("--data", default=os.environ.get("SCOPECLOUD_SHARED_DATA")
                    or os.path.join(here, "..", "..", "..", "shared", "data"))
    ap.add_argument("--pool", choices=("worker", "dense"), default="worker")
    ap.add_argument("--sep", type=float, default=8.0)
    ap.add_argument("--work", default="/tmp/nf-cv")
    a = ap.parse_args()
    os.makedirs(a.work, exist_ok=True)
    data = {}
    for q in QUARTERS:
        reg, det = run_worker(a.worker, a.data, a.work, q)
        x, cs, worker_cell = features(reg, det, a.pool)
        truth = centroids(r["coordinates"] for r in json.load(open(os.path.join(a.data, "neurofinder-600", q, "regions.json"))))
        dist = np.linalg.norm(cs[:, None] - truth[None], axis=2).min(1)
        data[q] = (x, cs, truth, dist, worker_cell)
        print(f"{q}: {len(cs)} candidates ({a.pool}), {len(truth)} labelled; worker's own cells: "
              "R {:.3f} P {:.3f} F1 {:.3f}".format(*f1_score(truth, cs[worker_cell])))
    for name, fit in (("logistic", fit_logistic), ("stumps", fit_stumps)):
        for tr, te in (("TL", "TR"), ("TR", "TL")):
            x, cs, truth, dist, _ = data[tr]
            xt, cst, trutht, _, _ = data[te]
            model = fit(x, (dist < 4).astype(float))
            p_train = model(x)
            f_train, thr = max((f1_score(truth, cs[keep(p_train, cs, t, a.sep)])[2], t)
                               for t in np.arange(0.1, 0.9, 0.05))
            rec, prec, f1 = f1_score(trutht, cst[keep(model(xt), cst, thr, a.sep)])
            print(f"{name:8s} trained on {tr} (F1 there {f_train:.3f}, threshold {thr:.2f}) -> "
                  f"{te}: R {rec:.3f} P {prec:.3f} F1 {f1:.3f}")


if __name__ == "__main__":
    sys.exit(main())
