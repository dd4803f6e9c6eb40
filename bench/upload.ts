/**
 * `npm run bench:upload [-- --scale=0.125] [--links=local,shaped] [--link-scale=0.1] [--only=a,b,c]
 * [--peers=s5cmd,rclone,aws] [--peer-timeout=S] [--profile] [--sources]`: the same data uploaded to a local
 * versitygw by ScopeCloud and by its peers, s5cmd, rclone and the aws CLI (installed by
 * upload-peers.ts, each configured as its documentation advises; versions and flags printed):
 *   (a) one 4 GiB file, (b) 2,000 files of 2 MiB, (c) a 2 GiB file written at 100 MB/s while the
 *   tool works — the figure there is the time from the writer's close to the object being complete.
 * Two links: `local` (loopback, full size × --scale), with the ceiling of this machine — the same
 * bytes copied by `cp` into the server's posix directory — and `shaped`, the lab's link (100 Mb/s,
 * 40 ms round trip, 0.5% loss, shaped-link.ts) with sizes × --link-scale (default 1/10: a 410 MiB
 * file, still cut into more parts than requests in flight, and runs of about 35 s, so that neither
 * a too-small file nor the start and the tail of a 10 s run decide the figure) and (c)
 * written at 80% of the link. For each run: MB/s (10^6 bytes), the ratio to the fastest peer and
 * to the ceiling (cp, or the link's rate), CPU seconds per GiB and peak RSS of the uploading
 * process tree (upload-measure.ts), and the S3 server's CPU seconds per GiB. For (c) ScopeCloud runs
 * three ways: the engine told of the close (`scopecloud/close-seen`), the app's folder watcher with
 * the open-writer probe (`scopecloud`, what users get) and with the stability window alone
 * (`scopecloud/stable-only`). Peers can only start at the close.
 * Writes bench/results/upload.json (scale 1) or upload-quick.json, suffixed with the subset run.
 * `--profile` writes a CPU profile of each ScopeCloud run under build/bench-prof/. ScopeCloud runs from
 * JavaScript compiled by tsc, as the packaged app ships it; `--sources` runs the TypeScript sources
 * as the CLI does (Node's type stripping costs ~0.25 s CPU and ~35 MB at start-up).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, rm, symlink, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVersitygw } from '../test/support/versitygw.ts';
import { startShapedLink } from './shaped-link.ts';
import { writeAtRate, writeData } from './upload-data.ts';
import { measured, processCpuSeconds, type Measured } from './upload-measure.ts';
import { crc32cImplementation, hardwareModuleCandidates } from '../main/upload/crc32c.ts';
import { awsConfig, installPeers, peerCommand, peerEnv, peerFlags, writeAwsConfig, type PeerTool, type S3Endpoint } from './upload-peers.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const arg = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const scale = process.argv.includes('--quick') ? 1 / 16 : Number(arg('scale') ?? 1);
const linkScale = Number(arg('link-scale') ?? 1 / 10);
const links = new Set(arg('links')?.split(',') ?? ['local', 'shaped']);
const only = new Set(arg('only')?.split(',') ?? ['a', 'b', 'c']);
const profile = process.argv.includes('--profile');
// ScopeCloud runs as the packaged app does, from JavaScript compiled by tsc; `--sources` runs the
// TypeScript sources as the CLI does (Node strips the types at start-up: more start-up CPU and memory)
const fromSources = process.argv.includes('--sources');
// `--upload={"concurrency":16}`: ScopeCloud with these upload settings instead of the defaults (for experiments)
const uploadOverrides = arg('upload') ? (JSON.parse(arg('upload')!) as object) : undefined;
const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const LINK = { mbps: 100, rttMs: 40, loss: 0.005 };
const linkBytesPerS = (LINK.mbps * 1e6) / 8;

interface Sizes {
  big: number;
  smallCount: number;
  small: number;
  growing: number;
  rate: number;
}
const sizesAt = (s: number, rate: number): Sizes => ({
  big: Math.round(4096 * MiB * s),
  smallCount: Math.max(10, Math.round(2000 * s)),
  small: 2 * MiB,
  growing: Math.round(2048 * MiB * s),
  rate,
});

interface Run {
  link: 'local' | 'shaped';
  scenario: string;
  tool: string;
  seconds: number;
  bytes: number;
  mbps: number;
  cpuSeconds: number;
  cpuSecondsPerGiB: number;
  /** Without the tool's start-up CPU (measured once per tool: an empty upload, or `version`), as a long-running app pays it once. */
  cpuSecondsPerGiBAfterStartup?: number;
  peakRssMB: number;
  serverCpuSecondsPerGiB: number;
  /** TCP connections the tool opened (shaped link only). */
  connections?: number;
  closeToCompleteSeconds?: number;
  ratioToFastestPeer?: number;
  /** local: of `cp` into the server's directory; shaped: of the link's rate. */
  fractionOfCeiling?: number;
  error?: string;
}

