/**
 * EC2 analysis jobs end to end: moto (EC2, IAM) + versitygw (S3) + the instance simulator, which
 * runs each launched instance's real bootstrap user data with the aws CLI against versitygw.
 * The happy paths run the real worker; crash/hang cases use the fake worker script.
 * Every test ends by checking that no instance of its job is left running.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { IAMClient } from '@aws-sdk/client-iam';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { startFaultProxy, faults, awsQueryOperation } from '../../support/fault-proxy.ts';
import { startInstanceSimulator, type InstanceSimulator } from '../../support/instance-simulator.ts';
import { writeFakeWorker, type FakeWorkerMode } from '../../support/fake-worker.ts';
import { s3ObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { createJobService } from '../../../main/jobs/job-service.ts';
import type { JobService, SubmitRequest } from '../../../main/jobs/job-service-contract.ts';
import { createEc2JobRunner, JOB_TAG } from '../../../main/jobs/ec2-runner.ts';
import { describeWorker } from '../../../main/jobs/worker-binary.ts';
import { workerCandidates } from '../../../main/worker/worker-path.ts';
import { jobKeys, workerKey } from '../../../main/jobs/job-layout.ts';
import { ensureJobInstanceProfile } from '../../../main/iam/instance-profile.ts';
import { pullResults } from '../../../main/results/pull.ts';
import { exportNwb } from '../../../main/results/nwb-export.ts';
import type { JobView, ShardLaunch, ShardStatusDoc } from '../../../main/jobs/job-types.ts';
import { getJson } from '../../../main/jobs/object-store.ts';
import { backstopMinutes } from '../../../main/bootstrap/user-data.ts';
import { crc32cOfFile } from '../../../main/session/checksum.ts';
import { crc32cBase64 } from '../../../main/upload/checksum.ts';
import { parseNpy } from '../../../main/results/npy.ts';
import { writeSyntheticMovie } from './synthetic-movie.ts';
import { awsCliMissing, requires } from '../../support/requirements.ts';
import { sharedData, sharedDataMissing } from '../../support/shared-data.ts';

const servers = [motoMissing(), versitygwMissing(), awsCliMissing()];
const skip = requires(...servers);
const realWorker = workerCandidates().find((p) => existsSync(p) && spawnSync(p, ['--version']).status === 0);
const noWorker = realWorker ? false : 'no runnable scopecloud-worker (npm run worker:build)';
const skipRealWorker = requires(...servers, noWorker);
const ZEBRAFISH = sharedData('thunder-zebrafish', 'movie.tif');
const skipZebrafish = requires(...servers, noWorker, sharedDataMissing('thunder-zebrafish/movie.tif'));

let moto: MotoServer;
let vgw: Versitygw;
let bucket: string;
let ec2: EC2Client;
let s3: S3Client;
let imageId: string;
let root: string;
const PREFIX = 'lab';

before(async () => {
  if (skip) return;
  [moto, vgw] = await Promise.all([startMoto(), startVersitygw()]);
  bucket = await vgw.createBucket();
  s3 = vgw.client();
  ec2 = new EC2Client({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
  imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
  const iam = new IAMClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.credentials });
  await ensureJobInstanceProfile(iam, { bucket, prefix: PREFIX, consent: true });
  iam.destroy();
  root = await mkdtemp(join(tmpdir(), 'sc-ec2-jobs-'));
  const input = join(root, 'movie.tif');
  await writeSyntheticMovie(input, { width: 48, height: 48, frames: 120, cells: 6, seed: 3 });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/s1/movie.tif`, Body: await readFile(input) }));
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/s2/movie.tif`, Body: await readFile(input) }));
  // s1 closed with its manifest (as the acquisition service uploads it), so its inputs are verified on the instance
  await s3.send(
    new PutObjectCommand({
      Bucket: bucket,
      Key: `${PREFIX}/sessions/s1/manifest.json`,
      Body: JSON.stringify(manifestOf({ 'movie.tif': (await crc32cOfFile(input)).crc32c })),
    }),
  );
});

/** A session manifest (main/session/manifest.ts) listing `files` (path → CRC32C). */
function manifestOf(files: Record<string, string>) {
  return {
    schema: 1,
    session: { root: '/data', relativePath: 's', name: 's' },
    closedBy: 'marker',
    createdAt: new Date().toISOString(),
    generation: 1,
    totals: { files: Object.keys(files).length, bytes: 0 },
    files: Object.entries(files).map(([path, crc32c]) => ({ path, size: 0, mtime: new Date().toISOString(), mtimeMs: Date.now(), crc32c })),
  };
}

