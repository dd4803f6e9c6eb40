/**
 * The 3D ROI viewer of one result: each plane's projection (mean/max/std) as a slice with the ROI
 * footprints on it, or one sphere per ROI (one InstancedMesh); colour modes, activity playback and
 * the time slider, saving the view as PNG, the hovered or pinned ROI's facts and trace (with the
 * time cursor), and the traces-by-cluster raster.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import type { ResultSummary } from '../../preload/api.ts';
import { ApiError } from '../../preload/errors.ts';
import { curationRefusal } from './curation-refusal.ts';
import { decodeFloat32, decodeRoiArrays, type RoiArrays } from '../../preload/roi-binary.ts';
import type { ActivityMatrix } from '../../preload/activity-binary.ts';
import { decodeAnatomy, PROJECTION_KINDS, type ProjectionKind } from '../../preload/anatomy-binary.ts';
import type { FootprintStyle } from '../viewer/slice-layer.ts';
import { ErrorNote } from '../components/bits.tsx';
import { useApi } from '../hooks.ts';
import { CLUSTER_COLORS } from '../viewer/roi-colors.ts';
import type { ColorMode } from '../viewer/roi-scene.ts';
import { RoiViewer, type ViewMode } from '../viewer/roi-viewer.ts';
import { drawTrace } from '../viewer/trace-plot.ts';
import { onThemeChange, usePlotColors } from '../theme-change.ts';
import { RasterPanel } from './results-raster.tsx';
import { planeSpacingNote } from './plane-spacing-note.ts';
import { LassoTool } from '../viewer/lasso.ts';
import { RoiDetailPanel } from './roi-detail.tsx';
import { cellCount, curationLabels, describeRois, refreshLabels } from '../viewer/curation-labels.ts';

declare global {
  interface Window {
    /** Test and benchmark hook: the live viewer of the Results view. */
    __scopecloudViewer?: RoiViewer;
  }
}

/** Above this many ROIs the view opens on spheres (the slices stay one click away). */
const SLICES_BY_DEFAULT_MAX_ROIS = 50_000;
/** Slices loaded for a volume at most (the spheres show every plane). */
const MAX_SLICES = 64;
/** Playback speed, in activity bins per second. */
const PLAY_BINS_PER_SECOND = 8;
const KIND_LABEL: Record<ProjectionKind, string> = { mean: 'Mean', max: 'Max', std: 'Std' };

