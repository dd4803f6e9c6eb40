/**
 * `npm run bench:restart [-- --sizes=10000,100000] [--keep]`: a cold start of the acquisition service over a
 * rig's history — N verified files (tiny, on disk) in N/50 closed sessions, each with its marker,
 * its verified manifest and its record; the upload journal holds every file as verified (one
 * compacted snapshot, as after months of running).
 *
 * Each size starts twice, each time in a child process (`--child`) running the service (real
 * watcher, engine and local archive target). The first start is the one after an update from a
 * version without the record of archived sessions: every session is scanned, closes, and is
 * recorded as archived (it waits for that record). The second is the restart measured; it reports:
 * - start → watching: wall time from spawning the child until `startAcquisition` resolved (the
 *   initial scan has seen every file); start → settled: until every file is complete again, every
 *   session has closed and the queue is idle (what a restart does before it can be idle);
 * - CPU: the child's user + system CPU time until watching and until settled (wall times on a
 *   shared machine vary with its load; the load average is in the JSON);
 * - peak RSS: the child's VmHWM at the end;
 * - acquisition bytes read: the sizes of the acquisition files whose access time moved (they are
 *   set to 2001 first; see test/support/file-reads.ts), an upper bound, and the child's rchar
 *   (/proc/self/io: every byte it read, modules and journal included) for scale.
 * 1M is extrapolated linearly from the two largest sizes. Prints a table and writes
 * bench/results/restart.json. Data lives under .scopecloud-test/bench-restart and is removed
 * (`--keep` keeps it).
 */