// versitygw closes every connection after one response unless told otherwise; S3 keeps them open,
// and on the lab link a new connection costs a handshake and a slow start
process.env.VGW_KEEP_ALIVE = 'true';
const gw = await startVersitygw({ root: join(root, '.scopecloud-test') });
const work = join(root, '.scopecloud-test', `bench-${process.pid}`);
await mkdir(work, { recursive: true });
const { tools: installed, missing } = await installPeers(join(root, 'build', 'bench-tools'));
const peersArg = arg('peers')?.split(',');
const peers = installed.filter((t) => !peersArg || peersArg.includes(t.name));
// the gateway is this process's child: its CPU time is read from /proc between runs
const gwPid = Number(
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .find((p) => {
      try {
        const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
        return stat.includes('(versitygw)') && stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1] === String(process.pid);
      } catch {
        return false;
      }
    }),
);
/** The ScopeCloud side's entry point: the sources, or the whole project compiled into the scratch directory once. */
async function scopecloudEntry(): Promise<string> {
  if (fromSources) return join(root, 'bench', 'upload-scopecloud.ts');
  const out = join(work, 'js');
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(root, 'tsconfig.json'), '--outDir', out, '--sourceMap', 'false'],
    {
      stdio: 'inherit',
    },
  );
  if (tsc.status !== 0) throw new Error('bench:upload: tsc failed (or run with --sources)');
  await writeFile(join(out, 'package.json'), '{ "type": "module" }\n');
  await symlink(join(root, 'node_modules'), join(out, 'node_modules'));
  // the compiled tree is not the checkout: point it at the hardware CRC32C module the sources use
  const crc = hardwareModuleCandidates().find((p) => existsSync(p));
  if (crc) process.env.SCOPECLOUD_CRC32C = crc;
  return join(out, 'bench', 'upload-scopecloud.js');
}
const entry = await scopecloudEntry();
const shaped = await startShapedLink({ target: { host: '127.0.0.1', port: gw.port }, ...LINK });
const s3 = (link: Run['link']): S3Endpoint => ({ endpoint: link === 'local' ? gw.endpoint : shaped.endpoint, region: gw.region, credentials: gw.credentials });
const runs: Run[] = [];
const loadAtStart = loadavg();
let bucket = '';

async function clearBucket(): Promise<void> {
  await rm(join(gw.root, bucket), { recursive: true, force: true });
  await mkdir(join(gw.root, bucket), { recursive: true });
}

function row(link: Run['link'], scenario: string, tool: string, bytes: number, m: Measured, serverCpu: number, seconds = m.seconds): Run {
  const ok = m.code === 0;
  return {
    link,
    scenario,
    tool,
    seconds,
    bytes,
    mbps: ok ? bytes / seconds / 1e6 : 0,
    cpuSeconds: m.cpuSeconds,
    cpuSecondsPerGiB: m.cpuSeconds / (bytes / GiB),
    peakRssMB: m.peakRssMB,
    serverCpuSecondsPerGiB: serverCpu / (bytes / GiB),
    ...(link === 'shaped' ? { connections: connectionsInLastRun } : {}),
    error: ok ? undefined : m.out.trim().split('\n').pop(),
  };
}

let connectionsInLastRun: number | undefined;
/** Runs `work` and returns what it measured with the server's CPU seconds spent meanwhile. */
async function withServerCpu<T>(work: () => Promise<T>): Promise<[T, number]> {
  const before = await processCpuSeconds(gwPid);
  const connectionsBefore = shaped.stats().connections;
  const result = await work();
  connectionsInLastRun = shaped.stats().connections - connectionsBefore;
  return [result, (await processCpuSeconds(gwPid)) - before];
}

function timeoutFor(link: Run['link'], bytes: number): number {
  return Number(arg('peer-timeout') ?? Math.max(120, link === 'local' ? 600 * scale : (4 * bytes) / linkBytesPerS));
}

