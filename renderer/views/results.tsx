/**
 * Results: the list of finished analyses, and one analysis's results (its summary line, then the
 * 3D viewer with its trace and raster panels, then the result images).
 */
import { useCallback, useEffect, useRef, useState } from 'react';
import type { ResultSummary } from '../../preload/api.ts';
import { hasCode, type ApiError } from '../../preload/errors.ts';
import { decodeRoiArrays, type RoiArrays } from '../../preload/roi-binary.ts';
import { decodeActivity, type ActivityMatrix } from '../../preload/activity-binary.ts';
import { ErrorNote, Loading, Pill } from '../components/bits.tsx';
import { count, formatDateTime, formatHz } from '../format.ts';
import { useApi, useTopic } from '../hooks.ts';
import { Images } from './results-images.tsx';
import { Viewer3d } from './results-viewer.tsx';
import { ArchivedResults } from './results-restore.tsx';

/** Time bins of the activity matrix: enough for a smooth slider, small for 100,000 ROIs (12 MB). */
const ACTIVITY_BINS = 120;

export function ResultsView({ id, back }: { id: string | null; back: () => void }) {
  const { data: list, error, reload } = useTopic(['results'], (a) => a.listResults());
  // Back at the list from one analysis (curated there, perhaps): its counts are read again.
  const shown = useRef(id);
  useEffect(() => {
    if (shown.current !== null && id === null) reload();
    shown.current = id;
  }, [id, reload]);
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
                    <td className="num nowrap" data-testid="result-cells">
                      {r.cells === null ? '—' : r.cells.toLocaleString()}
                      {r.cells !== null && r.curated ? (
                        <span className="muted small" title="Counted from the curated labels (curation.json), not the worker's">
                          {' '}
                          (curated)
                        </span>
                      ) : null}
                    </td>
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
  /** The cell count after curating in this view (null: as the ROI arrays were read). */
  const [cells, setCells] = useState<number | null>(null);
  /** Bumped to read the results again (archived ones, once restored). */
  const [attempt, setAttempt] = useState(0);
  const readAgain = useCallback(() => {
    setError(null);
    setAttempt((n) => n + 1);
  }, []);
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
  }, [api, id, attempt]);

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
      {hasCode(error, 'RESULTS_ARCHIVED') ? <ArchivedResults id={id} onReadable={readAgain} /> : <ErrorNote error={error} />}
      {!summary || !rois ? (
        error ? null : (
          <Loading what="results" />
        )
      ) : (
        <>
          <p className="muted small" data-testid="results-line">
            {count(summary.roiCount, 'ROI')} ({count(cells ?? cellCount(rois), 'cell')}) in {count(summary.planes, 'plane')} ·{' '}
            {count(summary.clusters, 'cluster')} · {count(summary.traceLength, 'frame')}
            {summary.fs > 0 ? ` at ${formatHz(summary.fs)}` : ''}
            {loadMs !== null ? ` · loaded in ${Math.round(loadMs)} ms` : ''}
          </p>
          <Viewer3d id={id} summary={summary} rois={rois} activity={activity} activityError={activityError} onCells={setCells} />
          <Images id={id} summary={summary} rois={rois} />
        </>
      )}
    </section>
  );
}

/** Cells by the curated labels; arrays without them: every clustered ROI (cluster 255 = not a cell). */
function cellCount(rois: RoiArrays): number {
  let n = 0;
  if (rois.iscell) for (const v of rois.iscell) n += v ? 1 : 0;
  else for (const k of rois.clusters) if (k !== 255) n++;
  return n;
}
