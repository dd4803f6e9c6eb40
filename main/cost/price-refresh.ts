/**
 * Refreshing the price table from the AWS Pricing API (GetProducts on AmazonEC2), where the
 * user's credentials allow it.
 *
 * Contracts:
 * - One query per instance type of the shipped table (Linux, shared tenancy, no pre-installed
 *   software, capacity status Used, the configured region), plus one each for EBS gp3 and
 *   snapshot storage, and one on AmazonS3 (productFamily Storage, the region) for S3 storage per
 *   storage class; every query follows NextToken to the end. The Pricing API is free.
 * - The fetched prices are merged over the previous table (an earlier refresh, else the shipped
 *   one) into a table with its own date and source ("AWS Pricing API, fetched <date>"), persisted
 *   in the injected store; `current()` returns it, or the shipped table when there is none.
 * - `refresh()` never throws: AccessDenied, missing credentials or an unreachable endpoint keep
 *   the current table and say why in one line. A type the API has no price for in the region
 *   keeps its previous price (or stays unknown) and is named in the outcome.
 */
import { GetProductsCommand, type Filter, type GetProductsCommandOutput } from '@aws-sdk/client-pricing';
import { fromAwsError } from '../aws/errors.ts';
import type { KeyValueStore } from './cache-store.ts';
import { parsePriceListItem, type PriceListItem } from './price-list.ts';
import { S3_STORAGE_CLASSES, type PriceTable, type RegionPrices, type S3StorageClass } from './price-table.ts';
import { type Clock } from '../common/time.ts';
import { isoDay } from './calendar.ts';

export interface PricingApi {
  send(command: GetProductsCommand): Promise<GetProductsCommandOutput>;
}

export const REFRESHED_PRICES_KEY = 'prices/refreshed';
export const PRICING_SOURCE_PREFIX = 'AWS Pricing API';

export type PriceRefreshOutcome =
  | {
      ok: true;
      table: PriceTable;
      /** Instance types whose price came from the API. */
      refreshed: string[];
      /** Instance types the API has no price for in the region. */
      missing: string[];
      message: string;
    }
  | { ok: false; table: PriceTable; code: 'ACCESS_DENIED' | 'CREDENTIALS' | 'UNAVAILABLE'; message: string };

export interface PriceRefresher {
  /** The refreshed table when one was stored, else the shipped one. */
  current(): PriceTable;
  refresh(): Promise<PriceRefreshOutcome>;
}

/** "AWS Pricing API, fetched 2026-11-28" or "shipped table of 2025-06-01": which table, and its date. */
export function priceTableLabel(table: PriceTable): string {
  return table.source.startsWith(PRICING_SOURCE_PREFIX) ? table.source : `shipped table of ${table.retrieved}`;
}

const COMPUTE_FILTERS: ReadonlyArray<[string, string]> = [
  ['operatingSystem', 'Linux'],
  ['tenancy', 'Shared'],
  ['preInstalledSw', 'NA'],
  ['capacitystatus', 'Used'],
];

function termMatch(pairs: ReadonlyArray<[string, string]>): Filter[] {
  return pairs.map(([Field, Value]) => ({ Type: 'TERM_MATCH', Field, Value }));
}

async function getAll(pricing: PricingApi, filters: Filter[], serviceCode = 'AmazonEC2'): Promise<PriceListItem[]> {
  const items: PriceListItem[] = [];
  let token: string | undefined;
  do {
    const out = await pricing.send(
      new GetProductsCommand({ ServiceCode: serviceCode, Filters: filters, FormatVersion: 'aws_v1', MaxResults: 100, NextToken: token }),
    );
    for (const doc of out.PriceList ?? []) {
      const item = parsePriceListItem(doc);
      if (item) items.push(item);
    }
    token = out.NextToken || undefined;
  } while (token);
  return items;
}

/** The on-demand Linux hourly price among `items` for `instanceType`; null when none matches. */
export function hourlyFrom(items: ReadonlyArray<PriceListItem>, instanceType: string, region: string): number | null {
  const matches = items.filter(
    (i) =>
      i.attributes.instanceType === instanceType &&
      i.attributes.regionCode === region &&
      COMPUTE_FILTERS.every(([k, v]) => i.attributes[k] === v) &&
      (i.attributes.licenseModel ?? 'No License required') === 'No License required',
  );
  // BoxUsage is the plain on-demand hour; other usage types (e.g. reserved host fees) are not.
  const best = matches.find((i) => /BoxUsage/.test(i.attributes.usagetype ?? '')) ?? matches[0];
  const price = best?.onDemand.find((d) => d.unit === 'Hrs')?.usd;
  return price !== undefined && price > 0 ? price : null;
}

