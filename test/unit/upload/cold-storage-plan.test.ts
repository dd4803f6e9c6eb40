import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { LifecycleRule } from '@aws-sdk/client-s3';
import {
  coldExplanation,
  coldRuleId,
  coldRules,
  coldSaving,
  coldStatus,
  ColdStorageInputError,
  isEligible,
  mergeColdRules,
  parseColdClass,
  parseColdDays,
  RAW_MIN_BYTES,
  rawPrefixes,
  withoutColdRules,
} from '../../../main/upload/cold-storage-plan.ts';
import type { PriceTable } from '../../../main/cost/price-table.ts';

const GB = 2 ** 30;
const DAY = 86_400_000;
const prices = {
  description: '',
  source: '',
  retrieved: '2026-12-01',
  currency: 'USD',
  instanceTypes: {},
  regions: {
    'us-east-1': { hourly: {}, ebsGp3PerGbMonth: 0.08, snapshotPerGbMonth: 0.05, s3PerGbMonth: { STANDARD: 0.023, GLACIER_IR: 0.004, DEEP_ARCHIVE: 0.00099 } },
  },
} satisfies PriceTable;

test('raw prefixes: one per watched folder label under the destination prefix; jobs/ and workers/ never', () => {
  assert.deepEqual(rawPrefixes('lab', ['/data/scope1', '/mnt/scope2']), ['lab/scope1/', 'lab/scope2/']);
  assert.deepEqual(rawPrefixes('', ['/data/scope1']), ['scope1/']);
  const twins = rawPrefixes('lab/', ['/a/scope', '/b/scope']);
  assert.equal(twins.length, 2);
  assert.ok(
    twins.every((p) => /^lab\/scope-[0-9a-f]{6}\/$/.test(p)),
    'same-named folders get their hashed labels, as object-keys.ts keys them',
  );
  assert.throws(() => rawPrefixes('lab', ['/data/jobs']), ColdStorageInputError);
  assert.throws(() => rawPrefixes('lab', ['/data/workers']), /workers\/ area/);
});

test('the rule: a prefix and a size bound per watched folder, one transition', () => {
  const [r] = coldRules(['lab/scope1/'], 30, 'GLACIER_IR');
  assert.deepEqual(r, {
    ID: coldRuleId('lab/scope1/'),
    Status: 'Enabled',
    Filter: { And: { Prefix: 'lab/scope1/', ObjectSizeGreaterThan: RAW_MIN_BYTES } },
    Transitions: [{ Days: 30, StorageClass: 'GLACIER_IR' }],
  });
});

test('merge keeps every other rule as it was and replaces ours; removal takes only ours', () => {
  const other: LifecycleRule = { ID: 'expire-scratch', Status: 'Enabled', Filter: { Prefix: 'scratch/' }, Expiration: { Days: 30 } };
  const abort: LifecycleRule = {
    ID: 'scopecloud-abort-incomplete-uploads/lab/',
    Status: 'Enabled',
    Filter: { Prefix: 'lab/' },
    AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
  };
  const otherPrefix = coldRules(['other/scope1/'], 10, 'DEEP_ARCHIVE')[0];
  const first = mergeColdRules([other, abort, otherPrefix], 'lab', coldRules(['lab/scope1/'], 30, 'GLACIER_IR'));
  assert.equal(first.length, 4);
  assert.deepEqual(first.slice(0, 3), [other, abort, otherPrefix], "other rules, including another prefix's cold rule, untouched");
  const second = mergeColdRules(first, 'lab', coldRules(['lab/scope1/', 'lab/scope2/'], 60, 'GLACIER'));
  assert.equal(second.length, 5);
  assert.deepEqual(
    second.slice(3).map((r) => [r.Filter?.And?.Prefix, r.Transitions?.[0]?.Days, r.Transitions?.[0]?.StorageClass]),
    [
      ['lab/scope1/', 60, 'GLACIER'],
      ['lab/scope2/', 60, 'GLACIER'],
    ],
  );
  assert.deepEqual(withoutColdRules(second, 'lab/'), [other, abort, otherPrefix]);
});

