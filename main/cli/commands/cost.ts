/** `scopecloud cost`: live cost of running instances, Cost Explorer month-to-date, projection. */
import { parseArgs } from 'node:util';
import { ExitCode, type CliCommand, type CliIo } from '../command.ts';
import { toCliError } from '../errors.ts';
import { table } from '../format.ts';
import type { ComputeServices } from '../../instances/compute-services.ts';
import { duration, round4, usd } from '../../cost/money.ts';
import { priceAgeText, priceAgeWarning, STALE_PRICE_DAYS } from '../../cost/price-age.ts';
import type { StorageCost, StorageCostService } from '../../app/storage-cost.ts';
import { personJson, personLines, storageJson, storageLines } from './storage-output.ts';
import { ASSIGN_HELP, isAssign, runAssign } from './cost-assign.ts';

const HELP = `Usage:
  scopecloud cost [--refresh] [--refresh-prices] [--refresh-storage] [--live-only] [--json]
  scopecloud cost --assign SESSION | --assign-under FOLDER --to PERSON [--json]

Live cost is computed here from a price table and instance uptimes: the table shipped with the
app, or the one last fetched from the AWS Pricing API with --refresh-prices (it needs
pricing:GetProducts; when refused, the current table is kept and the reason shown). The table's
date and age are printed, with a warning once it is older than ${STALE_PRICE_DAYS} days. Actual spend comes
from AWS Cost Explorer, cached: it is asked at most every 6 hours, or on --refresh (never more
than once per 10 minutes; each request costs $0.01). --live-only skips Cost Explorer.
Storage: the bytes under the destination's prefix per S3 storage class, from a paged listing
(ListObjectsV2) cached for 6 hours, or listed now with --refresh-storage; priced per GB-month from
the same table, with the rest of the month projected at the upload queue's verified bytes per day
over the last 7 days (the formula is printed). A local archive is local disk: no S3 bill.
By person: compute this month (Cost Explorer by the owner tag) beside the storage each person's
sessions and jobs hold (attributed by the session manifests' and job records' owner, read once
per version; the rest is unattributed) and the total, then the sessions without an owner.
${ASSIGN_HELP}
When compute cannot be read (no AWS credentials, EC2 refusing), the storage bill is still printed
(from the destination's own access, or the last good listing), then the error.
When the prefix is the whole bucket, S3's daily BucketSizeBytes metric (CloudWatch) is shown
beside the listing as a cross-check; for a prefix it is not (it counts the whole bucket).
Exit codes: 0 ok, 4 AWS error.`;

export const costCommand: CliCommand = {
  name: 'cost',
  summary: 'live instance cost, month-to-date spend, month-end projection',
  help: HELP,
  async run(argv, io, services) {
    if (isAssign(argv)) {
      return runAssign(argv, io, async () => {
        const s = await services();
        return { storage: s.storageCost(), by: s.owner };
      });
    }
    return runCost(
      argv,
      io,
      async () => (await services()).compute(),
      async () => (await services()).storageCost(),
    );
  },
};

