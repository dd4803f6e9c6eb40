import { test } from 'node:test';
import assert from 'node:assert/strict';
import { launchCheck, toBudget, toExplanation, toInstance, toOverrides, toPreset } from '../../../main/app/compute-mapping.ts';
import { explainAction } from '../../../main/instances/explain.ts';
import { PRESETS } from '../../../main/instances/presets.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { liveCost } from '../../../main/cost/live-cost.ts';
import { makeInstance } from '../instances/make-instance.ts';

test('instances keep their cost and a start time only while running', () => {
  const now = Date.parse('2025-03-14T12:00:00Z');
  const running = makeInstance({
    id: 'i-0123456789abcdef0',
    state: 'running',
    launchTime: '2025-03-14T10:00:00Z',
    accruedCost: 2,
    hourlyPrice: 1,
    owner: null,
    managed: true,
  });
  const r = toInstance(running, now);
  assert.deepEqual([r.launchTime, r.accruedCost, r.owner, r.launchedByApp, r.costAsOf], [Date.parse('2025-03-14T10:00:00Z'), 2, '', true, now]);
  const stopped = toInstance(makeInstance({ id: 'i-0123456789abcdef1', state: 'stopped', launchTime: '2025-03-14T10:00:00Z', accruedCost: null }), now);
  assert.deepEqual([stopped.launchTime, stopped.accruedCost], [null, 0]);
});

test('terminate asks for the name (or the id when there is none)', () => {
  const named = makeInstance({ id: 'i-0123456789abcdef2', name: 'gpu-box' });
  assert.equal(toExplanation('terminate', explainAction('terminate', named), named).confirmText, 'gpu-box');
  const unnamed = makeInstance({ id: 'i-0123456789abcdef3' });
  assert.equal(toExplanation('terminate', explainAction('terminate', unnamed), unnamed).confirmText, unnamed.id);
  const stop = toExplanation('stop', explainAction('stop', named), named);
  assert.deepEqual([stop.confirmation, stop.confirmText], ['yes', null]);
});

test("presets carry the price table's figures", () => {
  const prices = loadPriceTable();
  const gpu = toPreset(
    PRESETS.find((p) => p.name === 'gpu')!,
    prices,
    'us-east-1',
  );
  assert.equal(gpu.type, 'g5.xlarge');
  assert.equal(gpu.gpus, 1);
  assert.ok(gpu.hourlyPrice > 0 && gpu.vcpus === 4, JSON.stringify(gpu));
});

test('a launch fits what is left after spend and running instances', () => {
  const fits = launchCheck(10, { limit: 100, spent: 60, committed: 20 });
  assert.deepEqual([fits.allowed, fits.remaining, fits.refusal], [true, 20, null]);
  const over = launchCheck(25, { limit: 100, spent: 60, committed: 20 });
  assert.deepEqual([over.allowed, over.refusal], [false, 'BUDGET_EXCEEDED'], 'past the limit: the override is offered');
  assert.match(over.message, /\$25\.00 is more than the \$20\.00 left/);
});

test('the budget guard state follows spend and forecast against the limit', () => {
  const base = { now: 1, currency: 'USD', actualError: null, live: liveCost([], Date.parse('2025-03-14T00:00:00Z')), budget: null };
  const actual = (total: number) => ({
    fetchedAt: '2025-03-14T00:00:00Z',
    start: '2025-03-01',
    end: '2025-03-14',
    currency: 'USD',
    total,
    byService: [
      { key: 'Amazon EC2', amount: total },
      { key: 'Tax', amount: 0 },
    ],
    byOwner: [{ key: '', amount: total }],
    daily: [{ date: '2025-03-02', amount: total }],
    fromCache: false,
    ageMs: 0,
    nextRefreshAt: '',
  });
  assert.equal(toBudget({ ...base, actual: actual(10), localLimit: null }).guard.state, 'blocked', 'no limit: launches are refused');
  assert.equal(toBudget({ ...base, actual: actual(10), localLimit: null }).guard.remaining, null);
  assert.equal(
    toBudget({ ...base, actual: actual(10), localLimit: null }).guard.message,
    'No monthly limit is set, so launches and EC2 analyses are refused until one is.',
  );
  const ok = toBudget({ ...base, actual: actual(10), localLimit: 100 });
  assert.deepEqual([ok.guard.state, ok.guard.remaining, ok.thresholds.map((t) => t.crossed)], ['ok', 90, [false, false, false]]);
  assert.deepEqual(ok.byService, [{ name: 'Amazon EC2', amount: 10 }], 'zero lines are left out');
  assert.deepEqual(ok.byOwner, [{ name: '(untagged)', amount: 10 }]);
  assert.deepEqual(ok.daily, [{ date: '2025-03-02', amount: 10 }], 'the daily figures feed the chart');
  assert.equal(toBudget({ ...base, actual: actual(85), localLimit: 100 }).guard.state, 'warning');
  const blocked = toBudget({ ...base, actual: actual(120), localLimit: 100 });
  assert.deepEqual([blocked.guard.state, blocked.guard.remaining, blocked.thresholds.map((t) => t.crossed)], ['blocked', 0, [true, true, true]]);
  const aws = toBudget({
    ...base,
    actual: null,
    actualError: 'AccessDenied',
    localLimit: 100,
    budget: {
      name: 'lab',
      type: 'COST',
      timeUnit: 'MONTHLY',
      currency: 'USD',
      limit: 500,
      actual: 100,
      forecast: 450,
      percentUsed: 20,
      thresholds: [{ percent: 50, crossed: false }],
      level: 0,
    },
  });
  assert.deepEqual([aws.limit, aws.monthToDate, aws.forecast, aws.guard.state], [500, 100, 450, 'ok'], 'an AWS Budget wins over the local limit');
  assert.match(aws.guard.message, /Cost Explorer could not be read: AccessDenied/);
});

test('budget overrides: the shared log in contract terms (ARN, host, epoch time), an unread log says why', () => {
  const record = {
    checked: true,
    overridden: true,
    limitName: 'lab',
    source: 'aws-budget' as const,
    limit: 100,
    spent: 90,
    committed: 5,
    planned: 10,
    projected: 105,
    at: '2026-03-01T10:00:00.000Z',
    action: 'launch' as const,
    subject: 'gpu',
    reason: 'grant deadline',
    by: 'maria',
  };
  const shared = toOverrides({
    shared: true,
    location: 's3://lab/budget/overrides/',
    overrides: [{ ...record, identity: { arn: 'arn:aws:iam::123456789012:user/maria', account: '123456789012' }, host: 'rig-a' }],
  });
  assert.deepEqual(shared, {
    shared: true,
    location: 's3://lab/budget/overrides/',
    error: null,
    list: [
      {
        at: Date.parse('2026-03-01T10:00:00Z'),
        action: 'launch',
        subject: 'gpu',
        by: 'maria',
        identity: 'arn:aws:iam::123456789012:user/maria',
        host: 'rig-a',
        reason: 'grant deadline',
        projected: 105,
        limit: 100,
      },
    ],
  });
  const local = toOverrides({ shared: false, location: null, overrides: [{ ...record, identity: null, host: null }] });
  assert.equal(local.list[0].identity, null);
  assert.deepEqual(toOverrides({ error: 'The budget overrides could not be read: AccessDenied' }), {
    shared: false,
    location: null,
    error: 'The budget overrides could not be read: AccessDenied',
    list: [],
  });
});
