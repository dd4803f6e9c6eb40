/**
 * The curation panel of the Results view: the pinned ROI's footprint zoomed on its plane's mean
 * image, F and Fneu, dF/F and spikes over time, its score and features, the worker's and the
 * curated label; or the lasso's selection. Cell / Not cell / Undo act on what is selected (the
 * keys are handled by the viewer, which owns the selection).
 */
import { useEffect, useRef, useState } from 'react';
import type { ApiError } from '../../preload/errors.ts';
import { decodeAnatomy, type PlaneAnatomy } from '../../preload/anatomy-binary.ts';
import { decodeRoiDetail, type RoiDetail } from '../../preload/roi-detail-binary.ts';
import { ErrorNote } from '../components/bits.tsx';
import { useApi } from '../hooks.ts';
import { cropFor, drawFootprint } from '../viewer/footprint-crop.ts';
import { drawSeries, type Series } from '../viewer/series-plot.ts';
import { usePlotColors } from '../theme-change.ts';

export interface CurationActions {
  /** Labels the selection (the lasso's, else the pinned ROI). */
  mark: (iscell: boolean) => void;
  undo: () => void;
  busy: boolean;
  error: ApiError | null;
  /** What the last action did, announced politely. */
  status: string;
}

const FEATURE_LABEL: Record<string, string> = {
  npix: 'Pixels',
  npix_norm: 'Pixels / mean',
  radius: 'Radius (px)',
  aspect_ratio: 'Aspect ratio',
  compact: 'Compactness',
  footprint: 'Spread (px)',
  skew: 'Skewness',
  std: 'Std of F − c·Fneu',
};

const fmt = (v: number) => (Number.isInteger(v) ? v.toLocaleString() : Math.abs(v) >= 100 ? v.toFixed(1) : v.toPrecision(3));
const label = (v: boolean | null) => (v === null ? 'unknown' : v ? 'cell' : 'not cell');

