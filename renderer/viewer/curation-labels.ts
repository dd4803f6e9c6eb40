/**
 * The ROI arrays as the viewer draws them while the user curates: a copy whose `iscell` is the
 * curated label (changed in place after each curation) and whose clusters show non-cells as 255
 * (grey, hidden with the non-cells), the worker's cluster otherwise.
 */
import type { RoiArrays } from '../../preload/roi-binary.ts';

export type LabelledRois = RoiArrays & { iscell: Uint8Array };

/** A drawable copy of `rois`; arrays without iscell take the clustered ROIs for the cells. */
export function curationLabels(rois: RoiArrays): LabelledRois {
  const iscell = rois.iscell ? rois.iscell.slice() : Uint8Array.from(rois.clusters, (k) => (k !== 255 ? 1 : 0));
  const view = { ...rois, iscell, clusters: rois.clusters.slice() };
  refreshLabels(view, rois);
  return view;
}

/** Re-derives `view`'s clusters from its iscell after a change. */
export function refreshLabels(view: LabelledRois, rois: RoiArrays): void {
  for (let i = 0; i < view.count; i++) view.clusters[i] = view.iscell[i] ? rois.clusters[i] : 255;
}

export function cellCount(view: LabelledRois): number {
  let n = 0;
  for (const v of view.iscell) n += v ? 1 : 0;
  return n;
}

/** "ROI 5", "ROIs 3, 8 and 9", "42 ROIs". */
export function describeRois(list: readonly number[]): string {
  if (list.length === 1) return `ROI ${list[0]}`;
  if (list.length <= 4) return `ROIs ${list.slice(0, -1).join(', ')} and ${list[list.length - 1]}`;
  return `${list.length.toLocaleString()} ROIs`;
}
