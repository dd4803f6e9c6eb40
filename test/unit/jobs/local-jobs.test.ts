import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createJobService } from '../../../main/jobs/job-service.ts';
import type { JobService, SubmitRequest } from '../../../main/jobs/job-service-contract.ts';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';
import { describeWorker } from '../../../main/jobs/worker-binary.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { parseChecksums } from '../../../main/jobs/results-upload.ts';
import type { JobView } from '../../../main/jobs/job-types.ts';
import { writeFakeWorker, type FakeWorkerMode } from '../../support/fake-worker.ts';

async function setup(mode: FakeWorkerMode, extra: Partial<Parameters<typeof createJobService>[0]> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'sc-jobs-'));
  const workerPath = await writeFakeWorker(join(dir, 'bin'), mode, 3);
  const store = fsObjectStore(join(dir, 'archive'));
  const svc = createJobService({ store, workDir: join(dir, 'work'), worker: () => describeWorker(workerPath), owner: 'tester', ...extra });
  return { dir, store, svc, workerPath, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const request = (over: Partial<SubmitRequest> = {}): SubmitRequest => ({
  sources: ['/data/session-1'],
  shards: [{ label: 'session-1', input: { kind: 'local', paths: ['/data/session-1'] }, args: [] }],
  params: { k: 4, seed: 1 },
  placement: { kind: 'local' },
  maxRuntimeSeconds: 60,
  heartbeatSeconds: 1,
  ...over,
});

async function waitFor(svc: JobService, id: string, pred: (v: JobView) => boolean, ms = 15_000): Promise<JobView> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await svc.show(id);
    if (pred(v)) return v;
    if (Date.now() > end) throw new Error(`timed out; last state ${v.state}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('a local job runs the worker, stores results with checksums and ends done', async () => {
  const t = await setup('ok');
  try {
    const m = await t.svc.submit(request());
    assert.equal((await t.svc.show(m.id)).state, 'queued');
    const seen = new Set<string>();
    const v = await t.svc.follow(m.id, { onUpdate: (u) => seen.add(u.state) });
    assert.equal(v.state, 'done');
    assert.equal(v.percent, 100);
    assert.ok(seen.has('running'), `states seen: ${[...seen]}`);
    const sums = parseChecksums((await t.store.get(jobKeys(m.id).results + 'checksums.sha256'))!.toString());
    assert.deepEqual([...sums.keys()].sort(), ['projections/mean.png', 'rois.json', 'summary.json']);
    const summary = JSON.parse((await t.store.get(jobKeys(m.id).results + 'summary.json'))!.toString());
    assert.equal(summary.fake, true);
    const log = await t.svc.logs(m.id);
    assert.match(log, /analyze --input \/data\/session-1 --out .* --k 4 --seed 1/);
    // The job is visible to another service instance reading the same store (another workstation).
    const other = createJobService({ store: t.store, workDir: join(t.dir, 'w2'), worker: () => describeWorker(t.workerPath), owner: 'x' });
    assert.deepEqual(
      (await other.list()).map((j) => [j.id, j.state]),
      [[m.id, 'done']],
    );
  } finally {
    await t.cleanup();
  }
});

test('a crashing worker fails the job with its exit code and last stderr line, logs kept', async () => {
  const t = await setup('crash');
  try {
    const m = await t.svc.submit(request());
    const v = await t.svc.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'worker-crashed');
    assert.match(v.failure!.message, /exit code 101.*panicked: fake worker crash/);
    assert.match(await t.svc.logs(m.id), /panicked/);
    assert.equal((await t.store.list(jobKeys(m.id).results)).length, 0);
  } finally {
    await t.cleanup();
  }
});

test('a failed job can be dismissed: list marks it, its record and log stay; a finished one cannot be', async () => {
  const t = await setup('crash');
  try {
    const m = await t.svc.submit(request());
    assert.equal((await t.svc.follow(m.id)).state, 'failed');
    await t.svc.dismiss(m.id);
    const [v] = await t.svc.list();
    assert.deepEqual([v.id, v.state, v.dismissed], [m.id, 'failed', true]);
    assert.equal((await t.svc.show(m.id)).state, 'failed', 'the record stays');
    assert.match(await t.svc.logs(m.id), /panicked/);
    const ok = await setup('ok');
    try {
      const done = await ok.svc.submit(request());
      await ok.svc.follow(done.id);
      await assert.rejects(ok.svc.dismiss(done.id), { code: 'JOB_NOT_FAILED', message: /is done: only a failed or cancelled analysis/ });
      assert.equal((await ok.svc.list())[0].dismissed, undefined);
    } finally {
      await ok.cleanup();
    }
  } finally {
    await t.cleanup();
  }
});

test('the maximum runtime stops a hanging worker', async () => {
  const t = await setup('hang');
  try {
    const m = await t.svc.submit(request({ maxRuntimeSeconds: 1 }));
    const v = await t.svc.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'max-runtime');
  } finally {
    await t.cleanup();
  }
});

test('cancel from another service instance (another process) ends the worker', async () => {
  const t = await setup('hang');
  try {
    const m = await t.svc.submit(request());
    const running = t.svc.follow(m.id);
    await waitFor(t.svc, m.id, (v) => v.state === 'running');
    const other = createJobService({ store: t.store, workDir: join(t.dir, 'w2'), worker: () => describeWorker(t.workerPath), owner: 'x' });
    await other.cancel(m.id);
    const v = await running;
    assert.equal(v.state, 'cancelled');
    await assert.rejects(t.svc.cancel(m.id), { code: 'JOB_FINISHED' });
  } finally {
    await t.cleanup();
  }
});

test('a restarted app finds the orphaned local worker, ends it and marks the job interrupted', async () => {
  const t = await setup('hang');
  try {
    const m = await t.svc.submit(request());
    // Simulate the killed app: the shard's status names a live worker pid on this host, no runner here.
    const orphan = spawn(t.workerPath, ['analyze', '--out', join(t.dir, 'o')], { stdio: 'ignore' });
    await new Promise((r) => orphan.once('spawn', r));
    const sk = jobKeys(m.id).shard(0);
    await t.store.put(sk.status, JSON.stringify({ state: 'running', attempt: 1, host: 'this-host', pid: orphan.pid, updatedAt: Date.now() }));
    await t.store.put(sk.heartbeat, JSON.stringify({ at: Date.now(), host: 'this-host', pid: orphan.pid, attempt: 1 }));
    const exited = new Promise((r) => orphan.once('exit', r));
    const restarted = createJobService({
      store: t.store,
      workDir: join(t.dir, 'work'),
      worker: () => describeWorker(t.workerPath),
      owner: 'tester',
      hostname: 'this-host',
    });
    const [v] = await restarted.recover();
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'interrupted');
    await exited;
    assert.notEqual(orphan.signalCode, null);
  } finally {
    await t.cleanup();
  }
});

test('a job another live process on this host runs (the CLI, a demo beside the app) is left alone; once that process is gone it is interrupted', async () => {
  const t = await setup('hang');
  const runner = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' });
  const worker = spawn(t.workerPath, ['analyze', '--out', join(t.dir, 'o')], { stdio: 'ignore' });
  try {
    await Promise.all([new Promise((r) => runner.once('spawn', r)), new Promise((r) => worker.once('spawn', r))]);
    const m = await t.svc.submit(request());
    const sk = jobKeys(m.id).shard(0);
    const at = Date.now();
    await t.store.put(sk.status, JSON.stringify({ state: 'running', attempt: 1, host: 'this-host', pid: worker.pid, runnerPid: runner.pid, updatedAt: at }));
    await t.store.put(sk.heartbeat, JSON.stringify({ at, host: 'this-host', pid: worker.pid, attempt: 1 }));
    const app = createJobService({
      store: t.store,
      workDir: join(t.dir, 'app'),
      worker: () => describeWorker(t.workerPath),
      owner: 'x',
      hostname: 'this-host',
    });
    assert.equal((await app.reconcile(m.id)).state, 'running');
    assert.equal(worker.exitCode ?? worker.signalCode, null, "the other process's worker still runs");
    const runnerGone = new Promise((r) => runner.once('exit', r));
    runner.kill('SIGKILL');
    await runnerGone;
    const workerEnded = new Promise((r) => worker.once('exit', r));
    const v = await app.reconcile(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'interrupted');
    await workerEnded;
  } finally {
    runner.kill('SIGKILL');
    worker.kill('SIGKILL');
    await t.cleanup();
  }
});

test('another workstation with a fresh heartbeat keeps its job; a stale one is interrupted', async () => {
  const t = await setup('ok');
  try {
    const m = await t.svc.submit(request({ staleAfterSeconds: 30 }));
    const sk = jobKeys(m.id).shard(0);
    const at = Date.now();
    await t.store.put(sk.status, JSON.stringify({ state: 'running', attempt: 1, host: 'far-away', pid: 1, updatedAt: at }));
    await t.store.put(sk.heartbeat, JSON.stringify({ at, host: 'far-away', pid: 1, attempt: 1 }));
    const here = (now: number) =>
      createJobService({ store: t.store, workDir: join(t.dir, 'w'), worker: () => describeWorker(t.workerPath), owner: 'x', now: () => now, hostname: 'here' });
    assert.equal((await here(at + 5_000).reconcile(m.id)).state, 'running');
    const v = await here(at + 60_000).reconcile(m.id);
    assert.equal(v.state, 'failed');
    assert.match(v.failure!.message, /far-away/);
  } finally {
    await t.cleanup();
  }
});

test('submit rejects bad parameters and an empty input with one-line errors', async () => {
  const t = await setup('ok');
  try {
    await assert.rejects(t.svc.submit(request({ params: { k: 0 } })), { code: 'JOB_INVALID', message: /--k/ });
    await assert.rejects(t.svc.submit(request({ shards: [] })), { code: 'NO_INPUT' });
    await assert.rejects(
      t.svc.submit(request({ placement: { kind: 'ec2', instanceType: 'c7i.large', spot: false, instanceProfile: 'p', imageId: 'ami-1', maxAttempts: 2 } })),
      { code: 'EC2_NOT_CONFIGURED' },
    );
    await assert.rejects(t.svc.show('j-nope-0000'), { code: 'JOB_NOT_FOUND' });
  } finally {
    await t.cleanup();
  }
});
