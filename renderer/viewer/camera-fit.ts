/**
 * Framing the ROI cloud: how far a perspective camera must stand for a bounding sphere to fill
 * the view without being cut, and how much of a point set a view shows. Pure (no WebGL).
 */

/**
 * Distance from a sphere's centre at which a camera with vertical field of view `vfovDeg` and
 * `aspect` (width / height) sees the whole sphere of `radius`, from any direction, with `margin`
 * (1 = touching the nearer edges of the view).
 */
export function fitDistance(radius: number, vfovDeg: number, aspect: number, margin = 1.05): number {
  const half = (vfovDeg * Math.PI) / 360;
  const hHalf = Math.atan(Math.tan(half) * Math.max(aspect, 1e-3));
  return (radius * margin) / Math.sin(Math.min(half, hHalf));
}

/**
 * Fraction of the `count` points in `world` (x, y, z triples), less those marked in `hidden`,
 * that `viewProj` (a column-major view-projection matrix) puts inside the view: in front of the
 * camera and within the clip square. 1 when no point counts.
 */
export function fractionInView(world: Float32Array, count: number, viewProj: ArrayLike<number>, hidden: Uint8Array | null = null): number {
  const e = viewProj;
  let inside = 0;
  let counted = 0;
  for (let i = 0; i < count; i++) {
    if (hidden?.[i]) continue;
    counted++;
    const x = world[i * 3],
      y = world[i * 3 + 1],
      z = world[i * 3 + 2];
    const w = e[3] * x + e[7] * y + e[11] * z + e[15];
    if (w <= 1e-6) continue;
    const nx = (e[0] * x + e[4] * y + e[8] * z + e[12]) / w;
    const ny = (e[1] * x + e[5] * y + e[9] * z + e[13]) / w;
    const nz = (e[2] * x + e[6] * y + e[10] * z + e[14]) / w;
    if (Math.abs(nx) <= 1 && Math.abs(ny) <= 1 && Math.abs(nz) <= 1) inside++;
  }
  return counted === 0 ? 1 : inside / counted;
}