after(async () => {
  if (skip) return;
  ec2?.destroy();
  await Promise.all([moto?.stop(), vgw?.stop()]);
  if (root) await rm(root, { recursive: true, force: true });
});

interface Harness {
  store: ObjectStore;
  service: JobService;
  sim: InstanceSimulator;
  newService(): JobService;
  stop(): Promise<void>;
}

async function harness(
  workerPath: string,
  o: { s3Endpoint?: string; bootGraceSeconds?: number; minuteMs?: number; runnerEc2?: EC2Client } = {},
): Promise<Harness> {
  const store = s3ObjectStore(s3, bucket, PREFIX);
  const sim = await startInstanceSimulator({
    ec2,
    s3Endpoint: o.s3Endpoint ?? vgw.endpoint,
    s3Credentials: vgw.credentials,
    region: moto.region,
    root: await mkdtemp(join(root, 'sim-')),
    ...(o.minuteMs ? { minuteMs: o.minuteMs } : {}),
  });
  const newService = () =>
    createJobService({
      store,
      workDir: join(root, 'work'),
      owner: 'tester',
      pollMs: 400,
      worker: () => describeWorker(workerPath),
      ec2: createEc2JobRunner({
        ec2: o.runnerEc2 ?? ec2,
        store,
        region: moto.region,
        worker: () => describeWorker(workerPath),
        owner: 'tester',
        bootGraceSeconds: o.bootGraceSeconds ?? 60,
      }),
    });
  return { store, sim, service: newService(), newService, stop: () => sim.stop() };
}

function request(over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    sources: ['sessions/s1'],
    shards: [{ label: 'sessions/s1', input: { kind: 'store', keys: ['sessions/s1/movie.tif'] }, args: [] }],
    params: { k: 2, seed: 1 },
    placement: { kind: 'ec2', instanceType: 't3.micro', spot: false, instanceProfile: 'scopecloud-analysis', imageId, maxAttempts: 2 },
    maxRuntimeSeconds: 120,
    heartbeatSeconds: 1,
    staleAfterSeconds: 30,
    ...over,
  };
}

async function liveInstances(jobId: string): Promise<string[]> {
  const res = await ec2.send(
    new DescribeInstancesCommand({
      Filters: [
        { Name: `tag:${JOB_TAG.job}`, Values: [jobId] },
        { Name: 'instance-state-name', Values: ['pending', 'running', 'stopping', 'stopped'] },
      ],
    }),
  );
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
}

async function followUntil(svc: JobService, id: string, pred: (v: JobView) => boolean, timeoutMs = 120_000): Promise<JobView> {
  const ac = new AbortController();
  let hit: JobView | null = null;
  const timer = setTimeout(() => ac.abort(), timeoutMs);
  try {
    const v = await svc.follow(id, {
      signal: ac.signal,
      onUpdate: (u) => {
        if (!hit && pred(u)) {
          hit = u;
          ac.abort();
        }
      },
    });
    return hit ?? v;
  } finally {
    clearTimeout(timer);
  }
}

async function fake(mode: FakeWorkerMode, seconds?: number) {
  return writeFakeWorker(join(root, `fake-${mode}-${seconds ?? 0}`), mode, seconds);
}

