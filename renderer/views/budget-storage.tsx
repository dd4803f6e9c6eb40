/**
 * The Budget view's Storage section: the bill that grows without anyone launching anything. Bytes
 * under the lab's prefix per S3 storage class with their $/month, the rest of the month projected
 * with what the watched folders add (the formula in a tooltip and spelled out below), when the
 * prefix was last listed, and a button that lists it again. The listing is cached by the main
 * process; this section never asks for one on a timer.
 */
import type { StorageCost } from '../../preload/api.ts';
import { ErrorNote, Loading, Stat } from '../components/bits.tsx';
import { formatDateTime, formatMoney } from '../format.ts';
import { useAction, useApi, useTopic } from '../hooks.ts';

/** Sizes as S3 bills them: GB = 2^30 bytes, TB = 2^40. */
export function billedSize(bytes: number): string {
  const tb = bytes / 2 ** 40;
  if (tb >= 1) return `${tb.toFixed(tb >= 100 ? 0 : 2)} TB`;
  const gb = bytes / 2 ** 30;
  return `${gb >= 100 ? Math.round(gb) : gb >= 1 ? gb.toFixed(1) : gb.toFixed(3)} GB`;
}

const CLASS_NAMES: Record<string, string> = {
  STANDARD: 'Standard',
  STANDARD_IA: 'Standard-IA',
  ONEZONE_IA: 'One Zone-IA',
  INTELLIGENT_TIERING: 'Intelligent-Tiering',
  GLACIER_IR: 'Glacier Instant Retrieval',
  GLACIER: 'Glacier Flexible Retrieval',
  DEEP_ARCHIVE: 'Glacier Deep Archive',
};

export function StoragePanel() {
  const api = useApi();
  const { data, error, reload } = useTopic(['budget'], (a) => a.getStorageCost(), 1000);
  const refresh = useAction();
  return (
    <div className="panel" aria-labelledby="storage-title" data-testid="storage">
      <div className="panel-head">
        <h2 id="storage-title">Storage</h2>
        <button
          onClick={() =>
            refresh.run(async () => {
              await api.refreshStorageCost();
              reload();
            })
          }
          disabled={refresh.busy}
          title="Lists the destination again now (one paged listing; otherwise it is listed at most every 6 hours)"
        >
          {refresh.busy ? 'Listing…' : 'List again'}
        </button>
      </div>
      {data ? <StorageBody data={data} /> : error ? <ErrorNote error={error} /> : <Loading what="storage" />}
      <ErrorNote error={refresh.error} />
    </div>
  );
}

function StorageBody({ data }: { data: StorageCost }) {
  const money = (v: number) => formatMoney(v, data.currency, v > 0 && v < 1 ? 4 : 2);
  const p = data.projection;
  const listed = data.listedAt === null ? null : formatDateTime(data.listedAt);
  return (
    <>
      <p className="small muted" data-testid="storage-listed">
        {data.location ? <code>{data.location}</code> : 'The destination'}
        {listed ? `, listed ${listed}` : ', not listed yet'}
        {data.kind === 's3' ? ` (prices: ${data.prices})` : ''}.
        {data.nextListingAt !== null ? ` Listed again after ${formatDateTime(data.nextListingAt)} or when asked.` : ''}
      </p>
      {data.error ? (
        <p className="note note-warn" role="alert" data-testid="storage-error">
          {data.error}
        </p>
      ) : null}
      {data.kind === 'local' ? (
        <p data-testid="storage-local">
          {billedSize(data.totalBytes)} in the local archive: local disk, no S3 bill.
          {p ? <span className="muted small"> {p.formula}.</span> : null}
        </p>
      ) : data.listedAt === null ? null : (
        <>
          <div className="storage-stats">
            <Stat
              label="Stored"
              value={billedSize(data.totalBytes)}
              hint={`${data.classes.reduce((n, c) => n + c.objects, 0).toLocaleString('en-US')} objects`}
            />
            <Stat label="Storage per month" value={money(data.monthly)} hint="at the current size" />
            {p ? (
              <Stat
                label="Storage, rest of month"
                value={<span title={p.formula}>{money(p.restOfMonth)}</span>}
                hint={`${money(p.monthlyAtMonthEnd)}/month by month end`}
              />
            ) : null}
          </div>
          {data.classes.length ? (
            <table className="table" aria-label="Storage by class">
              <thead>
                <tr>
                  <th scope="col">Storage class</th>
                  <th scope="col" className="num">
                    Objects
                  </th>
                  <th scope="col" className="num">
                    Size
                  </th>
                  <th scope="col" className="num">
                    Price per GB-month
                  </th>
                  <th scope="col" className="num">
                    Per month
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.classes.map((c) => (
                  <tr key={c.storageClass} data-storage-class={c.storageClass}>
                    <td>
                      {CLASS_NAMES[c.storageClass] ?? c.storageClass} <code className="small muted">{c.storageClass}</code>
                    </td>
                    <td className="num">{c.objects.toLocaleString('en-US')}</td>
                    <td className="num">{billedSize(c.bytes)}</td>
                    <td className="num">{c.perGbMonth === null ? <span title="Not in the price table">?</span> : `$${c.perGbMonth}`}</td>
                    <td className="num">{c.monthly === null ? <span title="Not in the price table: unknown, not zero">?</span> : money(c.monthly)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          ) : (
            <p className="muted">Nothing stored under the prefix yet.</p>
          )}
          {data.unpriced.length ? <p className="small note note-warn">Not in the price table (cost unknown): {data.unpriced.join(', ')}.</p> : null}
          {p ? (
            <details className="small" data-testid="storage-formula">
              <summary>How the rest of the month is projected</summary>
              <p>{p.formula}.</p>
            </details>
          ) : null}
        </>
      )}
    </>
  );
}
