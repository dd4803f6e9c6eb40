/**
 * The Budget view's By person table: compute spent this month (Cost Explorer by the owner tag)
 * beside the storage each person's sessions and jobs hold (the storage bill's split) and the
 * total, `unattributed` last, with how storage was attributed, and the sessions without an
 * owner to assign (budget-people-assign.tsx). Without AWS (a local archive) `budget` is null:
 * storage only, on the lab's own disk.
 */
import type { Budget, StorageCost } from '../../preload/api.ts';
import { costByPerson } from '../../preload/people-cost.ts';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { formatMoney } from '../format.ts';
import { useTopic } from '../hooks.ts';
import { billedSize } from './budget-storage.tsx';
import { UnattributedSessions } from './budget-people-assign.tsx';

export function PeoplePanel({ budget }: { budget: Budget | null }) {
  const { data, error, reload } = useTopic(['budget'], (a) => a.getStorageCost(), 1000);
  return (
    <div className="panel" aria-labelledby="people-title" data-testid="people">
      <h2 id="people-title">By person</h2>
      {data ? <PeopleBody budget={budget} storage={data} reload={reload} /> : error ? <ErrorNote error={error} /> : <Loading what="the costs per person" />}
    </div>
  );
}

function PeopleBody({ budget, storage, reload }: { budget: Budget | null; storage: StorageCost; reload: () => void }) {
  const currency = budget?.currency ?? storage.currency;
  const money = (v: number) => (v > 0 && v < 0.0001 ? `< ${formatMoney(0.0001, currency, 4)}` : formatMoney(v, currency, v > 0 && v < 1 ? 4 : 2));
  /** Without AWS (a local archive) there is no compute and no bill: storage only. */
  const aws = budget !== null;
  const computeKnown = budget !== null && (budget.costExplorer?.fetchedAt ?? null) !== null;
  const rows = costByPerson(computeKnown ? budget.byOwner : null, storage.byOwner);
  const billed = storage.kind === 's3';
  const split = storage.byOwner !== null;
  return (
    <>
      {rows.length ? (
        <table className="table" aria-label="Cost by person">
          <thead>
            <tr>
              <th scope="col">Person</th>
              {aws ? (
                <th scope="col" className="num" title="Month to date, from Cost Explorer grouped by the owner tag">
                  Compute this month
                </th>
              ) : null}
              <th scope="col" className="num">
                Storage
              </th>
              <th scope="col" className="num">
                {billed ? 'Storage per month' : 'Storage cost'}
              </th>
              {aws ? (
                <th scope="col" className="num" title={billed ? 'Compute this month + one month of storage at the current size' : 'Compute this month'}>
                  Total
                </th>
              ) : null}
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.owner} data-person={r.owner}>
                <td>{r.owner === 'unattributed' ? <span className="muted">unattributed</span> : r.owner}</td>
                {aws ? (
                  <td className="num">
                    {r.compute !== null ? money(r.compute) : computeKnown ? money(0) : <span title="No Cost Explorer figures yet">?</span>}
                  </td>
                ) : null}
                <td className="num">{r.storageBytes !== null ? billedSize(r.storageBytes) : split ? billedSize(0) : '?'}</td>
                <td className="num">
                  {!billed ? (
                    <span className="muted">own disk</span>
                  ) : r.storageMonthly !== null ? (
                    money(r.storageMonthly)
                  ) : split && r.storageBytes === null ? (
                    money(0)
                  ) : (
                    <span title="Unknown: not in the price table, or not listed yet">?</span>
                  )}
                </td>
                {aws ? <td className="num">{computeKnown ? money(r.total) : <span title="No Cost Explorer figures yet">?</span>}</td> : null}
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted">
          {aws ? 'Nothing to split yet: it comes with the Cost Explorer figures and the storage listing.' : 'Nothing stored in the archive yet.'}
        </p>
      )}
      <p className="small muted" data-testid="people-attribution">
        {computeKnown
          ? 'Compute: Cost Explorer, month to date, grouped by the owner tag (untagged spend is unattributed). '
          : budget === null
            ? 'Compute: none without an AWS account. '
            : 'Compute per person comes with the Cost Explorer figures ("Refresh now" above). '}
        Storage: {storage.attribution.text}
        {billed ? '' : " The local archive is on the lab's own disk: no storage bill."}
      </p>
      {storage.attribution.error ? <p className="small note note-warn">{storage.attribution.error}</p> : null}
      <UnattributedSessions storage={storage} people={rows.map((r) => r.owner).filter((o) => o !== 'unattributed')} reload={reload} />
    </>
  );
}
