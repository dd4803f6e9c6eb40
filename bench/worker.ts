/**
 * `npm run bench:worker [-- --quick] [-- --threads=N] [-- --only=NAME,...]`: the analysis worker
 * against suite2p on the same movies with ground truth:
 *   (a) 512 x 512 x 2,000 frames, (b) 256 x 256 x 6,000 frames, (c) a 30-plane volume
 *   (30 x 128 x 128 x 400 time points, planes interleaved), all synthetic;
 *   (d) the real neurofinder-600 quarters TL and TR (600 x 256 x 256 at 7 Hz, 99 and 52 labelled
 *   cells; ../shared/data/neurofinder-600 or $SCOPECLOUD_SHARED_DATA, skipped with a line saying so
 *   where absent; never scaled).
 * Synthetic movies and truth are written by `native-worker/crates/core/examples/synth.rs` (uint16
 * TIFF + neurofinder-format truth.json). Each tool runs once per movie from the TIFF to its ROIs:
 * `scopecloud-worker analyze` and `suite2p.run_s2p` (CPU, default settings except fs/tau/nplanes,
 * and 64 px registration blocks on frames of at most one default block, where suite2p 1.1's
 * non-rigid step fails; bench/suite2p_run.py) from the Python in $SUITE2P_PYTHON, /tmp/s2p-venv or
 * PATH, if it imports suite2p ("not installed" otherwise). Both get the same thread count
 * (`--threads=N`, default all CPUs: the worker's --threads, suite2p's OpenMP/BLAS/numba/torch
 * pools). Measured: wall time, frames/s (frames x planes / s), CPU time (user + system) and
 * frames per CPU-second, peak RSS (GNU time's maximum resident set size, else VmHWM polled), and
 * ROI F1 against the truth, scored identically for both tools: each writes regions.json (all ROIs)
 * and rois.json (`iscell` per ROI), and `synth score` matches the cells' centroids per plane within
 * 10 px (Hungarian). Prints a table with worker / suite2p ratios and writes
 * bench/results/worker.json. `--quick` scales frame counts to 1/4 (`--scale=F` to F) except the
 * volume's, which stays at 400 frames per plane (suite2p's detection bins ~30 frames at 30 Hz and
 * needs enough bins) and scales its plane count instead; the JSON says so. Data lives under
 * .scopecloud-test/bench-worker and is removed afterwards (`--keep` keeps it). `--only=` runs the
 * datasets whose names contain one of the given strings and writes bench/results/worker-only-<names>.json
 * instead, so a partial run never replaces the full table.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const quick = process.argv.includes('--quick');
const keep = process.argv.includes('--keep');
const scaleArg = process.argv.find((a) => a.startsWith('--scale='));
const scale = quick ? 0.25 : scaleArg ? Number(scaleArg.slice(8)) : 1;
const threadsArg = process.argv.find((a) => a.startsWith('--threads='));
const threads = threadsArg ? Number(threadsArg.slice(10)) : cpus().length;
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = onlyArg
  ? onlyArg
      .slice(7)
      .split(',')
      .filter((x) => x)
  : undefined;
if (!Number.isInteger(threads) || threads < 1) throw new Error(`--threads=${threadsArg?.slice(10)} is not a positive integer`);
/** Frames per plane the volume never goes below, whatever the scale. */
const MIN_VOLUME_FRAMES = 400;
const volumePlanes = scale >= 1 ? 30 : Math.max(4, Math.round(30 * scale));
const work = join(root, '.scopecloud-test', 'bench-worker');
const manifest = join(root, 'native-worker', 'Cargo.toml');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'native-worker', 'target');
const workerBin = process.env.SCOPECLOUD_WORKER_BIN ?? join(root, 'native-worker', 'target', 'release', 'scopecloud-worker');
const synthBin = join(targetDir, 'release', 'examples', 'synth');

