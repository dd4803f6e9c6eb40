/**
 * A real moto server for integration tests (EC2, IAM, STS, SSM, Budgets, Cost Explorer, CloudWatch).
 *
 * `startMoto()` spawns `moto_server -H 127.0.0.1 -p <free port>`, resolves once the server answers,
 * and returns a handle: `endpoint`, `reset()` (POST /moto-api/reset: forgets every resource), static
 * `credentials`, `region`, and `stop()`. When moto_server is not installed, `startMoto()` throws a
 * `MotoUnavailableError`; test files pass `motoMissing()` to `requires()` (requirements.ts) first.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { after, before, beforeEach } from 'node:test';
import { DescribeImagesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { AL2023_PARAMETER } from '../../main/instances/launch-support.ts';
import type { Missing } from './requirements.ts';

export class MotoUnavailableError extends Error {
  readonly code = 'MOTO_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'MotoUnavailableError';
  }
}

export interface MotoServer {
  endpoint: string;
  port: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Forgets every resource in every service (POST /moto-api/reset). */
  reset(): Promise<void>;
  /** POSTs JSON to a moto-api path, e.g. `/moto-api/static/ce/cost-and-usage-results`. */
  post(path: string, body: unknown): Promise<void>;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

let installed: boolean | undefined;

function motoInstalled(): boolean {
  if (installed === undefined) {
    const probe = spawnSync('moto_server', ['--help'], { stdio: 'ignore' });
    installed = probe.error === undefined && probe.status === 0;
  }
  return installed;
}

/** Why moto tests cannot run, or false when moto_server is runnable. */
export function motoMissing(): Missing {
  return motoInstalled() ? false : 'moto_server not on PATH (pip install "moto[server]"; .ci/run installs it)';
}

async function waitReady(endpoint: string, child: ChildProcess, deadlineMs: number): Promise<void> {
  const start = Date.now();
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() - start < deadlineMs) {
    if (exited !== null) throw new MotoUnavailableError(`moto_server exited with code ${exited} before it was ready`);
    try {
      const res = await fetch(`${endpoint}/moto-api/data.json`);
      await res.arrayBuffer();
      if (res.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new MotoUnavailableError(`moto_server did not answer on ${endpoint} within ${deadlineMs} ms`);
}

/**
 * `extended`: start moto through test/support/moto_extended.py, which adds the Budgets actions,
 * UpdateBudget and Cost Explorer's cost allocation tag calls that moto 5.2 lacks (same wire
 * protocol, state on moto's backends). It runs on python3 from PATH
 * (`motoExtendedMissing()` checks it can import moto).
 */
export interface MotoOptions {
  region?: string;
  readyTimeoutMs?: number;
  extended?: boolean;
  /** Run moto_s3_lifecycle.py: S3 lifecycle rules keep an And filter's object size bounds (moto 5.2 drops them). */
  s3LifecycleSizes?: boolean;
}

let extendedRunnable: boolean | undefined;

/** Why the extended moto cannot run (python3 on PATH must import moto's server), or false. */
export function motoExtendedMissing(): Missing {
  extendedRunnable ??= spawnSync('python3', ['-c', 'import moto.server'], { stdio: 'ignore' }).status === 0;
  return extendedRunnable ? motoMissing() : 'python3 on PATH cannot import moto.server (pip install "moto[server]" for that python3)';
}

export async function startMoto(options: MotoOptions = {}): Promise<MotoServer> {
  if (!motoInstalled()) throw new MotoUnavailableError(motoMissing() || 'moto_server not installed');
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const address = ['-H', '127.0.0.1', '-p', String(port)];
  const script = options.extended ? './moto_extended.py' : options.s3LifecycleSizes ? './moto_s3_lifecycle.py' : null;
  const [command, args] = script ? ['python3', [fileURLToPath(new URL(script, import.meta.url)), ...address]] : ['moto_server', address];
  const child = spawn(command, args, {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, MOTO_ALLOW_NONEXISTENT_REGION: 'true' },
  });
  let stderrTail = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString()).slice(-4000);
  });
  try {
    await waitReady(endpoint, child, options.readyTimeoutMs ?? 30_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new MotoUnavailableError(`${(error as Error).message}; stderr: ${stderrTail.split('\n').slice(-3).join(' | ')}`);
  }

  const post = async (path: string, body: unknown): Promise<void> => {
    const res = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? '' : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`moto ${path} answered ${res.status}: ${text.slice(0, 200)}`);
  };

  return {
    endpoint,
    port,
    region: options.region ?? 'us-east-1',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    reset: () => post('/moto-api/reset', undefined),
    post,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}

/**
 * Suite hooks: one moto started before the suite, reset before each test (then `onReset`, e.g. to
 * seed data), stopped after. `bind` receives the server once it runs.
 */
export function useMoto(bind: (server: MotoServer) => void, onReset?: (server: MotoServer) => Promise<void>, options: MotoOptions = {}): void {
  let server: MotoServer | undefined;
  before(async () => {
    server = await startMoto(options);
    bind(server);
  });
  after(async () => {
    await server?.stop();
  });
  beforeEach(async () => {
    await server!.reset();
    await onReset?.(server!);
  });
}

/**
 * Makes the public Amazon Linux 2023 SSM parameter resolve on `m`: moto serves it in most
 * versions; when it does not, it is pointed at one of moto's AMIs.
 */
export async function seedAl2023(m: MotoServer): Promise<void> {
  const config = { region: m.region, endpoint: m.endpoint, credentials: m.credentials };
  const ssm = new SSMClient(config);
  try {
    const got = await ssm.send(new GetParameterCommand({ Name: AL2023_PARAMETER }));
    if (got.Parameter?.Value?.startsWith('ami-')) return;
  } catch {
    /* absent: seeded below */
  }
  const images = await new EC2Client(config).send(new DescribeImagesCommand({ Owners: ['amazon'] }));
  const ami = images.Images?.find((i) => i.ImageId)?.ImageId;
  if (!ami) throw new Error('moto lists no AMI to stand in for Amazon Linux 2023');
  await ssm.send(new PutParameterCommand({ Name: AL2023_PARAMETER, Value: ami, Type: 'String', Overwrite: true }));
}
