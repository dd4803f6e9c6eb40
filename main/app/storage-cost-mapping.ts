/** The storage bill in the renderer contract's terms (preload/api.ts `StorageCost`). Pure. */
import type { StorageCost as StorageCostView } from '../../preload/api.ts';
import type { StorageCost } from './storage-cost.ts';

export function toStorageCost(c: StorageCost, kind: 's3' | 'local', currency: string): StorageCostView {
  const bill = c.bill;
  const p = bill?.projection;
  return {
    currency,
    kind,
    location: c.usage?.location ?? null,
    listedAt: c.usage?.listedAt ?? null,
    nextListingAt: c.nextListingAt,
    fromCache: c.fromCache,
    error: c.error,
    classes: (bill?.lines ?? []).map((l) => ({
      storageClass: l.storageClass,
      bytes: l.bytes,
      objects: l.objects,
      perGbMonth: l.perGbMonth,
      monthly: l.monthly,
    })),
    totalBytes: bill?.totalBytes ?? 0,
    monthly: bill?.monthly ?? 0,
    unpriced: bill?.unpriced ?? [],
    projection: p
      ? {
          restOfMonth: p.restOfMonth,
          restOfMonthStored: p.restOfMonthStored,
          restOfMonthAdded: p.restOfMonthAdded,
          monthlyAtMonthEnd: p.monthlyAtMonthEnd,
          bytesPerDay: p.bytesPerDay,
          addedBytes: p.addedBytes,
          rateWindowDays: c.rate.windowDays,
          formula: p.formula,
        }
      : null,
    prices: c.pricesLabel,
    byOwner: bill?.byOwner?.slice(0, 1000).map((o) => ({ ...o })) ?? null,
    attribution: c.attribution,
    unattributedSessions: c.unattributedSessions.slice(0, 1000).map((x) => ({ ...x })),
  };
}
