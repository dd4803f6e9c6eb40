/**
 * Instance simulator: plays the part of EC2's hardware for instances launched in moto.
 *
 * For every instance moto reports running (tagged by the app), it fetches the instance's user
 * data (DescribeInstanceAttribute), decodes it and runs it with `sh` in a sandbox folder, with:
 *   - the AWS CLI pointed at the local S3 (`AWS_ENDPOINT_URL`, static credentials standing in for
 *     the instance profile);
 *   - a tiny IMDSv2 server (token + instance-id + spot/instance-action) for that instance;
 *   - a fake `shutdown` first on PATH: `shutdown -h now` ends the "machine" (process group
 *     killed) and terminates the instance in moto; `shutdown -h +N` schedules the same after N
 *     simulated minutes (`minuteMs`), as the real timer would; `shutdown -c` cancels it.
 * When an instance is terminated in moto from outside (the app, or `interrupt()` standing in for a
 * spot reclaim) while its script runs, the script's processes are killed at once, as a vanished
 * machine would do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DescribeInstanceAttributeCommand, DescribeInstancesCommand, TerminateInstancesCommand, type EC2Client,
} from '@aws-sdk/client-ec2';

export interface SimulatorOptions {
  ec2: EC2Client;
  /** S3 endpoint the instances use (versitygw, or a fault proxy in front of it). */
  s3Endpoint: string;
  s3Credentials: { accessKeyId: string; secretAccessKey: string };
  region: string;
  /** Sandbox root; one folder per instance is made below it. */
  root: string;
  pollMs?: number;
  /** Length of one `shutdown -h +N` minute (default 60 s). */
  minuteMs?: number;
  /** Extra environment for the scripts. */
  env?: Record<string, string>;
}

export interface SimInstance {
  id: string;
  dir: string;
  /** Exit code of the user-data script; null while running or when killed. */
  exitCode: number | null;
  /** How the machine ended: its own shutdown, a scheduled (max runtime) shutdown, or terminated from outside. */
  ended: 'shutdown' | 'timer' | 'terminated' | null;
  output(): Promise<string>;
}

export interface InstanceSimulator {
  instances(): SimInstance[];
  /** Marks an instance as interrupted (IMDS spot notice) and terminates it in moto, like a spot reclaim. */
  interrupt(id: string): Promise<void>;
  /** Resolves once `n` instances were started and every started one has ended. */
  waitAllEnded(n: number, timeoutMs: number): Promise<void>;
  stop(): Promise<void>;
}

const FAKE_SHUTDOWN = `#!/bin/sh
# Simulator stand-in for shutdown(8): records the request; the simulator acts on it.
echo "$*" >> "$SIM_SHUTDOWN_FILE"
`;

interface Running extends SimInstance {
  child: ChildProcess;
  imds: Server;
  spotNotice: boolean;
  timer?: NodeJS.Timeout;
  watcher?: FSWatcher;
  done: Promise<void>;
}

