/**
 * The app adapter in AWS mode against real servers: versitygw as the S3 bucket, moto for STS,
 * EC2, SSM, Budgets and Cost Explorer. The first-run check, switching the destination to S3, a
 * watched file reaching the bucket byte-identical, and the instance and budget views.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { createServiceContainer, type ServiceContainer } from '../../../main/services.ts';
import { createAppServices, type AppHost } from '../../../main/app/app-services.ts';
import type { AppEvent } from '../../../preload/api.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing(), motoMissing());
const period = { Start: '2026-11-01', End: '2026-11-28' };
const COST_BY_SERVICE = {
  ResultsByTime: [
    {
      TimePeriod: period,
      Total: {},
      Estimated: true,
      Groups: [
        { Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: '41.25', Unit: 'USD' } } },
        { Keys: ['Amazon Simple Storage Service'], Metrics: { UnblendedCost: { Amount: '8.75', Unit: 'USD' } } },
      ],
    },
  ],
};
const COST_BY_OWNER = {
  ResultsByTime: [
    {
      TimePeriod: period,
      Total: {},
      Estimated: true,
      Groups: [{ Keys: ['scopecloud:owner$maria'], Metrics: { UnblendedCost: { Amount: '50', Unit: 'USD' } } }],
    },
  ],
};
let gw: Versitygw;
let moto: MotoServer;
let dir: string;
let container: ServiceContainer;
let app: AppHost;
let bucket: string;
const events: AppEvent[] = [];

before(async () => {
  if (skip) return;
  [gw, moto] = await Promise.all([startVersitygw(), startMoto()]);
  // The month so far, as Cost Explorer reports it (by service, then by owner tag): $50 in all.
  await moto.post('/moto-api/static/ce/cost-and-usage-results', { results: [COST_BY_SERVICE, COST_BY_OWNER] });
  bucket = await gw.createBucket();
  dir = mkdtempSync(join(tmpdir(), 'sc-app-aws-'));
  // The SDK's credential chain reads this process's environment.
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: gw.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  const env = { ...process.env, SCOPECLOUD_HOME: join(dir, 'home'), AWS_ENDPOINT_URL: moto.endpoint, SCOPECLOUD_OWNER: 'maria' };
  container = await createServiceContainer({ env });
  container.settings.setField('watch.stableMs', '200');
  app = await createAppServices(container, { env, guardrails: false, log: () => {} });
  app.subscribe((e) => events.push(e));
});

after(async () => {
  if (skip) return;
  await app?.dispose();
  await container?.dispose();
  await Promise.all([gw?.stop(), moto?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

async function until<T>(what: string, f: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('the first-run check reaches the bucket; switching to S3 uploads watched files there', { skip }, async () => {
  const form = { profile: '', region: 'us-east-1', bucket, endpoint: gw.endpoint };
  const check = await app.checkAwsSettings(form);
  assert.equal(check.ok, true, JSON.stringify(check.problems));
  const missing = await app.checkAwsSettings({ ...form, bucket: 'no-such-bucket-here' });
  assert.deepEqual(
    missing.problems.map((p) => p.field),
    ['bucket'],
  );

  const saved = await app.saveSettings({ mode: 'aws', aws: { ...form, prefix: 'rig-A/' }, firstRunComplete: true });
  assert.deepEqual([saved.mode, saved.aws?.prefix, saved.firstRunComplete], ['aws', 'rig-A', true]);
  assert.equal((await app.getStatus()).mode, 'aws');

  const watch = join(dir, 'scope');
  mkdirSync(join(watch, 'session-1'), { recursive: true });
  await app.addWatchedFolder({ path: watch });
  const bytes = randomBytes(1024 * 1024 + 7);
  writeFileSync(join(watch, 'session-1', 'stack.tif'), bytes);
  const acq = await until('the file to be verified', async () => {
    const a = await app.getAcquisition();
    return a.files.some((f) => f.state === 'verified') ? a : undefined;
  });
  assert.equal(acq.target, `s3://${bucket}/rig-A`);
  assert.deepEqual(
    acq.folders.map((f) => [f.path, f.state, f.files]),
    [[watch, 'watching', 1]],
  );
  const obj = await gw.client().send(new GetObjectCommand({ Bucket: bucket, Key: 'rig-A/scope/session-1/stack.tif' }));
  assert.ok(Buffer.from(await obj.Body!.transformToByteArray()).equals(bytes), "the object holds the file's bytes");
  assert.ok(events.some((e) => e.type === 'changed' && e.topic === 'acquisition'));
  const { sessions } = await app.listSessions();
  assert.deepEqual(
    sessions.map((s) => [s.folder, s.files]),
    [[join(watch, 'session-1'), 1]],
  );
});

test('instances launch, list, explain and stop through moto; the budget reads Cost Explorer', { skip }, async () => {
  assert.deepEqual((await app.listInstances({ all: false })).instances, []);
  // No AWS Budget and no monthly limit: the launch dialog is told why and how, and launches are refused, override or not.
  const refused = await app.checkLaunch({ presetId: 'small-analysis', plannedHours: 2 });
  assert.deepEqual([refused.allowed, refused.refusal, refused.remaining], [false, 'NO_SPEND_LIMIT', null]);
  assert.match(refused.message, /no spending limit is known .*`scopecloud config set budget\.monthlyLimitUsd <USD>` or in Settings/);
  for (const override of [false, true]) {
    await assert.rejects(
      app.launchInstance({ presetId: 'small-analysis', name: 'unlimited', plannedHours: 2, override }),
      (e: unknown) =>
        (e as { code?: string }).code === 'NO_SPEND_LIMIT' && /^launch small-analysis refused: no spending limit is known/.test((e as Error).message),
    );
  }
  assert.deepEqual((await app.listInstances({ all: true })).instances, [], 'nothing launched');
  assert.deepEqual([(await app.getBudget()).guard.state, (await app.getBudget()).limit], ['blocked', null]);
  await app.saveSettings({ budget: { monthlyLimitUsd: 1000, maxRuntimeHours: 8 } });
  const check = await app.checkLaunch({ presetId: 'small-analysis', plannedHours: 2 });
  assert.equal(check.allowed, true);
  assert.ok(check.projectedCost > 0);
  const { id } = await app.launchInstance({ presetId: 'small-analysis', name: 'maria-analysis', plannedHours: 2, override: false });
  const listed = await app.listInstances({ all: false });
  assert.deepEqual(
    listed.instances.map((i) => [i.id, i.name, i.type, i.owner, i.launchedByApp]),
    [[id, 'maria-analysis', 'c7i.2xlarge', 'maria', true]],
  );
  const explained = await app.explainAction({ id, action: 'terminate' });
  assert.deepEqual([explained.confirmation, explained.confirmText], ['name', 'maria-analysis']);
  await assert.rejects(
    app.instanceAction({ id, action: 'terminate', confirmText: 'wrong' }),
    (e: unknown) => (e as { code?: string }).code === 'CONFIRMATION_REQUIRED',
  );
  const stopped = await app.instanceAction({ id, action: 'stop' });
  assert.match(stopped.state, /stopping|stopped/);

  await app.saveSettings({ budget: { monthlyLimitUsd: 60, maxRuntimeHours: 8 } });
  const budget = await app.getBudget();
  assert.equal(budget.currency, 'USD');
  assert.equal(budget.monthToDate, 50, 'the seeded Cost Explorer total');
  assert.equal(budget.limit, 60);
  assert.equal(budget.guard.state, 'warning', '$50 of a $60 limit is past the 80% mark');
  assert.deepEqual([budget.overrides.shared, budget.overrides.list], [true, []]);
  assert.match(budget.overrides.location ?? '', new RegExp(`^s3://${bucket}/(.+/)?budget/overrides/$`));

  // An override from the launch dialog goes into the bucket's log and the Budget view lists it.
  await app.saveSettings({ budget: { monthlyLimitUsd: 50, maxRuntimeHours: 8 } });
  await assert.rejects(
    app.launchInstance({ presetId: 'small-analysis', name: 'over', plannedHours: 2, override: false }),
    (e: unknown) => (e as { code?: string }).code === 'BUDGET_EXCEEDED',
  );
  await app.launchInstance({ presetId: 'small-analysis', name: 'over', plannedHours: 2, override: true });
  const after = await app.getBudget();
  assert.equal(after.overrides.list.length, 1);
  const [o] = after.overrides.list;
  assert.deepEqual([o.by, o.action, o.subject, o.limit], ['maria', 'launch', 'small-analysis', 50]);
  assert.match(o.identity ?? '', /^arn:aws:/, 'the STS identity that overrode');
  assert.ok(o.projected > 50);
  const status = await app.getStatus();
  assert.equal(status.currency, 'USD');
  assert.deepEqual((await app.listAnalyses()).analyses, [], 'the job store is the bucket now, and empty');
  await assert.rejects(app.launchAnalysis({ source: { kind: 'local', path: dir }, where: 'ec2', params: {} }), /EC2 analyses read their data from S3/);
  await assert.rejects(
    app.launchAnalysis({ source: { kind: 'local', path: dir }, where: 'ec2', presetId: 'gpu', params: {} }),
    /not for analyses: the worker uses CPUs only/,
  );
  await assert.rejects(app.launchAnalysis({ source: { kind: 'local', path: dir }, where: 'ec2', presetId: 'huge', params: {} }), /unknown machine "huge"/);
});