test('a job runs the real worker on an instance and its results come home verified', { skip: skipRealWorker }, async () => {
  const h = await harness(realWorker!);
  try {
    const m = await h.service.submit(request());
    const states: string[] = [];
    const v = await h.service.follow(m.id, {
      onUpdate: (u) => {
        if (states.at(-1) !== u.state) states.push(u.state);
      },
    });
    assert.equal(v.state, 'done', `job ended ${v.state}: ${v.failure?.message}\n${await h.service.logs(m.id)}`);
    assert.ok(states.includes('running'), `states: ${states}`);
    const pulled = await pullResults(h.store, m.id, join(root, 'cache'));
    assert.ok(pulled.files >= 3);
    assert.ok(existsSync(join(pulled.dir, 'summary.json')));
    assert.match(await h.service.logs(m.id), /results uploaded/);
    assert.match(await h.service.logs(m.id), /inputs: 1 files, 1 verified against their manifest CRC32C/);
    await h.sim.waitAllEnded(1, 30_000);
    assert.equal(h.sim.instances()[0].ended, 'shutdown');
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('thunder-zebrafish (2 planes) fanned out over two instances, merged', { skip: skipZebrafish }, async () => {
  const h = await harness(realWorker!);
  try {
    const body = await readFile(ZEBRAFISH);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/zf-a/movie.tif`, Body: body }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/zf-b/movie.tif`, Body: body }));
    const m = await h.service.submit(
      request({
        sources: ['sessions/zf-a', 'sessions/zf-b'],
        shards: ['zf-a', 'zf-b'].map((s) => ({ label: `sessions/${s}`, input: { kind: 'store' as const, keys: [`sessions/${s}/movie.tif`] }, args: [] })),
        params: { k: 2, seed: 1, planes: 2 },
        maxRuntimeSeconds: 600,
      }),
    );
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'done', `${v.failure?.message}\n${await h.service.logs(m.id)}`);
    const pulled = await pullResults(h.store, m.id, join(root, 'cache'));
    const summary = JSON.parse(await readFile(join(pulled.dir, 'summary.json'), 'utf8')) as {
      parameters: { step: string };
      counts: { rois: number };
      shards: Array<{ first_roi: number; rois: number }>;
    };
    assert.equal(summary.parameters.step, 'merge', 'merged by scopecloud-worker merge');
    assert.equal(summary.shards.length, 2);
    const rois = (JSON.parse(await readFile(join(pulled.dir, 'rois.json'), 'utf8')) as { rois: Array<{ id: number; cluster: number | null }> }).rois;
    const clusters = parseNpy(await readFile(join(pulled.dir, 'clusters.npy')));
    assert.deepEqual(
      rois.map((r) => r.cluster ?? -1),
      Array.from(clusters.data, Number),
    );
    assert.ok(
      Array.from(clusters.data, Number).every((c) => c < 2),
      'merged clusters are 0..k-1, not offset per shard',
    );
    assert.deepEqual(
      rois.map((r) => r.id),
      rois.map((_, i) => i),
    );
    assert.equal(summary.counts.rois, rois.length);
    assert.deepEqual(
      summary.shards.map((x) => [x.first_roi, x.rois]),
      [
        [0, summary.shards[0].rois],
        [summary.shards[0].rois, rois.length - summary.shards[0].rois],
      ],
      'shard 1 follows shard 0',
    );
    assert.ok(summary.shards[1].rois > 0);
    const nwb = await exportNwb({ resultsDir: pulled.dir, outFile: join(root, 'zf.nwb'), jobId: m.id });
    assert.equal(nwb.rois, rois.length);
    assert.equal(nwb.planes, 2);
    await h.sim.waitAllEnded(2, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('a worker crash on the instance fails the job with the log, and the instance terminates', { skip }, async () => {
  const h = await harness(await fake('crash'));
  try {
    const m = await h.service.submit(request());
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'worker-crashed');
    assert.match(v.failure!.message, /exit code 101/);
    assert.match(await h.service.logs(m.id), /panicked: fake worker crash/);
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test("a recording the worker refuses fails as an input error with the worker's words, not retried", { skip: skipRealWorker }, async () => {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/bad/movie.tif`, Body: 'laser 920 nm\n' }));
  const h = await harness(realWorker!);
  try {
    const m = await h.service.submit(
      request({ sources: ['sessions/bad'], shards: [{ label: 'sessions/bad', input: { kind: 'store', keys: ['sessions/bad/movie.tif'] }, args: [] }] }),
    );
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'input-error');
    assert.match(v.failure!.message, /^not a TIFF file: \S+\/movie\.tif$/);
    assert.equal(v.shards[0].attempt, 1, 'bad input is not retried on another instance');
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('an input whose downloaded bytes differ from its session manifest fails the shard before the worker runs', { skip: skipRealWorker }, async () => {
  // the recording in S3 is not the one the session manifest describes (replaced or damaged after upload)
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/s5/movie.tif`, Body: await readFile(join(root, 'movie.tif')) }));
  const recorded = crc32cBase64(Buffer.from('the bytes the microscope wrote'));
  await s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/sessions/s5/manifest.json`, Body: JSON.stringify(manifestOf({ 'movie.tif': recorded })) }),
  );
  const h = await harness(realWorker!);
  try {
    const m = await h.service.submit(
      request({ sources: ['sessions/s5'], shards: [{ label: 'sessions/s5', input: { kind: 'store', keys: ['sessions/s5/movie.tif'] }, args: [] }] }),
    );
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'input-checksum-mismatch');
    const actual = (await crc32cOfFile(join(root, 'movie.tif'))).crc32c;
    assert.equal(
      v.failure!.message,
      `input ${PREFIX}/sessions/s5/movie.tif: the downloaded bytes have CRC32C ${actual}, its session manifest records ${recorded}; refusing to analyse it`,
    );
    assert.equal(v.shards[0].attempt, 1, 'not retried on another instance');
    assert.doesNotMatch(await h.service.logs(m.id), /worker: analyze/, 'the worker never ran');
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('a worker whose sha256 does not match is never run', { skip }, async () => {
  const worker = await fake('ok');
  const h = await harness(worker);
  try {
    const w = await describeWorker(worker);
    // Someone replaced the object at the content address: the instance must refuse it.
    await h.store.put(workerKey(w.sha256), '#!/bin/sh\necho pwned > /dev/null\n');
    const m = await h.service.submit(request());
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'worker-hash-mismatch');
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
    await h.store.delete(workerKey(w.sha256));
  } finally {
    await h.stop();
  }
});

test('the maximum runtime stops a hanging worker on the instance', { skip }, async () => {
  const h = await harness(await fake('hang'));
  try {
    const m = await h.service.submit(request({ maxRuntimeSeconds: 15 }));
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'max-runtime');
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('an analysis instance rebooted mid-job ends itself at its deadline, counted from the reboot', { skip }, async () => {
  const minuteMs = 1500;
  const h = await harness(await fake('hang'), { minuteMs });
  try {
    const m = await h.service.submit(request({ maxRuntimeSeconds: 60 }));
    // one reconcile launches the shard; nothing follows the job, so only the instance can end itself
    await h.service.reconcile(m.id);
    const end = Date.now() + 30_000;
    let status: ShardStatusDoc | null = null;
    // the bootstrap is under way (it reports booting, downloading, running) when the instance reboots
    while (Date.now() < end && !['booting', 'downloading', 'running'].includes(status?.state ?? '')) {
      status = await getJson<ShardStatusDoc>(h.store, jobKeys(m.id).shard(0).status);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(status && ['booting', 'downloading', 'running'].includes(status.state), `shard state ${status?.state}`);
    const id = (await getJson<ShardLaunch>(h.store, jobKeys(m.id).shard(0).instance))!.instanceId;
    await h.sim.reboot(id);
    const inst = await h.sim.waitBootEnded(id, 2, 60_000);
    assert.equal(inst.boots[1].ended, 'timer', 'the rebooted instance ended by its own deadline');
    assert.ok(inst.boots[1].endedAt! - inst.boots[1].startedAt >= backstopMinutes({ maxRuntimeSeconds: 60 }) * minuteMs, 'counted from the reboot');
    assert.deepEqual(await liveInstances(m.id), [], 'and, launched to terminate, it is gone');
  } finally {
    await h.stop();
  }
});

test('an instance terminated mid-job (spot interruption) is replaced and the shard retried', { skip }, async () => {
  const h = await harness(await fake('slow', 4));
  try {
    const m = await h.service.submit(request({ placement: { ...(request().placement as object), spot: true } as SubmitRequest['placement'] }));
    const running = await followUntil(h.service, m.id, (u) => u.state === 'running');
    assert.equal(running.state, 'running');
    const first = running.shards[0].instanceId!;
    await h.sim.interrupt(first);
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'done', v.failure?.message);
    assert.equal(v.shards[0].attempt, 2);
    assert.notEqual(v.shards[0].instanceId, first);
    await h.sim.waitAllEnded(2, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('results that cannot be uploaded from the instance fail the job clearly', { skip }, async () => {
  const proxy = await startFaultProxy({ target: vgw.endpoint });
  proxy.addRule({
    match: (op, req) => (op === 'PutObject' || op === 'CreateMultipartUpload') && req.path.includes('/results/'),
    fault: faults.internalError(),
  });
  const h = await harness(await fake('ok'), { s3Endpoint: proxy.endpoint });
  try {
    const m = await h.service.submit(request());
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'upload-failed');
    assert.ok((proxy.stats().injected.PutObject ?? 0) > 0);
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
    await proxy.stop();
  }
});

test('a shard launch whose RunInstances answer is lost starts one instance, not two (the one launch path)', { skip }, async () => {
  const proxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
  proxy.addRule({ match: 'RunInstances', fault: faults.dropResponse(), times: 1 });
  const runnerEc2 = new EC2Client({ region: moto.region, endpoint: proxy.endpoint, credentials: moto.credentials, maxAttempts: 1 });
  const h = await harness(await fake('ok'), { runnerEc2 });
  try {
    const m = await h.service.submit(request());
    const v = await h.service.follow(m.id);
    assert.equal(v.state, 'done', `job ended ${v.state}: ${v.failure?.message}`);
    assert.equal(proxy.stats().injected.RunInstances, 1, 'the first answer was dropped');
    const out = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${JOB_TAG.job}`, Values: [m.id] }] }));
    assert.equal((out.Reservations ?? []).flatMap((r) => r.Instances ?? []).length, 1, 'one instance for the one shard');
    await h.sim.waitAllEnded(1, 30_000);
  } finally {
    runnerEc2.destroy();
    await h.stop();
    await proxy.stop();
  }
});

