/**
 * `npm run bench:latency`: latency after acquisition (#19 pt5), the time from a writer closing a
 * growing file to its `complete` event and to its object verified, through the app's acquisition
 * service (watcher, default stability window, upload engine with default settings) into versitygw,
 * with the open-writer probe (the close is seen) and without it (stability window only).
 *
 * The writer is its own process (test/support/writer-child.ts) writing `--size` MiB (default 64)
 * in 1 MiB chunks at a steady rate, then closing; the close time is taken just before the close is
 * asked for, so the figures include the close itself. Links: `local` (loopback, written at
 * 100 MB/s) and `lab` (bench/shaped-link.ts, 100 Mb/s with 40 ms RTT and 0.5% loss, written at
 * 4 MB/s, below what the upload gets through that link). Each run also records the bytes the
 * engine had not sent at the close, and each link the time one part takes alone on it. `--runs N` (default 5) per link and probe setting; `--links
 * local,lab`. Prints a table and writes bench/results/latency.json.
 */
import { spawnSync } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createS3Client, sharedRequestHandler } from '../main/aws/s3-client.ts';
import { startAcquisition } from '../main/acquisition/acquisition-service.ts';
import { defaultSettings } from '../main/config/schema.ts';
import { DEFAULT_MIN_PART_SIZE, MiB } from '../main/upload/part-layout.ts';
import { defaultOpenWriterProbe, noOpenWriterProbe } from '../main/watch/open-writer-probe.ts';
import { startVersitygw } from '../test/support/versitygw.ts';
import { startWriter } from '../test/support/writer-child.ts';
import { startShapedLink } from './shaped-link.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const { values } = parseArgs({ options: { runs: { type: 'string' }, size: { type: 'string' }, links: { type: 'string' } } });
const runs = Number(values.runs ?? 5);
const size = Number(values.size ?? 64) * MiB;
const links = (values.links ?? 'local,lab').split(',') as Array<'local' | 'lab'>;
const LINK = { mbps: 100, rttMs: 40, loss: 0.005 };
const RATE = { local: 100e6, lab: 4e6 };

interface Run {
  link: 'local' | 'lab';
  probe: boolean;
  closeToCompleteS: number;
  closeToVerifiedS: number;
  /** The engine's bytes not yet sent when the close was asked for. */
  unsentAtCloseBytes: number;
  reason: string;
}

process.env.VGW_KEEP_ALIVE = 'true';
const gw = await startVersitygw({ root: join(root, '.scopecloud-test') });
const shaped = await startShapedLink({ target: { host: '127.0.0.1', port: gw.port }, ...LINK });
const bucket = await gw.createBucket();
const work = join(root, '.scopecloud-test', `latency-${process.pid}`);
const loadAtStart = loadavg();
const results: Run[] = [];
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void Promise.allSettled([shaped.stop(), gw.stop()]).then(() => process.exit(130));
  });
}

/** Seconds one part takes to go up alone on `link` (PutObject of a part-sized object; median of 3). */
async function partTime(link: 'local' | 'lab'): Promise<number> {
  const s3 = client(link);
  const body = Buffer.alloc(DEFAULT_MIN_PART_SIZE, 7);
  const times: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t0 = performance.now();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `part-time/${link}-${i}`, Body: body }));
    times.push((performance.now() - t0) / 1000);
  }
  s3.destroy();
  return times.sort((a, b) => a - b)[1];
}

function client(link: 'local' | 'lab'): S3Client {
  // the app's own client and HTTP handler (kept connections, timeouts, no SDK retries)
  return createS3Client({
    region: gw.region,
    endpoint: link === 'local' ? gw.endpoint : shaped.endpoint,
    credentials: gw.credentials,
    requestHandler: sharedRequestHandler(),
  });
}

