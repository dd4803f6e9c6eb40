/**
 * EC2 analyses of sessions in a cold class (issue #21 point 3, second half): the job waits as
 * `restoring`, launching nothing, until S3 has restored its inputs, then launches by itself; the
 * state is in the store, so a new service (an app restart) picks it up. An expired or refused
 * restore fails the job naming the key; a cancel while restoring launches nothing; no restore is
 * asked without consent.
 *
 * Real servers: versitygw behind test/support/glacier-proxy.ts (archive classes, RestoreObject,
 * `x-amz-restore`; restores complete when the test says so), moto for EC2, and the instance
 * simulator running each instance's bootstrap against the proxy with the fake worker.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeImagesCommand, DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { motoMissing, type MotoServer } from '../../support/moto.ts';
import { versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import type { GlacierProxy } from '../../support/glacier-proxy.ts';
import { startColdLab, type ColdLab } from '../../support/cold-lab.ts';
import { startInstanceSimulator, type InstanceSimulator } from '../../support/instance-simulator.ts';
import { writeFakeWorker } from '../../support/fake-worker.ts';
import { awsCliMissing, requires } from '../../support/requirements.ts';
import { s3ObjectStore, getJson, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { createJobService } from '../../../main/jobs/job-service.ts';
import type { JobService, SubmitRequest } from '../../../main/jobs/job-service-contract.ts';
import { createEc2JobRunner, JOB_TAG } from '../../../main/jobs/ec2-runner.ts';
import { describeWorker } from '../../../main/jobs/worker-binary.ts';
import { s3ColdInputs } from '../../../main/jobs/job-restore.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { RESTORE_DAYS } from '../../../main/jobs/restore-plan.ts';
import type { JobManifest, JobView } from '../../../main/jobs/job-types.ts';

const skip = requires(motoMissing(), versitygwMissing(), awsCliMissing());
const PREFIX = 'lab';
const DAY = 86_400_000;

let lab: ColdLab;
let moto: MotoServer;
let vgw: Versitygw;
let proxy: GlacierProxy;
let bucket: string;
let ec2: EC2Client;
let s3: S3Client;
let imageId: string;
let root: string;
let worker: string;

before(async () => {
  if (skip) return;
  lab = await startColdLab({ prefix: PREFIX });
  ({ moto, gw: vgw, proxy, bucket, s3, ec2 } = lab);
  imageId = (await ec2.send(new DescribeImagesCommand({}))).Images![0].ImageId!;
  root = await mkdtemp(join(tmpdir(), 'sc-restore-jobs-'));
  worker = await writeFakeWorker(join(root, 'fake'), 'ok');
});

after(async () => {
  if (skip) return;
  await lab?.stop();
  if (root) await rm(root, { recursive: true, force: true });
});

interface Harness {
  store: ObjectStore;
  sim: InstanceSimulator;
  /** A job service as a fresh app start builds it: nothing in memory, the same store. */
  newService(o?: { now?: () => number }): JobService;
  stop(): Promise<void>;
}

async function harness(): Promise<Harness> {
  const store = s3ObjectStore(s3, bucket, PREFIX);
  const sim = await startInstanceSimulator({
    ec2,
    s3Endpoint: proxy.endpoint,
    s3Credentials: vgw.credentials,
    region: moto.region,
    root: await mkdtemp(join(root, 'sim-')),
  });
  const newService = (o: { now?: () => number } = {}) =>
    createJobService({
      store,
      workDir: join(root, 'work'),
      owner: 'tester',
      pollMs: 300,
      restorePollMs: 0,
      ...(o.now ? { now: o.now } : {}),
      worker: () => describeWorker(worker),
      coldInputs: s3ColdInputs(s3, bucket, PREFIX),
      ec2: createEc2JobRunner({ ec2, store, region: moto.region, worker: () => describeWorker(worker), owner: 'tester', bootGraceSeconds: 60 }),
    });
  return { store, sim, newService, stop: () => sim.stop() };
}