function perGbMonth(items: ReadonlyArray<PriceListItem>, accept: (i: PriceListItem) => boolean): number | null {
  const price = items.find(accept)?.onDemand.find((d) => d.unit === 'GB-Mo')?.usd;
  return price !== undefined && price > 0 ? price : null;
}

/**
 * How the Pricing API names each S3 storage class's storage charge: the usage type (after the
 * region's prefix, e.g. `EUC1-`) and, failing that, the `volumeType` attribute.
 */
const S3_USAGE: Record<S3StorageClass, { usagetype: RegExp; volumeType: string }> = {
  STANDARD: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-ByteHrs$/, volumeType: 'Standard' },
  STANDARD_IA: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-SIA-ByteHrs$/, volumeType: 'Standard - Infrequent Access' },
  ONEZONE_IA: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-ZIA-ByteHrs$/, volumeType: 'One Zone - Infrequent Access' },
  INTELLIGENT_TIERING: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-INT-FA-ByteHrs$/, volumeType: 'Intelligent-Tiering Frequent Access' },
  GLACIER_IR: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-GIR-ByteHrs$/, volumeType: 'Glacier Instant Retrieval' },
  GLACIER: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-GlacierByteHrs$/, volumeType: 'Amazon Glacier' },
  DEEP_ARCHIVE: { usagetype: /^(?:[A-Z0-9]+-)?TimedStorage-GDA-ByteHrs$/, volumeType: 'Glacier Deep Archive' },
};

/**
 * S3 storage prices per GB-month per storage class among AmazonS3 `Storage` products of `region`:
 * the first (lowest) tier's price, so S3 Standard's first 50 TB. Classes without a product are absent.
 */
export function s3PricesFrom(items: ReadonlyArray<PriceListItem>, region: string): Partial<Record<S3StorageClass, number>> {
  const out: Partial<Record<S3StorageClass, number>> = {};
  const inRegion = items.filter(
    (i) => i.productFamily === 'Storage' && i.attributes.regionCode === region && (i.attributes.servicecode ?? 'AmazonS3') === 'AmazonS3',
  );
  for (const cls of S3_STORAGE_CLASSES) {
    const { usagetype, volumeType } = S3_USAGE[cls];
    const price =
      perGbMonth(inRegion, (i) => usagetype.test(i.attributes.usagetype ?? '')) ??
      perGbMonth(inRegion, (i) => i.attributes.volumeType === volumeType && !i.attributes.usagetype);
    if (price !== null) out[cls] = price;
  }
  return out;
}

function specFrom(items: ReadonlyArray<PriceListItem>, instanceType: string): PriceTable['instanceTypes'][string] | null {
  const a = items.find((i) => i.attributes.instanceType === instanceType)?.attributes;
  const vcpu = Number(a?.vcpu);
  const memoryGiB = Number(/^([\d.,]+)\s*GiB/.exec(a?.memory ?? '')?.[1]?.replace(',', ''));
  if (!a || !Number.isFinite(vcpu) || !Number.isFinite(memoryGiB)) return null;
  const gpus = Number(a.gpu);
  return { vcpu, memoryGiB, gpu: gpus > 0 ? `${gpus} x ${a.gpuMemory ? `GPU (${a.gpuMemory})` : 'GPU'}` : null };
}

