/**
 * Detection score against planted cells, the neurofinder way in spirit: detected cells and true
 * cells are paired one-to-one by centroid distance (closest pairs first, within `maxDistance`
 * pixels, same plane); recall, precision and F1 follow. Greedy pairing by ascending distance is
 * what a demo summary needs; the worker's own tests use the Hungarian assignment.
 */
export interface Point {
  plane: number;
  row: number;
  col: number;
}

export interface DetectionScore {
  truth: number;
  detected: number;
  matched: number;
  recall: number;
  precision: number;
  f1: number;
}

export function centroid(plane: number, coordinates: ReadonlyArray<readonly [number, number]>): Point {
  let r = 0;
  let c = 0;
  for (const [row, col] of coordinates) {
    r += row;
    c += col;
  }
  const n = Math.max(coordinates.length, 1);
  return { plane, row: r / n, col: c / n };
}

export function scoreDetections(truth: readonly Point[], detected: readonly Point[], maxDistance = 10): DetectionScore {
  const pairs: Array<{ d: number; t: number; k: number }> = [];
  truth.forEach((t, ti) =>
    detected.forEach((k, ki) => {
      if (t.plane !== k.plane) return;
      const d = Math.hypot(t.row - k.row, t.col - k.col);
      if (d <= maxDistance) pairs.push({ d, t: ti, k: ki });
    }),
  );
  pairs.sort((a, b) => a.d - b.d);
  const usedT = new Set<number>();
  const usedK = new Set<number>();
  for (const p of pairs) {
    if (usedT.has(p.t) || usedK.has(p.k)) continue;
    usedT.add(p.t);
    usedK.add(p.k);
  }
  const matched = usedT.size;
  const recall = truth.length ? matched / truth.length : 0;
  const precision = detected.length ? matched / detected.length : 0;
  const f1 = recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : 0;
  return { truth: truth.length, detected: detected.length, matched, recall, precision, f1 };
}