/** A session of two raw files, the first archived in `cls`; returns its store keys. */
async function coldSession(name: string, cls: 'GLACIER' | 'DEEP_ARCHIVE' = 'GLACIER'): Promise<string[]> {
  const keys = [`sessions/${name}/a.tif`, `sessions/${name}/b.tif`];
  for (const k of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `${PREFIX}/${k}`, Body: Buffer.alloc(4096, 7) }));
  proxy.archive(bucket, `${PREFIX}/${keys[0]}`, cls);
  return keys;
}

function request(keys: string[], over: Partial<SubmitRequest> = {}): SubmitRequest {
  return {
    sources: [keys[0].split('/').slice(0, 2).join('/')],
    shards: [{ label: 'session', input: { kind: 'store', keys }, args: [] }],
    params: { k: 2, seed: 1 },
    placement: { kind: 'ec2', instanceType: 't3.micro', spot: false, instanceProfile: 'scopecloud-analysis', imageId, maxAttempts: 1 },
    maxRuntimeSeconds: 120,
    heartbeatSeconds: 1,
    staleAfterSeconds: 30,
    ...over,
  };
}

async function jobInstances(jobId: string): Promise<string[]> {
  const res = await ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: `tag:${JOB_TAG.job}`, Values: [jobId] }] }));
  return (res.Reservations ?? []).flatMap((r) => r.Instances ?? []).map((i) => i.InstanceId!);
}

const asked = (key: string) => proxy.restoreRequests.filter((r) => r.key === `${PREFIX}/${key}`);

test('no restore is asked without consent, and no job is written', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('no-consent');
    const svc = h.newService();
    const before = (await svc.list()).length;
    await assert.rejects(svc.submit(request(keys)), (e: Error & { code?: string }) => e.code === 'CONSENT_REQUIRED');
    await assert.rejects(
      svc.submit(request(keys, { restore: { tier: 'Standard', consent: false } })),
      (e: Error & { code?: string }) => e.code === 'CONSENT_REQUIRED',
    );
    assert.deepEqual(asked(keys[0]), []);
    assert.equal((await svc.list()).length, before);
  } finally {
    await h.stop();
  }
});

test('the days the restored copies stay readable come from the request (settings restore.days); out of 1-30 is refused', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('days');
    const svc = h.newService();
    await assert.rejects(svc.submit(request(keys, { restore: { tier: 'Bulk', consent: true, days: 31 } })), /kept 1 to 30 days \(got 31\)/);
    assert.deepEqual(asked(keys[0]), [], 'nothing asked for a refused request');
    const m = await svc.submit(request(keys, { restore: { tier: 'Bulk', consent: true, days: 9 } }));
    assert.deepEqual(
      asked(keys[0]).map((r) => [r.tier, r.days]),
      [['Bulk', 9]],
    );
    assert.equal((await getJson<JobManifest>(h.store, jobKeys(m.id).manifest))!.restore?.days, 9);
    await svc.cancel(m.id);
  } finally {
    await h.stop();
  }
});

test('restoring: nothing launches until S3 has restored the inputs, then the job launches and finishes by itself', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('happy');
    const svc = h.newService();
    const m = await svc.submit(request(keys, { restore: { tier: 'Standard', consent: true } }));
    assert.deepEqual(
      asked(keys[0]).map((r) => [r.tier, r.days]),
      [['Standard', RESTORE_DAYS]],
    );
    assert.deepEqual(asked(keys[1]), [], 'the STANDARD input is not restored');
    const stored = (await getJson<JobManifest>(h.store, jobKeys(m.id).manifest))!;
    assert.deepEqual(stored.restore?.keys, [keys[0]]);
    assert.equal(stored.restore?.tier, 'Standard');
    assert.equal(stored.restore?.waiting, '3-5 hours');

    const states: string[] = [];
    const followed = svc.follow(m.id, {
      onUpdate: (u) => {
        if (states.at(-1) !== u.state) states.push(u.state);
      },
    });
    // several polls while S3 restores: still restoring, no instance
    while (states.length === 0) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal((await svc.show(m.id)).state, 'restoring');
    assert.deepEqual(await jobInstances(m.id), [], 'nothing launched while restoring');
    proxy.completeRestores();
    const v = await followed;
    assert.equal(v.state, 'done', `${v.state}: ${v.failure?.message}\n${await svc.logs(m.id)}`);
    assert.equal(states[0], 'restoring');
    assert.ok(states.indexOf('provisioning') > 0, `states: ${states}`);
    assert.equal((await jobInstances(m.id)).length, 1, 'one instance, launched after the restore');
    assert.equal(v.restore?.tier, 'Standard');
    await h.sim.waitAllEnded(1, 30_000);
  } finally {
    await h.stop();
  }
});

