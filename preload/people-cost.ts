/**
 * The table per person that the Budget view and `scopecloud cost` show: compute spent this month
 * (Cost Explorer grouped by the owner tag) beside the storage each person's sessions and jobs
 * hold (the storage bill's split, `StorageCost.byOwner`). Pure.
 *
 * Contracts: Cost Explorer's untagged spend and the storage no record attributes are one row,
 * `unattributed`, always last. `total` = compute this month + one month of storage at the current
 * size (unknown parts count as 0; `compute`/`storageBytes` null say which are unknown).
 */
export const UNATTRIBUTED = 'unattributed';
/** Cost Explorer's group for resources without the owner tag (cost/cost-explorer.ts). */
const UNTAGGED = '(untagged)';

export interface PersonCost {
  owner: string;
  /** Month to date; null when Cost Explorer has no figures (or has none for this person). */
  compute: number | null;
  /** Bytes stored; null when the storage split is unknown (or has nothing for this person). */
  storageBytes: number | null;
  /** USD per month for those bytes; null for a local archive or when unknown. */
  storageMonthly: number | null;
  total: number;
}

export function costByPerson(
  compute: ReadonlyArray<{ name: string; amount: number }> | null,
  storage: ReadonlyArray<{ owner: string; bytes: number; monthly: number | null }> | null,
): PersonCost[] {
  const rows = new Map<string, PersonCost>();
  const row = (name: string): PersonCost => {
    const owner = name === UNTAGGED || name === '' ? UNATTRIBUTED : name;
    const r = rows.get(owner) ?? { owner, compute: null, storageBytes: null, storageMonthly: null, total: 0 };
    rows.set(owner, r);
    return r;
  };
  for (const c of compute ?? []) {
    const r = row(c.name);
    r.compute = (r.compute ?? 0) + c.amount;
  }
  for (const s of storage ?? []) {
    const r = row(s.owner);
    r.storageBytes = (r.storageBytes ?? 0) + s.bytes;
    if (s.monthly !== null) r.storageMonthly = (r.storageMonthly ?? 0) + s.monthly;
  }
  for (const r of rows.values()) r.total = (r.compute ?? 0) + (r.storageMonthly ?? 0);
  return [...rows.values()].sort(
    (a, b) =>
      Number(a.owner === UNATTRIBUTED) - Number(b.owner === UNATTRIBUTED) ||
      b.total - a.total ||
      (b.storageBytes ?? 0) - (a.storageBytes ?? 0) ||
      a.owner.localeCompare(b.owner),
  );
}
