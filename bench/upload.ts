/**
 * `npm run bench:upload [-- --quick | --scale=0.25]`: the same data uploaded to a local versitygw by
 * ScopeCloud and by the peer tools installed (rclone, s5cmd, aws CLI):
 *   (a) one 4 GiB file, (b) 2,000 files of 2 MiB, (c) a 2 GiB file written at 100 MB/s while
 *   uploading — the figure is the time from the writer's close to the object being complete.
 * Prints MB/s (MB = 10^6 bytes), the ratio to the fastest peer and peak RSS (VmHWM of the uploading
 * process), and writes bench/results/upload.json. Data lives under .scopecloud-test/bench and is
 * removed afterwards. `--quick` scales sizes and counts to 1/16 for a smoke run.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdir, open, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, homedir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startVersitygw } from '../test/support/versitygw.ts';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const scaleArg = process.argv.find((a) => a.startsWith('--scale='));
const scale = process.argv.includes('--quick') ? 1 / 16 : scaleArg ? Number(scaleArg.slice(8)) : 1;
const MiB = 1024 * 1024;
// `--peer-timeout=S`: a tool that has not finished after S seconds is stopped and reported as timed out.
const peerTimeoutArg = process.argv.find((a) => a.startsWith('--peer-timeout='));
const peerTimeoutS = peerTimeoutArg ? Number(peerTimeoutArg.slice(15)) : Math.max(120, 600 * scale);
const sizes = {
  big: Math.round(4096 * MiB * scale),
  smallCount: Math.max(10, Math.round(2000 * scale)),
  small: 2 * MiB,
  growing: Math.round(2048 * MiB * scale),
  rate: 100e6,
};

interface Run {
  tool: string;
  scenario: string;
  seconds: number;
  bytes: number;
  mbps: number;
  peakRssMB: number;
  closeToCompleteSeconds?: number;
  error?: string;
}

function has(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return r.error === undefined && r.status === 0;
}

/** Runs a command, sampling VmHWM (peak RSS) of the process until it exits. */
function measured(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ code: number | null; out: string; seconds: number; peakRssMB: number }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let peak = 0;
    p.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr.on('data', (d: Buffer) => {
      out = (out + d.toString()).slice(-4000);
    });
    const sample = async () => {
      try {
        const status = await readFile(`/proc/${p.pid}/status`, 'utf8');
        const m = /VmHWM:\s+(\d+) kB/.exec(status);
        if (m) peak = Math.max(peak, Number(m[1]) / 1024);
      } catch {
        /* exited */
      }
    };
    const timer = setInterval(sample, 100);
    // a peer that stalls (rclone 1.60 was seen hanging on versitygw multipart) must not stall the bench
    const limit = setTimeout(() => {
      out += `\ntimed out after ${peerTimeoutS} s`;
      p.kill('SIGKILL');
    }, peerTimeoutS * 1000);
    p.once('exit', (code) => {
      clearInterval(timer);
      clearTimeout(limit);
      resolve({ code, out, seconds: (performance.now() - t0) / 1000, peakRssMB: Math.round(peak) });
    });
  });
}

async function writeData(path: string, size: number, seed: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(Math.min(size, 8 * MiB) || 1);
  for (let i = 0; i + 4 <= chunk.length; i += 4) chunk.writeUInt32LE(((i + seed) * 2654435761) >>> 0, i);
  for (let pos = 0; pos < size; pos += chunk.length) {
    chunk.writeUInt32LE(pos / 4 + seed, 0);
    await fh.write(chunk, 0, Math.min(chunk.length, size - pos), pos);
  }
  await fh.close();
}

