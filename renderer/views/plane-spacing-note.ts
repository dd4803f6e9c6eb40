/** The Results viewer's note on where the distance between stacked planes comes from. */
import type { ResultSummary } from '../../preload/api.ts';

function amount(step: { value: number; unit: string }): string {
  return `${Number(step.value.toPrecision(4))} ${step.unit}`;
}

/** Null for a single plane (no spacing to explain). */
export function planeSpacingNote(s: Pick<ResultSummary, 'planes' | 'planeSpacingSource' | 'zStep' | 'voxelDisagreement'>): string | null {
  if (s.planes < 2) return null;
  if (s.voxelDisagreement) return `plane spacing assumed (the input files state different voxel sizes: ${s.voxelDisagreement})`;
  if (s.planeSpacingSource === 'metadata' && s.zStep) return `plane spacing ${amount(s.zStep)} (from metadata)`;
  if (s.zStep) return `plane spacing assumed (the recording carries a ${amount(s.zStep)} z step but no pixel size)`;
  return 'plane spacing assumed (the recording carries no z step)';
}
