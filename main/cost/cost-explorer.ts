/**
 * Actual spend from Cost Explorer, month to date, by service and by the scopecloud:owner tag, and
 * per day: the by-service query asks for DAILY granularity, so the daily figures come with the
 * same request (no extra $0.01) and are cached with the rest.
 *
 * Each GetCostAndUsage request costs money ($0.01) and the data lags by hours, so the answer is
 * cached in the injected store with its timestamp and AWS is asked only:
 *   - when the cache is older than `maxAgeMs` (default 6 h, i.e. at most ~4 times a day), or
 *   - on an explicit refresh, and even then never twice within `minIntervalMs` (default 10 min).
 * The floor holds whatever the caller does, so a UI or script refreshing in a loop cannot poll
 * Cost Explorer. Concurrent callers share one in-flight request.
 */
import { GetCostAndUsageCommand, type GetCostAndUsageCommandOutput, type GroupDefinition } from '@aws-sdk/client-cost-explorer';
import { fromAwsError } from '../aws/errors.ts';
import { TAG } from '../aws/ec2-instance.ts';
import type { KeyValueStore } from './cache-store.ts';
import { HOUR_MS, MINUTE_MS, type Clock } from '../common/time.ts';
import { isoDay, monthStartUtc } from './calendar.ts';

export interface CostExplorerApi {
  send(command: GetCostAndUsageCommand): Promise<GetCostAndUsageCommandOutput>;
}

export interface CostLine {
  key: string;
  amount: number;
}

export interface MonthToDateCost {
  /** When AWS was asked (ISO). */
  fetchedAt: string;
  /** YYYY-MM-DD inclusive start, exclusive end, as sent to Cost Explorer. */
  start: string;
  end: string;
  currency: string;
  total: number;
  byService: CostLine[];
  byOwner: CostLine[];
  /** Spend per UTC day (Cost Explorer's days), oldest first; days without data are absent. */
  daily: DailyCost[];
}

export interface DailyCost {
  /** YYYY-MM-DD */
  date: string;
  amount: number;
}

export interface CostAnswer extends MonthToDateCost {
  fromCache: boolean;
  ageMs: number;
  /** Earliest time (ISO) a refresh will really ask AWS again. */
  nextRefreshAt: string;
}

export interface CostExplorerCache {
  monthToDate(options?: { refresh?: boolean }): Promise<CostAnswer>;
  /** The cached answer without asking AWS; null when there is none. */
  peek(): CostAnswer | null;
}

export const CE_CACHE_KEY = 'cost-explorer/month-to-date';
export const DEFAULT_CE_MAX_AGE_MS = 6 * HOUR_MS;
export const DEFAULT_CE_MIN_INTERVAL_MS = 10 * MINUTE_MS;

interface Cached {
  fetchedAtMs: number;
  value: MonthToDateCost;
}