export function Viewer3d({
  id,
  summary,
  rois,
  activity,
  activityError,
  onCells,
}: {
  id: string;
  summary: ResultSummary;
  rois: RoiArrays;
  activity: ActivityMatrix | null;
  activityError: ApiError | null;
  /** Hears the cell count after each curation change. */
  onCells?: (cells: number) => void;
}) {
  const api = useApi();
  // What the viewer draws: the curated labels (changed in place as the user curates) and the
  // clusters with non-cells as 255.
  const view = useMemo(() => curationLabels(rois), [rois]);
  const wrapRef = useRef<HTMLDivElement>(null);
  const lassoRef = useRef<LassoTool | null>(null);
  const [lassoMode, setLassoMode] = useState(false);
  const lassoModeRef = useRef(lassoMode);
  lassoModeRef.current = lassoMode;
  const [selection, setSelection] = useState<number[]>([]);
  const [labelsVersion, setLabelsVersion] = useState(0);
  const [curBusy, setCurBusy] = useState(false);
  const [curError, setCurError] = useState<ApiError | null>(null);
  const [curStatus, setCurStatus] = useState('');
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const traceRef = useRef<HTMLCanvasElement>(null);
  const viewerRef = useRef<RoiViewer | null>(null);
  const [hover, setHover] = useState(-1);
  const [selected, setSelected] = useState(-1);
  const colors = usePlotColors();
  const [mode, setMode] = useState<ColorMode>('cluster');
  const [trace, setTrace] = useState<{ roi: number; values: Float32Array } | null>(null);
  const [traceError, setTraceError] = useState<ApiError | null>(null);
  const [roiInput, setRoiInput] = useState('');
  const [webglError, setWebglError] = useState<string | null>(null);
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(false);
  const playingRef = useRef(false);
  playingRef.current = playing;
  const [viewMode, setViewMode] = useState<ViewMode>(rois.count > SLICES_BY_DEFAULT_MAX_ROIS ? 'spheres' : 'slices');
  const [kind, setKind] = useState<ProjectionKind>('mean');
  const [footprints, setFootprints] = useState<FootprintStyle>('outline');
  const [anatomyError, setAnatomyError] = useState<ApiError | null>(null);
  const [slicesLoaded, setSlicesLoaded] = useState(0);
  // ROIs the worker did not take for cells (cluster 255) are hidden until asked for.
  const [showNonCells, setShowNonCells] = useState(false);
  const showNonCellsRef = useRef(showNonCells);
  showNonCellsRef.current = showNonCells;
  const viewModeRef = useRef<ViewMode>('slices');
  const footprintsRef = useRef<FootprintStyle>('outline');
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
    viewer.setData(view, { planeSpacing: summary.planeSpacing, width: summary.width, height: summary.height });
    viewer.setNonCellsHidden(!showNonCellsRef.current);
    viewer.setViewMode(viewModeRef.current);
    viewer.setFootprintStyle(footprintsRef.current);
    viewerRef.current = viewer;
    window.__scopecloudViewer = viewer;
    const lasso = new LassoTool(wrapRef.current!, canvas, {
      active: () => lassoModeRef.current,
      onLasso: (poly) => setSelection(viewer.roisInPolygon(poly)),
    });
    lassoRef.current = lasso;
    const offTheme = onThemeChange(() => viewer.applyTheme());
    return () => {
      offTheme();
      if (window.__scopecloudViewer === viewer) delete window.__scopecloudViewer;
      lasso.dispose();
      lassoRef.current = null;
      viewer.dispose();
      viewerRef.current = null;
    };
  }, [view, summary]);

  viewModeRef.current = viewMode;
  footprintsRef.current = footprints;
  useEffect(() => {
    viewerRef.current?.setViewMode(viewMode);
  }, [viewMode]);
  useEffect(() => {
    viewerRef.current?.setFootprintStyle(footprints);
  }, [footprints]);
  // Each plane's projection of the chosen kind, with its footprints: read when slices are shown
  // (and again when the kind changes), never for a view on spheres only.
  const wantSlices = viewMode === 'slices';
  useEffect(() => {
    if (!wantSlices) return;
    let live = true;
    setAnatomyError(null);
    setSlicesLoaded(0);
    const planes = Array.from({ length: Math.min(rois.planes, MAX_SLICES) }, (_, p) => p);
    (async () => {
      for (const plane of planes) {
        const bytes = await api.getPlaneAnatomy({ id, plane, kind });
        if (!live) return;
        viewerRef.current?.setAnatomy(decodeAnatomy(bytes));
        setSlicesLoaded(plane + 1);
      }
    })().catch((e: ApiError) => {
      if (!live) return;
      setAnatomyError(e);
      setViewMode('spheres');
    });
    return () => {
      live = false;
    };
  }, [api, id, kind, rois, summary, wantSlices]);
  useEffect(() => {
    viewerRef.current?.setNonCellsHidden(!showNonCells);
  }, [showNonCells]);
  useEffect(() => {
    viewerRef.current?.setActivity(activity ? { count: activity.count, bins: activity.bins, values: activity.values } : null);
  }, [activity, rois, summary]);
  useEffect(() => {
    const v = viewerRef.current;
    if (!v) return;
    // While playing the viewer moves time itself; `frame` only follows it.
    if (mode === 'activity') {
      if (!playingRef.current) v.setFrame(frame);
    } else v.setColorMode(mode);
  }, [mode, frame, activity]);
  useEffect(() => {
    const v = viewerRef.current;
    if (!playing || !activity || !v) return;
    v.play(PLAY_BINS_PER_SECOND, setFrame);
    return () => v.pause();
  }, [playing, activity, rois, summary]);
  const scrub = (bin: number) => {
    setPlaying(false);
    setFrame(bin);
    setMode('activity');
  };
  const savePng = async () => {
    const v = viewerRef.current;
    if (!v) return;
    const url = URL.createObjectURL(await v.toPng());
    const a = document.createElement('a');
    a.href = url;
    a.download = `${id}-view.png`;
    a.click();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
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
    const k = view.clusters[trace.roi];
    drawTrace(
      c,
      trace.values,
      summary.fs,
      { line: k === 255 ? colors.text : CLUSTER_COLORS[k % CLUSTER_COLORS.length], axis: colors.axis, text: colors.text },
      activity && mode === 'activity' ? frame * secondsPerBin : null,
    );
  }, [trace, view, labelsVersion, summary.fs, activity, mode, frame, secondsPerBin, colors]);

  /** After a label change: the viewer's visibility and colours, the legend, the detail panel and the count. */
  const labelsChanged = () => {
    refreshLabels(view, rois);
    const v = viewerRef.current;
    if (v) {
      v.setNonCellsHidden(!showNonCellsRef.current);
      if (mode !== 'activity') v.setColorMode(mode);
    }
    setLabelsVersion((n) => n + 1);
    onCells?.(cellCount(view));
  };
  /** The curated labels as stored (another workstation or an undo may have changed any of them). */
  const reread = () =>
    api.getRoiArrays({ id }).then((b) => {
      const stored = decodeRoiArrays(b);
      if (stored.iscell && stored.count === view.count) {
        view.iscell.set(stored.iscell);
        labelsChanged();
      }
    });
  const mark = (iscell: boolean) => {
    const targets = selection.length > 0 ? selection : selected >= 0 ? [selected] : [];
    if (curBusy) return;
    if (targets.length === 0) {
      setCurError(new ApiError('INVALID_INPUT', 'Nothing is selected: click an ROI, or draw a lasso around several (Lasso button or Shift+drag).'));
      return;
    }
    setCurBusy(true);
    setCurError(null);
    api
      .curateRois({ id, rois: targets, iscell })
      .then(async (state) => {
        for (const t of targets) view.iscell[t] = iscell ? 1 : 0;
        labelsChanged();
        setCurStatus(
          `${describeRois(targets)} marked ${iscell ? 'cell' : 'not cell'} and saved · ${state.cells.toLocaleString()} cells, ${state.changed.toLocaleString()} ${state.changed === 1 ? 'differs' : 'differ'} from the worker's labels.`,
        );
        await reread();
      })
      .catch((e: ApiError) => {
        setCurStatus('');
        setCurError(curationRefusal('Not saved', e));
      })
      .finally(() => setCurBusy(false));
  };
  const undo = () => {
    if (curBusy) return;
    setCurBusy(true);
    setCurError(null);
    api
      .undoCuration({ id })
      .then(async (state) => {
        await reread();
        setCurStatus(
          `Last change undone · ${state.cells.toLocaleString()} cells, ${state.changed.toLocaleString()} ${state.changed === 1 ? 'differs' : 'differ'} from the worker's labels.`,
        );
      })
      .catch((e: ApiError) => {
        setCurStatus('');
        setCurError(curationRefusal('Nothing undone', e));
      })
      .finally(() => setCurBusy(false));
  };
  const keysRef = useRef({ mark, undo });
  keysRef.current = { mark, undo };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const t = e.target as HTMLElement | null;
      if (e.defaultPrevented || e.altKey || e.metaKey || (t && (/^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName) || t.isContentEditable))) return;
      const key = e.key.toLowerCase();
      if (e.ctrlKey && key !== 'z') return;
      if (key === 'c') keysRef.current.mark(true);
      else if (key === 'x' || key === 'n') keysRef.current.mark(false);
      else if (key === 'z') keysRef.current.undo();
      else if (key === 'escape') setSelection([]);
      else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  // Markers on the lasso's selection, following the camera.
  useEffect(() => {
    const lasso = lassoRef.current;
    const v = viewerRef.current;
    if (!lasso || !v) return;
    if (selection.length === 0) {
      lasso.showMarks([]);
      return;
    }
    let raf = 0;
    const tick = () => {
      lasso.showMarks(selection.slice(0, 5000).map((i) => v.screenPosition(i)));
      raf = requestAnimationFrame(tick);
    };
    tick();
    return () => cancelAnimationFrame(raf);
  }, [selection, view]);
  useEffect(() => setSelection([]), [view]);

  const counts = new Map<number, number>();
  for (const k of view.clusters) counts.set(k, (counts.get(k) ?? 0) + 1);
  const nonCells = view.count - cellCount(view);
  const info = (i: number) => ({
    x: rois.centroids[i * 3],
    y: rois.centroids[i * 3 + 1],
    plane: rois.centroids[i * 3 + 2],
    size: rois.sizes[i],
    cluster: view.clusters[i],
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
            <button aria-pressed={mode === 'score'} onClick={() => setMode('score')}>
              Cell score
            </button>
            <button aria-pressed={mode === 'activity'} onClick={() => setMode('activity')} disabled={!activity}>
              Activity
            </button>
          </div>
          <div role="group" aria-label="Draw ROIs as" className="segmented">
            <button aria-pressed={viewMode === 'slices'} onClick={() => setViewMode('slices')} disabled={anatomyError !== null}>
              Anatomy
            </button>
            <button aria-pressed={viewMode === 'spheres'} onClick={() => setViewMode('spheres')}>
              Spheres
            </button>
          </div>
          {viewMode === 'slices' ? (
            <>
              <div role="group" aria-label="Projection" className="segmented">
                {PROJECTION_KINDS.map((k) => (
                  <button key={k} aria-pressed={kind === k} onClick={() => setKind(k)}>
                    {KIND_LABEL[k]}
                  </button>
                ))}
              </div>
              <div role="group" aria-label="Footprints" className="segmented">
                <button aria-pressed={footprints === 'outline'} onClick={() => setFootprints('outline')}>
                  Outlines
                </button>
                <button aria-pressed={footprints === 'fill'} onClick={() => setFootprints('fill')}>
                  Filled
                </button>
                <button aria-pressed={footprints === 'none'} onClick={() => setFootprints('none')}>
                  None
                </button>
              </div>
            </>
          ) : null}
          <button
            aria-pressed={lassoMode}
            onClick={() => setLassoMode(!lassoMode)}
            title="Drag on the view to select the ROIs inside; Shift+drag does the same without this mode"
            data-testid="lasso-mode"
          >
            Lasso
          </button>
          <button onClick={() => viewerRef.current?.resetView()}>Reset view</button>
          <button onClick={() => void savePng()} disabled={webglError !== null}>
            Save view as PNG
          </button>
          {nonCells > 0 ? (
            <label className="check small">
              <input type="checkbox" checked={showNonCells} onChange={(e) => setShowNonCells(e.target.checked)} />
              Show non-cells ({nonCells.toLocaleString()})
            </label>
          ) : null}
          {planeSpacingNote(summary) ? (
            <span className="muted small" data-testid="plane-spacing">
              {planeSpacingNote(summary)}
            </span>
          ) : null}
          <span className="muted small hint">
            {lassoMode
              ? 'Drag to draw a lasso · Esc clears the selection'
              : 'Drag to orbit · right-drag to pan · wheel or +/− to zoom · click an ROI to pin it · Shift+drag: lasso'}
          </span>
        </div>
        <div className={`viewer-wrap${lassoMode ? ' lasso-on' : ''}`} ref={wrapRef}>
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
          {anatomyError ? (
            <div className="note viewer-overlay" role="status" data-testid="anatomy-error">
              No anatomy images ({anatomyError.message}); ROIs drawn as spheres.
            </div>
          ) : viewMode === 'slices' && slicesLoaded < Math.min(rois.planes, MAX_SLICES) ? (
            <div className="note viewer-overlay" aria-busy="true">
              Loading plane {slicesLoaded + 1} of {Math.min(rois.planes, MAX_SLICES)}…
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
          ) : mode === 'score' ? (
            <div className="legend depth-legend">
              <span>score 0</span>
              <span className="depth-ramp" />
              <span>1</span>
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
            data-testid="play"
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
              {rois.scores ? (
                <>
                  <dt>Cell score</dt>
                  <dd>{(rois.scores[shown] / 255).toFixed(2)}</dd>
                </>
              ) : null}
            </dl>
            <canvas ref={traceRef} className="trace-canvas" aria-label={`dF/F trace of ROI ${shown}`} data-testid="trace-canvas" />
            <ErrorNote error={traceError} />
            {selected >= 0 && selection.length === 0 ? (
              <div className="curation-quick" role="group" aria-label={`Label ROI ${selected}`}>
                <span>
                  Label <strong data-testid="quick-label">{view.iscell[selected] ? 'cell' : 'not cell'}</strong>
                </span>
                <button onClick={() => mark(true)} disabled={curBusy} aria-keyshortcuts="c">
                  Cell
                </button>
                <button onClick={() => mark(false)} disabled={curBusy} aria-keyshortcuts="x n">
                  Not cell
                </button>
                <button className="link" onClick={() => document.getElementById('curation-title')?.scrollIntoView({ behavior: 'smooth', block: 'start' })}>
                  Traces and features ↓
                </button>
              </div>
            ) : null}
          </>
        ) : (
          <p className="muted">Point at an ROI in the 3D view to see its activity trace, or enter its number.</p>
        )}
      </aside>
      <RoiDetailPanel
        id={id}
        roi={selected}
        selection={selection}
        fs={summary.fs}
        version={labelsVersion}
        actions={{ mark, undo, busy: curBusy, error: curError, status: curStatus }}
      />
      <RasterPanel
        rois={rois}
        iscell={view.iscell}
        version={labelsVersion}
        activity={activity}
        error={activityError}
        frame={frame}
        seconds={activity && summary.fs > 0 ? activity.frames / summary.fs : 0}
        onScrub={scrub}
      />
    </div>
  );
}