export async function startInstanceSimulator(o: SimulatorOptions): Promise<InstanceSimulator> {
  const all = new Map<string, Running>();
  let stopped = false;
  const minuteMs = o.minuteMs ?? 60_000;

  const startImds = (r: { id: string; spotNotice: boolean }) => new Promise<Server>((resolve) => {
    const token = `tok-${r.id}`;
    const server = createServer((req, res) => {
      if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end(token);
      if (req.headers['x-aws-ec2-metadata-token'] !== token) return res.writeHead(401).end();
      if (req.url === '/latest/meta-data/instance-id') return res.end(r.id);
      if (req.url === '/latest/meta-data/spot/instance-action' && r.spotNotice) return res.end('{"action":"terminate"}');
      res.writeHead(404).end();
    });
    server.listen(0, '127.0.0.1', () => resolve(server));
  });

  const endMachine = async (r: Running, how: NonNullable<SimInstance['ended']>) => {
    if (r.ended) return;
    r.ended = how;
    clearTimeout(r.timer);
    r.watcher?.close();
    if (how !== 'terminated') {
      // The script gets a moment to exit by itself after asking for shutdown, as init would allow.
      await Promise.race([r.done, new Promise((res) => setTimeout(res, 2000))]);
    }
    try {
      process.kill(-r.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    r.imds.close();
    if (how !== 'terminated') {
      await o.ec2.send(new TerminateInstancesCommand({ InstanceIds: [r.id] })).catch(() => undefined);
    }
  };

  const onShutdownRequest = async (r: Running, file: string) => {
    let text = '';
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return;
    }
    const last = text.trim().split('\n').pop() ?? '';
    if (/(^|\s)-c(\s|$)/.test(last)) {
      clearTimeout(r.timer);
      return;
    }
    if (/(^|\s)now(\s|$)/.test(last)) {
      void endMachine(r, 'shutdown');
      return;
    }
    const plus = /\+(\d+)/.exec(last);
    if (plus) {
      clearTimeout(r.timer);
      r.timer = setTimeout(() => void endMachine(r, 'timer'), Number(plus[1]) * minuteMs);
    }
  };

  const boot = async (id: string) => {
    const dir = join(o.root, id);
    await mkdir(join(dir, 'bin'), { recursive: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    const attr = await o.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
    const script = Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8');
    await writeFile(join(dir, 'user-data.sh'), script);
    await writeFile(join(dir, 'bin', 'shutdown'), FAKE_SHUTDOWN);
    await chmod(join(dir, 'bin', 'shutdown'), 0o755);
    const shutdownFile = join(dir, 'shutdown-requests');
    await writeFile(shutdownFile, '');
    const state = { id, spotNotice: false };
    const imds = await startImds(state);
    const child = spawn('sh', [join(dir, 'user-data.sh')], {
      cwd: dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${join(dir, 'bin')}:${process.env.PATH}`,
        HOME: dir,
        TMPDIR: join(dir, 'tmp'),
        SIM_SHUTDOWN_FILE: shutdownFile,
        AWS_ENDPOINT_URL: o.s3Endpoint,
        AWS_ACCESS_KEY_ID: o.s3Credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: o.s3Credentials.secretAccessKey,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(imds.address() as AddressInfo).port}/`,
        AWS_RETRY_MODE: 'standard',
        AWS_MAX_ATTEMPTS: '2',
        AWS_CONFIG_FILE: join(dir, 'aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(dir, 'aws-credentials'),
        ...o.env,
      },
    });
    let out = '';
    child.stdout?.on('data', (d: Buffer) => { out += d.toString(); });
    child.stderr?.on('data', (d: Buffer) => { out += d.toString(); });
    const r: Running = {
      id, dir, exitCode: null, ended: null, child, imds, spotNotice: false,
      done: new Promise((res) => child.once('exit', () => res())),
      output: async () => out,
    };
    Object.defineProperty(r, 'spotNotice', { get: () => state.spotNotice, set: (v: boolean) => { state.spotNotice = v; } });
    child.once('exit', (code) => { r.exitCode = code; });
    r.watcher = watch(shutdownFile, () => void onShutdownRequest(r, shutdownFile));
    all.set(id, r);
  };

  const poll = async () => {
    const res = await o.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:scopecloud:app', Values: ['scopecloud'] }] }));
    for (const inst of (res.Reservations ?? []).flatMap((x) => x.Instances ?? [])) {
      const id = inst.InstanceId!;
      const state = inst.State?.Name;
      const known = all.get(id);
      if (!known && state === 'running') {
        all.set(id, { id } as Running); // claim before the async boot, so one poll never boots twice
        await boot(id).catch((e) => { all.delete(id); throw e; });
      } else if (known?.child && !known.ended && (state === 'terminated' || state === 'shutting-down' || state === 'stopped')) {
        await endMachine(known, 'terminated');
      }
    }
  };

  let polling = Promise.resolve();
  const loop = setInterval(() => {
    polling = polling.then(poll).catch(() => undefined);
  }, o.pollMs ?? 300);

  const started = () => [...all.values()].filter((r) => r.child);
  return {
    instances: () => started(),
    async interrupt(id) {
      const r = all.get(id);
      if (r?.child) r.spotNotice = true;
      await o.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    },
    async waitAllEnded(n, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end) {
        const list = started();
        if (list.length >= n && list.every((r) => r.ended && r.exitCode !== undefined)) {
          await Promise.all(list.map((r) => Promise.race([r.done, new Promise((res) => setTimeout(res, 3000))])));
          return;
        }
        await new Promise((res) => setTimeout(res, 200));
      }
      throw new Error(`simulator: expected ${n} instances to start and end within ${timeoutMs} ms; have ${started().map((r) => `${r.id}:${r.ended ?? 'running'}`).join(', ')}`);
    },
    async stop() {
      stopped = true;
      clearInterval(loop);
      await polling;
      for (const r of started()) if (!r.ended) await endMachine(r, 'terminated');
      void stopped;
    },
  };
}
