/**
 * Cold storage for raw acquisitions (pure): the bucket lifecycle rules that move raw files to a
 * colder S3 class N days after upload, while manifests, job records and results stay in STANDARD;
 * what is there now; and the saving per month, in words for the person asked to consent.
 *
 * Which objects: raw files are stored under `<prefix>/<watched folder label>/...`
 * (acquisition/object-keys.ts); the job store is `<prefix>/jobs/` and worker binaries
 * `<prefix>/workers/`, so one rule per watched folder's prefix leaves those out. A session's
 * `manifest.json` sits beside its raw files, and a lifecycle filter cannot exclude a name, so each
 * rule also needs the object to be larger than `RAW_MIN_BYTES` (16 MiB): a manifest (a few hundred
 * bytes per file) stays under it below ~40,000 files per session, while a raw TIFF stack is larger.
 * A raw file at or under 16 MiB stays in STANDARD: the error goes toward paying more, never toward
 * a manifest needing a restore. An object-tag filter was not used: tags would have to be written
 * on every upload and on every file already stored (a request each, and a monthly tag fee), and
 * ListObjectsV2 does not report tags, so the saving could not be counted from a listing.
 *
 * Contract: `mergeColdRules` keeps every rule that is not ScopeCloud's cold-storage rule for this
 * prefix exactly as it was; `withoutColdRules` removes only those.
 */
import type { LifecycleRule } from '@aws-sdk/client-s3';
import { rootLabels } from '../acquisition/object-keys.ts';
import { s3PerGbMonthOrNull, type PriceTable } from '../cost/price-table.ts';
import { GB, gbText } from '../cost/storage-bill.ts';
import { normalizePrefix } from './s3-target.ts';

export const RAW_MIN_BYTES = 16 * 2 ** 20;
export const DEFAULT_COLD_DAYS = 30;
export const MAX_COLD_DAYS = 3650;

export type ColdClass = 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
export const COLD_CLASSES: readonly ColdClass[] = ['GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'];
export const DEFAULT_COLD_CLASS: ColdClass = 'GLACIER_IR';

/**
 * What S3 charges around a class beyond storage: AWS's S3 pricing page, us-east-1, taken
 * 2026-12-01 (other regions differ by a few percent). `retrievalPerGb` is the Standard-tier read
 * fee; `transitionPer1000` the lifecycle transition request fee, paid once per object moved.
 */
export interface ColdClassFacts {
  name: string;
  /** An object deleted or moved earlier is billed for the rest of these days. */
  minStorageDays: number;
  /** GLACIER_IR is read in milliseconds; the others need a restore (hours) before a read. */
  needsRestore: boolean;
  retrievalPerGb: number;
  transitionPer1000: number;
  access: string;
}

export const COLD_CLASS_FACTS: Record<ColdClass, ColdClassFacts> = {
  GLACIER_IR: {
    name: 'Glacier Instant Retrieval',
    minStorageDays: 90,
    needsRestore: false,
    retrievalPerGb: 0.03,
    transitionPer1000: 0.02,
    access: 'read in milliseconds like STANDARD, so an analysis starts at once',
  },
  GLACIER: {
    name: 'Glacier Flexible Retrieval',
    minStorageDays: 90,
    needsRestore: true,
    retrievalPerGb: 0.01,
    transitionPer1000: 0.03,
    access: 'must be restored before a read: 3-5 hours (Standard tier), 1-5 minutes (Expedited), 5-12 hours (Bulk)',
  },
  DEEP_ARCHIVE: {
    name: 'Glacier Deep Archive',
    minStorageDays: 180,
    needsRestore: true,
    retrievalPerGb: 0.02,
    transitionPer1000: 0.05,
    access: 'must be restored before a read: up to 12 hours (Standard tier), up to 48 hours (Bulk)',
  },
};

export class ColdStorageInputError extends Error {
  readonly code = 'INVALID_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'ColdStorageInputError';
  }
}

export function parseColdClass(value: string): ColdClass {
  const v = value.trim().toUpperCase();
  if ((COLD_CLASSES as readonly string[]).includes(v)) return v as ColdClass;
  throw new ColdStorageInputError(`storage class must be one of ${COLD_CLASSES.join(', ')} (got "${value}")`);
}

