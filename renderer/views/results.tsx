/**
 * Results of one analysis: the 3D ROI viewer (one InstancedMesh), the hovered or selected ROI's
 * trace, and the result images (first frame, projections, cluster-sorted covariance).
 */
import { useEffect, useRef, useState } from 'react';
import type { ResultSummary } from '../../preload/api.ts';
import type { ApiError } from '../../preload/errors.ts';
import { decodeFloat32, decodeRoiArrays, type RoiArrays } from '../../preload/roi-binary.ts';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { useApi, useTopic } from '../hooks.ts';
import { CLUSTER_COLORS, type ColorMode } from '../viewer/roi-scene.ts';
import { RoiViewer } from '../viewer/roi-viewer.ts';
import { drawTrace } from '../viewer/trace-plot.ts';

declare global {
  interface Window {
    /** Test and benchmark hook: the live viewer of the Results view. */
    __scopecloudViewer?: RoiViewer;
  }
}

export function ResultsView({ id, back }: { id: string | null; back: () => void }) {
  const { data: list } = useTopic(['analyses'], (a) => a.listAnalyses());
  const done = list?.analyses.filter((a) => a.status === 'done') ?? [];
  if (!id) {
    return (
      <section className="view" aria-labelledby="res-title">
        <header className="view-header"><h1 id="res-title">Results</h1></header>
        {!list ? <Loading what="analyses" /> : done.length === 0 ? <p className="muted">No finished analyses yet.</p> : (
          <ul className="result-list">{done.map((a) => <li key={a.id}><a href={`#/results/${encodeURIComponent(a.id)}`}>{a.name}</a> <span className="muted small">{a.source}</span></li>)}</ul>
        )}
      </section>
    );
  }
  const name = list?.analyses.find((a) => a.id === id)?.name ?? id;
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
    Promise.all([api.getResultSummary({ id }), api.getRoiArrays({ id })]).then(([s, bytes]) => {
      if (!live) return;
      setSummary(s);
      setRois(decodeRoiArrays(bytes));
      setLoadMs(performance.now() - t0);
    }, (e: ApiError) => live && setError(e));
    return () => { live = false; };
  }, [api, id]);

  return (
    <section className="view" aria-labelledby="res-title">
      <header className="view-header">
        <h1 id="res-title">Results · {name}</h1>
        <div className="view-actions"><button className="link" onClick={back}>All results</button></div>
      </header>
      <ErrorNote error={error} />
      {!summary || !rois ? (error ? null : <Loading what="results" />) : (
        <>
          <p className="muted small">{summary.roiCount.toLocaleString()} ROIs in {summary.planes} plane{summary.planes > 1 ? 's' : ''} · {summary.clusters} clusters · {summary.traceLength} frames at {summary.fs} Hz{loadMs !== null ? ` · loaded in ${Math.round(loadMs)} ms` : ''}</p>
          <Viewer3d id={id} summary={summary} rois={rois} />
          <Images id={id} summary={summary} />
        </>
      )}
    </section>
  );
}