import { spawn } from 'node:child_process';
import { execFile } from 'node:child_process';
import { mkdir, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { crc32cBase64 } from '../main/upload/checksum.ts';
import { sessionId, type PublishedManifest } from '../main/session/manifest-history.ts';
import { MANIFEST_SCHEMA, type Manifest, type ManifestFile } from '../main/session/manifest.ts';
import type { UploadItem } from '../main/upload/item.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const FILES_PER_SESSION = 50;
const FILE_BYTES = 200;
const STABLE_MS = 1000;
const FORGOTTEN_S = 1_000_000_000;
const MARKER = 'acquisition.done';

interface ChildReport {
  watchingMs: number;
  settledMs: number;
  cpuAtWatchingS: number;
  cpuAtSettledS: number;
  peakRssMB: number;
  rssAtWatchingMB: number;
  rcharMB: number;
  sessionsClosed: number;
  filesComplete: number;
  manifestsQueued: number;
  archivedSessions: number;
}
interface Row {
  files: number;
  sessions: number;
  firstStartToWatchingS: number;
  startToWatchingS: number;
  startToSettledS: number;
  cpuToWatchingS: number;
  cpuToSettledS: number;
  peakRssMB: number;
  acquisitionBytesRead: number;
  acquisitionFilesRead: number;
  rcharMB: number;
  extrapolated?: true;
}

function settingsFor(acqRoot: string, archive: string) {
  return {
    schema: 1 as const,
    target: { kind: 'local' as const, path: archive },
    watch: {
      folders: [acqRoot],
      include: ['**/*'],
      exclude: [],
      stableMs: STABLE_MS,
      markerFile: MARKER,
      polling: false,
      pollIntervalMs: 2000,
      reconcileIntervalMs: 60_000,
    },
    upload: { concurrency: 8, partConcurrency: 2, bandwidthLimit: 0, freeSpaceAfterDays: null },
    budget: { monthlyLimitUsd: null, maxRuntimeHours: 8 },
    restore: { days: 3 },
    ui: { firstRunComplete: true, theme: 'system' as const },
  };
}

const vmHwmMB = async () => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

/** Sessions recorded as archived in the state of `dir`. */
async function archivedRecorded(dir: string): Promise<number> {
  let text = '';
  try {
    text = await readFile(join(dir, 'state', 'manifests', 'archived-sessions.jsonl'), 'utf8');
  } catch {
    return 0;
  }
  const live = new Set<string>();
  // complete lines only: the service may be appending one
  for (const line of text
    .slice(0, text.lastIndexOf('\n') + 1)
    .split('\n')
    .filter(Boolean)) {
    const l = JSON.parse(line) as { dir: string; forget?: true };
    if (l.forget) live.delete(l.dir);
    else live.add(l.dir);
  }
  return live.size;
}

async function child(dir: string): Promise<void> {
  const { startAcquisition } = await import('../main/acquisition/acquisition-service.ts');
  const acqRoot = join(dir, 'acq', 'scope');
  const state = join(dir, 'state');
  const sessions = Number(await readFile(join(dir, 'sessions'), 'utf8'));
  const acq = await startAcquisition({
    settings: settingsFor(acqRoot, join(state, 'archive')) as Parameters<typeof startAcquisition>[0]['settings'],
    queueDir: join(state, 'queue'),
    stagingDir: join(state, 'manifests'),
    watch: true,
    // the default status snapshot period: the first one is written before startAcquisition resolves
    snapshotMs: 1000,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const watchingMs = performance.now();
  const cpuS = () => {
    const u = process.cpuUsage();
    return (u.user + u.system) / 1e6;
  };
  const cpuAtWatchingS = cpuS();
  const rssAtWatchingMB = await vmHwmMB();
  process.stdout.write('watching\n');
  // settled: every file complete or in an archived folder confirmed unchanged, every session closed or archived
  for (;;) {
    const watch = acq.watcher!.status();
    const pending = watch.roots.reduce((n, r) => n + r.pending, 0);
    const closed = acq.sessions!.list().filter((s) => s.closed).length + (watch.archived?.folders ?? 0);
    const c = acq.engine.status().counts;
    if (pending === 0 && closed === sessions && (watch.archived?.unconfirmed ?? 0) === 0 && c.queued + c.uploading + c.growing === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const settledMs = performance.now();
  const archived = acq.watcher!.status().archived;
  const io = await readFile('/proc/self/io', 'utf8');
  const report: ChildReport = {
    watchingMs,
    settledMs,
    cpuAtWatchingS,
    cpuAtSettledS: cpuS(),
    rssAtWatchingMB,
    peakRssMB: await vmHwmMB(),
    rcharMB: Number(/rchar:\s+(\d+)/.exec(io)?.[1] ?? 0) / 1e6,
    sessionsClosed: acq.sessions!.list().filter((s) => s.closed).length + (archived?.folders ?? 0),
    filesComplete: acq.watcher!.status().roots.reduce((n, r) => n + r.complete, 0) + (archived?.files ?? 0),
    manifestsQueued: acq.engine.status().counts.verified,
    archivedSessions: archived?.folders ?? 0,
  };
  // the first start: until every session is recorded as archived (their folders must be MIN_AGE_MS old first)
  for (let waited = 0; (await archivedRecorded(dir)) < sessions && waited < 60_000; waited += 200) await new Promise((r) => setTimeout(r, 200));
  await acq.stop();
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

/** Writes `n` tiny files in n/50 closed sessions and a history saying all of them were verified. */
async function buildHistory(dir: string, n: number): Promise<number> {
  const acqRoot = join(dir, 'acq', 'scope');
  const state = join(dir, 'state');
  const staging = join(state, 'manifests');
  await mkdir(join(staging, 'sessions'), { recursive: true });
  await mkdir(join(state, 'queue'), { recursive: true });
  await mkdir(join(state, 'archive'), { recursive: true });
  const sessions = Math.ceil(n / FILES_PER_SESSION);
  const snapshot = await open(join(state, 'queue', 'snapshot.1.jsonl'), 'w');
  let id = 1;
  let lines: string[] = [];
  const put = async (item: UploadItem) => {
    lines.push(`${JSON.stringify({ op: 'put', item })}\n`);
    if (lines.length >= 2000) {
      await snapshot.write(lines.join(''));
      lines = [];
    }
  };
  const now = Date.now();
  for (let s = 0; s < sessions; s++) {
    const name = `2026-01-01_mouse${String(s).padStart(5, '0')}`;
    const sessionDir = join(acqRoot, name);
    await mkdir(sessionDir, { recursive: true });
    const count = Math.min(FILES_PER_SESSION, n - s * FILES_PER_SESSION);
    const entries: ManifestFile[] = [];
    await Promise.all(
      Array.from({ length: count }, async (_, f) => {
        const file = `t${String(f).padStart(3, '0')}.tif`;
        const body = Buffer.alloc(FILE_BYTES, (s * 31 + f) % 251);
        const path = join(sessionDir, file);
        await writeFile(path, body);
        const st = await stat(path);
        entries[f] = {
          path: file,
          size: body.length,
          mtime: new Date(st.mtimeMs).toISOString(),
          mtimeMs: st.mtimeMs,
          crc32c: crc32cBase64(body),
          tiffError: { code: 'not-tiff', message: 'not a TIFF file' },
        };
      }),
    );
    await writeFile(join(sessionDir, MARKER), '');
    const markerStat = await stat(join(sessionDir, MARKER));
    for (const entry of [...entries, { path: MARKER, size: 0, mtimeMs: markerStat.mtimeMs, crc32c: 'AAAAAA==' }]) {
      await put({
        id: String(id++),
        path: join(sessionDir, entry.path),
        baseKey: `scope/${name}/${entry.path}`,
        version: 1,
        size: entry.size,
        mtimeMs: entry.mtimeMs,
        final: true,
        state: 'verified',
        addedAt: now,
        parts: {},
        checksum: entry.crc32c,
        verifiedAt: now,
      });
    }
    const manifest: Manifest = {
      schema: MANIFEST_SCHEMA,
      session: { root: acqRoot, relativePath: name, name },
      closedBy: 'marker',
      marker: MARKER,
      createdAt: new Date(now).toISOString(),
      generation: 1,
      totals: { files: entries.length, bytes: entries.length * FILE_BYTES },
      files: entries,
    };
    const staged = join(staging, `${sessionId(sessionDir)}.g1.manifest.json`);
    const text = JSON.stringify(manifest, null, 2);
    await writeFile(staged, text);
    const record: PublishedManifest = { generation: 1, staged, files: entries };
    await writeFile(join(staging, 'sessions', `${sessionId(sessionDir)}.json`), JSON.stringify(record));
    await put({
      id: String(id++),
      path: staged,
      baseKey: `scope/${name}/manifest.json`,
      version: 1,
      size: Buffer.byteLength(text),
      mtimeMs: (await stat(staged)).mtimeMs,
      final: true,
      state: 'verified',
      addedAt: now,
      parts: {},
      checksum: crc32cBase64(Buffer.from(text)),
      verifiedAt: now,
    });
  }
  await snapshot.write(lines.join(''));
  await snapshot.sync();
  await snapshot.close();
  await writeFile(join(state, 'queue', 'journal.1.jsonl'), '');
  await writeFile(join(dir, 'sessions'), String(sessions));
  await forgetReads(dir);
  return sessions;
}

/** Every acquisition file (markers too) reads as unread from here on. */
async function forgetReads(dir: string): Promise<void> {
  await promisify(execFile)('find', [join(dir, 'acq'), '-type', 'f', '-exec', 'touch', '-a', '-d', `@${FORGOTTEN_S}`, '{}', '+']);
}

/** Sizes of the acquisition files read since buildHistory. */
async function readsIn(dir: string, n: number): Promise<{ files: number; bytes: number }> {
  const acqRoot = join(dir, 'acq', 'scope');
  let files = 0;
  let bytes = 0;
  const sessions = Math.ceil(n / FILES_PER_SESSION);
  for (let s = 0; s < sessions; s++) {
    const sessionDir = join(acqRoot, `2026-01-01_mouse${String(s).padStart(5, '0')}`);
    const names = [MARKER, ...Array.from({ length: Math.min(FILES_PER_SESSION, n - s * FILES_PER_SESSION) }, (_, f) => `t${String(f).padStart(3, '0')}.tif`)];
    await Promise.all(
      names.map(async (name) => {
        const st = await stat(join(sessionDir, name));
        if (st.atimeMs > FORGOTTEN_S * 1000 + 1000) {
          files++;
          bytes += st.size;
        }
      }),
    );
  }
  return { files, bytes };
}

function runChild(dir: string): Promise<{ watchingS: number; report: ChildReport; stderr: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let watchingS = NaN;
    let out = '';
    let stderr = '';
    const p = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (Number.isNaN(watchingS) && out.includes('watching\n')) watchingS = (performance.now() - t0) / 1000;
    });
    p.stderr.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    p.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`child exited ${code}: ${stderr}`));
      resolve({ watchingS, report: JSON.parse(last) as ChildReport, stderr });
    });
  });
}

