"""How far can a cell detector get on the neurofinder crop with what the crop itself shows?

A diagnostic, not part of the build. It trains classifiers on the crop's own labels in one half
of the field and scores them on the other half (both ways, rows then columns), the neurofinder
way (Hungarian on centroids, 10 px). Candidates are the worker's activity ROIs plus every local
maximum of its mean-image soma response; features are the soma-template responses, local
brightness, the local correlation image, an activity percentile, skewness and the worker's own
activity score. A detector tuned on this crop without its labels should not expect to beat what
these supervised models reach on held-out halves.

Run from `native-worker/` (needs numpy, scipy, scikit-learn; the dump is the registered movie and
the worker's ROIs):
    NEUROFINDER_DUMP_DIR=/tmp/nfdump cargo test --release -p scopecloud-worker-core \
        --test neurofinder -- --ignored neurofinder_dump_detection
    python3 analysis/neurofinder_ceiling.py /tmp/nfdump ../../shared/data/neurofinder-crop/regions.json

Measured at the commit that added it: held-out F1 0.605 (logistic) and 0.586 (boosted trees)
splitting top/bottom, 0.561 and 0.512 splitting left/right; the worker, unsupervised, 0.608.
"""
import json
import sys

import numpy as np
from scipy import ndimage as ndi
from scipy.optimize import linear_sum_assignment
from sklearn.ensemble import GradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

T, H, W = 300, 256, 256
D = 9.0  # soma diameter the worker is run with on this crop


def f1(truth, found, radius=10.0):
    if len(found) == 0:
        return 0.0
    d = np.linalg.norm(truth[:, None, :] - np.asarray(found)[None, :, :], axis=2)
    cost = np.where(d < radius, d, 1e6)
    i, j = linear_sum_assignment(cost)
    m = (cost[i, j] < 1e6).sum()
    return 2 * m / (len(truth) + len(found))


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


def soma_maps(mean):
    """The worker's ring and filled soma responses (detect::anatomy), re-derived."""
    blur = lambda im, s: ndi.gaussian_filter(im, s, mode="nearest", truncate=3.0)
    img = np.sqrt(np.maximum(mean, 0))
    hp = img - blur(img, 0.9 * D)
    lc = hp / np.sqrt(blur(hp * hp, 1.2 * D) + 1e-6)
    ring = ndi.correlate(lc, template(0.35 * D, 0.7 * D, -1, 1), mode="constant")
    filled = ndi.correlate(lc, template(0.5 * D, 0.8 * D, 1, -1), mode="constant")
    return ring, filled


def local_maxima(img, radius, floor):
    mx = ndi.maximum_filter(img, size=2 * radius + 1, mode="constant", cval=-np.inf)
    ys, xs = np.nonzero((img == mx) & (img >= floor))
    return np.stack([ys, xs], 1).astype(float)


def main(dump, regions):
    mov = np.fromfile(f"{dump}/registered.f32", dtype=np.float32).reshape(T, H, W)
    truth = np.array([np.mean(np.array(r["coordinates"], float), 0) for r in json.load(open(regions))])
    rois = [r for r in json.load(open(f"{dump}/rois.json")) if r["origin"] == "Activity"]
    mean = mov.mean(0)
    g = lambda im, s: ndi.gaussian_filter(im, s)
    x = mov - ndi.uniform_filter1d(mov, size=31, axis=0)
    xz = x / (x.std(0) + 1e-6)
    corr = sum((xz * np.roll(xz, (dy, dx), (1, 2))).mean(0) for dy in (-1, 0, 1) for dx in (-1, 0, 1) if dy or dx) / 8
    xs = ndi.gaussian_filter(x, (0, 1.5, 1.5))
    noise = np.median(np.abs(np.diff(xs, axis=0)), 0) / 0.6745 / np.sqrt(2) + 1e-6
    xn = xs / noise
    ring, filled = soma_maps(mean)
    maps = {
        "ring": ring, "filled": filled,
        "bright": g(mean, 2) / g(mean, 2 * D),
        "corr": g(corr, 1.5),
        "activity": g(np.percentile(xn, 99.5, axis=0), 1.5),
        "skew": g(((xn - xn.mean(0)) ** 3).mean(0) / xn.std(0) ** 3, 1.5),
    }
    near = {k: ndi.maximum_filter(m, size=7) for k, m in maps.items()}
    cands = [(y, x_, 0.0, 0.0) for y, x_ in local_maxima(np.maximum(ring, 0.75 * filled), 3, 2.0)]
    for r in rois:
        p = np.array(r["pixels"])
        cands.append((np.mean(p // W), np.mean(p % W), r["score"], np.log1p(r["peak"])))
    cands = np.array(cands)
    X = np.array([[near[k][int(round(c[0])), int(round(c[1]))] for k in maps] + [c[2], c[3]] for c in cands])
    y = (np.min(np.linalg.norm(cands[:, None, :2] - truth[None], axis=2), 1) < 6).astype(int)

    def pick(p, pts, threshold):
        out = []
        for i in np.argsort(-p):
            if p[i] < threshold:
                break
            if not out or np.min(np.linalg.norm(np.array(out) - pts[i], axis=1)) >= 0.8 * D:
                out.append(pts[i])
        return np.array(out).reshape(-1, 2)

    models = {"logistic": lambda: LogisticRegression(C=0.3, max_iter=1000),
              "boosted trees": lambda: GradientBoostingClassifier(max_depth=2, n_estimators=100, random_state=0)}
    print(f"{len(truth)} annotated cells, {len(cands)} candidates, {y.sum()} within 6 px of one")
    for axis, name in ((0, "top/bottom"), (1, "left/right")):
        for mname, make in models.items():
            found = []
            for train_half in (True, False):
                tr = (cands[:, axis] < 128) == train_half
                t_tr = truth[(truth[:, axis] < 128) == train_half]
                mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-9
                model = make().fit((X[tr] - mu) / sd, y[tr])
                p = model.predict_proba((X - mu) / sd)[:, 1]
                best = max(np.linspace(0.05, 0.9, 35), key=lambda th: f1(t_tr, pick(p[tr], cands[tr, :2], th)))
                found.append(pick(p[~tr], cands[~tr, :2], best))
            found = np.concatenate(found)
            print(f"{name:10} {mname:13}: held-out F1 {f1(truth, found):.3f} ({len(found)} ROIs)")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
