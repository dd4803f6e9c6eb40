/**
 * The Budget view's By person table as the tray says it: the top spenders this month and what no
 * one is known for. Pure; built from figures already cached (Cost Explorer's last answer grouped by
 * the owner tag, the storage bill's last split), never from a new request.
 *
 * Contract: at most `TOP_PEOPLE` people, highest total first (compute this month + one month of
 * storage at the current size, as the table counts it), then `unattributed` when it holds
 * anything. A person with nothing (no compute, no bytes) is not named.
 */
import { costByPerson, UNATTRIBUTED, type PersonCost } from '../../preload/people-cost.ts';
import { usd } from '../cost/money.ts';
import { gbText } from '../cost/storage-bill.ts';

export const TOP_PEOPLE = 3;

export interface TrayPeople {
  /** Cost Explorer's month to date by the owner tag; null when it has no figures yet. */
  compute: ReadonlyArray<{ name: string; amount: number }> | null;
  /** The storage bill's split per person; null before a split listing. */
  storage: ReadonlyArray<{ owner: string; bytes: number; monthly: number | null }> | null;
  /** False: a local archive (storage is own disk, shown as sizes). */
  billed: boolean;
}

export interface TrayPeopleLines {
  /** The tooltip's line, e.g. "This month by person: maria $12.50, ana $6.00, lee $0.01 (+2 more); unattributed $3.00". */
  line: string;
  /** One menu line per person named (top ones, then unattributed). */
  items: { owner: string; label: string }[];
}

const spent = (r: PersonCost) => (r.compute ?? 0) > 0 || (r.storageBytes ?? 0) > 0;

/** Null when there is nothing to say (no figures, or nobody spent anything). */
export function trayPeople(p: TrayPeople): TrayPeopleLines | null {
  const rows = costByPerson(p.compute, p.storage).filter(spent);
  const people = rows.filter((r) => r.owner !== UNATTRIBUTED);
  const rest = rows.find((r) => r.owner === UNATTRIBUTED) ?? null;
  if (!people.length && !rest) return null;
  const top = people.slice(0, TOP_PEOPLE);
  const money = p.billed || p.compute !== null;
  const amount = (r: PersonCost) => (money ? usd(r.total) : gbText(r.storageBytes ?? 0));
  const detail = (r: PersonCost) =>
    money
      ? [r.compute !== null ? `${usd(r.compute)} compute` : null, r.storageMonthly !== null ? `${usd(r.storageMonthly)}/month storage` : null]
          .filter((x) => x !== null)
          .join(', ')
      : 'on local disk';
  const more = people.length - top.length;
  const what = p.compute === null ? (money ? ' (storage only; compute comes with Cost Explorer)' : ' (storage)') : '';
  const named = top.map((r) => `${r.owner} ${amount(r)}`).join(', ');
  const line = `This month by person${what}: ${[named + (more > 0 ? ` (+${more} more)` : ''), rest ? `unattributed ${amount(rest)}` : null]
    .filter((x) => x)
    .join('; ')}`;
  const items = [...top, ...(rest ? [rest] : [])].map((r) => ({ owner: r.owner, label: `${r.owner}: ${amount(r)}${detail(r) ? ` (${detail(r)})` : ''}` }));
  return { line, items };
}