/** `file`: a real movie and its neurofinder-format labels, used as they are (no synth write). */
interface Dataset {
  name: string;
  frames: number;
  height: number;
  width: number;
  planes: number;
  cells: number;
  fs: number;
  file?: { movie: string; truth: string };
}
const sharedData = process.env.SCOPECLOUD_SHARED_DATA || join(dirname(root), 'shared', 'data');
const neurofinder = (quarter: string, cells: number): Dataset => ({
  name: `neurofinder-600/${quarter}`,
  frames: 600,
  height: 256,
  width: 256,
  planes: 1,
  cells,
  fs: 7,
  file: { movie: join(sharedData, 'neurofinder-600', quarter, 'movie.tif'), truth: join(sharedData, 'neurofinder-600', quarter, 'regions.json') },
});
const allDatasets: Dataset[] = [
  { name: '512x512x2000', frames: Math.round(2000 * scale), height: 512, width: 512, planes: 1, cells: 300, fs: 30 },
  { name: '256x256x6000', frames: Math.round(6000 * scale), height: 256, width: 256, planes: 1, cells: 100, fs: 30 },
  {
    name: `${volumePlanes}-plane volume`,
    frames: Math.max(MIN_VOLUME_FRAMES, Math.round(400 * scale)),
    height: 128,
    width: 128,
    planes: volumePlanes,
    cells: 20 * volumePlanes,
    fs: 30,
  },
  neurofinder('TL', 99),
  neurofinder('TR', 52),
];
const datasets = allDatasets.filter((d) => !only || only.some((o) => d.name.includes(o)));
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

interface Run {
  tool: string;
  dataset: string;
  threads: number;
  seconds: number;
  framesPerSecond: number;
  cpuSeconds: number | null;
  cpuFramesPerSecond: number | null;
  peakRssMB: number;
  f1?: number;
  recall?: number;
  precision?: number;
  cells?: number;
  error?: string;
}

interface Measured {
  code: number | null;
  out: string;
  seconds: number;
  cpuSeconds: number | null;
  peakRssMB: number;
}

/**
 * Runs a command under GNU time when present (exact user + system CPU seconds and maximum RSS of
 * the tool), also sampling VmHWM of the process every 100 ms (the only RSS source without GNU time).
 */
