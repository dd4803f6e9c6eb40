/**
 * The raster's row groups under curation (pure): an ROI keeps its worker cluster while it is a
 * cell, joins the non-cells (255) once marked not cell, and a cell the worker's clustering left out
 * (it was not a cell then) gets its own group, UNCLUSTERED_CELL.
 */

/** Raster group of a curated cell that has no worker cluster. */
export const UNCLUSTERED_CELL = 254;

/** Each ROI's raster group from the worker's clusters (255 = not a cell) and the curated labels. */
export function rasterGroups(workerClusters: Uint8Array, iscell: Uint8Array | undefined): Uint8Array {
  if (!iscell) return workerClusters;
  return Uint8Array.from(workerClusters, (k, i) => (!iscell[i] ? 255 : k === 255 ? UNCLUSTERED_CELL : k));
}
