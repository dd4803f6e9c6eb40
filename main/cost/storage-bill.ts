/**
 * The storage bill: what the stored bytes cost per month by storage class, and the projection for
 * the rest of the month including what the watched folders add at the current acquisition rate.
 * Pure; every input (usage, table, rate, now) is passed in.
 *
 * The projection, in the words the UI and CLI print (`formula`):
 *   f = time left in the UTC month / length of the month
 *   rest of month = Σ bytes(class) × price(class) × f  +  added × price(STANDARD) × f ÷ 2
 *   added = verified bytes per day (last 7 days) × days left
 * New files are uploaded as STANDARD and arrive evenly, so on average they are billed for half of
 * the time left. A GB is 2^30 bytes, as S3 bills it; a GB-month is one GB stored for a month.
 */
import { nextMonthStartUtc, monthStartUtc } from './calendar.ts';
import { s3PerGbMonthOrNull, type PriceTable } from './price-table.ts';
import type { StorageUsage } from './storage-usage.ts';
import type { OwnerBytes } from './storage-attribution.ts';

export const GB = 2 ** 30;
const DAY_MS = 86_400_000;

export interface StorageBillLine {
  storageClass: string;
  bytes: number;
  objects: number;
  /** USD per GB-month; null when the table has no price for the class (or a local archive). */
  perGbMonth: number | null;
  /** USD per month at this size; null when unpriced. */
  monthly: number | null;
}

export interface StorageProjection {
  /** Fraction of the UTC month still to come. */
  remainingFraction: number;
  daysLeft: number;
  /** Verified bytes per day over the rate's window (0 when nothing was verified). */
  bytesPerDay: number;
  /** What the watched folders add by month end at that rate. */
  addedBytes: number;
  /** Current bytes × price × f. */
  restOfMonthStored: number;
  /** added × STANDARD price × f ÷ 2. */
  restOfMonthAdded: number;
  restOfMonth: number;
  /** USD per month once `addedBytes` are stored too. */
  monthlyAtMonthEnd: number;
  /** The formula with this month's numbers filled in, for a tooltip or the CLI. */
  formula: string;
}

/** One person's share of the bill (or `unattributed`, storage-attribution.ts). */
export interface StorageOwnerLine {
  owner: string;
  bytes: number;
  objects: number;
  /** USD per month at this size, priced classes only; null for a local archive (no S3 bill). */
  monthly: number | null;
  /** Classes of this person's bytes without a price: `monthly` leaves them out. */
  unpriced: string[];
}

export interface StorageBill {
  /** False for a local archive: the bytes are on a local disk and there is no S3 bill. */
  billed: boolean;
  lines: StorageBillLine[];
  /** Per person, when the listing kept its folders (storage-attribution.ts); null otherwise. */
  byOwner: StorageOwnerLine[] | null;
  totalBytes: number;
  /** USD per month at the current size, priced classes only. */
  monthly: number;
  /** Classes the price table has no price for in the region: their cost is unknown, not zero. */
  unpriced: string[];
  projection: StorageProjection;
}

/** "301.2 GB" with GB = 2^30 bytes; "9.28 TB" (2^40) from 1024 GB up. */
export function gbText(bytes: number): string {
  const gb = bytes / GB;
  if (gb >= 1024) return `${(gb / 1024).toFixed(gb >= 102_400 ? 0 : 2)} TB`;
  return `${gb >= 100 ? Math.round(gb) : gb >= 1 ? gb.toFixed(1) : gb.toFixed(3)} GB`;
}

export function storageBill(input: {
  usage: Pick<StorageUsage, 'kind' | 'byClass' | 'totalBytes'>;
  prices: PriceTable;
  region: string;
  /** Verified bytes per day from the upload queue. */
  bytesPerDay: number;
  /** Days the rate was measured over, for the formula's words. */
  rateWindowDays: number;
  now: number;
  /** The listing's bytes per owner; absent, no split per person. */
  owners?: readonly OwnerBytes[];
}): StorageBill {
  const billed = input.usage.kind === 's3';
  const price = (cls: string) => (billed ? s3PerGbMonthOrNull(input.prices, input.region, cls) : null);
  const lines = input.usage.byClass.map((c) => {
    const p = price(c.storageClass);
    return { storageClass: c.storageClass, bytes: c.bytes, objects: c.objects, perGbMonth: p, monthly: p === null ? null : (c.bytes / GB) * p };
  });
  const monthly = lines.reduce((n, l) => n + (l.monthly ?? 0), 0);
  const unpriced = billed ? lines.filter((l) => l.perGbMonth === null).map((l) => l.storageClass) : [];

  const start = monthStartUtc(input.now);
  const end = nextMonthStartUtc(input.now);
  const f = (end - input.now) / (end - start);
  const daysLeft = (end - input.now) / DAY_MS;
  const bytesPerDay = Math.max(0, input.bytesPerDay);
  const addedBytes = bytesPerDay * daysLeft;
  const standard = price('STANDARD') ?? 0;
  const restOfMonthStored = monthly * f;
  const restOfMonthAdded = ((addedBytes / GB) * standard * f) / 2;
  const money = (v: number) => `$${v < 0.01 && v > 0 ? v.toFixed(4) : v.toFixed(2)}`;
  const formula = billed
    ? `rest of month = stored × price × f + added × STANDARD price × f ÷ 2, with f = ${daysLeft.toFixed(1)} days left of ${Math.round((end - start) / DAY_MS)} = ${f.toFixed(3)}; ` +
      `stored: ${gbText(input.usage.totalBytes)} at ${money(monthly)}/month → ${money(restOfMonthStored)}; ` +
      `added: ${gbText(bytesPerDay)}/day (verified uploads, last ${input.rateWindowDays} days) × ${daysLeft.toFixed(1)} days = ${gbText(addedBytes)} at $${standard}/GB-month → ${money(restOfMonthAdded)} ` +
      `(new files arrive evenly, so on average they are stored for half the time left); GB = 2^30 bytes`
    : `local disk, no S3 bill: ${gbText(input.usage.totalBytes)} stored, growing ${gbText(bytesPerDay)}/day (verified files, last ${input.rateWindowDays} days) → about ${gbText(input.usage.totalBytes + addedBytes)} by month end`;
  const byOwner = input.owners
    ? input.owners.map((o) => ({
        owner: o.owner,
        bytes: o.bytes,
        objects: o.objects,
        monthly: billed ? o.byClass.reduce((n, c) => n + (c.bytes / GB) * (price(c.storageClass) ?? 0), 0) : null,
        unpriced: billed ? o.byClass.filter((c) => price(c.storageClass) === null).map((c) => c.storageClass) : [],
      }))
    : null;
  return {
    billed,
    lines,
    byOwner,
    totalBytes: input.usage.totalBytes,
    monthly,
    unpriced,
    projection: {
      remainingFraction: f,
      daysLeft,
      bytesPerDay,
      addedBytes,
      restOfMonthStored,
      restOfMonthAdded,
      restOfMonth: restOfMonthStored + restOfMonthAdded,
      monthlyAtMonthEnd: monthly + (addedBytes / GB) * standard,
      formula,
    },
  };
}
