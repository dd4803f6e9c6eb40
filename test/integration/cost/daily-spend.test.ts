import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GetCostAndUsageCommand } from '@aws-sdk/client-cost-explorer';
import { toBudget } from '../../../main/app/compute-mapping.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createCostExplorerCache } from '../../../main/cost/cost-explorer.ts';
import { liveCost } from '../../../main/cost/live-cost.ts';
import { useMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, fakeClock } from '../instances/fixture.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

const day = (start: string, end: string, ec2: string, s3: string) => ({
  TimePeriod: { Start: start, End: end },
  Total: {},
  Groups: [
    { Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: ec2, Unit: 'USD' } } },
    { Keys: ['Amazon Simple Storage Service'], Metrics: { UnblendedCost: { Amount: s3, Unit: 'USD' } } },
  ],
  Estimated: true,
});
// Cost Explorer answers DAILY by-service queries with one period per day.
const byServiceDaily = {
  ResultsByTime: [day('2026-11-01', '2026-11-02', '4.5', '0.5'), day('2026-11-02', '2026-11-03', '0', '0.25'), day('2026-11-03', '2026-11-04', '12', '1')],
};
const byOwner = {
  ResultsByTime: [
    {
      TimePeriod: { Start: '2026-11-01', End: '2026-11-04' },
      Total: {},
      Groups: [{ Keys: ['scopecloud:owner$alice'], Metrics: { UnblendedCost: { Amount: '18.25', Unit: 'USD' } } }],
      Estimated: true,
    },
  ],
};

describe('daily spend from the same Cost Explorer query (moto)', { skip }, () => {
  let moto: MotoServer;
  useMoto(
    (m) => {
      moto = m;
    },
    async (m) => {
      await m.post('/moto-api/static/ce/cost-and-usage-results', { results: [byServiceDaily, byOwner] });
    },
  );

  it('asks DAILY by service and MONTHLY by owner, two requests in all, and keeps the days in the cache', async () => {
    const real = awsClients(moto).costExplorer;
    const calls: string[] = [];
    const ce = {
      send: (c: GetCostAndUsageCommand) => {
        calls.push(`${c.input.GroupBy?.[0]?.Key}:${c.input.Granularity}`);
        return real.send(c);
      },
    };
    const store = createMemoryStore();
    const clock = fakeClock(Date.UTC(2026, 10, 3, 12));
    const a = await createCostExplorerCache({ ce, store, clock }).monthToDate();
    assert.deepEqual(calls, ['SERVICE:DAILY', 'scopecloud:owner:MONTHLY']);
    assert.deepEqual(a.daily, [
      { date: '2026-11-01', amount: 5 },
      { date: '2026-11-02', amount: 0.25 },
      { date: '2026-11-03', amount: 13 },
    ]);
    assert.equal(a.total, 18.25);
    assert.deepEqual(
      a.byService.map((l) => [l.key, l.amount]),
      [
        ['Amazon Elastic Compute Cloud - Compute', 16.5],
        ['Amazon Simple Storage Service', 1.75],
      ],
    );

    clock.advance(60 * 60_000);
    const restarted = await createCostExplorerCache({ ce, store, clock }).monthToDate();
    assert.equal(restarted.fromCache, true);
    assert.equal(calls.length, 2, 'the cache honours its age: no new request');
    assert.deepEqual(restarted.daily, a.daily);

    const budget = toBudget({
      now: clock.now(),
      currency: 'USD',
      actual: restarted,
      actualError: null,
      live: liveCost([], clock.now()),
      budget: null,
      localLimit: 100,
    });
    assert.deepEqual(budget.daily, a.daily, 'the budget view gets the days for its chart');
  });

  it('an answer cached before daily figures existed reads as no days, not an error', () => {
    const store = createMemoryStore({
      'cost-explorer/month-to-date': {
        fetchedAtMs: 1,
        value: { fetchedAt: new Date(1).toISOString(), start: '1970-01-01', end: '1970-01-02', currency: 'USD', total: 1, byService: [], byOwner: [] },
      },
    });
    const cache = createCostExplorerCache({ ce: { send: () => Promise.reject(new Error('not asked')) }, store, clock: fakeClock(2) });
    assert.deepEqual(cache.peek()?.daily, []);
  });
});
