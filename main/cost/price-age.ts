/**
 * How old the price table in use is, so every place that shows prices can say so: "prices as of
 * 2025-06-01, 554 days old", and a warning once the table is older than STALE_PRICE_DAYS, naming
 * the way to refresh it. Pure; the clock is injected so the age can be held at any day.
 */
import { PRICING_SOURCE_PREFIX } from './price-refresh.ts';
import type { PriceTable } from './price-table.ts';
import { type Clock } from '../common/time.ts';

/** A table older than this many days is called out of date. */
export const STALE_PRICE_DAYS = 90;

/** The command that replaces the table with the AWS Pricing API's prices. */
export const REFRESH_PRICES_COMMAND = 'scopecloud cost --refresh-prices';

const DAY_MS = 86_400_000;

export interface PriceAge {
  /** YYYY-MM-DD the prices were taken (the table's `retrieved`). */
  asOf: string;
  /** Whole UTC days from `asOf` to now; 0 for a table dated today or later. */
  days: number;
  /** Older than STALE_PRICE_DAYS. */
  stale: boolean;
  /** Shipped with ScopeCloud, or fetched from the AWS Pricing API. */
  source: 'shipped' | 'pricing-api';
}

export function priceAge(table: Pick<PriceTable, 'retrieved' | 'source'>, clock: Clock): PriceAge {
  const taken = Date.parse(`${table.retrieved}T00:00:00Z`);
  const days = Number.isFinite(taken) ? Math.max(0, Math.floor((clock.now() - taken) / DAY_MS)) : 0;
  return {
    asOf: table.retrieved,
    days,
    stale: days > STALE_PRICE_DAYS,
    source: table.source.startsWith(PRICING_SOURCE_PREFIX) ? 'pricing-api' : 'shipped',
  };
}

/** "prices as of 2025-06-01, 554 days old". */
export function priceAgeText(age: Pick<PriceAge, 'asOf' | 'days'>): string {
  return `prices as of ${age.asOf}, ${age.days} day${age.days === 1 ? '' : 's'} old`;
}

/** The warning for a stale table (null when it is not), with the way to refresh it. */
export function priceAgeWarning(age: Pick<PriceAge, 'days' | 'stale'>): string | null {
  if (!age.stale) return null;
  return (
    `the price table is ${age.days} days old (older than ${STALE_PRICE_DAYS} days), so cost estimates and budget checks may be off; ` +
    `refresh it from the AWS Pricing API with \`${REFRESH_PRICES_COMMAND}\`.`
  );
}