export function parseColdDays(value: string | number): number {
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < 0 || n > MAX_COLD_DAYS || (typeof value === 'string' && !/^\s*\d+\s*$/.test(value)))
    throw new ColdStorageInputError(`days must be a whole number from 0 to ${MAX_COLD_DAYS} (got "${value}")`);
  return n;
}

const ID_STEM = 'scopecloud-cold-storage/';

/** The rule id for one raw prefix (`<prefix>/<label>/`). */
export function coldRuleId(rawPrefix: string): string {
  return `${ID_STEM}${rawPrefix}`.slice(0, 255);
}

/** Whether a rule is one of ScopeCloud's cold-storage rules under the destination prefix. */
export function isOurColdRule(r: LifecycleRule, destinationPrefix: string): boolean {
  return (r.ID ?? '').startsWith(`${ID_STEM}${normalizePrefix(destinationPrefix)}`);
}

/** The key prefixes raw files of the watched folders are stored under, sorted; throws when a label would be the app's own area. */
export function rawPrefixes(destinationPrefix: string, watchFolders: readonly string[]): string[] {
  const p = normalizePrefix(destinationPrefix);
  const out = new Set<string>();
  for (const label of rootLabels(watchFolders).values()) {
    if (label === 'jobs' || label === 'workers')
      throw new ColdStorageInputError(
        `a watched folder named "${label}" shares its key prefix with the app's own ${label}/ area; rename it to move its files to cold storage`,
      );
    out.add(`${p}${label}/`);
  }
  return [...out].sort();
}

export function coldRules(rawPrefixList: readonly string[], days: number, storageClass: ColdClass): LifecycleRule[] {
  return rawPrefixList.map((prefix) => ({
    ID: coldRuleId(prefix),
    Status: 'Enabled',
    Filter: { And: { Prefix: prefix, ObjectSizeGreaterThan: RAW_MIN_BYTES } },
    Transitions: [{ Days: days, StorageClass: storageClass }],
  }));
}

/** Existing rules with ScopeCloud's cold-storage rules for this prefix replaced by `ours`; every other rule kept as it was. */
export function mergeColdRules(existing: readonly LifecycleRule[], destinationPrefix: string, ours: readonly LifecycleRule[]): LifecycleRule[] {
  return [...withoutColdRules(existing, destinationPrefix), ...ours];
}

export function withoutColdRules(existing: readonly LifecycleRule[], destinationPrefix: string): LifecycleRule[] {
  return existing.filter((r) => !isOurColdRule(r, destinationPrefix));
}

export interface ColdRuleFound {
  id: string;
  prefix: string;
  days: number | null;
  storageClass: string | null;
  enabled: boolean;
}

export interface ColdStatus {
  /** 'present': every watched folder's prefix has an enabled rule; 'partial': some do; 'absent': none. */
  state: 'present' | 'partial' | 'absent';
  rules: ColdRuleFound[];
  /** Raw prefixes of watched folders without an enabled rule of ours. */
  missing: string[];
}

export function coldStatus(existing: readonly LifecycleRule[], destinationPrefix: string, rawPrefixList: readonly string[]): ColdStatus {
  const rules = existing
    .filter((r) => isOurColdRule(r, destinationPrefix))
    .map((r) => ({
      id: r.ID ?? '',
      prefix: r.Filter?.And?.Prefix ?? r.Filter?.Prefix ?? '',
      days: r.Transitions?.[0]?.Days ?? null,
      storageClass: r.Transitions?.[0]?.StorageClass ?? null,
      enabled: r.Status === 'Enabled',
    }));
  const covered = new Set(rules.filter((r) => r.enabled).map((r) => r.prefix));
  const missing = rawPrefixList.filter((p) => !covered.has(p));
  const state = rules.some((r) => r.enabled) ? (missing.length === 0 ? 'present' : 'partial') : 'absent';
  return { state, rules, missing };
}

