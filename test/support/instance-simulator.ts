/**
 * Instance simulator: plays the part of EC2's hardware for instances launched in moto.
 *
 * For every instance moto reports running (tagged by the app), it boots a "machine": it runs the
 * cloud-init per-boot scripts the user data installed (`SCOPECLOUD_PER_BOOT_DIR`, a folder in the
 * instance's sandbox standing in for /var/lib/cloud/scripts/per-boot) and, at the first boot only,
 * the instance's user data (DescribeInstanceAttribute, decoded), with `sh` in a sandbox folder and:
 *   - the AWS CLI pointed at the local S3 (`AWS_ENDPOINT_URL`, static credentials standing in for
 *     the instance profile);
 *   - a tiny IMDSv2 server (token + instance-id + spot/instance-action) for that instance;
 *   - a fake `shutdown` first on PATH: `shutdown -h now` ends the machine (process group killed)
 *     and applies the instance's shutdown behaviour in moto (stop or terminate); `shutdown -h +N`
 *     schedules the same after N simulated minutes (`minuteMs`), as the real timer would;
 *     `shutdown -c` cancels it. A schedule lives for one boot only, like the real one in /run.
 * A stopped instance that is started again in moto boots again (per-boot scripts only), and
 * `reboot()` reboots one (RebootInstances, then a new boot). When an instance is stopped or
 * terminated in moto from outside (the app, or `interrupt()` standing in for a spot reclaim) while
 * it runs, its processes are killed at once, as a vanished machine would do.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  DescribeInstanceAttributeCommand,
  DescribeInstancesCommand,
  RebootInstancesCommand,
  StopInstancesCommand,
  TerminateInstancesCommand,
  type EC2Client,
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

/**
 * How a boot ended: the machine's own shutdown, its scheduled (deadline) shutdown, terminated or
 * stopped from outside, or a reboot.
 */
export type BootEnd = 'shutdown' | 'timer' | 'terminated' | 'stopped' | 'rebooted';

export interface SimBoot {
  /** 1 for the first boot. */
  n: number;
  startedAt: number;
  endedAt: number | null;
  ended: BootEnd | null;
  /** Exit code of what this boot ran (per-boot scripts, then at the first boot the user data); null while running or when killed. */
  exitCode: number | null;
  /** `shutdown` invocations during this boot, one per line. */
  shutdownRequests(): Promise<string[]>;
}

export interface SimInstance {
  id: string;
  dir: string;
  boots: SimBoot[];
  /** The latest boot's exit code. */
  exitCode: number | null;
  /** How the latest boot ended. */
  ended: BootEnd | null;
  output(): Promise<string>;
}

export interface InstanceSimulator {
  instances(): SimInstance[];
  /** Marks an instance as interrupted (IMDS spot notice) and terminates it in moto, like a spot reclaim. */
  interrupt(id: string): Promise<void>;
  /** RebootInstances in moto, and the machine boots again (per-boot scripts only). */
  reboot(id: string): Promise<void>;
  /** Resolves once `n` instances were started and every started one's latest boot has ended. */
  waitAllEnded(n: number, timeoutMs: number): Promise<void>;
  /** Resolves with the instance once it has booted `boots` times and that boot has ended. */
  waitBootEnded(id: string, boots: number, timeoutMs: number): Promise<SimInstance>;
  stop(): Promise<void>;
}

const FAKE_SHUTDOWN = `#!/bin/sh
# Simulator stand-in for shutdown(8): records the request; the simulator acts on it.
echo "$*" >> "$SIM_SHUTDOWN_FILE"
`;

// cloud-init order: per-boot scripts every boot, then (first boot only) the user data.
const BOOT = `for f in "$SCOPECLOUD_PER_BOOT_DIR"/*; do [ -x "$f" ] && "$f"; done
[ -n "$SIM_FIRST_BOOT" ] && exec sh "$SIM_USER_DATA"
exit 0
`;

interface Boot extends SimBoot {
  child: ChildProcess;
  requestsFile: string;
  timer?: NodeJS.Timeout;
  watcher?: FSWatcher;
  done: Promise<void>;
  /** The end is fully applied: the boot's processes killed and its shutdown behaviour sent to moto. */
  settled?: boolean;
}

interface Machine {
  id: string;
  dir: string;
  boots: Boot[];
  imds: Server;
  spotNotice: boolean;
  behaviour: 'stop' | 'terminate';
  /** Stopped in moto: a later 'running' means it was started again. */
  off: boolean;
  /** Terminated: never boots again. */
  gone: boolean;
  out: string;
}

