/**
 * Restoring an analysis's inputs from a cold class (pure): which objects S3 must restore before a
 * read (GLACIER, DEEP_ARCHIVE; GLACIER_IR is read at once), what the restore costs and how long it
 * takes per retrieval tier, and what HeadObject's `x-amz-restore` header says about one underway.
 *
 * Prices and times: AWS's S3 pricing page and the restore documentation, us-east-1, taken
 * 2026-12-01. The restored copy is billed as STANDARD for the days it is kept, on top.
 */

export type RestoreTier = 'Expedited' | 'Standard' | 'Bulk';
export const RESTORE_TIERS: readonly RestoreTier[] = ['Expedited', 'Standard', 'Bulk'];
/** Days the restored copy stays readable unless the caller says (settings restore.days): long enough for an analysis and a re-run. */
export const RESTORE_DAYS = 3;

interface TierFacts {
  perGb: number;
  per1000Requests: number;
  /** Typical longest wait, hours. */
  hours: number;
  waiting: string;
}

export const RESTORE_TIER_FACTS: Record<'GLACIER' | 'DEEP_ARCHIVE', Partial<Record<RestoreTier, TierFacts>>> = {
  GLACIER: {
    Expedited: { perGb: 0.03, per1000Requests: 10, hours: 5 / 60, waiting: '1-5 minutes' },
    Standard: { perGb: 0.01, per1000Requests: 0.05, hours: 5, waiting: '3-5 hours' },
    Bulk: { perGb: 0, per1000Requests: 0, hours: 12, waiting: '5-12 hours' },
  },
  DEEP_ARCHIVE: {
    Standard: { perGb: 0.02, per1000Requests: 0.1, hours: 12, waiting: 'up to 12 hours' },
    Bulk: { perGb: 0.0025, per1000Requests: 0.025, hours: 48, waiting: 'up to 48 hours' },
  },
};

export interface ObjectColdState {
  key: string;
  size: number;
  /** HeadObject's StorageClass (absent means STANDARD). */
  storageClass?: string;
  /** HeadObject's `x-amz-restore` header (the SDK's `Restore`). */
  restore?: string;
}

export type RestoreState = { kind: 'none' } | { kind: 'ongoing' } | { kind: 'restored'; expiresAt: number | null };

/** `ongoing-request="true"` → ongoing; `ongoing-request="false", expiry-date="..."` → restored. */
export function parseRestoreHeader(header: string | undefined): RestoreState {
  if (!header) return { kind: 'none' };
  const ongoing = /ongoing-request\s*=\s*"(true|false)"/i.exec(header);
  if (!ongoing) return { kind: 'none' };
  if (ongoing[1].toLowerCase() === 'true') return { kind: 'ongoing' };
  const expiry = /expiry-date\s*=\s*"([^"]+)"/i.exec(header);
  const at = expiry ? Date.parse(expiry[1]) : NaN;
  return { kind: 'restored', expiresAt: Number.isFinite(at) ? at : null };
}

export function needsRestoreClass(storageClass: string | undefined): storageClass is 'GLACIER' | 'DEEP_ARCHIVE' {
  return storageClass === 'GLACIER' || storageClass === 'DEEP_ARCHIVE';
}

export interface TierEstimate {
  tier: RestoreTier;
  usd: number;
  hours: number;
  waiting: string;
}

export interface RestorePlan {
  /** Cold objects with no restore asked yet (or one that expired). */
  toRestore: ObjectColdState[];
  /** Restores underway. */
  ongoing: ObjectColdState[];
  /** Readable now (restored copy, or not in a cold class). */
  ready: number;
  bytesToRestore: number;
  /** Tiers offered for every object to restore (Expedited only when none is DEEP_ARCHIVE), cheapest first. */
  tiers: TierEstimate[];
  /** The restored copies kept as STANDARD for the days asked. */
  restoredCopyUsd: number;
}

/**
 * `standardPerGbMonth` prices the restored copy kept `days`; null leaves it at 0 (unknown, said by
 * the caller).
 */
export function restorePlan(objects: readonly ObjectColdState[], standardPerGbMonth: number | null, now: number, days: number = RESTORE_DAYS): RestorePlan {
  const toRestore: ObjectColdState[] = [];
  const ongoing: ObjectColdState[] = [];
  let ready = 0;
  for (const o of objects) {
    if (!needsRestoreClass(o.storageClass)) {
      ready += 1;
      continue;
    }
    const r = parseRestoreHeader(o.restore);
    if (r.kind === 'ongoing') ongoing.push(o);
    else if (r.kind === 'restored' && (r.expiresAt === null || r.expiresAt > now)) ready += 1;
    else toRestore.push(o);
  }
  const byClass = (cls: 'GLACIER' | 'DEEP_ARCHIVE') => toRestore.filter((o) => o.storageClass === cls);
  const groups = (['GLACIER', 'DEEP_ARCHIVE'] as const).map((cls) => ({ cls, objs: byClass(cls) })).filter((g) => g.objs.length > 0);
  const tiers: TierEstimate[] = [];
  for (const tier of RESTORE_TIERS) {
    if (groups.length === 0) break;
    if (!groups.every((g) => RESTORE_TIER_FACTS[g.cls][tier])) continue;
    let usd = 0;
    let hours = 0;
    const waits: string[] = [];
    for (const g of groups) {
      const f = RESTORE_TIER_FACTS[g.cls][tier]!;
      const gb = g.objs.reduce((n, o) => n + o.size, 0) / 2 ** 30;
      usd += gb * f.perGb + (g.objs.length / 1000) * f.per1000Requests;
      hours = Math.max(hours, f.hours);
      waits.push(groups.length > 1 ? `${g.cls}: ${f.waiting}` : f.waiting);
    }
    tiers.push({ tier, usd, hours, waiting: waits.join('; ') });
  }
  tiers.sort((a, b) => a.usd - b.usd || a.hours - b.hours);
  const bytesToRestore = toRestore.reduce((n, o) => n + o.size, 0);
  const restoredCopyUsd = standardPerGbMonth === null ? 0 : (bytesToRestore / 2 ** 30) * standardPerGbMonth * (days / 30);
  return { toRestore, ongoing, ready, bytesToRestore, tiers, restoredCopyUsd };
}