export function RoiDetailPanel({
  id,
  roi,
  selection,
  fs,
  version,
  actions,
}: {
  id: string;
  /** The pinned ROI (−1: none). */
  roi: number;
  /** The lasso's selection (empty: none). */
  selection: readonly number[];
  fs: number;
  /** Bumped after every curation change, so the labels are read again. */
  version: number;
  actions: CurationActions;
}) {
  const api = useApi();
  const [detail, setDetail] = useState<RoiDetail | null>(null);
  const [anatomy, setAnatomy] = useState<PlaneAnatomy | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const colors = usePlotColors();
  const means = useRef(new Map<number, Promise<PlaneAnatomy>>());
  const footRef = useRef<HTMLCanvasElement>(null);
  const fRef = useRef<HTMLCanvasElement>(null);
  const dffRef = useRef<HTMLCanvasElement>(null);
  const spkRef = useRef<HTMLCanvasElement>(null);
  const multi = selection.length > 0;

  useEffect(() => {
    if (roi < 0 || multi) return;
    let live = true;
    setError(null);
    api.getRoiDetail({ id, roi }).then(
      (b) => {
        if (!live) return;
        const d = decodeRoiDetail(b);
        setDetail(d);
        let p = means.current.get(d.plane);
        if (!p) {
          p = api.getPlaneAnatomy({ id, plane: d.plane, kind: 'mean' }).then(decodeAnatomy);
          means.current.set(d.plane, p);
          p.catch(() => means.current.delete(d.plane));
        }
        p.then(
          (a) => live && setAnatomy(a),
          () => live && setAnatomy(null),
        );
      },
      (e: ApiError) => {
        if (live) {
          setError(e);
          setDetail(null);
        }
      },
    );
    return () => {
      live = false;
    };
  }, [api, id, roi, multi, version]);

  useEffect(() => {
    if (!detail || detail.roi !== roi) return;
    const style = { axis: colors.axis, text: colors.text };
    const accent = colors.accent;
    const plots: Array<[HTMLCanvasElement | null, Series[], string]> = [
      [
        fRef.current,
        [
          { name: 'F', values: detail.F, color: accent },
          { name: 'Fneu', values: detail.Fneu, color: '#d08a2e' },
        ],
        'F',
      ],
      [dffRef.current, [{ name: 'ΔF/F', values: detail.dff, color: accent }], 'ΔF/F'],
      [spkRef.current, [{ name: 'spikes', values: detail.spks, color: '#b0439a' }], 'spikes'],
    ];
    for (const [c, series, y] of plots) if (c) drawSeries(c, series, fs, y, style);
    const foot = footRef.current;
    if (foot && anatomy && anatomy.plane === detail.plane) drawFootprint(foot, anatomy, roi, cropFor(anatomy, roi, detail.x, detail.y), '#ffd23f');
  }, [detail, anatomy, roi, fs, colors]);

  const shown = detail && detail.roi === roi ? detail : null;
  const title = multi ? `Curation · ${selection.length.toLocaleString()} ROIs selected` : roi >= 0 ? `Curation · ROI ${roi}` : 'Curation';
  return (
    <section className="panel curation-panel" aria-labelledby="curation-title" data-testid="roi-detail">
      <header className="curation-head">
        <h2 id="curation-title">{title}</h2>
        <div role="group" aria-label="Label the selection" className="curation-actions">
          <button onClick={() => actions.mark(true)} disabled={actions.busy || (!multi && roi < 0)} aria-keyshortcuts="c" data-testid="mark-cell">
            Cell <kbd>C</kbd>
          </button>
          <button onClick={() => actions.mark(false)} disabled={actions.busy || (!multi && roi < 0)} aria-keyshortcuts="x n" data-testid="mark-not-cell">
            Not cell <kbd>X</kbd>
          </button>
          <button onClick={actions.undo} disabled={actions.busy} aria-keyshortcuts="z Control+z" data-testid="undo-curation">
            Undo <kbd>Z</kbd>
          </button>
        </div>
        <p className="muted small curation-keys">Keys: C cell · X or N not cell · Z or Ctrl+Z undo. Lasso: the Lasso button, or Shift+drag.</p>
      </header>
      <p className="small curation-status" role="status" aria-live="polite" data-testid="curation-status">
        {actions.busy ? 'Saving…' : actions.status}
      </p>
      <ErrorNote error={actions.error} />
      {multi ? (
        <p className="curation-selection" data-testid="lasso-selection">
          ROIs {selection.slice(0, 40).join(', ')}
          {selection.length > 40 ? ` and ${selection.length - 40} more` : ''}. Cell / Not cell labels all of them at once; Escape clears the selection.
        </p>
      ) : roi < 0 ? (
        <p className="muted">Click an ROI in the 3D view to see its traces and features and to label it, or draw a lasso around several.</p>
      ) : (
        <>
          <ErrorNote error={error} />
          {shown ? (
            <div className="curation-body">
              <figure className="footprint">
                <canvas
                  ref={footRef}
                  className="footprint-canvas"
                  aria-label={`Footprint of ROI ${roi} on the mean image of plane ${shown.plane + 1}`}
                  data-testid="footprint"
                />
                <figcaption className="small muted">
                  Mean image, plane {shown.plane + 1}; outline: the footprint{anatomy ? '' : ' (image unavailable)'}
                </figcaption>
              </figure>
              <div className="curation-traces">
                <canvas ref={fRef} className="series-canvas" aria-label={`F and Fneu of ROI ${roi}`} data-testid="plot-f" />
                <canvas ref={dffRef} className="series-canvas" aria-label={`dF/F of ROI ${roi}`} data-testid="plot-dff" />
                <canvas ref={spkRef} className="series-canvas short" aria-label={`Spikes of ROI ${roi}`} data-testid="plot-spikes" />
              </div>
              <div className="curation-facts">
                <dl className="facts">
                  <dt>Curated</dt>
                  <dd data-testid="curated-label">
                    <strong>{label(shown.iscell)}</strong>
                  </dd>
                  <dt>Worker</dt>
                  <dd data-testid="worker-label">{label(shown.workerIscell)}</dd>
                  <dt>Cell score</dt>
                  <dd>{shown.score === null ? '—' : shown.score.toFixed(3)}</dd>
                  <dt>Centre</dt>
                  <dd>
                    x {shown.x.toFixed(1)}, y {shown.y.toFixed(1)} px
                  </dd>
                </dl>
                <table className="features" data-testid="features">
                  <caption className="small muted">Features (suite2p stat)</caption>
                  <tbody>
                    {shown.features.map((f) => (
                      <tr key={f.name}>
                        <th scope="row" title={f.name}>
                          {FEATURE_LABEL[f.name] ?? f.name}
                        </th>
                        <td>{fmt(f.value)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            </div>
          ) : error ? null : (
            <p className="muted" aria-busy="true">
              Loading ROI {roi}…
            </p>
          )}
        </>
      )}
    </section>
  );
}
