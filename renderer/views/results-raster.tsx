/**
 * The traces-by-cluster raster of one result: every ROI's activity over time as a heat map, rows
 * grouped by cluster, with the current time as a cursor; a click jumps to that time. Rows follow
 * the curated labels: an ROI marked not cell joins the non-cells (255), and one marked cell that
 * the worker left unclustered gets its own group (254).
 */
import { useLayoutEffect, useMemo, useRef } from 'react';
import type { ApiError } from '../../preload/errors.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import type { ActivityMatrix } from '../../preload/activity-binary.ts';
import { ActivityRaster } from '../viewer/activity-raster.ts';
import { usePlotColors } from '../theme-change.ts';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { CLUSTER_COLORS } from '../viewer/roi-colors.ts';
import { rasterGroups, UNCLUSTERED_CELL } from '../viewer/raster-groups.ts';

const clusterColor = (k: number) => (k === 255 ? '#8a8f98' : k === UNCLUSTERED_CELL ? '#d9d9d9' : CLUSTER_COLORS[k % CLUSTER_COLORS.length]);
const groupName = (k: number) => (k === 255 ? 'not cells' : k === UNCLUSTERED_CELL ? 'cells without a cluster (curated)' : `cluster ${k + 1}`);

export function RasterPanel({
  rois,
  iscell,
  version,
  activity,
  error,
  frame,
  seconds,
  onScrub,
}: {
  /** The worker's ROIs (clusters as the worker wrote them). */
  rois: RoiArrays;
  /** The curated labels, changed in place; `version` changes with them. */
  iscell?: Uint8Array;
  version?: number;
  activity: ActivityMatrix | null;
  error: ApiError | null;
  frame: number;
  seconds: number;
  onScrub: (bin: number) => void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  // eslint-disable-next-line react-hooks/exhaustive-deps -- iscell changes in place; version says when
  const groups = useMemo(() => rasterGroups(rois.clusters, iscell), [rois, iscell, version]);
  const raster = useRef(new ActivityRaster());
  const colors = usePlotColors();
  const drawNow = useRef(() => {});
  drawNow.current = () => {
    const c = canvasRef.current;
    if (!c || !activity) return;
    raster.current.draw(c, frame, seconds, { clusterColor, text: colors.text, cursor: '#ffffff' });
  };
  // Prepared and drawn in one layout effect, so no frame shows an empty canvas.
  useLayoutEffect(() => {
    const c = canvasRef.current;
    if (!c || !activity) return;
    raster.current.prepare(activity, groups, Math.max(60, c.clientHeight - 22));
    drawNow.current();
    const ro = new ResizeObserver(() => drawNow.current());
    ro.observe(c);
    return () => ro.disconnect();
  }, [activity, groups]);
  useLayoutEffect(() => {
    drawNow.current();
  }, [frame, seconds, colors]);
  const counts = new Map<number, number>();
  for (const k of groups) counts.set(k, (counts.get(k) ?? 0) + 1);
  const nonCells = counts.get(255) ?? 0;
  return (
    <div className="panel raster-panel" aria-labelledby="raster-title">
      <div className="panel-head">
        <h2 id="raster-title">Traces by cluster</h2>
        <span className="muted small">
          {activity ? `${activity.count.toLocaleString()} ROIs sorted by cluster · ${activity.bins} time bins · click to jump` : ''}
        </span>
      </div>
      <ErrorNote error={error} />
      {!activity && !error ? <Loading what="traces" /> : null}
      <canvas
        ref={canvasRef}
        className="raster-canvas"
        data-testid="raster-canvas"
        hidden={!activity}
        aria-label={`ΔF/F of every ROI over time as a heat map, rows grouped by cluster (${[...counts.entries()]
          .sort((a, b) => a[0] - b[0])
          .map(([k, n]) => `${groupName(k)}: ${n}`)
          .join(', ')})`}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          onScrub(raster.current.binAt(e.currentTarget, e.clientX - r.left));
        }}
      />
    </div>
  );
}
