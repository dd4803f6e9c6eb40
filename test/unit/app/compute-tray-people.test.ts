/**
 * The tray's and the daily summary's top spenders come from the figures the Budget view (or the
 * status line) last cached: drawing the tray asks Cost Explorer nothing ($0.01 a request).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventHub } from '../../../main/app/events.ts';
import { createComputeApi } from '../../../main/app/compute-api.ts';
import type { AwsContext } from '../../../main/app/aws-context.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { liveCost } from '../../../main/cost/live-cost.ts';
import { dailySummaryNotification } from '../../../main/tray/daily-summary.ts';

const GB = 2 ** 30;

test('tray: top spenders from the cached Cost Explorer answer and the storage split, no new Cost Explorer request', async () => {
  const settings = defaultSettings('/arch');
  settings.target = { kind: 's3', bucket: 'lab', region: 'eu-west-1', prefix: '', profile: '', endpoint: '' };
  let asked = 0;
  const actual = {
    total: 21.5,
    byService: [],
    byOwner: [
      { key: 'maria', amount: 12.5 },
      { key: 'ana', amount: 6 },
      { key: '', amount: 3 },
    ],
    daily: [],
    start: '2026-12-01',
    end: '2026-12-07',
    fetchedAt: '2026-12-07T10:00:00.000Z',
    nextRefreshAt: '2026-12-07T16:00:00.000Z',
    fromCache: true,
    ageMs: 0,
  };
  const ctx = {
    owner: 'maria',
    poller: { latest: () => null, poke: async () => {} },
    compute: {
      instances: { list: async () => [] },
      cost: {
        summary: async () => {
          asked++;
          return { actual, actualError: null, live: liveCost([], Date.now()), instances: [] };
        },
      },
      budgets: { list: async () => [] },
      guard: { listOverrides: async () => ({ shared: false, location: null, overrides: [] }) },
    },
  } as unknown as AwsContext;
  const storage = [
    { owner: 'lee', bytes: 100 * GB, monthly: 2.3 },
    { owner: 'unattributed', bytes: 50 * GB, monthly: 1.15 },
  ];
  const api = createComputeApi({ settings: () => settings, context: () => ctx, env: {}, hub: createEventHub({ minGapMs: 0 }), storageByOwner: () => storage });

  const before = await api.trayModel();
  assert.match(before.tooltip, /This month by person \(storage only; compute comes with Cost Explorer\): lee \$2\.30; unattributed \$1\.15/);
  assert.equal(asked, 0, 'the tray asked Cost Explorer nothing');

  await api.getBudget(); // the Budget view reads (the cache's own rules decide whether AWS is asked)
  assert.equal(asked, 1);
  const after = await api.trayModel();
  assert.match(after.tooltip, /This month by person: maria \$12\.50, ana \$6\.00, lee \$2\.30; unattributed \$4\.15$/);
  assert.equal(asked, 1, 'drawing the tray again asked nothing');

  const n = dailySummaryNotification(
    { day: '2026-12-06', timeZone: 'UTC', start: 0, end: 0, items: [], totalRunMs: 0, totalCost: 0, unpriced: 0 },
    [],
    api.trayPeople(),
  );
  assert.equal(n.body, 'Nothing was billed for compute. This month by person: maria $12.50, ana $6.00, lee $2.30; unattributed $4.15.');
  assert.equal(asked, 1);
});