/** `storage`: the storage bill's service; absent, no storage section (compute only). */
export async function runCost(
  argv: string[],
  io: CliIo,
  compute: () => Promise<ComputeServices>,
  storage?: () => Promise<StorageCostService>,
  now: () => number = Date.now,
): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      refresh: { type: 'boolean', default: false },
      'live-only': { type: 'boolean', default: false },
      'refresh-prices': { type: 'boolean', default: false },
      'refresh-storage': { type: 'boolean', default: false },
    },
  });
  // Storage first: it needs only the destination's access, so it is printed even when EC2 refuses.
  let stored: StorageCost | null;
  try {
    stored = storage ? await (await storage()).read({ refresh: values['refresh-storage'] }) : null;
  } catch (e) {
    throw toCliError(e);
  }
  let sum: Awaited<ReturnType<ComputeServices['cost']['summary']>>;
  let refresh: Awaited<ReturnType<ComputeServices['refreshPrices']>> | null;
  try {
    const s = await compute();
    refresh = values['refresh-prices'] ? await s.refreshPrices() : null;
    sum = await s.cost.summary({ refresh: values.refresh, skipActual: values['live-only'] });
  } catch (e) {
    if (stored) {
      if (values.json) io.out(JSON.stringify({ storage: storageJson(stored), byPerson: personJson(stored, null) }, null, 2));
      else {
        const lines = storageLines(stored, now());
        for (const l of lines.out) io.out(l);
        for (const l of lines.err) io.err(l);
        for (const l of personLines(stored, null)) io.out(l);
        io.err('Compute cost could not be read:');
      }
    }
    throw toCliError(e);
  }
  try {
    const priceRefresh =
      refresh &&
      (refresh.ok
        ? { ok: true, message: refresh.message, refreshed: refresh.refreshed, missing: refresh.missing }
        : { ok: false, code: refresh.code, message: refresh.message });
    if (refresh && !values.json) io.out(refresh.message);
    if (values.json) {
      const { instances, ...rest } = sum;
      io.out(
        JSON.stringify(
          {
            ...rest,
            ...(priceRefresh ? { priceRefresh } : {}),
            ...(stored ? { storage: storageJson(stored), byPerson: personJson(stored, sum.actual?.byOwner ?? null) } : {}),
            live: {
              ...sum.live,
              hourlyRate: round4(sum.live.hourlyRate),
              accruedCompute: round4(sum.live.accruedCompute),
              storageMonthly: round4(sum.live.storageMonthly),
              projectedRestOfMonth: round4(sum.live.projectedRestOfMonth),
            },
            projectedMonthTotal: sum.projectedMonthTotal === null ? null : round4(sum.projectedMonthTotal),
            running: instances
              .filter((i) => i.state === 'running' || i.state === 'pending')
              .map((i) => ({
                id: i.id,
                name: i.name,
                type: i.type,
                uptimeMs: i.uptimeMs,
                hourlyPrice: i.hourlyPrice,
                accruedCost: i.accruedCost === null ? null : round4(i.accruedCost),
              })),
          },
          null,
          2,
        ),
      );
      return ExitCode.ok;
    }
    const live = sum.live;
    io.out(
      `Live (estimate, prices: ${sum.prices.label}): ${live.running} running at ${usd(live.hourlyRate)}/h, ${usd(live.accruedCompute)} since their latest start; disks ${usd(live.storageMonthly)}/month.`,
    );
    const running = sum.instances.filter((i) => i.state === 'running' || i.state === 'pending');
    if (running.length) {
      for (const l of table(
        ['ID', 'NAME', 'TYPE', 'UPTIME', '$/H', 'ACCRUED'],
        running.map((i) => [
          i.id,
          i.name,
          i.type,
          duration(i.uptimeMs),
          i.hourlyPrice === null ? '?' : usd(i.hourlyPrice),
          i.accruedCost === null ? '?' : usd(i.accruedCost),
        ]),
      ))
        io.out(`  ${l}`);
    }
    if (live.unpriced.length) io.out(`Not in the price table (cost unknown): ${live.unpriced.join(', ')}`);
    if (live.spotUpperBound.length) io.out(`Spot (on-demand price used as an upper bound; Spot prices vary): ${live.spotUpperBound.join(', ')}`);
    if (sum.actual) {
      const a = sum.actual;
      io.out(`Month to date (Cost Explorer, ${a.start}..${a.end}): ${usd(a.total)}; ${a.fromCache ? `cached ${duration(a.ageMs)} ago` : 'just fetched'}.`);
      for (const l of a.byService.slice(0, 8)) io.out(`  ${l.key.padEnd(40)} ${usd(l.amount)}`);
      if (a.byOwner.length) io.out(`By owner: ${a.byOwner.map((l) => `${l.key} ${usd(l.amount)}`).join(', ')}`);
    }
    if (sum.actualError) io.out(`Cost Explorer unavailable: ${sum.actualError}`);
    if (sum.projectedMonthTotal !== null) io.out(`Projected month total if nothing changes: ${usd(sum.projectedMonthTotal)}.`);
    else io.out(`Projected rest of month from running instances and disks: ${usd(live.projectedRestOfMonth)}.`);
    if (stored) {
      const lines = storageLines(stored, now());
      for (const l of lines.out) io.out(l);
      for (const l of lines.err) io.err(l);
      const rest = stored.bill?.billed ? stored.bill.projection.restOfMonth : null;
      if (rest !== null && sum.projectedMonthTotal !== null) io.out(`Projected month total with storage: ${usd(sum.projectedMonthTotal + rest)}.`);
      for (const l of personLines(stored, sum.actual?.byOwner ?? null)) io.out(l);
    }
    const age = { asOf: sum.prices.retrieved, days: sum.prices.ageDays, stale: sum.prices.stale };
    io.out(`${capitalise(priceAgeText(age))}.`);
    const warning = priceAgeWarning(age);
    if (warning) io.err(`Warning: ${warning}`);
    return ExitCode.ok;
  } catch (e) {
    throw toCliError(e);
  }
}

function capitalise(s: string): string {
  return s[0].toUpperCase() + s.slice(1);
}