async function main(): Promise<void> {
  const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
  const sizes = sizesArg ? sizesArg.slice(8).split(',').map(Number) : [10_000, 100_000];
  const base = join(root, '.scopecloud-test', 'bench-restart');
  const loadAtStart = loadavg().map((l) => Number(l.toFixed(1)));
  const rows: Row[] = [];
  for (const n of sizes) {
    const dir = join(base, String(n));
    await rm(dir, { recursive: true, force: true });
    const t = performance.now();
    const sessions = await buildHistory(dir, n);
    process.stderr.write(`history of ${n} files in ${sessions} sessions built in ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
    const first = await runChild(dir);
    const recorded = await archivedRecorded(dir);
    process.stderr.write(`first start: watching after ${first.watchingS.toFixed(2)} s; ${recorded} of ${sessions} sessions recorded as archived\n`);
    await forgetReads(dir);
    const { watchingS, report } = await runChild(dir);
    const reads = await readsIn(dir, n);
    if (report.sessionsClosed !== sessions || report.filesComplete !== n) throw new Error(`the restart did not settle as expected: ${JSON.stringify(report)}`);
    rows.push({
      files: n,
      sessions,
      firstStartToWatchingS: first.watchingS,
      startToWatchingS: watchingS,
      startToSettledS: watchingS + (report.settledMs - report.watchingMs) / 1000,
      cpuToWatchingS: report.cpuAtWatchingS,
      cpuToSettledS: report.cpuAtSettledS,
      peakRssMB: report.peakRssMB,
      acquisitionBytesRead: reads.bytes,
      acquisitionFilesRead: reads.files,
      rcharMB: report.rcharMB,
    });
    if (!process.argv.includes('--keep')) await rm(dir, { recursive: true, force: true });
  }
  if (rows.length >= 2) {
    const [a, b] = rows.slice(-2);
    const at = (
      k: 'firstStartToWatchingS' | 'startToWatchingS' | 'startToSettledS' | 'cpuToWatchingS' | 'cpuToSettledS' | 'peakRssMB' | 'rcharMB',
      n: number,
    ) => b[k] + ((b[k] - a[k]) / (b.files - a.files)) * (n - b.files);
    const n = 1_000_000;
    rows.push({
      files: n,
      sessions: n / FILES_PER_SESSION,
      firstStartToWatchingS: at('firstStartToWatchingS', n),
      startToWatchingS: at('startToWatchingS', n),
      startToSettledS: at('startToSettledS', n),
      cpuToWatchingS: at('cpuToWatchingS', n),
      cpuToSettledS: at('cpuToSettledS', n),
      peakRssMB: at('peakRssMB', n),
      acquisitionBytesRead: 0,
      acquisitionFilesRead: 0,
      rcharMB: at('rcharMB', n),
      extrapolated: true,
    });
  }
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(14) : c.padStart(14))).join('');
  console.log(line(['files', 'sessions', '1st start', 'to watching', 'to settled', 'CPU watching', 'CPU settled', 'peak RSS', 'acq. read', 'rchar']));
  for (const r of rows) {
    console.log(
      line([
        `${r.files.toLocaleString('en')}${r.extrapolated ? ' (extrap.)' : ''}`,
        String(r.sessions),
        `${r.firstStartToWatchingS.toFixed(2)} s`,
        `${r.startToWatchingS.toFixed(2)} s`,
        `${r.startToSettledS.toFixed(2)} s`,
        `${r.cpuToWatchingS.toFixed(2)} s`,
        `${r.cpuToSettledS.toFixed(2)} s`,
        `${r.peakRssMB.toFixed(0)} MB`,
        r.extrapolated ? '-' : `${r.acquisitionBytesRead} B`,
        `${r.rcharMB.toFixed(1)} MB`,
      ]),
    );
  }
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  const result = {
    bench: 'restart',
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model,
      memoryGB: Math.round(totalmem() / 1e9),
      node: process.version,
      loadAverageAtStart: loadAtStart,
      loadAverage: loadavg().map((l) => Number(l.toFixed(1))),
    },
    setup: {
      filesPerSession: FILES_PER_SESSION,
      fileBytes: FILE_BYTES,
      stableMs: STABLE_MS,
      statusSnapshotMs: 1000,
      target: 'local archive',
      journal: 'one compacted snapshot of every verified file',
      firstStart: 'after an update from a version without the record of archived sessions (every session scanned once)',
      restart: 'every session recorded as archived; to settled includes confirming each recorded file unchanged by stat',
    },
    goal: { at100kFiles: { startToWatchingS: 5, peakRssMB: 300, acquisitionBytesRead: 0 } },
    rows,
  };
  await writeFile(join(root, 'bench', 'results', sizesArg ? 'restart-custom.json' : 'restart.json'), `${JSON.stringify(result, null, 2)}\n`);
}

if (process.argv[2] === '--child') await child(process.argv[3]);
else await main();
