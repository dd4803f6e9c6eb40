/**
 * `npm run bench:journal-memory [-- --sizes=100000,1000000] [--label=after] [--compare=DIR]
 * [--compare-label=before] [--repeat=3]`: what a long-running
 * queue's settled history costs — the heap the upload engine holds per verified item, and how long
 * it takes to load them at start.
 *
 * For each size N a state dir is built with one compacted journal snapshot of N verified items
 * (paths as the acquisition service queues them: 50 files per session folder, keys relative to the
 * acquisition root, CRC32C checksums). Then, each in a fresh child process run with --expose-gc:
 * - journal: `UploadJournal.open` alone;
 * - engine: `createUploadEngine(...).start()` over a local archive folder (journal, path index and
 *   recovery), followed by `verifiedAs` for every file (what a restart's scan asks) and
 *   `list({ newest: 100 })` (the history view).
 * Reported: wall time of the load, heap retained after it (after full GCs, minus the heap before),
 * per item (JS heap plus ArrayBuffers), and the query times. With `--compare=DIR` (a checkout of
 * another commit, e.g. a `git worktree`) the same children also run that checkout's code, in turn
 * with this one's, so both see the same machine load; each child runs `--repeat` times and the
 * fastest time is kept. Results are merged into bench/results/journal-memory.json under `--label`
 * (default `after`) and `--compare-label` (default `before`); the table prints every label
 * recorded for the sizes run.
 */
import { spawn } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const FILES_PER_SESSION = 50;
const RESULTS = join(root, 'bench', 'results', 'journal-memory.json');

interface ChildReport {
  loadMs: number;
  heapBytes: number;
  items: number;
  verifiedAsMs?: number;
  verifiedAsHits?: number;
  newestMs?: number;
}

interface Row {
  files: number;
  journalLoadS: number;
  journalHeapBytesPerItem: number;
  engineStartS: number;
  engineHeapBytesPerItem: number;
  verifiedAsUsPerCall: number;
  newest100Ms: number;
}

const acqRoot = (dir: string) => join(dir, 'acq', 'scope');
const filePath = (dir: string, i: number) =>
  join(acqRoot(dir), `2026-01-01_mouse${String(Math.floor(i / FILES_PER_SESSION)).padStart(5, '0')}`, `t${String(i % FILES_PER_SESSION).padStart(3, '0')}.tif`);

/** A snapshot of `n` verified items, as compaction writes it. */
async function buildState(dir: string, n: number): Promise<void> {
  const queue = join(dir, 'queue');
  await mkdir(queue, { recursive: true });
  await mkdir(join(dir, 'archive'), { recursive: true });
  const fh = await open(join(queue, 'snapshot.1.jsonl'), 'w');
  const now = Date.UTC(2026, 0, 1);
  let lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const path = filePath(dir, i);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE((i * 2654435761) >>> 0);
    const item = {
      id: String(i + 1),
      path,
      baseKey: path.slice(dirname(acqRoot(dir)).length + 1),
      version: 1,
      size: 200 + (i % 1000),
      mtimeMs: now + i * 37.5,
      final: true,
      state: 'verified',
      addedAt: now + i * 40,
      parts: {},
      checksum: crc.toString('base64'),
      verifiedAt: now + i * 40 + 900,
      ...(i % 10 === 0 ? { layout: { kind: 'uniform', base: 8 * 1024 * 1024 } } : {}),
    };
    lines.push(`${JSON.stringify({ op: 'put', item })}\n`);
    if (lines.length === 10_000) {
      await fh.write(lines.join(''));
      lines = [];
    }
  }
  await fh.write(lines.join(''));
  await fh.close();
  await writeFile(join(queue, 'journal.1.jsonl'), '');
}