/** Writes a file at `rate` bytes/s; resolves at close with the close time. */
async function writeAtRate(path: string, size: number, rate: number): Promise<number> {
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(8 * MiB, 7);
  const start = performance.now();
  for (let pos = 0; pos < size; pos += chunk.length) {
    await fh.write(chunk, 0, Math.min(chunk.length, size - pos), pos);
    const wait = start + ((pos + chunk.length) / rate) * 1000 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await fh.close();
  return performance.now();
}

const gw = await startVersitygw({ root: join(root, '.scopecloud-test') });
const work = join(root, '.scopecloud-test', `bench-${process.pid}`);
const runs: Run[] = [];
const peers: string[] = [];
if (has('rclone', ['version'])) peers.push('rclone');
// `go install` puts s5cmd in $GOBIN or ~/go/bin, which need not be on PATH
const s5cmdBin =
  [process.env.GOBIN ? join(process.env.GOBIN, 's5cmd') : '', 's5cmd', join(homedir(), 'go', 'bin', 's5cmd')].find((c) => c !== '' && has(c, ['version'])) ??
  's5cmd';
if (has(s5cmdBin, ['version'])) peers.push('s5cmd');
if (has('aws', ['--version'])) peers.push('aws');
// `--peers=aws,s5cmd` limits the peers (e.g. to leave out one that hangs on this store).
const peersArg = process.argv.find((a) => a.startsWith('--peers='));
if (peersArg) {
  const wanted = new Set(peersArg.slice(8).split(','));
  for (let i = peers.length - 1; i >= 0; i--) if (!wanted.has(peers[i])) peers.splice(i, 1);
}
const missing = ['rclone', 's5cmd', 'aws'].filter((p) => !peers.includes(p) && !peersArg);
// `--only=c` runs a subset of the scenarios (written to upload-<subset>.json, never over the full run).
const onlyArg = process.argv.find((a) => a.startsWith('--only='));
const only = new Set(onlyArg ? onlyArg.slice(7).split(',') : ['a', 'b', 'c']);
const node = process.execPath;
const awsEnv = {
  ...process.env,
  AWS_ACCESS_KEY_ID: gw.credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
  AWS_DEFAULT_REGION: gw.region,
  AWS_EC2_METADATA_DISABLED: 'true',
};
// rclone's AWS SDK refuses AWS_CA_BUNDLE together with its own HTTP transport ("unsupported transport")
const rcloneEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'AWS_CA_BUNDLE'));
const rcloneS3 = [
  `--s3-provider=Other`,
  `--s3-endpoint=${gw.endpoint}`,
  `--s3-access-key-id=${gw.credentials.accessKeyId}`,
  `--s3-secret-access-key=${gw.credentials.secretAccessKey}`,
  `--s3-region=${gw.region}`,
  '--s3-force-path-style=true',
  '--s3-env-auth=false',
];

function peerCommand(tool: string, src: string, bucket: string, isDir: boolean): [string, string[], NodeJS.ProcessEnv] {
  switch (tool) {
    case 'rclone':
      return [
        'rclone',
        [isDir ? 'copy' : 'copyto', src, `:s3:${bucket}/${isDir ? 'rclone' : 'rclone/file'}`, ...rcloneS3, '--transfers=16', '--checkers=16'],
        rcloneEnv,
      ];
    // with a custom endpoint s5cmd addresses buckets path style, as versitygw needs
    case 's5cmd':
      return [s5cmdBin, ['--endpoint-url', gw.endpoint, 'cp', isDir ? `${src}/*` : src, `s3://${bucket}/s5cmd/`], awsEnv];
    default:
      return [
        'aws',
        ['--endpoint-url', gw.endpoint, 's3', 'cp', src, `s3://${bucket}/aws/${isDir ? '' : 'file'}`, ...(isDir ? ['--recursive'] : []), '--only-show-errors'],
        awsEnv,
      ];
  }
}

async function clearBucket(bucket: string): Promise<void> {
  await rm(join(gw.root, bucket), { recursive: true, force: true });
  await mkdir(join(gw.root, bucket), { recursive: true });
}

async function scopecloud(scenario: string, bucket: string, extra: object): Promise<Run> {
  const stateDir = join(work, `state-${scenario}`);
  const r = await measured(node, [
    join(root, 'bench', 'upload-scopecloud.ts'),
    JSON.stringify({ endpoint: gw.endpoint, region: gw.region, credentials: gw.credentials, bucket, stateDir, ...extra }),
  ]);
  await rm(stateDir, { recursive: true, force: true });
  if (r.code !== 0)
    return { tool: 'scopecloud', scenario, seconds: r.seconds, bytes: 0, mbps: 0, peakRssMB: r.peakRssMB, error: r.out.trim().split('\n').pop() };
  const res = JSON.parse(r.out.trim().split('\n').pop()!) as { seconds: number; bytes: number; closeToCompleteSeconds?: number };
  return {
    tool: 'scopecloud',
    scenario,
    seconds: res.seconds,
    bytes: res.bytes,
    mbps: res.bytes / res.seconds / 1e6,
    peakRssMB: r.peakRssMB,
    closeToCompleteSeconds: res.closeToCompleteSeconds,
  };
}

async function peer(tool: string, scenario: string, src: string, bucket: string, bytes: number, isDir: boolean): Promise<Run> {
  const [cmd, argv, env] = peerCommand(tool, src, bucket, isDir);
  const r = await measured(cmd, argv, env);
  return {
    tool,
    scenario,
    seconds: r.seconds,
    bytes,
    mbps: r.code === 0 ? bytes / r.seconds / 1e6 : 0,
    peakRssMB: r.peakRssMB,
    error: r.code === 0 ? undefined : r.out.trim().split('\n').pop(),
  };
}

