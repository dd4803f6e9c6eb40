/**
 * The price table's age, held at chosen days by an injected clock: 89 days old is current, 91
 * days old warns with the way to refresh; the app's contract and `scopecloud cost` both say so.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createComputeApi } from '../../../main/app/compute-api.ts';
import { toPriceTableInfo } from '../../../main/app/compute-mapping.ts';
import type { AwsContext } from '../../../main/app/aws-context.ts';
import { createEventHub } from '../../../main/app/events.ts';
import { ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { runCost } from '../../../main/cli/commands/cost.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import type { CostExplorerCache } from '../../../main/cost/cost-explorer.ts';
import { createCostService } from '../../../main/cost/cost-service.ts';
import { priceAge, priceAgeText, priceAgeWarning, STALE_PRICE_DAYS } from '../../../main/cost/price-age.ts';
import { loadPriceTable, type PriceTable } from '../../../main/cost/price-table.ts';
import type { ComputeServices } from '../../../main/instances/compute-services.ts';

const DAY = 86_400_000;
const shipped = loadPriceTable();
/** The instant `days` whole days (and a few hours) after the shipped table's date. */
const daysAfterShipped = (days: number) => Date.parse(`${shipped.retrieved}T00:00:00Z`) + days * DAY + 5 * 3_600_000;
const clockAt = (ms: number) => ({ now: () => ms });

test('the shipped table is dated, and its age is whole UTC days by the injected clock', () => {
  assert.match(shipped.retrieved, /^\d{4}-\d{2}-\d{2}$/);
  assert.equal(STALE_PRICE_DAYS, 90);
  const at89 = priceAge(shipped, clockAt(daysAfterShipped(89)));
  assert.deepEqual(at89, { asOf: shipped.retrieved, days: 89, stale: false, source: 'shipped' });
  assert.equal(priceAge(shipped, clockAt(daysAfterShipped(90))).stale, false, 'exactly 90 days is not older than 90');
  const at91 = priceAge(shipped, clockAt(daysAfterShipped(91)));
  assert.deepEqual([at91.days, at91.stale], [91, true]);
  assert.equal(priceAgeText(at89), `prices as of ${shipped.retrieved}, 89 days old`);
  assert.equal(priceAgeText({ asOf: '2026-12-06', days: 1 }), 'prices as of 2026-12-06, 1 day old');
  assert.equal(priceAge(shipped, clockAt(daysAfterShipped(-3))).days, 0, 'a table dated after the clock is 0 days old, not negative');
});

test('a stale table warns with the command that refreshes it; a current one does not', () => {
  assert.equal(priceAgeWarning(priceAge(shipped, clockAt(daysAfterShipped(89)))), null);
  const warning = priceAgeWarning(priceAge(shipped, clockAt(daysAfterShipped(91))));
  assert.match(warning ?? '', /91 days old \(older than 90 days\)/);
  assert.match(warning ?? '', /`scopecloud cost --refresh-prices`/);
});

test('a table fetched from the Pricing API is named as such and ages from its fetch day', () => {
  const fetched: PriceTable = { ...shipped, source: 'AWS Pricing API, fetched 2026-09-01', retrieved: '2026-09-01' };
  const age = priceAge(fetched, clockAt(Date.parse('2026-12-01T12:00:00Z')));
  assert.deepEqual(age, { asOf: '2026-09-01', days: 91, stale: true, source: 'pricing-api' });
});

test("the app's price line carries the age and the stale flag at the clock's time", () => {
  assert.deepEqual(toPriceTableInfo(shipped, daysAfterShipped(89)), {
    source: 'shipped',
    retrieved: shipped.retrieved,
    ageDays: 89,
    staleAfterDays: 90,
    stale: false,
  });
  assert.deepEqual(toPriceTableInfo(shipped, daysAfterShipped(91)), {
    source: 'shipped',
    retrieved: shipped.retrieved,
    ageDays: 91,
    staleAfterDays: 90,
    stale: true,
  });
});

test("the Instances view's list reads the age from the compute API's injected clock", async () => {
  const settings = defaultSettings('/arch');
  settings.target = { kind: 's3', bucket: 'lab', region: 'us-east-1', prefix: '', profile: '', endpoint: '' };
  const ctx = { owner: 'maria', poller: null, compute: { prices: shipped, instances: { list: async () => [] } } } as unknown as AwsContext;
  let now = daysAfterShipped(89);
  const api = createComputeApi({ settings: () => settings, context: () => ctx, env: {}, hub: createEventHub({ minGapMs: 0 }), now: () => now });
  const fresh = await api.listInstances({ all: false });
  assert.deepEqual([fresh.prices?.ageDays, fresh.prices?.stale], [89, false]);
  now = daysAfterShipped(91);
  const old = await api.listInstances({ all: false });
  assert.deepEqual([old.prices?.ageDays, old.prices?.stale], [91, true]);
});

/** `scopecloud cost --live-only` over a cost service with no instances, its clock at `ms`. */
async function costAt(ms: number, argv: string[] = []): Promise<{ out: string[]; err: string[] }> {
  const costExplorer = { peek: () => null } as unknown as CostExplorerCache;
  const services = {
    refreshPrices: async () => {
      throw new Error('not asked');
    },
    cost: createCostService({ listInstances: async () => [], costExplorer, clock: clockAt(ms), prices: shipped }),
  } as unknown as ComputeServices;
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stopSignal: new AbortController().signal };
  assert.equal(await runCost(['--live-only', ...argv], io, async () => services), ExitCode.ok);
  return { out, err };
}

test('scopecloud cost prints the age, and warns on stderr only past 90 days', async () => {
  const at89 = await costAt(daysAfterShipped(89));
  assert.ok(at89.out.includes(`Prices as of ${shipped.retrieved}, 89 days old.`), at89.out.join('\n'));
  assert.deepEqual(at89.err, []);

  const at91 = await costAt(daysAfterShipped(91));
  assert.ok(at91.out.includes(`Prices as of ${shipped.retrieved}, 91 days old.`), at91.out.join('\n'));
  assert.equal(at91.err.length, 1);
  assert.match(
    at91.err[0],
    /^Warning: the price table is 91 days old \(older than 90 days\).*refresh it from the AWS Pricing API with `scopecloud cost --refresh-prices`\.$/,
  );

  const json = await costAt(daysAfterShipped(91), ['--json']);
  const parsed = JSON.parse(json.out.join('\n')) as { prices: { retrieved: string; ageDays: number; stale: boolean } };
  assert.deepEqual([parsed.prices.retrieved, parsed.prices.ageDays, parsed.prices.stale], [shipped.retrieved, 91, true]);
  assert.deepEqual(json.err, [], 'JSON output carries the age in its fields; stdout stays one JSON document');
});
