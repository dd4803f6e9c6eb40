/**
 * The result images of one analysis (first frame, projections and their animated GIFs), with
 * cluster bars along the cluster-sorted covariance image.
 */
import { useEffect, useMemo, useState } from 'react';
import type { ResultSummary } from '../../preload/api.ts';
import type { ApiError } from '../../preload/errors.ts';
import type { RoiArrays } from '../../preload/roi-binary.ts';
import { ErrorNote } from '../components/bits.tsx';
import { useApi } from '../hooks.ts';
import { CLUSTER_COLORS } from '../viewer/roi-colors.ts';

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

export function Images({ id, summary, rois }: { id: string; summary: ResultSummary; rois: RoiArrays }) {
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
