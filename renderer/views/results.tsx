/**
 * Results of one analysis: the 3D ROI viewer (one InstancedMesh), the hovered or selected ROI's
 * trace, a time slider colouring the ROIs by activity, the traces-by-cluster raster, and the
 * result images (first frame, projections and their animated GIFs, cluster-sorted covariance).
 */
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import type { ResultSummary } from '../../preload/api.ts';
import type { ApiError } from '../../preload/errors.ts';
import { decodeFloat32, decodeRoiArrays, type RoiArrays } from '../../preload/roi-binary.ts';
import { decodeActivity, type ActivityMatrix } from '../../preload/activity-binary.ts';
import { ActivityRaster } from '../viewer/activity-raster.ts';
import { ErrorNote, Loading, Pill } from '../components/bits.tsx';
import { count, formatDateTime, formatHz } from '../format.ts';
import { useApi, useTopic } from '../hooks.ts';
import { CLUSTER_COLORS } from '../viewer/roi-colors.ts';
import type { ColorMode } from '../viewer/roi-scene.ts';

/** Time bins of the activity matrix: enough for a smooth slider, small for 100,000 ROIs (12 MB). */
const ACTIVITY_BINS = 120;
const clusterColor = (k: number) => (k === 255 ? '#8a8f98' : CLUSTER_COLORS[k % CLUSTER_COLORS.length]);
import { RoiViewer } from '../viewer/roi-viewer.ts';
import { drawTrace } from '../viewer/trace-plot.ts';

declare global {
  interface Window {
    /** Test and benchmark hook: the live viewer of the Results view. */
    __scopecloudViewer?: RoiViewer;
  }
}