test('status: present, partial (a watched folder added since), absent', () => {
  const ours = coldRules(['lab/scope1/'], 30, 'GLACIER_IR');
  assert.equal(coldStatus(ours, 'lab', ['lab/scope1/']).state, 'present');
  const partial = coldStatus(ours, 'lab', ['lab/scope1/', 'lab/scope2/']);
  assert.deepEqual([partial.state, partial.missing], ['partial', ['lab/scope2/']]);
  assert.deepEqual(partial.rules[0], { id: coldRuleId('lab/scope1/'), prefix: 'lab/scope1/', days: 30, storageClass: 'GLACIER_IR', enabled: true });
  assert.equal(coldStatus([{ ...ours[0], Status: 'Disabled' }], 'lab', ['lab/scope1/']).state, 'absent');
  assert.equal(coldStatus([], 'lab', ['lab/scope1/']).state, 'absent');
});

test('eligible: STANDARD, over 16 MiB, stored at least N days', () => {
  const now = Date.UTC(2026, 11, 7);
  const old = new Date(now - 31 * DAY);
  assert.equal(isEligible({ Size: RAW_MIN_BYTES + 1, LastModified: old }, 30, now), true);
  assert.equal(isEligible({ Size: RAW_MIN_BYTES, LastModified: old }, 30, now), false, 'a manifest-sized file stays');
  assert.equal(isEligible({ Size: RAW_MIN_BYTES + 1, LastModified: new Date(now - 29 * DAY) }, 30, now), false);
  assert.equal(isEligible({ Size: RAW_MIN_BYTES + 1, LastModified: old, StorageClass: 'GLACIER_IR' }, 30, now), false, 'already moved');
});

test('saving per month = bytes x (STANDARD - cold), with the one-time and retrieval fees', () => {
  const s = coldSaving({ eligible: { bytes: 1000 * GB, objects: 2000 }, prices, region: 'us-east-1', storageClass: 'GLACIER_IR', days: 30 });
  assert.ok(Math.abs((s.perMonth ?? 0) - 1000 * (0.023 - 0.004)) < 1e-9);
  assert.ok(Math.abs(s.transitionOnce - 2 * 0.02) < 1e-12);
  assert.ok(Math.abs(s.retrievalAll - 1000 * 0.03) < 1e-9);
  assert.equal(s.minStorageDays, 90);
  const deep = coldSaving({ eligible: { bytes: 1000 * GB, objects: 2000 }, prices, region: 'us-east-1', storageClass: 'DEEP_ARCHIVE', days: 30 });
  assert.equal(deep.minStorageDays, 180);
  assert.equal(
    coldSaving({ eligible: { bytes: GB, objects: 1 }, prices, region: 'us-east-1', storageClass: 'GLACIER', days: 30 }).perMonth,
    null,
    'unpriced is unknown, not zero',
  );
  const words = coldExplanation('lab-data', ['lab/scope1/'], s).join('\n');
  assert.match(words, /s3:\/\/lab-data\/lab\/scope1\/ to Glacier Instant Retrieval \(GLACIER_IR\) 30 days after upload/);
  assert.match(words, /a saving of \$19\.00 per month/);
  assert.match(words, /manifest\.json files, analysis results \(jobs\/\) and smaller files stay in STANDARD/);
  assert.match(words, /billed for the rest of the 90 days/);
  assert.match(
    coldExplanation('b', ['p/'], coldSaving({ eligible: { bytes: GB, objects: 1 }, prices, region: 'us-east-1', storageClass: 'GLACIER', days: 1 })).join('\n'),
    /saving is unknown/,
  );
});

test('inputs: days 0..3650 whole numbers, the three cold classes (any case)', () => {
  assert.equal(parseColdDays('45'), 45);
  assert.equal(parseColdDays(0), 0);
  for (const bad of ['-1', '1.5', 'ten', '', '3651', '1e2']) assert.throws(() => parseColdDays(bad), ColdStorageInputError, bad);
  assert.equal(parseColdClass('glacier_ir'), 'GLACIER_IR');
  assert.throws(() => parseColdClass('STANDARD_IA'), /GLACIER_IR, GLACIER, DEEP_ARCHIVE/);
});