async function scopecloud(link: Run['link'], scenario: string, tool: string, bytes: number, extra: object): Promise<Run & { verifiedAtEpochMs?: number }> {
  const stateDir = join(work, `state-${scenario}`);
  const profileDir = join(root, 'build', 'bench-prof', `${link}-${scenario}-${tool.replace('/', '-')}`);
  const [m, serverCpu] = await withServerCpu(() =>
    measured(
      process.execPath,
      [
        ...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []),
        entry,
        JSON.stringify({ ...s3(link), bucket, stateDir, upload: uploadOverrides, ...extra }),
      ],
      { timeoutS: timeoutFor(link, bytes), scratch: work },
    ),
  );
  await rm(stateDir, { recursive: true, force: true });
  await clearBucket();
  if (m.code !== 0) return row(link, scenario, tool, bytes, m, serverCpu);
  const res = JSON.parse(m.out.trim().split('\n').pop()!) as { seconds: number; closeToCompleteSeconds?: number; verifiedAtEpochMs?: number; crc32c: string };
  // the figures are for the hardware CRC32C wherever this machine has it: a silent fallback would skew them
  if (res.crc32c !== crc32cImplementation)
    throw new Error(`bench:upload: ScopeCloud ran with the ${res.crc32c} CRC32C, this process has the ${crc32cImplementation} one`);
  return {
    ...row(link, scenario, tool, bytes, m, serverCpu, res.seconds),
    closeToCompleteSeconds: res.closeToCompleteSeconds,
    verifiedAtEpochMs: res.verifiedAtEpochMs,
  };
}

async function peer(link: Run['link'], scenario: string, tool: PeerTool, src: string, bytes: number, manyFiles: boolean): Promise<Run> {
  const [cmd, argv] = peerCommand(tool, s3(link), src, bucket, manyFiles, link);
  const [m, serverCpu] = await withServerCpu(() =>
    measured(cmd, argv, { env: peerEnv(tool, s3(link), work), timeoutS: timeoutFor(link, bytes), scratch: work }),
  );
  await clearBucket();
  return row(link, scenario, tool.name, bytes, m, serverCpu);
}

async function ceiling(scenario: string, src: string, bytes: number): Promise<Run> {
  const [m, serverCpu] = await withServerCpu(() => measured('cp', ['-r', src, join(gw.root, bucket, 'ceiling')], { timeoutS: 600, scratch: work }));
  await clearBucket();
  return row('local', scenario, 'cp (ceiling)', bytes, m, serverCpu);
}

async function scenarios(link: Run['link'], sizes: Sizes): Promise<void> {
  const dir = join(work, link);
  await writeAwsConfig(work, link);
  for (const t of peers)
    console.error(
      `${link}: ${t.version}\n  big file: ${peerFlags(t, false, link).join(' ')}\n  many files: ${peerFlags(t, true, link).join(' ') || '(defaults)'}${t.name === 'aws' ? `\n  ${awsConfig(link).trim().replace(/\n/g, '\n  ')}` : ''}`,
    );
  if (only.has('a')) {
    const big = join(dir, 'a', 'big.bin');
    await writeData(big, sizes.big, 1);
    if (link === 'local') runs.push(await ceiling('a', big, sizes.big));
    runs.push(await scopecloud(link, 'a', 'scopecloud', sizes.big, { dir: dirname(big) }));
    for (const t of peers) runs.push(await peer(link, 'a', t, big, sizes.big, false));
    await rm(dirname(big), { recursive: true, force: true });
  }
  if (only.has('b')) {
    const smallDir = join(dir, 'b');
    for (let i = 0; i < sizes.smallCount; i++) await writeData(join(smallDir, `f${String(i).padStart(5, '0')}.bin`), sizes.small, i);
    const bytes = sizes.smallCount * sizes.small;
    if (link === 'local') runs.push(await ceiling('b', smallDir, bytes));
    runs.push(await scopecloud(link, 'b', 'scopecloud', bytes, { dir: smallDir }));
    for (const t of peers) runs.push(await peer(link, 'b', t, smallDir, bytes, true));
    await rm(smallDir, { recursive: true, force: true });
  }
  if (only.has('c')) {
    const growDir = join(dir, 'c');
    await mkdir(growDir, { recursive: true });
    const size = sizes.growing;
    const direct = await scopecloud(link, 'c', 'scopecloud/close-seen', size, {
      growing: { path: join(growDir, 'live.tif'), size, rateBytesPerSecond: sizes.rate },
    });
    runs.push(direct);
    await rm(growDir, { recursive: true, force: true });
    for (const probe of [true, false]) {
      await mkdir(growDir, { recursive: true });
      const readyFile = join(work, `ready-${probe}`);
      const tool = probe ? 'scopecloud' : 'scopecloud/stable-only';
      const running = scopecloud(link, 'c', tool, size, { watched: { dir: growDir, size, probe, readyFile } });
      while (!existsSync(readyFile)) await new Promise((r) => setTimeout(r, 20));
      const closed = await writeAtRate(join(growDir, 'live.tif'), size, sizes.rate);
      const r = await running;
      if (r.verifiedAtEpochMs !== undefined) {
        r.closeToCompleteSeconds = (r.verifiedAtEpochMs - closed.closedAtEpochMs) / 1000;
        r.seconds = (closed.closedAt - closed.startedAt) / 1000 + r.closeToCompleteSeconds;
        r.mbps = size / r.seconds / 1e6;
      }
      delete r.verifiedAtEpochMs;
      runs.push(r);
      await rm(readyFile, { force: true });
      await rm(growDir, { recursive: true, force: true });
    }
    for (const t of peers) {
      // peers cannot upload a file that is still being written: they start at its close
      const closed = await writeAtRate(join(growDir, 'live.tif'), size, sizes.rate);
      const startGap = (performance.now() - closed.closedAt) / 1000;
      const r = await peer(link, 'c', t, join(growDir, 'live.tif'), size, false);
      r.closeToCompleteSeconds = startGap + r.seconds;
      r.seconds = (closed.closedAt - closed.startedAt) / 1000 + r.closeToCompleteSeconds;
      if (!r.error) r.mbps = size / r.seconds / 1e6;
      runs.push(r);
      await rm(growDir, { recursive: true, force: true });
    }
  }
}