export async function startInstanceSimulator(o: SimulatorOptions): Promise<InstanceSimulator> {
  const all = new Map<string, Machine | 'booting'>();
  const minuteMs = o.minuteMs ?? 60_000;
  // Every change of a machine's state runs here, one at a time, so a poll never acts on a state
  // another step has just changed.
  let chain: Promise<unknown> = Promise.resolve();
  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const next = chain.then(fn);
    chain = next.catch(() => undefined);
    return next;
  };

  const startImds = (m: { id: string; spotNotice: boolean }) =>
    new Promise<Server>((resolve) => {
      const token = `tok-${m.id}`;
      const server = createServer((req, res) => {
        if (req.method === 'PUT' && req.url === '/latest/api/token') return res.end(token);
        if (req.headers['x-aws-ec2-metadata-token'] !== token) return res.writeHead(401).end();
        if (req.url === '/latest/meta-data/instance-id') return res.end(m.id);
        if (req.url === '/latest/meta-data/spot/instance-action' && m.spotNotice) return res.end('{"action":"terminate"}');
        res.writeHead(404).end();
      });
      server.listen(0, '127.0.0.1', () => resolve(server));
    });

  const current = (m: Machine): Boot | undefined => m.boots.at(-1);

  /** Ends the running boot; for the machine's own shutdowns, applies its shutdown behaviour in moto. */
  const endBoot = async (m: Machine, how: BootEnd) => {
    const b = current(m);
    if (!b || b.ended) return;
    b.ended = how;
    b.endedAt = Date.now();
    clearTimeout(b.timer);
    b.watcher?.close();
    if (how === 'shutdown' || how === 'timer') {
      // The script gets a moment to exit by itself after asking for shutdown, as init would allow.
      await Promise.race([b.done, new Promise((res) => setTimeout(res, 2000))]);
    }
    try {
      process.kill(-b.child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
    if (how === 'shutdown' || how === 'timer') {
      if (m.behaviour === 'stop') {
        await o.ec2.send(new StopInstancesCommand({ InstanceIds: [m.id] })).catch(() => undefined);
        m.off = true;
      } else {
        await o.ec2.send(new TerminateInstancesCommand({ InstanceIds: [m.id] })).catch(() => undefined);
        m.gone = true;
      }
    }
    if (how === 'stopped') m.off = true;
    if (how === 'terminated') m.gone = true;
    if (m.gone) m.imds.close();
    b.settled = true;
  };

  const onShutdownRequest = async (m: Machine, b: Boot) => {
    if (b.ended) return;
    const text = await readFile(b.requestsFile, 'utf8').catch(() => '');
    const last = text.trim().split('\n').pop() ?? '';
    if (/(^|\s)-c(\s|$)/.test(last)) {
      clearTimeout(b.timer);
      return;
    }
    if (/(^|\s)now(\s|$)/.test(last)) {
      await endBoot(m, 'shutdown');
      return;
    }
    const plus = /\+(\d+)/.exec(last);
    if (plus) {
      clearTimeout(b.timer);
      b.timer = setTimeout(() => void serial(() => (current(m) === b ? endBoot(m, 'timer') : Promise.resolve())), Number(plus[1]) * minuteMs);
    }
  };

  const bootOnce = async (m: Machine) => {
    const n = m.boots.length + 1;
    const requestsFile = join(m.dir, `boot-${n}-shutdown-requests`);
    await writeFile(requestsFile, '');
    m.out += `--- boot ${n} ---\n`;
    // Watching starts before the boot runs, so no request is missed.
    let b: Boot | undefined;
    const watcher = watch(requestsFile, () => {
      if (b) void serial(() => onShutdownRequest(m, b!));
    });
    const child = spawn('sh', ['-c', BOOT], {
      cwd: m.dir,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        ...process.env,
        PATH: `${join(m.dir, 'bin')}:${process.env.PATH}`,
        HOME: m.dir,
        TMPDIR: join(m.dir, 'tmp'),
        SIM_SHUTDOWN_FILE: requestsFile,
        SIM_USER_DATA: join(m.dir, 'user-data.sh'),
        SIM_FIRST_BOOT: n === 1 ? '1' : '',
        SCOPECLOUD_PER_BOOT_DIR: join(m.dir, 'per-boot'),
        AWS_ENDPOINT_URL: o.s3Endpoint,
        AWS_ACCESS_KEY_ID: o.s3Credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: o.s3Credentials.secretAccessKey,
        AWS_EC2_METADATA_SERVICE_ENDPOINT: `http://127.0.0.1:${(m.imds.address() as AddressInfo).port}/`,
        AWS_RETRY_MODE: 'standard',
        AWS_MAX_ATTEMPTS: '2',
        AWS_CONFIG_FILE: join(m.dir, 'aws-config'),
        AWS_SHARED_CREDENTIALS_FILE: join(m.dir, 'aws-credentials'),
        ...o.env,
      },
    });
    child.stdout?.on('data', (d: Buffer) => {
      m.out += d.toString();
    });
    child.stderr?.on('data', (d: Buffer) => {
      m.out += d.toString();
    });
    b = {
      n,
      startedAt: Date.now(),
      endedAt: null,
      ended: null,
      exitCode: null,
      child,
      requestsFile,
      done: new Promise((res) => child.once('exit', () => res())),
      shutdownRequests: async () => (await readFile(requestsFile, 'utf8')).split('\n').filter(Boolean),
    };
    const boot = b;
    child.once('exit', (code) => {
      boot.exitCode = code;
    });
    boot.watcher = watcher;
    m.boots.push(boot);
    m.off = false;
  };

  const create = async (id: string): Promise<Machine> => {
    const dir = join(o.root, id);
    await mkdir(join(dir, 'bin'), { recursive: true });
    await mkdir(join(dir, 'tmp'), { recursive: true });
    const attr = await o.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'userData' }));
    await writeFile(join(dir, 'user-data.sh'), Buffer.from(attr.UserData?.Value ?? '', 'base64').toString('utf8'));
    await writeFile(join(dir, 'bin', 'shutdown'), FAKE_SHUTDOWN);
    await chmod(join(dir, 'bin', 'shutdown'), 0o755);
    const sb = await o.ec2.send(new DescribeInstanceAttributeCommand({ InstanceId: id, Attribute: 'instanceInitiatedShutdownBehavior' }));
    const state = { id, spotNotice: false };
    const m: Machine = {
      id,
      dir,
      boots: [],
      imds: await startImds(state),
      spotNotice: false,
      behaviour: sb.InstanceInitiatedShutdownBehavior?.Value === 'stop' ? 'stop' : 'terminate',
      off: false,
      gone: false,
      out: '',
    };
    Object.defineProperty(m, 'spotNotice', {
      get: () => state.spotNotice,
      set: (v: boolean) => {
        state.spotNotice = v;
      },
    });
    return m;
  };

  const poll = async () => {
    const res = await o.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag:scopecloud:app', Values: ['scopecloud'] }] }));
    for (const inst of (res.Reservations ?? []).flatMap((x) => x.Instances ?? [])) {
      const id = inst.InstanceId!;
      const state = inst.State?.Name;
      const known = all.get(id);
      if (known === 'booting') continue;
      if (!known) {
        if (state !== 'running') continue;
        all.set(id, 'booting');
        try {
          const m = await create(id);
          await bootOnce(m);
          all.set(id, m);
        } catch (e) {
          all.delete(id);
          throw e;
        }
        continue;
      }
      const b = current(known);
      if (state === 'running' && known.off && !known.gone) await bootOnce(known);
      else if (b && !b.ended && (state === 'terminated' || state === 'shutting-down')) await endBoot(known, 'terminated');
      else if (b && !b.ended && (state === 'stopped' || state === 'stopping')) await endBoot(known, 'stopped');
      else if (state === 'terminated') known.gone = true;
      else if (state === 'stopped') known.off = true;
    }
  };

  // At most one poll waits in the chain, however slow moto answers.
  let pollQueued = false;
  const loop = setInterval(() => {
    if (pollQueued) return;
    pollQueued = true;
    void serial(() => {
      pollQueued = false;
      return poll();
    }).catch(() => undefined);
  }, o.pollMs ?? 300);

  const machines = () => [...all.values()].filter((m): m is Machine => m !== 'booting' && m.boots.length > 0);
  const view = (m: Machine): SimInstance => ({
    id: m.id,
    dir: m.dir,
    boots: m.boots,
    exitCode: current(m)?.exitCode ?? null,
    ended: current(m)?.ended ?? null,
    output: async () => m.out,
  });
  const until = async (ok: () => boolean, timeoutMs: number, what: () => string) => {
    const end = Date.now() + timeoutMs;
    while (Date.now() < end) {
      if (ok()) return;
      await new Promise((res) => setTimeout(res, 100));
    }
    throw new Error(`simulator: ${what()}`);
  };
  const describeAll = () =>
    machines()
      .map((m) => `${m.id}:${m.boots.map((b) => b.ended ?? 'running').join('>')}`)
      .join(', ');

  return {
    instances: () => machines().map(view),
    async interrupt(id) {
      const m = all.get(id);
      if (m && m !== 'booting') m.spotNotice = true;
      await o.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
    },
    reboot: (id) =>
      serial(async () => {
        const m = all.get(id);
        if (!m || m === 'booting' || m.gone || m.off) throw new Error(`simulator: ${id} is not running`);
        await o.ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
        await endBoot(m, 'rebooted');
        await bootOnce(m);
      }),
    async waitAllEnded(n, timeoutMs) {
      await until(
        () => machines().length >= n && machines().every((m) => current(m)!.ended && current(m)!.settled),
        timeoutMs,
        () => `expected ${n} instances to start and end within ${timeoutMs} ms; have ${describeAll()}`,
      );
      await Promise.all(machines().map((m) => Promise.race([current(m)!.done, new Promise((res) => setTimeout(res, 3000))])));
    },
    async waitBootEnded(id, boots, timeoutMs) {
      const m = () => {
        const x = all.get(id);
        return x && x !== 'booting' ? x : undefined;
      };
      await until(
        () => {
          const x = m();
          // ended, and what ending means done (a deadline's terminate is in moto when this resolves)
          return !!x && x.boots.length >= boots && !!x.boots[boots - 1].ended && !!x.boots[boots - 1].settled;
        },
        timeoutMs,
        () => `expected boot ${boots} of ${id} to end within ${timeoutMs} ms; have ${describeAll() || 'no instance'}`,
      );
      return view(m()!);
    },
    async stop() {
      clearInterval(loop);
      await serial(async () => {
        for (const m of machines()) {
          if (!current(m)!.ended) await endBoot(m, 'terminated');
          if (!m.gone) m.imds.close();
        }
      });
    },
  };
}
