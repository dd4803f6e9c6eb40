/**
 * Runs one shard of a job on this workstation: the worker as a child process, through the same
 * states, status/heartbeat/log objects and results layout as an EC2 instance would write.
 *
 * Contract: `runLocalShard` resolves once the shard's status is terminal (done, failed or
 * cancelled) and never rejects for worker or job problems (those become the shard's failure);
 * the worker is always ended before it resolves. Cancellation comes from `signal` or from the
 * job's `cancel` object (checked every heartbeat), so `jobs cancel` works from another process.
 */
import { spawn as nodeSpawn, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { hostname as osHostname } from 'node:os';
import type { FailureCode, JobManifest, JobState, ShardSpec, ShardStatusDoc, WorkerProgress } from './job-types.ts';
import { jobKeys, shardResultsKey } from './job-layout.ts';
import { putJson, type ObjectStore } from './object-store.ts';
import { lineSplitter, parseProgressLine } from './worker-progress.ts';
import { WORKER_INPUT_ERROR, analyzeArgs, workerFailureText } from './worker-command.ts';
import { uploadResults } from './results-upload.ts';
import { backgroundTimers, systemClock, systemTimers, type Timers } from '../common/time.ts';

export type SpawnWorker = (file: string, args: string[]) => ChildProcess;

export interface LocalShardOptions {
  store: ObjectStore;
  manifest: JobManifest;
  shard: ShardSpec;
  workerPath: string;
  /** Scratch folder for this shard (inputs fetched from the store, worker output). Removed at the end unless keepWorkDir. */
  workDir: string;
  now?: () => number;
  /** Runtime limit, heartbeats and the exit grace (default: system timers). */
  timers?: Timers;
  hostname?: string;
  /** This process's pid, recorded as the shard's runner (default: process.pid). */
  runnerPid?: number;
  spawnWorker?: SpawnWorker;
  signal?: AbortSignal;
  /** Called after every status write (for live UI/CLI updates). */
  onStatus?: (status: ShardStatusDoc) => void;
  /** Grace between SIGTERM and SIGKILL. */
  killGraceMs?: number;
  keepWorkDir?: boolean;
}

const LOG_TAIL_BYTES = 256 * 1024;

export async function runLocalShard(o: LocalShardOptions): Promise<ShardStatusDoc> {
  const now = o.now ?? systemClock.now;
  const host = o.hostname ?? osHostname();
  const keys = jobKeys(o.manifest.id).shard(o.shard.index);
  // Own process group, so a stop reaches everything the worker started.
  const spawnWorker: SpawnWorker = o.spawnWorker ?? ((file, args) => nodeSpawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true }));
  const attempt = 1;
  let status: ShardStatusDoc = { state: 'queued', attempt, host, runnerPid: o.runnerPid ?? process.pid, updatedAt: now() };
  let writing: Promise<void> = Promise.resolve();
  const write = (patch: Partial<ShardStatusDoc>): Promise<void> => {
    status = { ...status, ...patch, updatedAt: now() };
    const snapshot = status;
    writing = writing.then(() => putJson(o.store, keys.status, snapshot)).catch(() => undefined);
    o.onStatus?.(snapshot);
    return writing;
  };
  const fail = async (code: FailureCode, message: string, extra: Partial<ShardStatusDoc> = {}) => {
    await write({ state: code === 'cancelled' ? 'cancelled' : 'failed', failure: { code, message }, ...extra });
    return status;
  };

  await mkdir(o.workDir, { recursive: true });
  const logPath = join(o.workDir, 'log.txt');
  const log = createWriteStream(logPath, { flags: 'a' });
  const logLine = (line: string) => log.write(`${new Date(now()).toISOString()} ${line}\n`);
  const uploadLog = async () => {
    try {
      const text = await readFile(logPath);
      await o.store.put(keys.log, text.length > LOG_TAIL_BYTES ? text.subarray(text.length - LOG_TAIL_BYTES) : text, 'text/plain');
    } catch {
      // the log is best effort; the status carries the failure
    }
  };

  try {
    if (o.signal?.aborted || (await o.store.get(jobKeys(o.manifest.id).cancel))) return await fail('cancelled', 'cancelled before start');
    await write({ state: 'booting' });
    logLine(`local shard ${o.shard.index} (${o.shard.label}) on ${host}`);

    let inputs: string[];
    if (o.shard.input.kind === 'local') {
      inputs = o.shard.input.paths;
    } else {
      await write({ state: 'downloading' });
      const inDir = join(o.workDir, 'in');
      inputs = [];
      for (const key of o.shard.input.keys) {
        const dest = join(inDir, key.split('/').pop()!);
        if (!(await o.store.getToFile(key, dest))) {
          logLine(`input ${key} not found`);
          await uploadLog();
          return await fail('download-failed', `input ${key} not found in ${o.store.location}`);
        }
        inputs.push(dest);
      }
      inputs = [inDir];
    }
    if (inputs.length === 0) return await fail('no-input', 'the shard has no input files');

    const outDir = join(o.workDir, 'out');
    await rm(outDir, { recursive: true, force: true });
    await mkdir(outDir, { recursive: true });
    const args = analyzeArgs(inputs, outDir, o.manifest.params, o.shard.args);
    logLine(`$ ${o.workerPath} ${args.join(' ')}`);

    const result = await runWorker(o, spawnWorker, args, {
      now,
      log: (chunk) => log.write(chunk),
      onStart: (pid) => write({ state: 'running', pid }),
      onProgress: (p) => write({ state: 'running', progress: p }),
      heartbeat: async () => {
        await putJson(o.store, keys.heartbeat, { at: now(), host, pid: status.pid, attempt });
        await uploadLog();
        return Boolean(await o.store.get(jobKeys(o.manifest.id).cancel));
      },
    });
    logLine(`worker ended: ${result.kind}${result.exitCode !== undefined ? ` exit ${result.exitCode}` : ''}${result.signal ? ` signal ${result.signal}` : ''}`);

    if (result.kind === 'cancelled') {
      await uploadLog();
      return await fail('cancelled', 'cancelled while the worker ran', { exitCode: result.exitCode });
    }
    if (result.kind === 'timeout') {
      await uploadLog();
      return await fail('max-runtime', `the worker exceeded the maximum runtime of ${o.manifest.maxRuntimeSeconds} s and was stopped`);
    }
    if (result.kind === 'spawn-error') {
      await uploadLog();
      return await fail('worker-crashed', `could not start the worker: ${result.message}`);
    }
    if (result.exitCode === WORKER_INPUT_ERROR && !result.signal) {
      await uploadLog();
      return await fail('input-error', result.lastError ? workerFailureText(result.lastError) : 'the worker cannot read the input', {
        exitCode: result.exitCode,
      });
    }
    if (result.exitCode !== 0) {
      await uploadLog();
      const why = result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`;
      return await fail('worker-crashed', `the worker failed (${why})${result.lastError ? `: ${result.lastError}` : ''}`, { exitCode: result.exitCode });
    }

    await write({ state: 'uploading', exitCode: 0 });
    try {
      const n = await uploadResults(o.store, outDir, shardResultsKey(o.manifest.id, o.shard.index, o.manifest.shards.length));
      logLine(`stored ${n} result files in ${o.store.location}`);
    } catch (e) {
      logLine(`storing results failed: ${(e as Error).message}`);
      await uploadLog();
      return await fail('upload-failed', `storing results failed: ${(e as Error).message}`);
    }
    await uploadLog();
    await write({ state: 'done', progress: status.progress });
    return status;
  } finally {
    await new Promise<void>((r) => log.end(r));
    await writing;
    if (!o.keepWorkDir && (status.state as JobState) === 'done') await rm(o.workDir, { recursive: true, force: true });
  }
}

type WorkerOutcome =
  | { kind: 'exited'; exitCode: number | undefined; signal?: string; lastError?: string }
  | { kind: 'cancelled'; exitCode?: number; signal?: string }
  | { kind: 'timeout'; exitCode?: number; signal?: string }
  | { kind: 'spawn-error'; message: string; exitCode?: undefined; signal?: undefined };

interface RunHooks {
  now: () => number;
  log: (chunk: Buffer | string) => void;
  onStart: (pid: number) => void;
  onProgress: (p: WorkerProgress) => void;
  /** Writes a heartbeat; resolves true when a cancel was requested through the store. */
  heartbeat: () => Promise<boolean>;
}

function runWorker(o: LocalShardOptions, spawnWorker: SpawnWorker, args: string[], h: RunHooks): Promise<WorkerOutcome> {
  const timers = o.timers ?? systemTimers;
  return new Promise((resolve) => {
    let child: ChildProcess;
    try {
      child = spawnWorker(o.workerPath, args);
    } catch (e) {
      resolve({ kind: 'spawn-error', message: (e as Error).message });
      return;
    }
    let ending: 'cancelled' | 'timeout' | null = null;
    let lastError = '';
    let lastProgressAt = 0;
    let pending: WorkerProgress | null = null;
    const progressEveryMs = Math.min(1000, o.manifest.heartbeatSeconds * 1000);
    const flushProgress = () => {
      if (pending) h.onProgress(pending);
      pending = null;
      lastProgressAt = h.now();
    };
    let lastStep = '';
    const stdout = lineSplitter((line) => {
      const p = parseProgressLine(line);
      if (!p) return;
      pending = p;
      if (p.step !== lastStep || h.now() - lastProgressAt >= progressEveryMs || p.done >= p.total) {
        lastStep = p.step;
        flushProgress();
      }
    });
    const stderr = lineSplitter((line) => {
      if (line.trim()) lastError = line.trim().slice(0, 500);
    });
    child.stdout?.on('data', (d: Buffer) => stdout.push(d));
    child.stderr?.on('data', (d: Buffer) => {
      h.log(d);
      stderr.push(d);
    });
    const signalAll = (sig: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, sig);
      } catch {
        child.kill(sig);
      }
    };
    const stop = (why: 'cancelled' | 'timeout') => {
      if (ending || child.exitCode !== null) return;
      ending = why;
      signalAll('SIGTERM');
      backgroundTimers.setTimeout(() => {
        if (child.exitCode === null && child.signalCode === null) signalAll('SIGKILL');
      }, o.killGraceMs ?? 3000);
    };
    const onAbort = () => stop('cancelled');
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = timers.setTimeout(() => stop('timeout'), o.manifest.maxRuntimeSeconds * 1000);
    let beating = false;
    const beat = timers.setInterval(() => {
      if (beating) return;
      beating = true;
      h.heartbeat()
        .then((cancel) => {
          if (cancel) stop('cancelled');
        })
        .catch(() => undefined)
        .finally(() => {
          beating = false;
        });
    }, o.manifest.heartbeatSeconds * 1000);
    let spawned = false;
    child.once('spawn', () => {
      spawned = true;
      h.onStart(child.pid!);
      void h.heartbeat().catch(() => undefined);
    });
    const finish = (outcome: WorkerOutcome) => {
      timers.clearTimeout(timeout);
      timers.clearInterval(beat);
      o.signal?.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    child.once('error', (e) => {
      if (!spawned) finish({ kind: 'spawn-error', message: e.message });
    });
    // 'close' waits for stdio to close, which a leftover grandchild holding the pipes can delay
    // forever: after 'exit', give the pipes a moment, then end the group and stop waiting.
    let closed = false;
    child.once('exit', (code, signal) => {
      timers.setTimeout(() => {
        if (closed) return;
        signalAll('SIGKILL');
        child.stdout?.destroy();
        child.stderr?.destroy();
        onClose(code, signal);
      }, 1000);
    });
    const onClose = (code: number | null, signal: NodeJS.Signals | null) => {
      if (closed) return;
      closed = true;
      stdout.end();
      stderr.end();
      flushProgress();
      const exitCode = code ?? undefined;
      const sig = signal ?? undefined;
      if (ending === 'cancelled') finish({ kind: 'cancelled', exitCode, signal: sig });
      else if (ending === 'timeout') finish({ kind: 'timeout', exitCode, signal: sig });
      else finish({ kind: 'exited', exitCode: exitCode ?? -1, signal: sig, lastError });
    };
    child.once('close', onClose);
  });
}