// each tool's start-up cost: ScopeCloud's process with nothing to upload, the peers' `version`
const startupCpu = new Map<string, number>();
async function measureStartup(): Promise<void> {
  const empty = join(work, 'empty');
  await mkdir(empty, { recursive: true });
  const args = JSON.stringify({ ...s3('local'), bucket, stateDir: join(work, 'state-empty'), dir: empty });
  const sc = await measured(process.execPath, [entry, args], { timeoutS: 60, scratch: work });
  if (sc.code === 0) startupCpu.set('scopecloud', sc.cpuSeconds);
  for (const t of peers)
    startupCpu.set(t.name, (await measured(t.bin, t.name === 'aws' ? ['--version'] : ['version'], { timeoutS: 60, scratch: work })).cpuSeconds);
  await rm(empty, { recursive: true, force: true });
  await rm(join(work, 'state-empty'), { recursive: true, force: true });
}

const linkSizes = sizesAt(linkScale, Math.min(100e6, 0.8 * linkBytesPerS));
try {
  bucket = await gw.createBucket('bench');
  console.error(
    `CRC32C: ${crc32cImplementation}; scale ${scale} (shaped link: ${linkScale}); load average ${loadAtStart.map((l) => l.toFixed(2)).join(' ')}; ${cpus().length} CPUs`,
  );
  if (missing.length) console.error(`not installed: ${missing.join('; ')}`);
  await measureStartup();
  console.error(`start-up CPU s: ${[...startupCpu].map(([t, c]) => `${t} ${c.toFixed(2)}`).join(', ')}`);
  if (links.has('local')) await scenarios('local', sizesAt(scale, 100e6));
  if (links.has('shaped')) await scenarios('shaped', linkSizes);
} finally {
  await shaped.stop();
  await gw.stop();
  await rm(work, { recursive: true, force: true });
}

