/**
 * The traces-by-cluster raster of one result: every ROI's activity over time as a heat map, rows
 * grouped by cluster, with the current time as a cursor; a click jumps to that time.
 */
import { useLayoutEffect, useRef } from 'react';
import type { ApiError } from '../../preload/errors.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import type { ActivityMatrix } from '../../preload/activity-binary.ts';
import { ActivityRaster } from '../viewer/activity-raster.ts';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { CLUSTER_COLORS } from '../viewer/roi-colors.ts';

const clusterColor = (k: number) => (k === 255 ? '#8a8f98' : CLUSTER_COLORS[k % CLUSTER_COLORS.length]);

export function RasterPanel({
  rois,
  activity,
  error,
  frame,
  seconds,
  onScrub,
}: {
  rois: RoiArrays;
  activity: ActivityMatrix | null;
  error: ApiError | null;
  frame: number;
  seconds: number;
  onScrub: (bin: number) => void;
}) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const raster = useRef(new ActivityRaster());
  const drawNow = useRef(() => {});
  drawNow.current = () => {
    const c = canvasRef.current;
    if (!c || !activity) return;
    raster.current.draw(c, frame, seconds, { clusterColor, text: getComputedStyle(c).getPropertyValue('--muted').trim() || '#888', cursor: '#ffffff' });
  };
  // Prepared and drawn in one layout effect, so no frame shows an empty canvas.
  useLayoutEffect(() => {
    const c = canvasRef.current;
    if (!c || !activity) return;
    raster.current.prepare(activity, rois.clusters, Math.max(60, c.clientHeight - 22));
    drawNow.current();
    const ro = new ResizeObserver(() => drawNow.current());
    ro.observe(c);
    return () => ro.disconnect();
  }, [activity, rois]);
  useLayoutEffect(() => {
    drawNow.current();
  }, [frame, seconds]);
  const counts = new Map<number, number>();
  for (const k of rois.clusters) counts.set(k, (counts.get(k) ?? 0) + 1);
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
          .map(([k, n]) => `${k === 255 ? 'not cells' : `cluster ${k + 1}`}: ${n}`)
          .join(', ')})`}
        onClick={(e) => {
          const r = e.currentTarget.getBoundingClientRect();
          onScrub(raster.current.binAt(e.currentTarget, e.clientX - r.left));
        }}
      />
    </div>
  );
}
