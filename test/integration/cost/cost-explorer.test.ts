import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GetCostAndUsageCommand } from '@aws-sdk/client-cost-explorer';
import { useMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from '../instances/fixture.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createCostExplorerCache, DEFAULT_CE_MAX_AGE_MS, DEFAULT_CE_MIN_INTERVAL_MS } from '../../../main/cost/cost-explorer.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());
const MIN = 60_000;

const byService = {
  ResultsByTime: [
    {
      TimePeriod: { Start: '2026-11-01', End: '2026-11-28' },
      Total: {},
      Groups: [
        { Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: '41.25', Unit: 'USD' } } },
        { Keys: ['Amazon Simple Storage Service'], Metrics: { UnblendedCost: { Amount: '8.75', Unit: 'USD' } } },
      ],
      Estimated: true,
    },
  ],
};
const byOwner = {
  ResultsByTime: [
    {
      TimePeriod: { Start: '2026-11-01', End: '2026-11-28' },
      Total: {},
      Groups: [
        { Keys: ['scopecloud:owner$alice'], Metrics: { UnblendedCost: { Amount: '30', Unit: 'USD' } } },
        { Keys: ['scopecloud:owner$'], Metrics: { UnblendedCost: { Amount: '20', Unit: 'USD' } } },
      ],
      Estimated: true,
    },
  ],
};

describe('Cost Explorer month-to-date, cached, against moto', { skip }, () => {
  let moto: MotoServer;
  useMoto(
    (m) => {
      moto = m;
    },
    async (m) => {
      await m.post('/moto-api/static/ce/cost-and-usage-results', { results: [byService, byOwner] });
    },
  );

  function counting(moto: MotoServer) {
    const real = awsClients(moto).costExplorer;
    const calls: string[] = [];
    return {
      calls,
      ce: {
        send: (c: GetCostAndUsageCommand) => {
          calls.push(c.input.GroupBy?.[0]?.Key ?? '');
          return real.send(c);
        },
      },
    };
  }

  it('parses totals by service and by owner tag', async () => {
    const { ce, calls } = counting(moto);
    const cache = createCostExplorerCache({ ce, store: createMemoryStore(), clock: fakeClock() });
    const a = await cache.monthToDate();
    assert.deepEqual(calls, ['SERVICE', 'scopecloud:owner']);
    assert.equal(a.fromCache, false);
    assert.equal(a.total, 50);
    assert.deepEqual(
      a.byService.map((l) => [l.key, l.amount]),
      [
        ['Amazon Elastic Compute Cloud - Compute', 41.25],
        ['Amazon Simple Storage Service', 8.75],
      ],
    );
    assert.deepEqual(
      a.byOwner.map((l) => [l.key, l.amount]),
      [
        ['alice', 30],
        ['(untagged)', 20],
      ],
    );
    assert.match(a.start, /^\d{4}-\d{2}-01$/);
  });

  it('never asks AWS again within the minimum interval, even when refreshes are forced in a loop', async () => {
    const { ce, calls } = counting(moto);
    const clock = fakeClock();
    const store = createMemoryStore();
    const cache = createCostExplorerCache({ ce, store, clock });
    await cache.monthToDate();
    assert.equal(calls.length, 2);

    for (let k = 0; k < 50; k += 1) {
      clock.advance(10_000); // 50 x 10 s = 8 min 20 s < 10 min
      const a = await cache.monthToDate({ refresh: true });
      assert.equal(a.fromCache, true);
      assert.equal(a.total, 50);
    }
    assert.equal(calls.length, 2, 'forced refreshes inside the floor are served from cache');

    clock.advance(DEFAULT_CE_MIN_INTERVAL_MS);
    const refreshed = await cache.monthToDate({ refresh: true });
    assert.equal(refreshed.fromCache, false);
    assert.equal(calls.length, 4, 'an explicit refresh after the floor asks again');

    clock.advance(DEFAULT_CE_MAX_AGE_MS - MIN);
    assert.equal((await cache.monthToDate()).fromCache, true, 'plain reads use the cache until it is maxAge old');
    assert.equal(calls.length, 4);
    clock.advance(2 * MIN);
    assert.equal((await cache.monthToDate()).fromCache, false);
    assert.equal(calls.length, 6);
  });

  it('the cache survives a restart (same store) and concurrent readers share one request', async () => {
    const { ce, calls } = counting(moto);
    const clock = fakeClock();
    const store = createMemoryStore();
    const first = createCostExplorerCache({ ce, store, clock });
    const [a, b] = await Promise.all([first.monthToDate(), first.monthToDate()]);
    assert.equal(calls.length, 2);
    assert.equal(a.fetchedAt, b.fetchedAt);
    clock.advance(30 * MIN);
    const restarted = createCostExplorerCache({ ce, store, clock });
    const c = await restarted.monthToDate();
    assert.equal(c.fromCache, true);
    assert.equal(c.ageMs, 30 * MIN);
    assert.equal(calls.length, 2);
  });

  it('cost summary: live cost from running instances plus the cached actual spend', async () => {
    const clock = fakeClock();
    const { services } = computeOn(moto, { clock });
    await services.instances.launch({ preset: 'small-analysis' });
    clock.advance(2 * 60 * MIN);
    const sum = await services.cost.summary();
    // Independent figures: AWS's published on-demand price of c7i.2xlarge (Linux, us-east-1) is
    // $0.357 an hour, so two hours accrue $0.714 (within 10 s of uptime: moto stamps the launch in
    // whole real seconds, the fake clock started a moment before); month-to-date is moto's seeded $50.
    const tenSeconds = (0.357 * 10) / 3600;
    assert.equal(sum.live.running, 1);
    assert.equal(sum.live.hourlyRate, 0.357);
    assert.ok(Math.abs(sum.live.accruedCompute - 0.714) < tenSeconds, `accrued ${sum.live.accruedCompute}`);
    assert.ok(Math.abs(sum.instances[0].accruedCost! - 0.714) < tenSeconds, `instance accrued ${sum.instances[0].accruedCost}`);
    assert.equal(sum.actual?.total, 50);
    assert.ok(sum.projectedMonthTotal! > 50);
    clock.advance(60 * MIN);
    const again = await services.cost.summary();
    assert.equal(again.actual?.fromCache, true);
    assert.ok(
      Math.abs(again.live.accruedCompute - 3 * 0.357) < tenSeconds,
      `live cost keeps ticking between Cost Explorer reads: ${again.live.accruedCompute}`,
    );
  });
});