test('the app killed mid-job: a fresh app picks the job up from S3 and sees it finish', { skip }, async () => {
  const h = await harness(await fake('slow', 4));
  try {
    const m = await h.service.submit(request());
    const running = await followUntil(h.service, m.id, (u) => u.state === 'running');
    assert.equal(running.state, 'running');
    // The first app is gone: nothing of it is reused, only the store and the cloud.
    const restarted = h.newService();
    const [recovered] = (await restarted.recover()).filter((x) => x.id === m.id);
    assert.ok(recovered && ['running', 'uploading', 'done'].includes(recovered.state), recovered?.state);
    const v = await restarted.follow(m.id);
    assert.equal(v.state, 'done', v.failure?.message);
    assert.equal(v.shards[0].attempt, 1);
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('cancel terminates the instance and ends the job cancelled', { skip }, async () => {
  const h = await harness(await fake('hang'));
  try {
    const m = await h.service.submit(request());
    await followUntil(h.service, m.id, (u) => u.state === 'running');
    const v = await h.service.cancel(m.id);
    assert.equal(v.state, 'cancelled');
    await h.sim.waitAllEnded(1, 30_000);
    assert.deepEqual(await liveInstances(m.id), []);
    assert.equal(h.sim.instances()[0].ended, 'terminated');
  } finally {
    await h.stop();
  }
});