export function ResultsView({ id, back }: { id: string | null; back: () => void }) {
  const { data: list, error } = useTopic(['analyses'], (a) => a.listResults());
  if (!id) {
    return (
      <section className="view" aria-labelledby="res-title">
        <header className="view-header">
          <h1 id="res-title">Results</h1>
        </header>
        {!list ? (
          error ? (
            <ErrorNote error={error} />
          ) : (
            <Loading what="results" />
          )
        ) : list.results.length === 0 ? (
          <p className="muted">No finished analyses yet.</p>
        ) : (
          <div className="panel">
            <table className="table" aria-labelledby="res-title">
              <thead>
                <tr>
                  <th scope="col">Finished</th>
                  <th scope="col">Recording</th>
                  <th scope="col" className="num">
                    Cells
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.results.map((r) => (
                  <tr key={r.id} data-result={r.id}>
                    <td className="nowrap">{formatDateTime(r.finishedAt)}</td>
                    <td>
                      <a href={`#/results/${encodeURIComponent(r.id)}`}>{r.name}</a>
                      {r.demo ? (
                        <>
                          {' '}
                          <Pill tone="idle">demo</Pill>
                        </>
                      ) : null}
                      <div className="muted small">
                        <code>{r.source}</code>
                      </div>
                    </td>
                    <td className="num">{r.cells === null ? '—' : r.cells.toLocaleString()}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
    );
  }
  const name = list?.results.find((r) => r.id === id)?.name ?? id;
  return <Result key={id} id={id} name={name} back={back} />;
}

function Result({ id, name, back }: { id: string; name: string; back: () => void }) {
  const api = useApi();
  const [summary, setSummary] = useState<ResultSummary | null>(null);
  const [rois, setRois] = useState<RoiArrays | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loadMs, setLoadMs] = useState<number | null>(null);
  useEffect(() => {
    let live = true;
    const t0 = performance.now();
    Promise.all([api.getResultSummary({ id }), api.getRoiArrays({ id })]).then(
      ([s, bytes]) => {
        if (!live) return;
        setSummary(s);
        setRois(decodeRoiArrays(bytes));
        setLoadMs(performance.now() - t0);
      },
      (e: ApiError) => live && setError(e),
    );
    return () => {
      live = false;
    };
  }, [api, id]);

  const [activity, setActivity] = useState<ActivityMatrix | null>(null);
  const [activityError, setActivityError] = useState<ApiError | null>(null);
  useEffect(() => {
    if (!summary) return;
    let live = true;
    api.getActivity({ id, bins: Math.max(1, Math.min(ACTIVITY_BINS, summary.traceLength || 1)) }).then(
      (b) => {
        if (live) setActivity(decodeActivity(b));
      },
      (e: ApiError) => {
        if (live) setActivityError(e);
      },
    );
    return () => {
      live = false;
    };
  }, [api, id, summary]);

  return (
    <section className="view" aria-labelledby="res-title">
      <header className="view-header">
        <h1 id="res-title">Results · {name}</h1>
        <div className="view-actions">
          <button className="link" onClick={back}>
            All results
          </button>
        </div>
      </header>
      <ErrorNote error={error} />
      {!summary || !rois ? (
        error ? null : (
          <Loading what="results" />
        )
      ) : (
        <>
          <p className="muted small" data-testid="results-line">
            {count(summary.roiCount, 'ROI')} ({count(cellCount(rois.clusters), 'cell')}) in {count(summary.planes, 'plane')} ·{' '}
            {count(summary.clusters, 'cluster')} · {count(summary.traceLength, 'frame')}
            {summary.fs > 0 ? ` at ${formatHz(summary.fs)}` : ''}
            {loadMs !== null ? ` · loaded in ${Math.round(loadMs)} ms` : ''}
          </p>
          <Viewer3d id={id} summary={summary} rois={rois} activity={activity} activityError={activityError} />
          <Images id={id} summary={summary} rois={rois} />
        </>
      )}
    </section>
  );
}

function Viewer3d({
  id,
  summary,
  rois,
  activity,
  activityError,
}: {
  id: string;
  summary: ResultSummary;
  rois: RoiArrays;
  activity: ActivityMatrix | null;
  activityError: ApiError | null;
}) {
  const api = useApi();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const traceRef = useRef<HTMLCanvasElement>(null);
  const viewerRef = useRef<RoiViewer | null>(null);
  const [hover, setHover] = useState(-1);
  const [selected, setSelected] = useState(-1);
  const [mode, setMode] = useState<ColorMode>('cluster');
  const [trace, setTrace] = useState<{ roi: number; values: Float32Array } | null>(null);
  const [traceError, setTraceError] = useState<ApiError | null>(null);
  const [roiInput, setRoiInput] = useState('');
  const [webglError, setWebglError] = useState<string | null>(null);
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(false);
  // ROIs the worker did not take for cells (cluster 255) are hidden until asked for.
  const [showNonCells, setShowNonCells] = useState(false);
  const showNonCellsRef = useRef(showNonCells);
  showNonCellsRef.current = showNonCells;
  const shown = selected >= 0 ? selected : hover;
  const bins = activity?.bins ?? 1;
  const secondsPerBin = activity && summary.fs > 0 ? activity.frames / activity.bins / summary.fs : 0;

  useEffect(() => {
    const canvas = canvasRef.current!;
    let viewer: RoiViewer;
    try {
      viewer = new RoiViewer(canvas, { onHover: setHover, onSelect: setSelected });
    } catch (e) {
      setWebglError(`3D view unavailable: ${(e as Error).message}. The images below still work.`);
      return;
    }
    viewer.setData(rois, { planeSpacing: summary.planeSpacing, width: summary.width, height: summary.height });
    viewer.setNonCellsHidden(!showNonCellsRef.current);
    viewerRef.current = viewer;
    window.__scopecloudViewer = viewer;
    const media = matchMedia('(prefers-color-scheme: dark)');
    const onTheme = () => viewer.applyTheme();
    media.addEventListener('change', onTheme);
    document.addEventListener('scopecloud-theme', onTheme);
    return () => {
      media.removeEventListener('change', onTheme);
      document.removeEventListener('scopecloud-theme', onTheme);
      if (window.__scopecloudViewer === viewer) delete window.__scopecloudViewer;
      viewer.dispose();
      viewerRef.current = null;
    };
  }, [rois, summary]);

  useEffect(() => {
    viewerRef.current?.setNonCellsHidden(!showNonCells);
  }, [showNonCells]);
  useEffect(() => {
    viewerRef.current?.setActivity(activity ? { count: activity.count, bins: activity.bins, values: activity.values } : null);
  }, [activity, rois, summary]);
  useEffect(() => {
    const v = viewerRef.current;
    if (!v) return;
    if (mode === 'activity') v.setFrame(frame);
    else v.setColorMode(mode);
  }, [mode, frame, activity]);
  useEffect(() => {
    if (!playing || !activity) return;
    const t = setInterval(() => setFrame((f) => (f + 1) % activity.bins), 125);
    return () => clearInterval(t);
  }, [playing, activity]);
  const scrub = (bin: number) => {
    setFrame(bin);
    setMode('activity');
  };
  useEffect(() => {
    viewerRef.current?.highlight(shown);
  }, [shown]);

  useEffect(() => {
    if (shown < 0) return;
    let live = true;
    const t = setTimeout(() => {
      api.getTrace({ id, roi: shown }).then(
        (b) => {
          if (live) {
            setTrace({ roi: shown, values: decodeFloat32(b) });
            setTraceError(null);
          }
        },
        (e: ApiError) => live && setTraceError(e),
      );
    }, 60);
    return () => {
      live = false;
      clearTimeout(t);
    };
  }, [api, id, shown]);

  useEffect(() => {
    const c = traceRef.current;
    if (!c || !trace) return;
    const css = getComputedStyle(c);
    const k = rois.clusters[trace.roi];
    drawTrace(c, trace.values, summary.fs, {
      line: k === 255 ? css.getPropertyValue('--muted').trim() : CLUSTER_COLORS[k % CLUSTER_COLORS.length],
      axis: css.getPropertyValue('--border').trim() || '#888',
      text: css.getPropertyValue('--muted').trim() || '#888',
    });
  }, [trace, rois, summary.fs]);

  const counts = new Map<number, number>();
  for (const k of rois.clusters) counts.set(k, (counts.get(k) ?? 0) + 1);
  const nonCells = counts.get(255) ?? 0;
  const info = (i: number) => ({
    x: rois.centroids[i * 3],
    y: rois.centroids[i * 3 + 1],
    plane: rois.centroids[i * 3 + 2],
    size: rois.sizes[i],
    cluster: rois.clusters[i],
  });

  return (
    <div className="results-grid">
      <div className="panel viewer-panel">
        <div className="viewer-toolbar">
          <div role="group" aria-label="Colour ROIs by" className="segmented">
            <button aria-pressed={mode === 'cluster'} onClick={() => setMode('cluster')}>
              Cluster
            </button>
            {/* one plane has no depth to colour by */}
            {rois.planes > 1 ? (
              <button aria-pressed={mode === 'plane'} onClick={() => setMode('plane')}>
                Depth
              </button>
            ) : null}
            <button aria-pressed={mode === 'activity'} onClick={() => setMode('activity')} disabled={!activity}>
              Activity
            </button>
          </div>
          <button onClick={() => viewerRef.current?.resetView()}>Reset view</button>
          {nonCells > 0 ? (
            <label className="check small">
              <input type="checkbox" checked={showNonCells} onChange={(e) => setShowNonCells(e.target.checked)} />
              Show non-cells ({nonCells.toLocaleString()})
            </label>
          ) : null}
          <span className="muted small hint">Drag to orbit · right-drag to pan · wheel or +/− to zoom · click an ROI to pin it</span>
        </div>
        <div className="viewer-wrap">
          <canvas
            ref={canvasRef}
            className="viewer-canvas"
            tabIndex={0}
            aria-label={`3D view of ${rois.count.toLocaleString()} ROIs; arrow keys pan, plus and minus zoom, 0 resets`}
            data-testid="roi-canvas"
          />
          {webglError ? (
            <div className="note note-error viewer-overlay" role="alert">
              {webglError}
            </div>
          ) : null}
          {mode === 'cluster' ? (
            <ul className="legend" aria-label="Clusters">
              {[...counts.entries()]
                .sort((a, b) => a[0] - b[0])
                .map(([k, n]) => (
                  <li key={k}>
                    <span className="swatch" style={{ background: k === 255 ? 'var(--muted)' : CLUSTER_COLORS[k % CLUSTER_COLORS.length] }} />
                    {k === 255 ? 'not cells' : `cluster ${k + 1}`}{' '}
                    <span className="muted">
                      {n.toLocaleString()}
                      {k === 255 && !showNonCells ? ' (hidden)' : ''}
                    </span>
                  </li>
                ))}
            </ul>
          ) : mode === 'plane' ? (
            <div className="legend depth-legend">
              <span>plane 1</span>
              <span className="depth-ramp" />
              <span>plane {rois.planes}</span>
            </div>
          ) : (
            <div className="legend depth-legend">
              <span>low</span>
              <span className="activity-ramp" />
              <span>high ΔF/F</span>
            </div>
          )}
        </div>
        <div className="time-bar">
          <button
            onClick={() => {
              if (!playing) setMode('activity');
              setPlaying(!playing);
            }}
            disabled={!activity}
            aria-pressed={playing}
          >
            {playing ? 'Pause' : 'Play'}
          </button>
          <label htmlFor="time-slider">Time</label>
          <input
            id="time-slider"
            type="range"
            min={0}
            max={Math.max(0, bins - 1)}
            step={1}
            value={frame}
            disabled={!activity}
            onChange={(e) => scrub(Number(e.target.value))}
            aria-valuetext={`${(frame * secondsPerBin).toFixed(1)} seconds`}
          />
          <output htmlFor="time-slider" className="small time-readout" data-testid="time-readout">
            {activity ? `${(frame * secondsPerBin).toFixed(1)} s` : activityError ? 'no traces' : 'loading…'}
          </output>
        </div>
      </div>
      <aside className="panel roi-panel" aria-labelledby="roi-title">
        <h2 id="roi-title">
          {shown >= 0 ? `ROI ${shown}` : 'ROI'}
          {selected >= 0 ? ' (pinned)' : ''}
        </h2>
        <form
          className="inline-form"
          onSubmit={(e) => {
            e.preventDefault();
            const n = Number(roiInput);
            if (Number.isInteger(n) && n >= 0 && n < rois.count) setSelected(n);
          }}
        >
          <label htmlFor="roi-id" className="sr-only">
            ROI number
          </label>
          <input id="roi-id" inputMode="numeric" placeholder={`0–${rois.count - 1}`} value={roiInput} onChange={(e) => setRoiInput(e.target.value)} />
          <button type="submit">Show</button>
          {selected >= 0 ? (
            <button type="button" className="link" onClick={() => setSelected(-1)}>
              Unpin
            </button>
          ) : null}
        </form>
        {shown >= 0 ? (
          <>
            <dl className="facts">
              <dt>Cluster</dt>
              <dd>
                <span
                  className="swatch"
                  style={{ background: info(shown).cluster === 255 ? 'var(--muted)' : CLUSTER_COLORS[info(shown).cluster % CLUSTER_COLORS.length] }}
                />
                {info(shown).cluster === 255 ? 'none (not a cell)' : info(shown).cluster + 1}
              </dd>
              <dt>Plane</dt>
              <dd>{info(shown).plane + 1}</dd>
              <dt>Centre</dt>
              <dd>
                x {info(shown).x.toFixed(1)}, y {info(shown).y.toFixed(1)} px
              </dd>
              <dt>Size</dt>
              <dd>{Math.round(info(shown).size)} px</dd>
            </dl>
            <canvas ref={traceRef} className="trace-canvas" aria-label={`dF/F trace of ROI ${shown}`} data-testid="trace-canvas" />
            <ErrorNote error={traceError} />
          </>
        ) : (
          <p className="muted">Point at an ROI in the 3D view to see its activity trace, or enter its number.</p>
        )}
      </aside>
      <RasterPanel
        rois={rois}
        activity={activity}
        error={activityError}
        frame={frame}
        seconds={activity && summary.fs > 0 ? activity.frames / summary.fs : 0}
        onScrub={scrub}
      />
    </div>
  );
}

function RasterPanel({
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

/** Cluster sizes in the covariance image's order (ascending label; unclustered ROIs excluded). */
function clusterSegments(rois: RoiArrays): Array<{ k: number; n: number }> {
  const counts = new Map<number, number>();
  for (const k of rois.clusters) if (k !== 255) counts.set(k, (counts.get(k) ?? 0) + 1);
  return [...counts.entries()].sort((a, b) => a[0] - b[0]).map(([k, n]) => ({ k, n }));
}

function ClusterBar({ segments, vertical }: { segments: Array<{ k: number; n: number }>; vertical: boolean }) {
  return (
    <div className={`cov-bar ${vertical ? 'v' : 'h'}`} aria-hidden="true">
      {segments.map((s) => (
        <span key={s.k} style={{ flex: s.n, background: CLUSTER_COLORS[s.k % CLUSTER_COLORS.length] }} title={`cluster ${s.k + 1}: ${s.n} ROIs`} />
      ))}
    </div>
  );
}

function Images({ id, summary, rois }: { id: string; summary: ResultSummary; rois: RoiArrays }) {
  const segments = useMemo(() => clusterSegments(rois), [rois]);
  const api = useApi();
  const [urls, setUrls] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const made: string[] = [];
    let live = true;
    for (const img of summary.images) {
      api.getResultImage({ id, name: img.name }).then(
        (bytes) => {
          if (!live) return;
          const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: img.mime }));
          made.push(url);
          setUrls((u) => ({ ...u, [img.name]: url }));
        },
        (e: ApiError) => live && setError(e),
      );
    }
    return () => {
      live = false;
      for (const u of made) URL.revokeObjectURL(u);
    };
  }, [api, id, summary]);
  return (
    <div className="panel">
      <h2>Images</h2>
      <ErrorNote error={error} />
      <div className="gallery">
        {summary.images.map((img) => (
          <figure key={img.name} className={img.name === 'covariance' ? 'wide' : img.mime === 'image/gif' ? 'animated' : ''}>
            {(() => {
              const picture = urls[img.name] ? (
                <img src={urls[img.name]} alt={img.mime === 'image/gif' ? `${img.label} (animated)` : img.label} data-image={img.name} data-mime={img.mime} />
              ) : (
                <div className="img-placeholder" aria-busy="true" />
              );
              if (img.name !== 'covariance' || segments.length === 0) return picture;
              return (
                <div className="cov-frame" data-cluster-bars={segments.length}>
                  <span />
                  <ClusterBar segments={segments} vertical={false} />
                  <ClusterBar segments={segments} vertical />
                  {picture}
                </div>
              );
            })()}
            <figcaption>
              {img.label}
              {img.mime === 'image/gif' ? <span className="pill pill-busy gif-badge">animated</span> : null}
            </figcaption>
          </figure>
        ))}
      </div>
    </div>
  );
}

/** ROIs the worker took for cells: every clustered one (cluster 255 = not a cell). */
function cellCount(clusters: Uint8Array): number {
  let n = 0;
  for (const k of clusters) if (k !== 255) n++;
  return n;
}
