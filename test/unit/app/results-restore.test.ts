/**
 * Archived results (main/app/results-restore.ts): the tiers offered with their wait and cost for
 * the bytes to restore (the app's price table), the days from settings, and RestoreObject only
 * with consent and an offered tier. S3 is an SDK-level fake of HeadObject and RestoreObject.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HeadObjectCommand, RestoreObjectCommand } from '@aws-sdk/client-s3';
import { archivedAsRefusal, createResultsRestoreApi } from '../../../main/app/results-restore.ts';
import { defaultSettings, type Settings } from '../../../main/config/schema.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createRestoreWatcher } from '../../../main/jobs/restore-watcher.ts';
import type { AwsContext } from '../../../main/app/aws-context.ts';
import type { JobsContext } from '../../../main/app/jobs-context.ts';
import { FakeTime } from '../../support/fake-timers.ts';

const ID = '20261207-120000-abcdef';
const GiB = 2 ** 30;
const files: Record<string, { size: number; cls?: string }> = {
  [`jobs/${ID}/results/F.npy`]: { size: 20 * GiB, cls: 'GLACIER' },
  [`jobs/${ID}/results/rois.json`]: { size: 10 * GiB, cls: 'GLACIER' },
  [`jobs/${ID}/results/summary.json`]: { size: 1000 },
};

function setUp(days = 3) {
  const sent: Array<{ key: string; tier?: string; days?: number }> = [];
  let headCount = 0;
  const s3 = {
    async send(cmd: unknown) {
      if (cmd instanceof HeadObjectCommand) {
        headCount++;
        const f = files[cmd.input.Key!.replace(/^lab\//, '')];
        return { ContentLength: f.size, ...(f.cls ? { StorageClass: f.cls } : {}) };
      }
      if (cmd instanceof RestoreObjectCommand) {
        sent.push({ key: cmd.input.Key!, tier: cmd.input.RestoreRequest?.GlacierJobParameters?.Tier, days: cmd.input.RestoreRequest?.Days });
        return {};
      }
      throw new Error(`unexpected ${String(cmd)}`);
    },
  };
  const settings: Settings = {
    ...defaultSettings('/a'),
    target: { kind: 's3', bucket: 'lab', prefix: 'lab', region: 'us-east-1', profile: '', endpoint: '' },
    restore: { days },
  };
  const aws = { clients: { s3 }, compute: { prices: loadPriceTable(), region: 'us-east-1' } } as unknown as AwsContext;
  const ctx = {
    demo: false,
    store: { list: async (p: string) => Object.keys(files).filter((k) => k.startsWith(p)) },
    jobs: { show: async () => ({ name: 'rig-A s1' }) },
  } as unknown as JobsContext;
  const time = new FakeTime();
  const watcher = createRestoreWatcher({ inspect: () => null, store: createMemoryStore(), clock: time, timers: time, onDone: () => {}, onFailed: () => {} });
  const api = createResultsRestoreApi({ settings: () => settings, aws: () => aws, holding: async () => ctx, watcher, now: () => 1_000 });
  return { api, sent, watcher, heads: () => headCount };
}

test('each tier with its wait and its cost for the 30 GiB to restore, cheapest first; the days from settings', async () => {
  const { api, sent } = setUp(7);
  const { offer, pending } = await api.offer(ID);
  assert.equal(pending, null);
  assert.equal(offer.objects, 2, 'summary.json is STANDARD');
  assert.equal(offer.bytes, 30 * GiB);
  assert.equal(offer.days, 7);
  assert.deepEqual(
    offer.tiers.map((t) => [t.tier, t.waiting]),
    [
      ['Bulk', '5-12 hours'],
      ['Standard', '3-5 hours'],
      ['Expedited', '1-5 minutes'],
    ],
  );
  const usd = Object.fromEntries(offer.tiers.map((t) => [t.tier, t.usd]));
  // restore-plan.ts's GLACIER facts: per GB plus per 1,000 requests
  assert.ok(Math.abs(usd.Standard - (30 * 0.01 + (2 / 1000) * 0.05)) < 1e-9);
  assert.ok(Math.abs(usd.Expedited - (30 * 0.03 + (2 / 1000) * 10)) < 1e-9);
  assert.equal(usd.Bulk, 0);
  const standard = loadPriceTable().regions['us-east-1'].s3PerGbMonth!.STANDARD!;
  assert.ok(Math.abs(offer.restoredCopyUsd! - 30 * standard * (7 / 30)) < 1e-9, 'the copies priced for the days of the setting');
  assert.equal(sent.length, 0, 'the offer only HEADs');
});

test('restore: refused without consent; with it, the tier and days asked and the restore watched', async () => {
  const { api, sent, watcher } = setUp(5);
  await assert.rejects(api.restore({ id: ID, tier: 'Bulk', consent: false }), (e: { code?: string }) => e.code === 'CONSENT_REQUIRED');
  assert.equal(sent.length, 0);
  const r = await api.restore({ id: ID, tier: 'Expedited', consent: true });
  assert.deepEqual(
    sent.map((s) => [s.key, s.tier, s.days]),
    [
      [`lab/jobs/${ID}/results/F.npy`, 'Expedited', 5],
      [`lab/jobs/${ID}/results/rois.json`, 'Expedited', 5],
    ],
  );
  assert.deepEqual(r.pending, { tier: 'Expedited', waiting: '1-5 minutes', since: 1_000, days: 5 });
  assert.deepEqual(
    watcher.pending().map((w) => [w.id, w.label, w.keys.length]),
    [[`results:${ID}`, 'results of rig-A s1', 2]],
  );
});

test('a bad analysis id is refused before any request', async () => {
  const { api, sent } = setUp();
  await assert.rejects(api.offer('../../etc'), (e: { code?: string }) => e.code === 'INVALID_INPUT');
  assert.equal(sent.length, 0);
});

test('opening results S3 refuses to read (InvalidObjectState, even wrapped) is RESULTS_ARCHIVED; other failures pass as they are', async () => {
  const s3Refusal = Object.assign(new Error("The operation is not valid for the object's storage class"), { name: 'InvalidObjectState' });
  await assert.rejects(archivedAsRefusal(Promise.reject(s3Refusal)), (e: { code?: string }) => e.code === 'RESULTS_ARCHIVED');
  await assert.rejects(
    archivedAsRefusal(Promise.reject(new Error('reading summary.json failed', { cause: s3Refusal }))),
    (e: { code?: string }) => e.code === 'RESULTS_ARCHIVED',
  );
  const other = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
  await assert.rejects(archivedAsRefusal(Promise.reject(other)), (e) => e === other);
  assert.equal(await archivedAsRefusal(Promise.resolve(7)), 7);
});

test('while the watcher waits for the restore, the offer asks S3 nothing', async () => {
  const { api, sent, heads } = setUp(5);
  await api.restore({ id: ID, tier: 'Bulk', consent: true });
  const before = heads();
  const again = await api.offer(ID);
  assert.equal(heads(), before, 'no HEAD');
  assert.deepEqual(again.pending, { tier: 'Bulk', waiting: '5-12 hours', since: 1_000, days: 5 });
  assert.equal(again.offer.ongoing, 2);
  assert.equal(sent.length, 2);
});
