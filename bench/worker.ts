/**
 * `npm run bench:worker [-- --quick]`: the analysis worker against suite2p on the same synthetic movies
 * with known ground truth:
 *   (a) 512 x 512 x 2,000 frames, (b) 256 x 256 x 6,000 frames, (c) a 30-plane volume
 *   (30 x 128 x 128 x 400 time points, planes interleaved).
 * Movies and truth are written by `native-worker/crates/core/examples/synth.rs` (uint16 TIFF +
 * neurofinder-format truth.json). Each tool runs once per movie from the TIFF to its ROIs:
 * `scopecloud-worker analyze` and `suite2p.run_s2p` (CPU, default settings except fs/tau/nplanes;
 * bench/suite2p_run.py) from the Python in $SUITE2P_PYTHON, /tmp/s2p-venv or PATH, if it imports
 * suite2p ("not installed" otherwise). Measured: wall time, frames/s (frames x planes / s), peak
 * RSS (VmHWM of the tool's process, polled), and ROI F1 of the cells each tool reports against the
 * truth (centroids matched per plane within 10 px, Hungarian). Prints a table with the worker /
 * suite2p ratios and writes bench/results/worker.json (`--quick` scales frame counts to 1/4,
 * `--scale=F` to F; the JSON says so). Data lives under .scopecloud-test/bench-worker and
 * is removed afterwards (`--keep` keeps it).
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
const work = join(root, '.scopecloud-test', 'bench-worker');
const manifest = join(root, 'native-worker', 'Cargo.toml');
const targetDir = process.env.CARGO_TARGET_DIR ?? join(root, 'native-worker', 'target');
const workerBin = process.env.SCOPECLOUD_WORKER_BIN ?? join(root, 'native-worker', 'target', 'release', 'scopecloud-worker');
const synthBin = join(targetDir, 'release', 'examples', 'synth');

interface Dataset { name: string; frames: number; height: number; width: number; planes: number; cells: number; fs: number }
const datasets: Dataset[] = [
  { name: '512x512x2000', frames: Math.round(2000 * scale), height: 512, width: 512, planes: 1, cells: 300, fs: 30 },
  { name: '256x256x6000', frames: Math.round(6000 * scale), height: 256, width: 256, planes: 1, cells: 100, fs: 30 },
  { name: '30-plane volume', frames: Math.round(400 * scale), height: 128, width: 128, planes: 30, cells: 600, fs: 30 },
];

interface Run {
  tool: string; dataset: string; seconds: number; framesPerSecond: number; peakRssMB: number;
  f1?: number; recall?: number; precision?: number; cells?: number; error?: string;
}

/** Runs a command, sampling VmHWM (peak RSS) of the process until it exits. */
function measured(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<{ code: number | null; out: string; seconds: number; peakRssMB: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peak = 0;
    p.stdout.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-8000); });
    p.stderr.on('data', (d: Buffer) => { out = (out + d.toString()).slice(-8000); });
    const sample = async () => {
      try {
        const status = await readFile(`/proc/${p.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch { /* exited */ }
    };
    const timer = setInterval(sample, 100);
    p.once('error', (e) => { out += `\n${e.message}`; });
    p.once('close', (code) => {
      clearInterval(timer);
      resolve({ code, out, seconds: (performance.now() - t0) / 1000, peakRssMB: Math.round(peak) });
    });
  });
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

function score(truth: string, regions: string, rois?: string): { f1: number; recall: number; precision: number; detected: number } {
  const out = run(synthBin, ['score', '--truth', truth, '--regions', regions, ...(rois ? ['--rois', rois] : [])]);
  return JSON.parse(out.trim().split('\n').pop() ?? '{}');
}

function findSuite2p(): string | undefined {
  const candidates = [process.env.SUITE2P_PYTHON, '/tmp/s2p-venv/bin/python', 'python3'].filter((c): c is string => !!c);
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import suite2p'], { stdio: 'ignore' });
    if (r.error === undefined && r.status === 0) return py;
  }
  return undefined;
}

const lastLine = (s: string) => s.trim().split('\n').filter((l) => l.trim()).pop() ?? '';

async function main(): Promise<void> {
  run('cargo', ['build', '--release', '--quiet', '--example', 'synth', '--manifest-path', manifest]);
  if (!existsSync(workerBin)) throw new Error(`${workerBin} not found: run npm run worker:build`);
  const python = findSuite2p();
  console.error(`scale ${scale}${quick ? ' (--quick)' : ''}; suite2p: ${python ?? 'not installed'}; ${cpus().length} CPUs`);
  const runs: Run[] = [];
  await rm(work, { recursive: true, force: true });
  try {
    for (const d of datasets) {
      const dir = join(work, d.name.replace(/[^a-z0-9]+/gi, '-'));
      await mkdir(dir, { recursive: true });
      const tg = performance.now();
      run(synthBin, ['write', '--out', dir, '--frames', `${d.frames}`, '--height', `${d.height}`, '--width', `${d.width}`,
        '--planes', `${d.planes}`, '--cells', `${d.cells}`, '--fs', `${d.fs}`, '--seed', '7']);
      console.error(`${d.name}: movie written in ${((performance.now() - tg) / 1000).toFixed(1)} s`);
      const movie = join(dir, 'movie.tif');
      const truth = join(dir, 'truth.json');
      const total = d.frames * d.planes;

      const wOut = join(dir, 'worker');
      const w = await measured(workerBin, ['analyze', '--input', movie, '--out', wOut, '--planes', `${d.planes}`, '--fs', `${d.fs}`]);
      const wr: Run = { tool: 'scopecloud-worker', dataset: d.name, seconds: w.seconds, framesPerSecond: total / w.seconds, peakRssMB: w.peakRssMB };
      if (w.code === 0) {
        const s = score(truth, join(wOut, 'regions.json'), join(wOut, 'rois.json'));
        Object.assign(wr, { f1: s.f1, recall: s.recall, precision: s.precision, cells: s.detected });
      } else wr.error = lastLine(w.out);
      runs.push(wr);
      console.error(`${d.name}: worker ${w.seconds.toFixed(1)} s, F1 ${wr.f1?.toFixed(3) ?? '-'}`);

      if (python) {
        const sOut = join(dir, 'suite2p');
        const s = await measured(python, [join(root, 'bench', 'suite2p_run.py'), movie, sOut, `${d.fs}`, `${d.planes}`]);
        const sr: Run = { tool: 'suite2p', dataset: d.name, seconds: s.seconds, framesPerSecond: total / s.seconds, peakRssMB: s.peakRssMB };
        if (s.code === 0) {
          const sc = score(truth, join(sOut, 'regions-cells.json'));
          Object.assign(sr, { f1: sc.f1, recall: sc.recall, precision: sc.precision, cells: sc.detected });
        } else sr.error = lastLine(s.out);
        runs.push(sr);
        console.error(`${d.name}: suite2p ${s.seconds.toFixed(1)} s, F1 ${sr.f1?.toFixed(3) ?? '-'}`);
      }
      if (!keep) await rm(dir, { recursive: true, force: true });
    }
  } finally {
    if (!keep) await rm(work, { recursive: true, force: true });
  }

  const table: string[] = [];
  table.push(`${'movie'.padEnd(17)}${'tool'.padEnd(19)}${'frames/s'.padStart(10)}${'×suite2p'.padStart(10)}${'peak RSS MB'.padStart(13)}${'RSS ×s2p'.padStart(10)}${'F1'.padStart(7)}${'recall'.padStart(8)}${'precision'.padStart(11)}`);
  const ratios = [];
  for (const d of datasets) {
    const s2p = runs.find((r) => r.dataset === d.name && r.tool === 'suite2p');
    for (const r of runs.filter((x) => x.dataset === d.name)) {
      const tput = s2p && !s2p.error ? r.framesPerSecond / s2p.framesPerSecond : NaN;
      const rss = s2p && !s2p.error ? r.peakRssMB / s2p.peakRssMB : NaN;
      const f = (v: number | undefined, n = 3) => (v === undefined || !Number.isFinite(v) ? '-' : v.toFixed(n));
      table.push(`${d.name.padEnd(17)}${r.tool.padEnd(19)}${r.framesPerSecond.toFixed(1).padStart(10)}${f(tput, 2).padStart(10)}${String(r.peakRssMB).padStart(13)}${f(rss, 2).padStart(10)}${f(r.f1).padStart(7)}${f(r.recall).padStart(8)}${f(r.precision).padStart(11)}${r.error ? `  ERROR ${r.error}` : ''}`);
    }
    const w = runs.find((r) => r.dataset === d.name && r.tool === 'scopecloud-worker');
    ratios.push({
      dataset: d.name,
      throughputVsSuite2p: w && s2p && !s2p.error ? w.framesPerSecond / s2p.framesPerSecond : null,
      peakRssVsSuite2p: w && s2p && !s2p.error ? w.peakRssMB / s2p.peakRssMB : null,
      f1Worker: w?.f1 ?? null,
      f1Suite2p: s2p ? (s2p.f1 ?? null) : 'not installed',
    });
  }
  console.log(table.join('\n'));
  console.log('(×suite2p: worker frames/s over suite2p\'s, > 1 is faster; RSS ×s2p < 1 is less memory)');
  const result = {
    date: new Date().toISOString(),
    quick,
    scale,
    note: scale === 1 ? 'full benchmark' : `scaled run: frame counts x ${scale} of the full benchmark${quick ? ' (--quick)' : ''}`,
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, memGB: Math.round(totalmem() / 2 ** 30) },
    suite2p: python ? 'installed' : 'not installed',
    datasets,
    runs,
    ratios,
  };
  await mkdir(join(root, 'bench', 'results'), { recursive: true });
  await writeFile(join(root, 'bench', 'results', 'worker.json'), `${JSON.stringify(result, null, 2)}\n`);
}

await main();