/** JS heap plus ArrayBuffer backing stores (typed arrays live outside the JS heap), after full GCs. */
const gcHeap = (): number => {
  const gc = (globalThis as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** The module `rel` of the checkout at `code`. */
const from = <T>(code: string, rel: string): Promise<T> => import(pathToFileURL(join(code, rel)).href) as Promise<T>;

async function child(mode: string, dir: string, n: number, code: string): Promise<void> {
  const queue = join(dir, 'queue');
  if (mode === 'journal') {
    const { UploadJournal } = await from<typeof import('../main/upload/journal.ts')>(code, 'main/upload/journal.ts');
    const before = gcHeap();
    const t = performance.now();
    const journal = await UploadJournal.open(queue, { durable: false });
    const loadMs = performance.now() - t;
    const heapBytes = gcHeap() - before;
    const report: ChildReport = { loadMs, heapBytes, items: journal.items.size };
    await journal.close();
    process.stdout.write(`${JSON.stringify(report)}\n`);
    return;
  }
  const { createUploadEngine } = await from<typeof import('../main/upload/engine.ts')>(code, 'main/upload/engine.ts');
  const before = gcHeap();
  const t = performance.now();
  const engine = createUploadEngine({ target: { kind: 'folder', root: join(dir, 'archive') }, stateDir: queue, journal: { durable: false } });
  await engine.start();
  const loadMs = performance.now() - t;
  const heapBytes = gcHeap() - before;
  const items = engine.status().counts.verified;
  const base = Date.UTC(2026, 0, 1);
  let hits = 0;
  const tq = performance.now();
  for (let i = 0; i < n; i++) if (engine.verifiedAs(filePath(dir, i), 200 + (i % 1000), base + i * 37.5)) hits++;
  const verifiedAsMs = performance.now() - tq;
  const tn = performance.now();
  const newest = engine.list({ newest: 100 });
  const newestMs = performance.now() - tn;
  if (newest.length !== Math.min(100, n) || newest[0].id !== String(n)) throw new Error(`list({ newest }) returned ${newest[0]?.id}`);
  await engine.stop();
  process.stdout.write(`${JSON.stringify({ loadMs, heapBytes, items, verifiedAsMs, verifiedAsHits: hits, newestMs } satisfies ChildReport)}\n`);
}

function runChild(mode: string, dir: string, n: number, code: string): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', mode, dir, String(n), code], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    p.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0 || !last.startsWith('{')) return reject(new Error(`child ${mode} exited ${code}: ${err}`));
      resolve(JSON.parse(last) as ChildReport);
    });
  });
}