try {
  const bucket = await gw.createBucket('bench');
  console.error(`scale ${scale}; peers: ${peers.join(', ') || 'none'}${missing.length ? `; not installed: ${missing.join(', ')}` : ''}`);

  // (a) one big file
  if (only.has('a')) {
    const big = join(work, 'a', 'big.bin');
    await writeData(big, sizes.big, 1);
    runs.push(await scopecloud('a', bucket, { dir: dirname(big) }));
    await clearBucket(bucket);
    for (const t of peers) {
      runs.push(await peer(t, 'a', big, bucket, sizes.big, false));
      await clearBucket(bucket);
    }
    await rm(dirname(big), { recursive: true, force: true });
  }

  // (b) many small files
  if (only.has('b')) {
    const smallDir = join(work, 'b');
    for (let i = 0; i < sizes.smallCount; i++) await writeData(join(smallDir, `f${String(i).padStart(5, '0')}.bin`), sizes.small, i);
    const smallBytes = sizes.smallCount * sizes.small;
    runs.push(await scopecloud('b', bucket, { dir: smallDir }));
    await clearBucket(bucket);
    for (const t of peers) {
      runs.push(await peer(t, 'b', smallDir, bucket, smallBytes, true));
      await clearBucket(bucket);
    }
    await rm(smallDir, { recursive: true, force: true });
  }

  // (c) growing file written at 100 MB/s: close → complete
  if (only.has('c')) {
    const growDir = join(work, 'c');
    await mkdir(growDir, { recursive: true });
    runs.push(await scopecloud('c', bucket, { growing: { path: join(growDir, 'live.bin'), size: sizes.growing, rateBytesPerSecond: sizes.rate } }));
    await clearBucket(bucket);
    for (const t of peers) {
      // peers cannot upload a file that is still being written: they start at close
      const closed = await writeAtRate(join(growDir, 'live.bin'), sizes.growing, sizes.rate);
      const r = await peer(t, 'c', join(growDir, 'live.bin'), bucket, sizes.growing, false);
      r.closeToCompleteSeconds = (performance.now() - closed) / 1000;
      runs.push(r);
      await clearBucket(bucket);
    }
    await rm(growDir, { recursive: true, force: true });
  }
} finally {
  await gw.stop();
  await rm(work, { recursive: true, force: true });
}

const table: string[] = [];
table.push(
  `${'scenario'.padEnd(10)}${'tool'.padEnd(12)}${'MB/s'.padStart(9)}${'×fastest peer'.padStart(15)}${'close→done s'.padStart(14)}${'peak RSS MB'.padStart(13)}`,
);
for (const scenario of ['a', 'b', 'c'].filter((x) => only.has(x))) {
  const rows = runs.filter((r) => r.scenario === scenario);
  const peerRows = rows.filter((r) => r.tool !== 'scopecloud' && !r.error);
  const fastest = scenario === 'c' ? Math.min(...peerRows.map((r) => r.closeToCompleteSeconds ?? Infinity)) : Math.max(...peerRows.map((r) => r.mbps), 0);
  for (const r of rows) {
    const ratio = r.error
      ? NaN
      : scenario === 'c'
        ? Number.isFinite(fastest) && r.closeToCompleteSeconds
          ? fastest / r.closeToCompleteSeconds
          : NaN
        : fastest > 0
          ? r.mbps / fastest
          : NaN;
    (r as Run & { ratioToFastestPeer?: number }).ratioToFastestPeer = Number.isFinite(ratio) ? Number(ratio.toFixed(2)) : undefined;
    table.push(
      `${scenario.padEnd(10)}${r.tool.padEnd(12)}${r.mbps.toFixed(1).padStart(9)}${(Number.isFinite(ratio) ? ratio.toFixed(2) : '-').padStart(15)}${(r.closeToCompleteSeconds?.toFixed(2) ?? '-').padStart(14)}${String(r.peakRssMB).padStart(13)}${r.error ? `  ERROR ${r.error}` : ''}`,
    );
  }
}
console.log(table.join('\n'));
console.log("(c: ratio = fastest peer close→done time / this tool's; > 1 is faster)");
const result = {
  date: new Date().toISOString(),
  scale,
  machine: { cpus: cpus().length, memGiB: Math.round(totalmem() / 2 ** 30) },
  scenarios: { a: `1 × ${sizes.big} bytes`, b: `${sizes.smallCount} × ${sizes.small} bytes`, c: `${sizes.growing} bytes written at ${sizes.rate / 1e6} MB/s` },
  peersMissing: missing.map((m) => (m === 's5cmd' ? 's5cmd (go install github.com/peak/s5cmd/v2@latest failed: module proxy 403)' : m)),
  runs,
};
await mkdir(join(root, 'bench', 'results'), { recursive: true });
await writeFile(
  join(root, 'bench', 'results', `${scale === 1 ? 'upload' : 'upload-quick'}${onlyArg ? `-${[...only].join('')}` : ''}.json`),
  `${JSON.stringify(result, null, 2)}\n`,
);