export function createCostExplorerCache(deps: {
  ce: CostExplorerApi;
  store: KeyValueStore;
  clock: Clock;
  maxAgeMs?: number;
  minIntervalMs?: number;
}): CostExplorerCache {
  const maxAgeMs = deps.maxAgeMs ?? DEFAULT_CE_MAX_AGE_MS;
  const minIntervalMs = Math.min(deps.minIntervalMs ?? DEFAULT_CE_MIN_INTERVAL_MS, maxAgeMs);
  let inFlight: Promise<CostAnswer> | null = null;

  function cached(): Cached | null {
    const c = deps.store.get(CE_CACHE_KEY) as Cached | undefined;
    return c && typeof c.fetchedAtMs === 'number' && c.value ? c : null;
  }

  function answer(c: Cached, fromCache: boolean): CostAnswer {
    const now = deps.clock.now();
    return {
      ...c.value,
      daily: c.value.daily ?? [],
      fromCache,
      ageMs: Math.max(0, now - c.fetchedAtMs),
      nextRefreshAt: new Date(c.fetchedAtMs + minIntervalMs).toISOString(),
    };
  }

  async function fetchFresh(): Promise<CostAnswer> {
    const now = deps.clock.now();
    const start = isoDay(monthStartUtc(now));
    const end = isoDay(now + 24 * HOUR_MS);
    const byServiceRaw = await query(deps.ce, start, end, { Type: 'DIMENSION', Key: 'SERVICE' }, 'DAILY');
    const byOwnerRaw = await query(deps.ce, start, end, { Type: 'TAG', Key: TAG.owner }, 'MONTHLY');
    const value: MonthToDateCost = {
      fetchedAt: new Date(now).toISOString(),
      start,
      end,
      currency: byServiceRaw.currency ?? byOwnerRaw.currency ?? 'USD',
      total: byServiceRaw.total,
      byService: byServiceRaw.lines,
      byOwner: byOwnerRaw.lines.map((l) => ({ key: tagValue(l.key), amount: l.amount })),
      daily: byServiceRaw.daily,
    };
    const entry: Cached = { fetchedAtMs: now, value };
    deps.store.set(CE_CACHE_KEY, entry);
    return answer(entry, false);
  }

  return {
    peek() {
      const c = cached();
      return c ? answer(c, true) : null;
    },
    monthToDate(options = {}) {
      const c = cached();
      const now = deps.clock.now();
      if (c) {
        const age = now - c.fetchedAtMs;
        const sameMonth = monthStartUtc(c.fetchedAtMs) === monthStartUtc(now);
        if (age < minIntervalMs || (!options.refresh && sameMonth && age < maxAgeMs)) {
          return Promise.resolve(answer(c, true));
        }
      }
      inFlight ??= fetchFresh().finally(() => {
        inFlight = null;
      });
      return inFlight;
    },
  };
}

async function query(
  ce: CostExplorerApi,
  start: string,
  end: string,
  groupBy: GroupDefinition,
  granularity: 'DAILY' | 'MONTHLY',
): Promise<{ total: number; lines: CostLine[]; daily: DailyCost[]; currency: string | undefined }> {
  const sums = new Map<string, number>();
  const days = new Map<string, number>();
  let total = 0;
  let currency: string | undefined;
  let token: string | undefined;
  do {
    let out: GetCostAndUsageCommandOutput;
    try {
      out = await ce.send(
        new GetCostAndUsageCommand({
          TimePeriod: { Start: start, End: end },
          Granularity: granularity,
          Metrics: ['UnblendedCost'],
          GroupBy: [groupBy],
          NextPageToken: token,
        }),
      );
    } catch (e) {
      throw fromAwsError(e, 'Cost Explorer month-to-date');
    }
    for (const period of out.ResultsByTime ?? []) {
      const before = total;
      for (const g of period.Groups ?? []) {
        const metric = g.Metrics?.UnblendedCost;
        const amount = Number(metric?.Amount ?? 0);
        currency ??= metric?.Unit;
        const key = (g.Keys ?? []).join(',') || '(none)';
        sums.set(key, (sums.get(key) ?? 0) + amount);
        total += amount;
      }
      // Ungrouped answers carry only a Total.
      if (!period.Groups?.length && period.Total?.UnblendedCost) {
        total += Number(period.Total.UnblendedCost.Amount ?? 0);
        currency ??= period.Total.UnblendedCost.Unit;
      }
      const day = period.TimePeriod?.Start;
      if (day) days.set(day, (days.get(day) ?? 0) + total - before);
    }
    token = out.NextPageToken;
  } while (token);
  const lines = [...sums].map(([key, amount]) => ({ key, amount })).sort((a, b) => b.amount - a.amount);
  const daily = [...days].map(([date, amount]) => ({ date, amount })).sort((a, b) => a.date.localeCompare(b.date));
  return { total, lines, daily, currency };
}

/** Cost Explorer tag group keys look like `scopecloud:owner$alice`; an empty value means untagged. */
function tagValue(key: string): string {
  const i = key.indexOf('$');
  const v = i >= 0 ? key.slice(i + 1) : key;
  return v || '(untagged)';
}