async function main(): Promise<void> {
  const sizesArg = process.argv.find((a) => a.startsWith('--sizes='));
  const sizes = sizesArg ? sizesArg.slice(8).split(',').map(Number) : [100_000, 1_000_000];
  const label = process.argv.find((a) => a.startsWith('--label='))?.slice(8) ?? 'after';
  const base = join(root, '.scopecloud-test', 'bench-journal-memory');
  const loadAtStart = loadavg().map((l) => Number(l.toFixed(1)));
  const compare = process.argv.find((a) => a.startsWith('--compare='))?.slice(10);
  const compareLabel = process.argv.find((a) => a.startsWith('--compare-label='))?.slice(16) ?? 'before';
  const repeat = Number(process.argv.find((a) => a.startsWith('--repeat='))?.slice(9) ?? 3);
  const codes = [{ label, code: root }, ...(compare ? [{ label: compareLabel, code: compare }] : [])];
  const rows = new Map<string, Row[]>(codes.map((c) => [c.label, []]));
  for (const n of sizes) {
    const dir = join(base, String(n));
    await rm(dir, { recursive: true, force: true });
    await buildState(dir, n);
    const best = new Map<string, { j: ChildReport; e: ChildReport }>();
    for (let i = 0; i < repeat; i++) {
      for (const { label: l, code } of codes) {
        const j = await runChild('journal', dir, n, code);
        const e = await runChild('engine', dir, n, code);
        if (j.items !== n || e.items !== n || e.verifiedAsHits !== n) throw new Error(`expected ${n} verified items: ${JSON.stringify({ j, e })}`);
        const b = best.get(l);
        const min = (a: ChildReport, x: ChildReport): ChildReport => ({
          loadMs: Math.min(a.loadMs, x.loadMs),
          heapBytes: Math.min(a.heapBytes, x.heapBytes),
          items: x.items,
          verifiedAsMs: Math.min(a.verifiedAsMs ?? Infinity, x.verifiedAsMs ?? Infinity),
          verifiedAsHits: x.verifiedAsHits,
          newestMs: Math.min(a.newestMs ?? Infinity, x.newestMs ?? Infinity),
        });
        best.set(l, b ? { j: min(b.j, j), e: min(b.e, e) } : { j, e });
      }
    }
    for (const [l, { j, e }] of best) {
      rows.get(l)!.push({
        files: n,
        journalLoadS: j.loadMs / 1000,
        journalHeapBytesPerItem: j.heapBytes / n,
        engineStartS: e.loadMs / 1000,
        engineHeapBytesPerItem: e.heapBytes / n,
        verifiedAsUsPerCall: ((e.verifiedAsMs ?? 0) * 1000) / n,
        newest100Ms: e.newestMs ?? 0,
      });
    }
    await rm(dir, { recursive: true, force: true });
  }
  let all: { runs: Record<string, { date: string; commit?: string; loadAverage: number[]; rows: Row[] }> } = { runs: {} };
  try {
    all = JSON.parse(await readFile(RESULTS, 'utf8')) as typeof all;
  } catch {
    /* first run */
  }
  const commitOf = async (code: string) =>
    new Promise<string | undefined>((resolve) => {
      const p = spawn('git', ['-C', code, 'rev-parse', '--short', 'HEAD'], { stdio: ['ignore', 'pipe', 'ignore'] });
      let out = '';
      p.stdout.on('data', (d: Buffer) => (out += d.toString()));
      p.once('exit', (c) => resolve(c === 0 ? out.trim() : undefined));
    });
  for (const { label: l, code } of codes) {
    const previous = all.runs[l]?.rows.filter((r) => !sizes.includes(r.files)) ?? [];
    const commit = await commitOf(code);
    all.runs[l] = {
      date: new Date().toISOString(),
      ...(commit ? { commit } : {}),
      loadAverage: [...loadAtStart, ...loadavg().map((x) => Number(x.toFixed(1)))],
      rows: [...previous, ...rows.get(l)!].sort((a, b) => a.files - b.files),
    };
  }
  const line = (cells: string[]) => cells.map((c, i) => (i < 2 ? c.padEnd(10) : c.padStart(16))).join('');
  console.log(line(['files', 'run', 'journal load', 'journal B/item', 'engine start', 'engine B/item', 'verifiedAs', 'newest 100']));
  for (const n of sizes) {
    for (const [name, run] of Object.entries(all.runs)) {
      const r = run.rows.find((x) => x.files === n);
      if (!r) continue;
      console.log(
        line([
          n.toLocaleString('en'),
          name,
          `${r.journalLoadS.toFixed(2)} s`,
          r.journalHeapBytesPerItem.toFixed(0),
          `${r.engineStartS.toFixed(2)} s`,
          r.engineHeapBytesPerItem.toFixed(0),
          `${r.verifiedAsUsPerCall.toFixed(2)} µs`,
          `${r.newest100Ms.toFixed(1)} ms`,
        ]),
      );
    }
  }
  await mkdir(dirname(RESULTS), { recursive: true });
  await writeFile(
    RESULTS,
    `${JSON.stringify({ bench: 'journal-memory', machine: { cpus: cpus().length, cpu: cpus()[0]?.model, node: process.version }, filesPerSession: FILES_PER_SESSION, repeat, ...all }, null, 2)}\n`,
  );
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4], Number(process.argv[5]), process.argv[6]);
else await main();