function measured(cmd: string, args: string[], timeFile: string, env: NodeJS.ProcessEnv = process.env): Promise<Measured> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const [file, argv] = gnuTime ? [gnuTime, ['-f', '%U %S %M', '-o', timeFile, cmd, ...args]] : [cmd, args];
    const p = spawn(file, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peak = 0;
    p.stdout.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
    });
    p.stderr.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-8000);
    });
    const sample = async () => {
      try {
        // under GNU time the tool is its only child
        const pid = gnuTime ? Number((await readFile(`/proc/${p.pid}/task/${p.pid}/children`, 'utf8')).trim().split(/\s+/)[0]) : p.pid;
        if (!pid) return;
        const status = await readFile(`/proc/${pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(sample, 100);
    p.once('error', (e) => {
      out += `\n${e.message}`;
    });
    p.once('close', async (code) => {
      clearInterval(timer);
      const seconds = (performance.now() - t0) / 1000;
      let cpuSeconds: number | null = null;
      if (gnuTime) {
        // the last line is "user system maxrss_kB" (earlier lines: "Command exited with non-zero status")
        const last = (await readFile(timeFile, 'utf8').catch(() => '')).trim().split('\n').pop() ?? '';
        const [u, sy, kb] = last.split(/\s+/).map(Number);
        if ([u, sy, kb].every(Number.isFinite)) {
          cpuSeconds = u + sy;
          peak = Math.max(peak, kb / 1024);
        }
      }
      resolve({ code, out, seconds, cpuSeconds, peakRssMB: Math.round(peak) });
    });
  });
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** Scores a tool's output folder: its cells (rois.json `iscell`) among regions.json, against the truth. */
function score(truth: string, outDir: string): { f1: number; recall: number; precision: number; detected: number } {
  const out = run(synthBin, ['score', '--truth', truth, '--regions', join(outDir, 'regions.json'), '--rois', join(outDir, 'rois.json')]);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

function record(tool: string, d: Dataset, m: Measured, truth: string, outDir: string): Run {
  const total = d.frames * d.planes;
  const r: Run = {
    tool,
    dataset: d.name,
    threads,
    seconds: m.seconds,
    framesPerSecond: total / m.seconds,
    cpuSeconds: m.cpuSeconds,
    cpuFramesPerSecond: m.cpuSeconds ? total / m.cpuSeconds : null,
    peakRssMB: m.peakRssMB,
  };
  if (m.code === 0) {
    const s = score(truth, outDir);
    Object.assign(r, { f1: s.f1, recall: s.recall, precision: s.precision, cells: s.detected });
  } else r.error = lastLine(m.out);
  return r;
}

function findSuite2p(): string | undefined {
  const candidates = [process.env.SUITE2P_PYTHON, '/tmp/s2p-venv/bin/python', 'python3'].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import suite2p'], { stdio: 'ignore' });
    if (r.error === undefined && r.status === 0) return py;
  }
  return undefined;
}

const lastLine = (s: string) =>
  s
    .trim()
    .split('\n')
    .filter((l) => l.trim())
    .pop() ?? '';

async function main(): Promise<void> {
  run('cargo', ['build', '--release', '--quiet', '--example', 'synth', '--manifest-path', manifest]);
  if (!existsSync(workerBin)) throw new Error(`${workerBin} not found: run npm run worker:build`);
  const python = findSuite2p();
  console.error(
    `scale ${scale}${quick ? ' (--quick)' : ''}; suite2p: ${python ?? 'not installed'}; ${cpus().length} CPUs, ${threads} threads per tool; CPU time: ${gnuTime ? 'GNU time' : 'not measured (no /usr/bin/time)'}`,
  );
  const runs: Run[] = [];
  await rm(work, { recursive: true, force: true });
  try {
    for (const d of datasets) {
      const dir = join(work, d.name.replace(/[^a-z0-9]+/gi, '-'));
      await mkdir(dir, { recursive: true });
      let movie = join(dir, 'movie.tif');
      let truth = join(dir, 'truth.json');
      if (d.file) {
        if (!existsSync(d.file.movie) || !existsSync(d.file.truth)) {
          console.error(`${d.name}: skipped, ${d.file.movie} or its regions.json is absent`);
          continue;
        }
        ({ movie, truth } = d.file);
      } else {
        const tg = performance.now();
        run(synthBin, [
          'write',
          '--out',
          dir,
          '--frames',
          `${d.frames}`,
          '--height',
          `${d.height}`,
          '--width',
          `${d.width}`,
          '--planes',
          `${d.planes}`,
          '--cells',
          `${d.cells}`,
          '--fs',
          `${d.fs}`,
          '--seed',
          '7',
        ]);
        console.error(`${d.name}: movie written in ${((performance.now() - tg) / 1000).toFixed(1)} s`);
      }

      const wOut = join(dir, 'worker');
      const w = await measured(
        workerBin,
        ['analyze', '--input', movie, '--out', wOut, '--planes', `${d.planes}`, '--fs', `${d.fs}`, '--threads', `${threads}`],
        join(dir, 'worker.time'),
      );
      const wr = record('scopecloud-worker', d, w, truth, wOut);
      runs.push(wr);
      console.error(
        `${d.name}: worker ${w.seconds.toFixed(1)} s (CPU ${w.cpuSeconds?.toFixed(1) ?? '-'} s), F1 ${wr.f1?.toFixed(3) ?? '-'}${wr.error ? ` ERROR ${wr.error}` : ''}`,
      );

      if (python) {
        const sOut = join(dir, 'suite2p');
        const s = await measured(
          python,
          [join(root, 'bench', 'suite2p_run.py'), movie, sOut, `${d.fs}`, `${d.planes}`, `${threads}`, `${d.height}`, `${d.width}`],
          join(dir, 'suite2p.time'),
        );
        const sr = record('suite2p', d, s, truth, sOut);
        runs.push(sr);
        console.error(
          `${d.name}: suite2p ${s.seconds.toFixed(1)} s (CPU ${s.cpuSeconds?.toFixed(1) ?? '-'} s), F1 ${sr.f1?.toFixed(3) ?? '-'}${sr.error ? ` ERROR ${sr.error}` : ''}`,
        );
      }
      if (!keep) await rm(dir, { recursive: true, force: true });
    }
  } finally {
    if (!keep) await rm(work, { recursive: true, force: true });
  }

  const f = (v: number | null | undefined, n = 3) => (v === undefined || v === null || !Number.isFinite(v) ? '-' : v.toFixed(n));
  /** worker / suite2p, null when either side is missing or failed. */
  const ratio = (w: number | null | undefined, s2: number | null | undefined) =>
    w != null && s2 != null && s2 !== 0 && Number.isFinite(w / s2) ? w / s2 : null;
  const cols: Array<[string, number]> = [
    ['movie', 19],
    ['tool', 19],
    ['frames/s', 10],
    ['×s2p', 7],
    ['CPU s', 9],
    ['fr/CPU-s', 10],
    ['×s2p', 7],
    ['peak RSS MB', 12],
    ['×s2p', 7],
    ['F1', 7],
    ['×s2p', 7],
    ['recall', 8],
    ['precision', 10],
  ];
  const table: string[] = [cols.map(([h, w], i) => (i < 2 ? h.padEnd(w) : h.padStart(w))).join('')];
  const ratios = [];
  for (const d of datasets) {
    const s2p = runs.find((r) => r.dataset === d.name && r.tool === 'suite2p' && !r.error);
    for (const r of runs.filter((x) => x.dataset === d.name)) {
      const cells = [
        d.name,
        r.tool,
        f(r.framesPerSecond, 1),
        f(ratio(r.framesPerSecond, s2p?.framesPerSecond), 2),
        f(r.cpuSeconds, 1),
        f(r.cpuFramesPerSecond, 1),
        f(ratio(r.cpuFramesPerSecond, s2p?.cpuFramesPerSecond), 2),
        String(r.peakRssMB),
        f(ratio(r.peakRssMB, s2p?.peakRssMB), 2),
        f(r.f1),
        f(ratio(r.f1, s2p?.f1), 2),
        f(r.recall),
        f(r.precision),
      ];
      table.push(cells.map((c, i) => (i < 2 ? c.padEnd(cols[i][1]) : c.padStart(cols[i][1]))).join('') + (r.error ? `  ERROR ${r.error}` : ''));
    }
    const w = runs.find((r) => r.dataset === d.name && r.tool === 'scopecloud-worker');
    ratios.push({
      dataset: d.name,
      throughputVsSuite2p: ratio(w?.framesPerSecond, s2p?.framesPerSecond),
      cpuThroughputVsSuite2p: ratio(w?.cpuFramesPerSecond, s2p?.cpuFramesPerSecond),
      peakRssVsSuite2p: ratio(w?.peakRssMB, s2p?.peakRssMB),
      f1VsSuite2p: ratio(w?.f1, s2p?.f1),
      f1Worker: w?.f1 ?? null,
      f1Suite2p: python ? (s2p?.f1 ?? null) : 'not installed',
    });
  }
  console.log(table.join('\n'));
  console.log(
    `(×s2p: worker / suite2p. frames/s and fr/CPU-s > 1: worker faster; RSS < 1: worker uses less memory; F1 >= 1: worker at least as accurate. ${threads} thread(s) each)`,
  );
  const result = {
    date: new Date().toISOString(),
    quick,
    scale,
    note: only
      ? `partial run: only ${only.join(', ')}${scale === 1 ? '' : `, frame counts x ${scale}`}`
      : scale === 1
        ? 'full benchmark'
        : `scaled run: frame counts x ${scale} of the full benchmark${quick ? ' (--quick)' : ''}; the volume keeps ${MIN_VOLUME_FRAMES} frames per plane with ${volumePlanes} planes`,
    threads,
    cpuTime: gnuTime ? 'GNU time (user + system)' : 'not measured',
    suite2pSettings: 'defaults except fs, tau = 1, nplanes, torch_device = cpu; registration.block_size = (64, 64) when a frame fits in one 128 px block',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGB: Math.round(totalmem() / 2 ** 30) },
    suite2p: python ? 'installed' : 'not installed',
    datasets,
    runs,
    ratios,
  };
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  const file = only ? `worker-only-${only.join('-').replace(/[^a-z0-9-]+/gi, '_')}.json` : 'worker.json';
  await writeFile(join(root, 'bench', 'results', file), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