async function once(link: 'local' | 'lab', probe: boolean, n: number): Promise<Run> {
  const dir = join(work, `${link}-${probe ? 'probe' : 'window'}-${n}`);
  const rig = join(dir, 'rig');
  await mkdir(join(rig, 's1'), { recursive: true });
  const base = defaultSettings(join(dir, 'unused'));
  const endpoint = link === 'local' ? gw.endpoint : shaped.endpoint;
  const settings = {
    ...base,
    target: { kind: 's3' as const, bucket, prefix: `${link}-${probe}-${n}`, region: gw.region, profile: '', endpoint },
    watch: { ...base.watch, folders: [rig] },
  };
  const s3 = client(link);
  const acq = await startAcquisition({
    settings,
    s3,
    queueDir: join(dir, 'queue'),
    stagingDir: join(dir, 'manifests'),
    watch: true,
    sessionIdleMs: 600_000,
    snapshotMs: 0,
    watchDeps: { probe: probe ? defaultOpenWriterProbe() : noOpenWriterProbe },
  });
  const path = join(rig, 's1', 'live.tif');
  let completeAt: number | undefined;
  let reason = '';
  acq.watcher!.on('complete', (e) => {
    if (e.path !== path || e.size !== size) return;
    completeAt = performance.now();
    reason = e.reason;
  });
  const verified = new Promise<number>((resolve) => {
    acq.engine.subscribe((e) => {
      if (e.type === 'item' && e.item.path === path && e.item.state === 'verified' && e.item.size === size) resolve(performance.now());
    });
  });
  const writer = startWriter(path);
  try {
    await writer.do('open');
    const start = performance.now();
    for (let written = 0; written < size;) {
      written = await writer.do(`write ${Math.min(MiB, size - written)}`);
      const wait = start + (written / RATE[link]) * 1000 - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    }
    const closedAt = performance.now();
    const unsentAtCloseBytes = acq.engine.status().bytesRemaining;
    await writer.do('close');
    const verifiedAt = await verified;
    return { link, probe, closeToCompleteS: (completeAt! - closedAt) / 1000, closeToVerifiedS: (verifiedAt - closedAt) / 1000, unsentAtCloseBytes, reason };
  } finally {
    await writer.do('exit').catch(() => undefined);
    writer.kill();
    await acq.stop();
    s3.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

const partTimes: Partial<Record<'local' | 'lab', number>> = {};
try {
  for (const link of links) {
    partTimes[link] = await partTime(link);
    console.error(`${link}: one ${DEFAULT_MIN_PART_SIZE / MiB} MiB part alone takes ${partTimes[link]!.toFixed(3)} s`);
    for (const probe of [true, false]) {
      for (let n = 0; n < runs; n++) {
        const r = await once(link, probe, n);
        results.push(r);
        console.error(
          `${link} probe ${probe ? 'on ' : 'off'} #${n + 1}: close→complete ${r.closeToCompleteS.toFixed(3)} s (${r.reason}), close→verified ${r.closeToVerifiedS.toFixed(3)} s, ${(r.unsentAtCloseBytes / MiB).toFixed(1)} MiB unsent at close`,
        );
      }
    }
  }
} finally {
  await shaped.stop();
  await gw.stop();
  await rm(work, { recursive: true, force: true });
}

const stats = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return { median: sorted[Math.floor((sorted.length - 1) / 2)], max: sorted[sorted.length - 1], min: sorted[0] };
};
const summary = links.flatMap((link) =>
  [true, false].map((probe) => {
    const mine = results.filter((r) => r.link === link && r.probe === probe);
    return {
      link,
      probe,
      partTimeS: partTimes[link]!,
      runs: mine.length,
      reasons: [...new Set(mine.map((r) => r.reason))],
      closeToCompleteS: stats(mine.map((r) => r.closeToCompleteS)),
      closeToVerifiedS: stats(mine.map((r) => r.closeToVerifiedS)),
      unsentAtCloseMiB: stats(mine.map((r) => r.unsentAtCloseBytes / MiB)),
    };
  }),
);
const f = (x: number) => x.toFixed(3).padStart(8);
const table = [
  `${'link'.padEnd(7)}${'probe'.padEnd(7)}${'runs'.padStart(5)}  ${'close→complete s (min/med/max)'.padEnd(32)}${'close→verified s (min/med/max)'.padEnd(32)}${'part s'.padStart(8)}  reason`,
  ...summary.map(
    (s) =>
      `${s.link.padEnd(7)}${(s.probe ? 'on' : 'off').padEnd(7)}${String(s.runs).padStart(5)}  ${f(s.closeToCompleteS.min)}${f(s.closeToCompleteS.median)}${f(s.closeToCompleteS.max)}        ${f(s.closeToVerifiedS.min)}${f(s.closeToVerifiedS.median)}${f(s.closeToVerifiedS.max)}        ${f(s.partTimeS)}  ${s.reasons.join(',')}`,
  ),
];
console.log(table.join('\n'));
console.log(`part s: one ${DEFAULT_MIN_PART_SIZE / MiB} MiB part sent alone (PutObject, median of 3) on the same link.`);
const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
// the code measured is the working tree: changes not committed yet under the paths involved
const uncommitted = spawnSync('git', ['status', '--porcelain', '--', 'main/watch', 'main/upload', 'main/acquisition'], { cwd: root, encoding: 'utf8' })
  .stdout.split('\n')
  .filter(Boolean);
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(
  join(root, 'bench', 'results', 'latency.json'),
  `${JSON.stringify(
    {
      date: new Date().toISOString(),
      commit: git,
      uncommitted,
      machine: { cpus: cpus().length, loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
      file: { bytes: size, chunkBytes: MiB, writeRateBytesPerS: RATE },
      links: { local: 'loopback to versitygw (keep-alive)', lab: `${LINK.mbps} Mb/s, ${LINK.rttMs} ms RTT, ${LINK.loss * 100}% loss (bench/shaped-link.ts)` },
      watcher:
        'default settings: stableMs 3000, closeCheckIntervalMs 100, closeGraceMs 250; probe on = the /proc open-writer probe, off = none (stability window only)',
      partBytes: DEFAULT_MIN_PART_SIZE,
      summary,
      runs: results,
    },
    null,
    2,
  )}\n`,
);
