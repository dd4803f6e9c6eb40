/**
 * The shipped on-demand price table (assets/prices/ec2-on-demand.json): hourly Linux prices per
 * region and instance type, EBS gp3 and snapshot storage per GB-month, S3 storage per GB-month per
 * storage class, with its source and date.
 * A lookup that the table cannot answer throws `PriceMissingError` naming region and type.
 */
import { readFileSync } from 'node:fs';
// A JSON import (not a file read) so the table travels with the code: tsc copies it into build/
// and bundlers inline it.
import shipped from '../../assets/prices/ec2-on-demand.json' with { type: 'json' };

export interface InstanceSpec {
  vcpu: number;
  memoryGiB: number;
  gpu: string | null;
}

/** The S3 storage classes the table prices (the names S3 reports in ListObjectsV2's StorageClass). */
export const S3_STORAGE_CLASSES = ['STANDARD', 'STANDARD_IA', 'ONEZONE_IA', 'INTELLIGENT_TIERING', 'GLACIER_IR', 'GLACIER', 'DEEP_ARCHIVE'] as const;
export type S3StorageClass = (typeof S3_STORAGE_CLASSES)[number];

export interface RegionPrices {
  hourly: Record<string, number>;
  ebsGp3PerGbMonth: number;
  snapshotPerGbMonth: number;
  /**
   * USD per GB-month stored, per storage class: S3 Standard's first-50-TB tier, Intelligent-Tiering's
   * frequent-access tier. Absent in tables refreshed before S3 prices were kept.
   */
  s3PerGbMonth?: Partial<Record<S3StorageClass, number>>;
}

export interface PriceTable {
  description: string;
  source: string;
  /** YYYY-MM-DD the prices were taken. */
  retrieved: string;
  currency: string;
  instanceTypes: Record<string, InstanceSpec>;
  regions: Record<string, RegionPrices>;
}

export class PriceMissingError extends Error {
  readonly code = 'PRICE_MISSING';
  constructor(message: string) {
    super(message);
    this.name = 'PriceMissingError';
  }
}

/** Hours in an average month, the convention AWS uses to turn GB-month prices into hourly ones. */
export const HOURS_PER_MONTH = 730;

/** The shipped table, or a table file in the same format (e.g. one refreshed from the Pricing API). */
export function loadPriceTable(path?: string | URL): PriceTable {
  const table = (path === undefined ? structuredClone(shipped) : JSON.parse(readFileSync(path, 'utf8'))) as PriceTable;
  if (!table.regions || !table.instanceTypes || !table.retrieved) {
    throw new PriceMissingError(`price table ${String(path ?? 'assets/prices/ec2-on-demand.json')} lacks regions, instanceTypes or retrieved date`);
  }
  return table;
}

function region(table: PriceTable, name: string): RegionPrices {
  const r = table.regions[name];
  if (!r) {
    throw new PriceMissingError(`no prices for region ${name} in the price table of ${table.retrieved} (known: ${Object.keys(table.regions).join(', ')})`);
  }
  return r;
}

export function hourlyPrice(table: PriceTable, regionName: string, instanceType: string): number {
  const price = region(table, regionName).hourly[instanceType];
  if (price === undefined) {
    throw new PriceMissingError(`no price for ${instanceType} in ${regionName} in the price table of ${table.retrieved}`);
  }
  return price;
}

/** The hourly price, or null when the table has none (lists show "unknown" rather than failing). */
export function hourlyPriceOrNull(table: PriceTable, regionName: string, instanceType: string): number | null {
  return table.regions[regionName]?.hourly[instanceType] ?? null;
}

export function ebsPerGbMonth(table: PriceTable, regionName: string): number {
  return region(table, regionName).ebsGp3PerGbMonth;
}

export function snapshotPerGbMonth(table: PriceTable, regionName: string): number {
  return region(table, regionName).snapshotPerGbMonth;
}

/** The S3 price per GB-month of `storageClass` in the region; null when the table has none. */
export function s3PerGbMonthOrNull(table: PriceTable, regionName: string, storageClass: string): number | null {
  return table.regions[regionName]?.s3PerGbMonth?.[storageClass as S3StorageClass] ?? null;
}

export function instanceSpec(table: PriceTable, instanceType: string): InstanceSpec | null {
  return table.instanceTypes[instanceType] ?? null;
}