/** Raw objects the rule would move now: STANDARD, larger than RAW_MIN_BYTES, stored at least `days` days. */
export interface EligibleRaw {
  bytes: number;
  objects: number;
}

export function isEligible(o: { Size?: number; StorageClass?: string; LastModified?: Date }, days: number, now: number): boolean {
  const cls = o.StorageClass || 'STANDARD';
  const age = o.LastModified ? now - o.LastModified.getTime() : 0;
  return cls === 'STANDARD' && (o.Size ?? 0) > RAW_MIN_BYTES && age >= days * 86_400_000;
}

export interface ColdSaving {
  storageClass: ColdClass;
  days: number;
  eligible: EligibleRaw;
  /** USD per GB-month; null when the price table has no price for the region. */
  standardPerGbMonth: number | null;
  coldPerGbMonth: number | null;
  /** USD per month saved on the eligible bytes once moved; null when unpriced. */
  perMonth: number | null;
  /** One-time lifecycle transition request fees for the eligible objects. */
  transitionOnce: number;
  /** Reading all eligible bytes back once. */
  retrievalAll: number;
  minStorageDays: number;
}

export function coldSaving(input: { eligible: EligibleRaw; prices: PriceTable; region: string; storageClass: ColdClass; days: number }): ColdSaving {
  const f = COLD_CLASS_FACTS[input.storageClass];
  const std = s3PerGbMonthOrNull(input.prices, input.region, 'STANDARD');
  const cold = s3PerGbMonthOrNull(input.prices, input.region, input.storageClass);
  const gb = input.eligible.bytes / GB;
  return {
    storageClass: input.storageClass,
    days: input.days,
    eligible: input.eligible,
    standardPerGbMonth: std,
    coldPerGbMonth: cold,
    perMonth: std === null || cold === null ? null : gb * (std - cold),
    transitionOnce: (input.eligible.objects / 1000) * f.transitionPer1000,
    retrievalAll: gb * f.retrievalPerGb,
    minStorageDays: f.minStorageDays,
  };
}

const usd = (v: number) => `$${v > 0 && v < 0.01 ? v.toFixed(4) : v.toFixed(2)}`;

/** The plain explanation shown before consent, with the saving in numbers. */
export function coldExplanation(bucket: string, rawPrefixList: readonly string[], s: ColdSaving): string[] {
  const f = COLD_CLASS_FACTS[s.storageClass];
  const where = rawPrefixList.map((p) => `s3://${bucket}/${p}`).join(', ') || '(no watched folders)';
  const saving =
    s.perMonth === null
      ? `The price table has no ${s.storageClass} or STANDARD price for this region, so the saving is unknown.`
      : `Now: ${gbText(s.eligible.bytes)} in ${s.eligible.objects} raw files are older than ${s.days} days; moved, they cost ` +
        `${usd((s.eligible.bytes / GB) * (s.coldPerGbMonth ?? 0))} instead of ${usd((s.eligible.bytes / GB) * (s.standardPerGbMonth ?? 0))} a month: ` +
        `a saving of ${usd(s.perMonth)} per month (${gbText(s.eligible.bytes)} x ($${s.standardPerGbMonth} - $${s.coldPerGbMonth}) per GB-month), ` +
        `growing as more raw files pass ${s.days} days.`;
  return [
    `This rule asks S3 to move raw acquisition files under ${where} to ${f.name} (${s.storageClass}) ${s.days} days after upload.`,
    `Only files larger than 16 MiB move; manifest.json files, analysis results (jobs/) and smaller files stay in STANDARD.`,
    saving,
    `Costs to know: S3 charges $${f.transitionPer1000} per 1000 files moved (${usd(s.transitionOnce)} once for the files above); ` +
      `reading them costs $${f.retrievalPerGb}/GB (${usd(s.retrievalAll)} to read all of them once); a file deleted within ` +
      `${f.minStorageDays} days of the move is billed for the rest of the ${f.minStorageDays} days.`,
    `Files in ${s.storageClass} are ${f.access}.`,
    "It adds one rule per watched folder to the bucket's lifecycle configuration and keeps the rules already there; removing it later keeps files where they are.",
  ];
}