const header = `${'link'.padEnd(8)}${'sc'.padEnd(4)}${'tool'.padEnd(24)}${'MB/s'.padStart(8)}${'×peer'.padStart(7)}${'×ceil'.padStart(7)}${'close→done s'.padStart(14)}${'CPU s/GiB'.padStart(11)}${'w/o start'.padStart(11)}${'RSS MB'.padStart(8)}${'srv CPU s/GiB'.padStart(15)}${'conns'.padStart(7)}`;
const table = [header];
const fmt = (n: number | undefined, digits: number, width: number) => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(digits)).padStart(width);
for (const link of ['local', 'shaped'] as const) {
  for (const scenario of ['a', 'b', 'c']) {
    const rows = runs.filter((r) => r.link === link && r.scenario === scenario);
    if (rows.length === 0) continue;
    const peerRows = rows.filter((r) => peers.some((p) => p.name === r.tool) && !r.error);
    const fastest = Math.max(...peerRows.map((r) => r.mbps), 0);
    const cp = rows.find((r) => r.tool === 'cp (ceiling)' && !r.error);
    const ceilingMbps = link === 'shaped' ? linkBytesPerS / 1e6 : scenario === 'c' ? undefined : cp?.mbps;
    for (const r of rows) {
      if (!r.error && fastest > 0 && r.tool !== 'cp (ceiling)') r.ratioToFastestPeer = Number((r.mbps / fastest).toFixed(3));
      if (!r.error && ceilingMbps) r.fractionOfCeiling = Number((r.mbps / ceilingMbps).toFixed(3));
      const startup = startupCpu.get(r.tool.split('/')[0]);
      if (startup !== undefined && Number.isFinite(r.cpuSeconds))
        r.cpuSecondsPerGiBAfterStartup = Number(((r.cpuSeconds - startup) / (r.bytes / GiB)).toFixed(3));
      table.push(
        `${link.padEnd(8)}${scenario.padEnd(4)}${r.tool.padEnd(24)}${fmt(r.mbps, 1, 8)}${fmt(r.ratioToFastestPeer, 2, 7)}${fmt(r.fractionOfCeiling, 2, 7)}${fmt(r.closeToCompleteSeconds, 2, 14)}${fmt(r.cpuSecondsPerGiB, 2, 11)}${fmt(r.cpuSecondsPerGiBAfterStartup, 2, 11)}${fmt(r.peakRssMB, 0, 8)}${fmt(r.serverCpuSecondsPerGiB, 2, 15)}${fmt(r.connections, 0, 7)}${r.error ? `  ERROR ${r.error}` : ''}`,
      );
    }
  }
}
console.log(table.join('\n'));
console.log(
  "×peer: MB/s over the fastest peer's; ×ceil: local = over cp into the server's directory, shaped = over the link's 12.5 MB/s; c: MB/s over the whole write + close→done; w/o start: CPU s/GiB less the tool's start-up CPU.",
);
const git = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8' }).stdout.trim();
const result = {
  date: new Date().toISOString(),
  commit: git,
  scale,
  machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30), loadAverageAtStart: loadAtStart, loadAverageAtEnd: loadavg() },
  scenarios: {
    local: {
      a: `1 × ${sizesAt(scale, 0).big} bytes`,
      b: `${sizesAt(scale, 0).smallCount} × ${2 * MiB} bytes`,
      c: `${sizesAt(scale, 0).growing} bytes written at 100 MB/s`,
    },
    shaped: {
      link: `${LINK.mbps} Mb/s, ${LINK.rttMs} ms round trip, ${LINK.loss * 100}% segment loss (Reno-like congestion window per connection, see bench/shaped-link.ts)`,
      a: `1 × ${linkSizes.big} bytes`,
      b: `${linkSizes.smallCount} × ${2 * MiB} bytes`,
      c: `${linkSizes.growing} bytes written at ${linkSizes.rate / 1e6} MB/s`,
    },
  },
  scopecloud: `${uploadOverrides ? `upload settings ${JSON.stringify(uploadOverrides)} over the defaults` : 'default upload settings'} (engineOptionsFromSettings); watcher: default stableMs; CRC32C: ${crc32cImplementation}; run from ${fromSources ? 'the TypeScript sources (as the CLI)' : 'tsc-compiled JavaScript (as the packaged app)'}`,
  peers: peers.map((t) => ({
    tool: t.name,
    version: t.version,
    ...Object.fromEntries(
      (['local', 'shaped'] as const).map((link) => [
        link,
        { bigFile: peerFlags(t, false, link), manyFiles: peerFlags(t, true, link), ...(t.name === 'aws' ? { config: awsConfig(link) } : {}) },
      ]),
    ),
  })),
  peersMissing: missing,
  startupCpuSeconds: Object.fromEntries(startupCpu),
  notes:
    'versitygw runs with keep-alive (VGW_KEEP_ALIVE). Source files are in the page cache for every tool. CPU s/GiB and peak RSS: GNU time over the uploading process tree; server CPU: versitygw utime+stime during the run.',
  runs,
};
const subset = [links.size < 2 ? [...links].join('') : '', only.size < 3 ? [...only].join('') : '', uploadOverrides || peersArg ? 'experiment' : '']
  .filter(Boolean)
  .join('-');
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(
  join(root, 'bench', 'results', `${scale === 1 ? 'upload' : 'upload-quick'}${subset ? `-${subset}` : ''}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