export function createPriceRefresher(deps: {
  /** null when no client could be made (no credentials configured): refresh says so. */
  pricing: PricingApi | null;
  store: KeyValueStore;
  clock: Clock;
  region: string;
  shipped: PriceTable;
}): PriceRefresher {
  const stored = (): PriceTable | null => {
    const t = deps.store.get(REFRESHED_PRICES_KEY) as PriceTable | undefined;
    if (!t || !t.regions || !t.instanceTypes || !t.retrieved) return null;
    // a table refreshed before S3 prices were kept: the shipped S3 prices fill in
    for (const [name, r] of Object.entries(t.regions)) r.s3PerGbMonth ??= deps.shipped.regions[name]?.s3PerGbMonth;
    return t;
  };
  const current = () => stored() ?? structuredClone(deps.shipped);

  return {
    current,
    async refresh() {
      const base = current();
      const keep = `keeping the ${priceTableLabel(base)}`;
      if (!deps.pricing) {
        return { ok: false, table: base, code: 'CREDENTIALS', message: `Prices not refreshed: no AWS credentials for the Pricing API; ${keep}.` };
      }
      const types = Object.keys(deps.shipped.instanceTypes);
      const fetched: Record<string, number> = {};
      const specs: PriceTable['instanceTypes'] = {};
      let ebs: number | null = null;
      let snapshot: number | null = null;
      let s3: Partial<Record<S3StorageClass, number>> = {};
      try {
        for (const type of types) {
          const items = await getAll(deps.pricing, termMatch([['instanceType', type], ['regionCode', deps.region], ...COMPUTE_FILTERS]));
          const price = hourlyFrom(items, type, deps.region);
          if (price !== null) fetched[type] = price;
          const spec = specFrom(items, type);
          if (spec) specs[type] = { ...spec, gpu: base.instanceTypes[type]?.gpu ?? spec.gpu };
        }
        const volumes = await getAll(
          deps.pricing,
          termMatch([
            ['productFamily', 'Storage'],
            ['volumeApiName', 'gp3'],
            ['regionCode', deps.region],
          ]),
        );
        ebs = perGbMonth(volumes, (i) => i.attributes.volumeApiName === 'gp3' && i.attributes.regionCode === deps.region);
        const snaps = await getAll(
          deps.pricing,
          termMatch([
            ['productFamily', 'Storage Snapshot'],
            ['regionCode', deps.region],
          ]),
        );
        snapshot = perGbMonth(snaps, (i) => /EBS:SnapshotUsage$/.test(i.attributes.usagetype ?? '') && i.attributes.regionCode === deps.region);
        const buckets = await getAll(
          deps.pricing,
          termMatch([
            ['productFamily', 'Storage'],
            ['regionCode', deps.region],
          ]),
          'AmazonS3',
        );
        s3 = s3PricesFrom(buckets, deps.region);
      } catch (e) {
        const err = fromAwsError(e, 'price refresh');
        const name = (e as { name?: string }).name ?? 'Error';
        if (err.code === 'ACCESS_DENIED') {
          return {
            ok: false,
            table: base,
            code: 'ACCESS_DENIED',
            message: `Prices not refreshed: your AWS identity may not read the Pricing API (${name}; it needs pricing:GetProducts); ${keep}.`,
          };
        }
        if (err.code === 'CREDENTIALS') {
          return {
            ok: false,
            table: base,
            code: 'CREDENTIALS',
            message: `Prices not refreshed: no valid AWS credentials for the Pricing API (${name}); ${keep}.`,
          };
        }
        const why = ((e as Error).message ?? String(e)).split('\n')[0];
        return { ok: false, table: base, code: 'UNAVAILABLE', message: `Prices not refreshed: the Pricing API could not be read (${name}: ${why}); ${keep}.` };
      }

      const refreshed = Object.keys(fetched);
      const missing = types.filter((t) => !(t in fetched));
      const s3Classes = Object.keys(s3);
      if (!refreshed.length && ebs === null && !s3Classes.length) {
        return { ok: true, table: base, refreshed, missing, message: `The Pricing API has no EC2 prices for region ${deps.region}; ${keep}.` };
      }
      const day = isoDay(deps.clock.now());
      const old: RegionPrices | undefined = base.regions[deps.region] ?? deps.shipped.regions[deps.region];
      const fallback = deps.shipped.regions['us-east-1'];
      const table: PriceTable = {
        ...base,
        description: `${deps.shipped.description} Refreshed from the AWS Pricing API where it answered; other prices from the ${priceTableLabel(deps.shipped)}.`,
        source: `${PRICING_SOURCE_PREFIX}, fetched ${day}`,
        retrieved: day,
        instanceTypes: { ...base.instanceTypes, ...specs },
        regions: {
          ...base.regions,
          [deps.region]: {
            hourly: { ...old?.hourly, ...fetched },
            ebsGp3PerGbMonth: ebs ?? old?.ebsGp3PerGbMonth ?? fallback?.ebsGp3PerGbMonth ?? 0,
            snapshotPerGbMonth: snapshot ?? old?.snapshotPerGbMonth ?? fallback?.snapshotPerGbMonth ?? 0,
            s3PerGbMonth: { ...(deps.shipped.regions[deps.region]?.s3PerGbMonth ?? fallback?.s3PerGbMonth), ...old?.s3PerGbMonth, ...s3 },
          },
        },
      };
      deps.store.set(REFRESHED_PRICES_KEY, table);
      const noPrice = missing.map((t) =>
        table.regions[deps.region]!.hourly[t] === undefined ? `${t} (no price at all: its cost shows as unknown)` : `${t} (kept the earlier price)`,
      );
      const message =
        `Prices refreshed from the AWS Pricing API for ${deps.region} on ${day}: ${refreshed.length} instance type${refreshed.length === 1 ? '' : 's'}` +
        `${ebs !== null ? ', EBS gp3' : ''}${snapshot !== null ? ', snapshots' : ''}` +
        `${s3Classes.length ? `, S3 storage (${s3Classes.length} class${s3Classes.length === 1 ? '' : 'es'})` : ''}.` +
        (missing.length ? ` No price in ${deps.region} for ${noPrice.join(', ')}.` : '');
      return { ok: true, table, refreshed, missing, message };
    },
  };
}