test('an app restart while restoring: a new service on the same store launches once the restore completes', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('restart', 'DEEP_ARCHIVE');
    const first = h.newService();
    await assert.rejects(first.submit(request(keys, { restore: { tier: 'Expedited', consent: true } })), /Expedited restore tier is not offered/);
    const m = await first.submit(request(keys, { restore: { tier: 'Bulk', consent: true } }));
    assert.equal((await first.reconcile(m.id)).state, 'restoring');
    // the app quits; S3 finishes the restore meanwhile; the app starts again
    proxy.completeRestores();
    const second = h.newService();
    const recovered = await second.recover();
    assert.equal(recovered.find((v) => v.id === m.id)?.state, 'provisioning');
    const v = await second.follow(m.id);
    assert.equal(v.state, 'done', `${v.state}: ${v.failure?.message}`);
    assert.equal((await jobInstances(m.id)).length, 1);
    assert.deepEqual(
      asked(keys[0]).map((r) => r.tier),
      ['Bulk'],
      'asked once, by the first service',
    );
    await h.sim.waitAllEnded(1, 30_000);
  } finally {
    await h.stop();
  }
});

test('a restored copy that expired before the launch fails the job, naming the key', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('expired');
    const m = await h.newService().submit(request(keys, { restore: { tier: 'Bulk', consent: true } }));
    proxy.completeRestores();
    // the app comes back after the restored copies' days have passed
    const later = h.newService({ now: () => Date.now() + (RESTORE_DAYS + 1) * DAY });
    const v = await later.reconcile(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'restore-failed');
    assert.match(v.failure!.message, new RegExp(`restored copy of ${keys[0]} expired on .*launch the analysis again`));
    assert.deepEqual(await jobInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('a refused restore (access denied) fails the job with what to do', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('denied');
    proxy.deny(bucket, `${PREFIX}/${keys[0]}`);
    const svc = h.newService();
    const m = await svc.submit(request(keys, { restore: { tier: 'Standard', consent: true } }));
    const v = await svc.reconcile(m.id);
    assert.equal(v.state, 'failed');
    assert.equal(v.failure?.code, 'restore-failed');
    assert.match(v.failure!.message, new RegExp(`S3 refused to restore s3://${bucket}/${PREFIX}/${keys[0]}.*s3:RestoreObject`));
    assert.deepEqual(await jobInstances(m.id), []);
  } finally {
    await h.stop();
  }
});

test('cancel while restoring: the job ends cancelled and launches nothing, even once the restore completes', { skip }, async () => {
  const h = await harness();
  try {
    const keys = await coldSession('cancel');
    const svc = h.newService();
    const m = await svc.submit(request(keys, { restore: { tier: 'Standard', consent: true } }));
    const v: JobView = await svc.cancel(m.id);
    assert.equal(v.state, 'cancelled');
    assert.match(v.failure!.message, /while its inputs were being restored; nothing was launched/);
    proxy.completeRestores();
    assert.equal((await h.newService().reconcile(m.id)).state, 'cancelled');
    assert.deepEqual(await jobInstances(m.id), []);
  } finally {
    await h.stop();
  }
});
