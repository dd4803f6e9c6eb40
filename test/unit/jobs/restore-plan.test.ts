import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRestoreHeader, restorePlan, RESTORE_DAYS } from '../../../main/jobs/restore-plan.ts';

const GB = 2 ** 30;
const now = Date.parse('2026-12-07T12:00:00Z');

test('x-amz-restore: absent, ongoing, restored with its expiry', () => {
  assert.deepEqual(parseRestoreHeader(undefined), { kind: 'none' });
  assert.deepEqual(parseRestoreHeader('ongoing-request="true"'), { kind: 'ongoing' });
  assert.deepEqual(parseRestoreHeader('ongoing-request="false", expiry-date="Fri, 11 Dec 2026 00:00:00 GMT"'), {
    kind: 'restored',
    expiresAt: Date.parse('2026-12-11T00:00:00Z'),
  });
  assert.deepEqual(parseRestoreHeader('garbage'), { kind: 'none' });
});

test('which objects need a restore: GLACIER and DEEP_ARCHIVE without a live restored copy', () => {
  const p = restorePlan(
    [
      { key: 'a', size: 10 * GB, storageClass: 'GLACIER' },
      { key: 'b', size: GB, storageClass: 'GLACIER_IR' },
      { key: 'c', size: GB },
      { key: 'd', size: GB, storageClass: 'GLACIER', restore: 'ongoing-request="true"' },
      { key: 'e', size: GB, storageClass: 'GLACIER', restore: 'ongoing-request="false", expiry-date="Fri, 11 Dec 2026 00:00:00 GMT"' },
      { key: 'f', size: 10 * GB, storageClass: 'GLACIER', restore: 'ongoing-request="false", expiry-date="Fri, 04 Dec 2026 00:00:00 GMT"' },
    ],
    0.023,
    now,
  );
  assert.deepEqual(
    p.toRestore.map((o) => o.key),
    ['a', 'f'],
    'an expired restored copy needs a new restore',
  );
  assert.deepEqual(
    p.ongoing.map((o) => o.key),
    ['d'],
  );
  assert.equal(p.ready, 3);
  assert.equal(p.bytesToRestore, 20 * GB);
});

test('cost and waiting by tier: per GB plus per request, cheapest first; no Expedited for DEEP_ARCHIVE', () => {
  const glacier = restorePlan(
    Array.from({ length: 2000 }, (_, i) => ({ key: `k${i}`, size: GB / 10, storageClass: 'GLACIER' })),
    0.023,
    now,
  );
  const t = Object.fromEntries(glacier.tiers.map((x) => [x.tier, x]));
  assert.deepEqual(
    glacier.tiers.map((x) => x.tier),
    ['Bulk', 'Standard', 'Expedited'],
  );
  assert.ok(Math.abs(t.Standard.usd - (200 * 0.01 + 2 * 0.05)) < 1e-9);
  assert.ok(Math.abs(t.Expedited.usd - (200 * 0.03 + 2 * 10)) < 1e-9);
  assert.equal(t.Bulk.usd, 0);
  assert.equal(t.Standard.waiting, '3-5 hours');
  assert.ok(Math.abs(glacier.restoredCopyUsd - 200 * 0.023 * (RESTORE_DAYS / 30)) < 1e-9);

  const mixed = restorePlan(
    [
      { key: 'g', size: 100 * GB, storageClass: 'GLACIER' },
      { key: 'd', size: 100 * GB, storageClass: 'DEEP_ARCHIVE' },
    ],
    null,
    now,
  );
  assert.deepEqual(
    mixed.tiers.map((x) => x.tier),
    ['Bulk', 'Standard'],
    'Expedited is not offered when an object is in DEEP_ARCHIVE',
  );
  const std = mixed.tiers.find((x) => x.tier === 'Standard')!;
  assert.ok(Math.abs(std.usd - (100 * 0.01 + 0.001 * 0.05 + 100 * 0.02 + 0.001 * 0.1)) < 1e-9);
  assert.equal(std.hours, 12, 'the slowest class sets the wait');
  assert.equal(std.waiting, 'GLACIER: 3-5 hours; DEEP_ARCHIVE: up to 12 hours');
  assert.equal(mixed.restoredCopyUsd, 0, 'unpriced: left to the caller to say');
  assert.deepEqual(restorePlan([{ key: 'x', size: GB }], 0.023, now).tiers, [], 'nothing cold, nothing to offer');
});
