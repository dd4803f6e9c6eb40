/**
 * A results set too large for the real worker to produce inside a test (100,000 ROIs), written in
 * the worker's own layout beside a job the real worker finished, so that the app's real results
 * API reads it like any other.
 *
 * Contract of `cloneJobWithRois`: copies every object of job `fromId` under `<prefix>jobs/` to
 * job `toId` (its job.json gets the new id, `name` and a `createdAt` one second later), then
 * replaces results/rois.json (`count` ROIs from `syntheticRois`: centroid, plane, area, cluster),
 * results/dff.npy (`count` x `frames` float32, ROIs of one cluster sharing bursts) and the facts
 * of results/summary.json (input size and planes, frame rate, cluster and cell counts). The
 * worker's images (projections, covariance) stay as the worker wrote them. Returns what was
 * written, so a test can compute what the UI must show without asking the app.
 */
import { CopyObjectCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { formatNpy } from '../../main/results/npy.ts';
import { syntheticRois } from './synthetic-rois.ts';
import { seededRandom } from './seeded-random.ts';

export interface LargeResults {
  count: number;
  planes: number;
  clusters: number;
  frames: number;
  fs: number;
  /** ROIs per cluster, cluster order. */
  perCluster: number[];
}

export async function cloneJobWithRois(o: {
  s3: S3Client;
  bucket: string;
  prefix: string;
  fromId: string;
  toId: string;
  name: string;
  count: number;
  frames: number;
  planes?: number;
  clusters?: number;
  fs?: number;
}): Promise<LargeResults> {
  const planes = o.planes ?? 30,
    k = o.clusters ?? 4,
    fs = o.fs ?? 30,
    size = 512;
  const from = `${o.prefix}jobs/${o.fromId}/`;
  const to = `${o.prefix}jobs/${o.toId}/`;
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await o.s3.send(new ListObjectsV2Command({ Bucket: o.bucket, Prefix: from, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((c) => c.Key!));
    token = page.NextContinuationToken;
  } while (token);
  if (!keys.includes(`${from}results/rois.json`)) throw new Error(`job ${o.fromId} has no results to clone (${keys.length} objects)`);
  const get = async (key: string) => Buffer.from(await (await o.s3.send(new GetObjectCommand({ Bucket: o.bucket, Key: key }))).Body!.transformToByteArray());
  const put = (key: string, body: Buffer | string) => o.s3.send(new PutObjectCommand({ Bucket: o.bucket, Key: `${to}${key}`, Body: body }));

  for (const key of keys) {
    const rel = key.slice(from.length);
    if (rel === 'job.json' || rel === 'results/rois.json' || rel === 'results/dff.npy' || rel === 'results/summary.json') continue;
    await o.s3.send(new CopyObjectCommand({ Bucket: o.bucket, Key: `${to}${rel}`, CopySource: `${o.bucket}/${encodeURI(key)}` }));
  }
  const manifest = JSON.parse((await get(`${from}job.json`)).toString('utf8')) as { id: string; name: string; createdAt: number };
  await put('job.json', JSON.stringify({ ...manifest, id: o.toId, name: o.name, createdAt: manifest.createdAt + 1000 }));

  const rois = syntheticRois(o.count, 12, planes, size, k);
  const perCluster = Array.from({ length: k }, () => 0);
  const records = Array.from({ length: o.count }, (_, i) => {
    perCluster[rois.clusters[i]]++;
    return {
      id: i,
      plane: rois.centroids[i * 3 + 2],
      x: rois.centroids[i * 3],
      y: rois.centroids[i * 3 + 1],
      pixels: Math.round(rois.sizes[i]),
      // Every ROI a cell, as summary.json's counts say (the worker writes iscell for each ROI).
      iscell: true,
      cluster: rois.clusters[i],
    };
  });
  await put('results/rois.json', JSON.stringify({ schema: 1, rois: records }));

  const summary = JSON.parse((await get(`${from}results/summary.json`)).toString('utf8')) as Record<string, Record<string, unknown> | undefined>;
  await put(
    'results/summary.json',
    JSON.stringify({
      ...summary,
      input: { ...summary.input, width: size, height: size, planes, frames: o.frames },
      parameters: { ...summary.parameters, fs, k },
      counts: { ...summary.counts, rois: o.count, cells: o.count, clusters: k },
    }),
  );

  const dff = new Float32Array(o.count * o.frames);
  const bursts = Array.from({ length: k }, (_, c) => {
    const rnd = seededRandom(100 + c);
    const row = new Float32Array(o.frames);
    let a = 0;
    for (let t = 0; t < o.frames; t++) {
      if (rnd() < 0.06) a += 1 + rnd();
      a *= 0.85;
      row[t] = a;
    }
    return row;
  });
  const own = seededRandom(5);
  for (let i = 0; i < o.count; i++) {
    const row = bursts[rois.clusters[i]];
    let e = 0;
    for (let t = 0; t < o.frames; t++) {
      if (own() < 0.02) e += 0.8;
      e *= 0.8;
      dff[i * o.frames + t] = row[t] + e + (own() - 0.5) * 0.1;
    }
  }
  await put('results/dff.npy', formatNpy({ dtype: '<f4', shape: [o.count, o.frames], data: dff }));
  return { count: o.count, planes, clusters: k, frames: o.frames, fs, perCluster };
}
