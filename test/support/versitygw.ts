/**
 * A real versitygw S3 gateway for integration tests (posix backend in a fresh directory).
 *
 * `startVersitygw()` spawns `versitygw --access K --secret S --port 127.0.0.1:<free> posix <dir>`
 * with a random key pair, resolves once the gateway answers, and returns a handle with the
 * `endpoint`, `credentials`, `region`, a `client()` factory (path style, SDK retries off), a
 * `createBucket()` helper and `stop()` (kills the process and removes the directory).
 *
 * The posix backend stores metadata (checksums, etags) in extended attributes. /tmp supports them
 * here; `VERSITYGW_ROOT` or `options.root` moves the data directory elsewhere (for example to
 * `/work/main/.scopecloud-test`, which is gitignored) on machines where it does not.
 * `{ iam: true }` runs versitygw's internal IAM (`--iam-dir`, a directory beside the data) so
 * `createUser(role)` can add accounts through `versitygw admin create-user`; a `user` account
 * gets AccessDenied on buckets the root account owns.
 * When the binary is missing, `startVersitygw()` throws `VersitygwUnavailableError`; test files
 * pass `versitygwMissing()` to `requires()` (requirements.ts) first.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client, type S3ClientConfig } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { freePort } from './moto.ts';
import type { Missing } from './requirements.ts';

export class VersitygwUnavailableError extends Error {
  readonly code = 'VERSITYGW_UNAVAILABLE';
  constructor(message: string) {
    super(message);
    this.name = 'VersitygwUnavailableError';
  }
}

export interface Versitygw {
  endpoint: string;
  port: number;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Directory holding one sub-directory per bucket. */
  root: string;
  /** An S3 client for this gateway (or for `endpoint` when given, e.g. a fault proxy in front). */
  client(overrides?: {
    endpoint?: string;
    credentials?: { accessKeyId: string; secretAccessKey: string };
    requestTimeoutMs?: number;
    extra?: Partial<S3ClientConfig>;
  }): S3Client;
  createBucket(name?: string): Promise<string>;
  /** Adds an IAM account (only when started with `iam: true`). */
  createUser(role?: 'user' | 'userplus' | 'admin'): Promise<{ accessKeyId: string; secretAccessKey: string }>;
  /** Gives a bucket to another IAM account (only when started with `iam: true`). */
  changeBucketOwner(bucket: string, ownerAccessKeyId: string): Promise<void>;
  stop(): Promise<void>;
}

export function versitygwBinary(): string {
  return process.env.VERSITYGW_BIN ?? join(homedir(), 'go', 'bin', 'versitygw');
}

/** Why versitygw tests cannot run, or false when the binary exists (`VERSITYGW_BIN` moves it). */
export function versitygwMissing(): Missing {
  return existsSync(versitygwBinary())
    ? false
    : `versitygw not found at ${versitygwBinary()} (go install github.com/versity/versitygw/cmd/versitygw@latest, or set VERSITYGW_BIN)`;
}

async function waitReady(endpoint: string, child: ChildProcess, stderr: () => string, deadlineMs: number): Promise<void> {
  const start = Date.now();
  let exited: number | null = null;
  child.once('exit', (code) => {
    exited = code ?? -1;
  });
  while (Date.now() - start < deadlineMs) {
    if (exited !== null)
      throw new VersitygwUnavailableError(`versitygw exited with code ${exited} before it was ready: ${stderr().trim().split('\n').pop() ?? ''}`);
    try {
      const res = await fetch(endpoint);
      await res.arrayBuffer();
      return; // any HTTP answer (403 for an unsigned request) means it is serving
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new VersitygwUnavailableError(`versitygw did not answer on ${endpoint} within ${deadlineMs} ms`);
}

let bucketCounter = 0;

export async function startVersitygw(options: { root?: string; region?: string; readyTimeoutMs?: number; iam?: boolean } = {}): Promise<Versitygw> {
  const reason = versitygwMissing();
  if (reason) throw new VersitygwUnavailableError(reason);
  const region = options.region ?? 'us-east-1';
  const parent = options.root ?? process.env.VERSITYGW_ROOT ?? tmpdir();
  await mkdir(parent, { recursive: true });
  const root = await mkdtemp(join(parent, 'scopecloud-vgw-'));
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: `AK${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(18).toString('base64url') };
  // beside the data directory: anything inside it would be listed as a bucket
  const iamDir = options.iam ? `${root}-iam` : undefined;
  if (iamDir) await mkdir(iamDir);
  const child = spawn(
    versitygwBinary(),
    [
      '--access',
      credentials.accessKeyId,
      '--secret',
      credentials.secretAccessKey,
      '--region',
      region,
      '--port',
      `127.0.0.1:${port}`,
      ...(iamDir ? ['--iam-dir', iamDir] : []),
      '--quiet',
      'posix',
      root,
    ],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  try {
    await waitReady(endpoint, child, () => stderr, options.readyTimeoutMs ?? 15_000);
  } catch (err) {
    child.kill('SIGKILL');
    await rm(root, { recursive: true, force: true });
    if (iamDir) await rm(iamDir, { recursive: true, force: true });
    throw err;
  }
  const clients: S3Client[] = [];
  const client: Versitygw['client'] = (o = {}) => {
    const c = new S3Client({
      region,
      endpoint: o.endpoint ?? endpoint,
      forcePathStyle: true,
      credentials: o.credentials ?? credentials,
      maxAttempts: 1,
      requestHandler: new NodeHttpHandler({ connectionTimeout: 2_000, requestTimeout: o.requestTimeoutMs ?? 10_000 }),
      ...o.extra,
    });
    clients.push(c);
    return c;
  };
  const admin = client();
  const adminCommand = (command: string[]) =>
    new Promise<void>((resolve, reject) => {
      if (!iamDir) throw new Error('IAM accounts need startVersitygw({ iam: true })');
      const args = [
        'admin',
        '--access',
        credentials.accessKeyId,
        '--secret',
        credentials.secretAccessKey,
        '--region',
        region,
        '--endpoint-url',
        endpoint,
        ...command,
      ];
      execFile(versitygwBinary(), args, { timeout: 15_000 }, (err, _out, stderr) =>
        err ? reject(new Error(`versitygw admin ${command[0]} failed: ${stderr.trim() || err.message}`)) : resolve(),
      );
    });
  return {
    endpoint,
    port,
    region,
    credentials,
    root,
    client,
    async createBucket(name) {
      const bucket = name ?? `test-${process.pid}-${++bucketCounter}-${randomBytes(3).toString('hex')}`;
      await admin.send(new CreateBucketCommand({ Bucket: bucket }));
      return bucket;
    },
    async createUser(role = 'user') {
      const user = { accessKeyId: `US${randomBytes(6).toString('hex').toUpperCase()}`, secretAccessKey: randomBytes(18).toString('base64url') };
      await adminCommand(['create-user', '--access', user.accessKeyId, '--secret', user.secretAccessKey, '--role', role]);
      return user;
    },
    async changeBucketOwner(bucket, ownerAccessKeyId) {
      await adminCommand(['change-bucket-owner', '--bucket', bucket, '--owner', ownerAccessKeyId]);
    },
    async stop() {
      for (const c of clients) c.destroy();
      if (child.exitCode === null) {
        const exited = new Promise<void>((r) => child.once('exit', () => r()));
        child.kill('SIGKILL');
        await exited;
      }
      await rm(root, { recursive: true, force: true });
      if (iamDir) await rm(iamDir, { recursive: true, force: true });
    },
  };
}
