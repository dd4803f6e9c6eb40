/** `scopecloud cost`'s storage section: the bytes per storage class, their bill and the projection. */
import { table } from '../format.ts';
import { duration, round4, usd } from '../../cost/money.ts';
import { gbText } from '../../cost/storage-bill.ts';
import type { StorageCost } from '../../app/storage-cost.ts';
import type { CostLine } from '../../cost/cost-explorer.ts';
import { costByPerson, type PersonCost } from '../../../preload/people-cost.ts';

function people(c: StorageCost, compute: readonly CostLine[] | null): PersonCost[] {
  return costByPerson(compute && compute.map((l) => ({ name: l.key, amount: l.amount })), c.bill?.byOwner ?? null);
}

/**
 * The table per person (preload/people-cost.ts): compute this month from Cost Explorer by the
 * owner tag (`compute`; null when it was not asked or could not be), storage from the bill's split.
 */
export function personLines(c: StorageCost, compute: readonly CostLine[] | null): string[] {
  const rows = people(c, compute);
  if (!rows.length) return [];
  const billed = c.bill?.billed ?? c.usage?.kind === 's3';
  const out = [
    `By person (compute: Cost Explorer by the owner tag, month to date${compute === null ? ', not known here' : ''}; storage: ${billed ? 'per month at the current size' : "the local archive, on the lab's own disk"}):`,
  ];
  for (const l of table(
    ['OWNER', 'COMPUTE', 'STORAGE', billed ? 'STORAGE $/MONTH' : 'STORAGE COST', 'TOTAL'],
    rows.map((r) => [
      r.owner,
      r.compute === null ? (compute === null ? '?' : usd(0)) : usd(r.compute),
      r.storageBytes === null ? (c.bill?.byOwner ? gbText(0) : '?') : gbText(r.storageBytes),
      billed ? (r.storageMonthly === null ? (c.bill?.byOwner && r.storageBytes === null ? usd(0) : '?') : usd(r.storageMonthly)) : 'own disk',
      compute === null ? '?' : usd(r.total),
    ]),
  ))
    out.push(`  ${l}`);
  out.push(`  ${c.attribution.text}`);
  if (c.attribution.error) out.push(`  ${c.attribution.error}`);
  const sessions = c.unattributedSessions;
  if (sessions.length) {
    out.push(`Sessions without an owner (${sessions.length}; assign them with --assign SESSION or --assign-under FOLDER --to PERSON):`);
    for (const l of table(
      ['SESSION', 'STORAGE'],
      sessions.slice(0, 20).map((s) => [s.session, gbText(s.bytes)]),
    ))
      out.push(`  ${l}`);
    if (sessions.length > 20) out.push(`  and ${sessions.length - 20} more`);
  }
  return out;
}

export function personJson(c: StorageCost, compute: readonly CostLine[] | null): unknown {
  return {
    attribution: c.attribution,
    computeKnown: compute !== null,
    unattributedSessions: c.unattributedSessions,
    people: people(c, compute).map((r) => ({
      ...r,
      compute: r.compute === null ? null : round4(r.compute),
      storageMonthly: r.storageMonthly === null ? null : round4(r.storageMonthly),
      total: compute === null ? null : round4(r.total),
    })),
  };
}

/** Human lines; `now` ages the listing. */
export function storageLines(c: StorageCost, now: number): { out: string[]; err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  if (c.error) err.push(`Storage: ${c.error}`);
  const u = c.usage;
  const bill = c.bill;
  if (!u || !bill) {
    if (!c.error) out.push('Storage: nothing listed yet.');
    return { out, err };
  }
  const when = `${c.fromCache ? `listed ${duration(now - u.listedAt)} ago` : 'just listed'}${c.error ? ', the last good listing' : ''}`;
  if (!bill.billed) {
    out.push(`Storage (${u.location}, local disk, no S3 bill; ${when}): ${gbText(u.totalBytes)} in ${u.totalObjects} file${u.totalObjects === 1 ? '' : 's'}.`);
    out.push(`  ${bill.projection.formula}.`);
    return { out, err };
  }
  out.push(`Storage (${u.location}, ${when} by ListObjectsV2; prices: ${c.pricesLabel}, ${c.region}): ${usd(bill.monthly)}/month.`);
  if (bill.lines.length) {
    for (const l of table(
      ['CLASS', 'OBJECTS', 'SIZE', '$/GB-MONTH', '$/MONTH'],
      bill.lines.map((l) => [
        l.storageClass,
        String(l.objects),
        gbText(l.bytes),
        l.perGbMonth === null ? '?' : `$${l.perGbMonth}`,
        l.monthly === null ? '?' : usd(l.monthly),
      ]),
    ))
      out.push(`  ${l}`);
  } else out.push('  No objects under the prefix.');
  if (bill.unpriced.length) out.push(`Not in the price table (cost unknown): ${bill.unpriced.join(', ')}`);
  const x = c.crossCheck;
  if (x) {
    if (x.error) out.push(`Cross-check: ${x.error}.`);
    else if (x.at === null) out.push('Cross-check: S3 has published no BucketSizeBytes metric for the bucket yet (it does once a day).');
    else out.push(`Cross-check (whole bucket, CloudWatch BucketSizeBytes of ${new Date(x.at).toISOString().slice(0, 10)}): ${gbText(x.totalBytes)}.`);
  }
  const p = bill.projection;
  out.push(`Storage for the rest of the month: ${usd(p.restOfMonth)} (${usd(p.monthlyAtMonthEnd)}/month by month end).`);
  out.push(`  ${p.formula}.`);
  return { out, err };
}

export function storageJson(c: StorageCost): unknown {
  const bill = c.bill;
  return {
    location: c.usage?.location ?? null,
    method: c.usage?.method ?? null,
    listedAt: c.usage?.listedAt ?? null,
    fromCache: c.fromCache,
    nextListingAt: c.nextListingAt,
    error: c.error,
    region: c.region,
    prices: c.pricesLabel,
    rate: c.rate,
    crossCheck: c.crossCheck ?? null,
    bill: bill && {
      billed: bill.billed,
      totalBytes: bill.totalBytes,
      monthly: round4(bill.monthly),
      unpriced: bill.unpriced,
      classes: bill.lines.map((l) => ({ ...l, monthly: l.monthly === null ? null : round4(l.monthly) })),
      projection: {
        ...bill.projection,
        restOfMonthStored: round4(bill.projection.restOfMonthStored),
        restOfMonthAdded: round4(bill.projection.restOfMonthAdded),
        restOfMonth: round4(bill.projection.restOfMonth),
        monthlyAtMonthEnd: round4(bill.projection.monthlyAtMonthEnd),
      },
    },
  };
}