function Viewer3d({ id, summary, rois }: { id: string; summary: ResultSummary; rois: RoiArrays }) {
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
  const shown = selected >= 0 ? selected : hover;

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

  useEffect(() => { viewerRef.current?.setColorMode(mode); }, [mode]);
  useEffect(() => { viewerRef.current?.highlight(shown); }, [shown]);

  useEffect(() => {
    if (shown < 0) return;
    let live = true;
    const t = setTimeout(() => {
      api.getTrace({ id, roi: shown }).then((b) => { if (live) { setTrace({ roi: shown, values: decodeFloat32(b) }); setTraceError(null); } }, (e: ApiError) => live && setTraceError(e));
    }, 60);
    return () => { live = false; clearTimeout(t); };
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
  const info = (i: number) => ({ x: rois.centroids[i * 3], y: rois.centroids[i * 3 + 1], plane: rois.centroids[i * 3 + 2], size: rois.sizes[i], cluster: rois.clusters[i] });

  return (
    <div className="results-grid">
      <div className="panel viewer-panel">
        <div className="viewer-toolbar">
          <div role="group" aria-label="Colour ROIs by" className="segmented">
            <button aria-pressed={mode === 'cluster'} onClick={() => setMode('cluster')}>Cluster</button>
            <button aria-pressed={mode === 'plane'} onClick={() => setMode('plane')}>Depth</button>
          </div>
          <button onClick={() => viewerRef.current?.resetView()}>Reset view</button>
          <span className="muted small hint">Drag to orbit · right-drag to pan · wheel or +/− to zoom · click an ROI to pin it</span>
        </div>
        <div className="viewer-wrap">
          <canvas ref={canvasRef} className="viewer-canvas" tabIndex={0} aria-label={`3D view of ${rois.count.toLocaleString()} ROIs; arrow keys pan, plus and minus zoom, 0 resets`} data-testid="roi-canvas" />
          {webglError ? <div className="note note-error viewer-overlay" role="alert">{webglError}</div> : null}
          {mode === 'cluster' ? (
            <ul className="legend" aria-label="Clusters">
              {[...counts.entries()].sort((a, b) => a[0] - b[0]).map(([k, n]) => (
                <li key={k}><span className="swatch" style={{ background: k === 255 ? 'var(--muted)' : CLUSTER_COLORS[k % CLUSTER_COLORS.length] }} />{k === 255 ? 'unassigned' : `cluster ${k + 1}`} <span className="muted">{n.toLocaleString()}</span></li>
              ))}
            </ul>
          ) : <div className="legend depth-legend"><span>plane 1</span><span className="depth-ramp" /><span>plane {rois.planes}</span></div>}
        </div>
      </div>
      <aside className="panel roi-panel" aria-labelledby="roi-title">
        <h2 id="roi-title">{shown >= 0 ? `ROI ${shown}` : 'ROI'}{selected >= 0 ? ' (pinned)' : ''}</h2>
        <form className="inline-form" onSubmit={(e) => { e.preventDefault(); const n = Number(roiInput); if (Number.isInteger(n) && n >= 0 && n < rois.count) setSelected(n); }}>
          <label htmlFor="roi-id" className="sr-only">ROI number</label>
          <input id="roi-id" inputMode="numeric" placeholder={`0–${rois.count - 1}`} value={roiInput} onChange={(e) => setRoiInput(e.target.value)} />
          <button type="submit">Show</button>
          {selected >= 0 ? <button type="button" className="link" onClick={() => setSelected(-1)}>Unpin</button> : null}
        </form>
        {shown >= 0 ? (
          <>
            <dl className="facts">
              <dt>Cluster</dt><dd><span className="swatch" style={{ background: info(shown).cluster === 255 ? 'var(--muted)' : CLUSTER_COLORS[info(shown).cluster % CLUSTER_COLORS.length] }} />{info(shown).cluster === 255 ? 'unassigned' : info(shown).cluster + 1}</dd>
              <dt>Plane</dt><dd>{info(shown).plane + 1}</dd>
              <dt>Centre</dt><dd>x {info(shown).x.toFixed(1)}, y {info(shown).y.toFixed(1)} px</dd>
              <dt>Size</dt><dd>{Math.round(info(shown).size)} px</dd>
            </dl>
            <canvas ref={traceRef} className="trace-canvas" aria-label={`dF/F trace of ROI ${shown}`} data-testid="trace-canvas" />
            <ErrorNote error={traceError} />
          </>
        ) : <p className="muted">Point at an ROI in the 3D view to see its activity trace, or enter its number.</p>}
      </aside>
    </div>
  );
}

function Images({ id, summary }: { id: string; summary: ResultSummary }) {
  const api = useApi();
  const [urls, setUrls] = useState<Record<string, string>>({});
  const [error, setError] = useState<ApiError | null>(null);
  useEffect(() => {
    const made: string[] = [];
    let live = true;
    for (const img of summary.images) {
      api.getResultImage({ id, name: img.name }).then((bytes) => {
        if (!live) return;
        const url = URL.createObjectURL(new Blob([bytes as BlobPart], { type: img.mime }));
        made.push(url);
        setUrls((u) => ({ ...u, [img.name]: url }));
      }, (e: ApiError) => live && setError(e));
    }
    return () => { live = false; for (const u of made) URL.revokeObjectURL(u); };
  }, [api, id, summary]);
  return (
    <div className="panel">
      <h2>Images</h2>
      <ErrorNote error={error} />
      <div className="gallery">
        {summary.images.map((img) => (
          <figure key={img.name} className={img.name === 'covariance' ? 'wide' : ''}>
            {urls[img.name] ? <img src={urls[img.name]} alt={img.label} data-image={img.name} /> : <div className="img-placeholder" aria-busy="true" />}
            <figcaption>{img.label}</figcaption>
          </figure>
        ))}
      </div>
    </div>
  );
}
