import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { accruedCost, liveCost, remainingRunMs } from '../../../main/cost/live-cost.ts';
import { PriceMissingError, hourlyPrice, hourlyPriceOrNull, loadPriceTable } from '../../../main/cost/price-table.ts';
import { PRESETS } from '../../../main/instances/presets.ts';
import { duration, usd } from '../../../main/cost/money.ts';
import { makeInstance } from '../instances/make-instance.ts';

const HOUR = 3_600_000;

describe('price table', () => {
  const table = loadPriceTable();
  it('has a date and source, and a price for every preset in every region', () => {
    assert.match(table.retrieved, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(table.source.length > 10);
    for (const region of Object.keys(table.regions)) {
      for (const p of PRESETS) assert.ok(hourlyPrice(table, region, p.instanceType) > 0, `${p.instanceType} in ${region}`);
      assert.ok(table.regions[region].ebsGp3PerGbMonth > 0);
      assert.ok(table.regions[region].snapshotPerGbMonth > 0);
    }
    for (const type of Object.keys(table.regions['us-east-1'].hourly)) assert.ok(table.instanceTypes[type], `specs for ${type}`);
  });
  it('a missing price is a typed error naming type and region', () => {
    assert.throws(
      () => hourlyPrice(table, 'us-east-1', 'x9.huge'),
      (e: PriceMissingError) => e.code === 'PRICE_MISSING' && /x9\.huge in us-east-1/.test(e.message),
    );
    assert.throws(
      () => hourlyPrice(table, 'mars-1', 'c7i.2xlarge'),
      (e: PriceMissingError) => /region mars-1/.test(e.message),
    );
    assert.equal(hourlyPriceOrNull(table, 'mars-1', 'c7i.2xlarge'), null);
  });
});

describe('live cost', () => {
  it('accrues per second', () => {
    assert.equal(accruedCost(3.6, 1000), 0.001);
    assert.equal(accruedCost(2, -5), 0);
  });

  it('sums running instances, counts unpriced ones, bills storage for stopped ones too', () => {
    const now = Date.UTC(2026, 10, 30, 0); // 24 h before month end
    const live = liveCost(
      [
        makeInstance({ id: 'i-a', hourlyPrice: 1, uptimeMs: 2 * HOUR, maxRuntimeMinutes: 180, storageMonthly: 7.3 }),
        makeInstance({ id: 'i-b', hourlyPrice: 0.5, uptimeMs: HOUR, maxRuntimeMinutes: null }),
        makeInstance({ id: 'i-c', hourlyPrice: null, type: 'x9.huge' }),
        makeInstance({ id: 'i-d', state: 'stopped', hourlyPrice: 9, storageMonthly: 7.3 }),
        makeInstance({ id: 'i-e', state: 'terminated', hourlyPrice: 9, storageMonthly: 100 }),
      ],
      now,
    );
    assert.equal(live.running, 3);
    assert.equal(live.hourlyRate, 1.5);
    assert.equal(live.accruedCompute, 2 * 1 + 1 * 0.5);
    assert.deepEqual(live.unpriced, ['i-c (x9.huge)']);
    assert.ok(Math.abs(live.storageMonthly - 14.6) < 1e-9);
    // i-a: 1 h left of its max runtime; i-b: 24 h to month end; storage: 14.6 $/730 h x 24 h.
    const expected = 1 * 1 + 0.5 * 24 + (14.6 / 730) * 24;
    assert.ok(Math.abs(live.projectedRestOfMonth - expected) < 1e-9, `${live.projectedRestOfMonth} vs ${expected}`);
  });

  it('remaining run time is capped by month end and never negative', () => {
    const now = Date.UTC(2026, 10, 30, 23); // 1 h before month end
    const end = Date.UTC(2026, 11, 1);
    assert.equal(remainingRunMs(makeInstance({ id: 'i', maxRuntimeMinutes: 600, uptimeMs: 0 }), now, end), HOUR);
    assert.equal(remainingRunMs(makeInstance({ id: 'i', maxRuntimeMinutes: 60, uptimeMs: 2 * HOUR }), now, end), 0);
  });

  it('formats money and durations', () => {
    assert.equal(usd(1.5), '$1.50');
    assert.equal(usd(0.0042), '$0.0042');
    assert.equal(duration(3 * HOUR + 5 * 60_000), '3 h 05 min');
    assert.equal(duration(26 * HOUR), '1 d 2 h');
  });
});
