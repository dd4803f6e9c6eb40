/** The price table line shown over the instances and in the launch form. */
import { useState } from 'react';
import type { PriceTableInfo } from '../../preload/api.ts';
import { ErrorNote } from '../components/bits.tsx';
import { pricesAsOf } from '../format.ts';
import { useAction, useApi } from '../hooks.ts';

/**
 * Which price table the figures use and how old it is, a warning once it is out of date, and a
 * way to refresh it from the AWS Pricing API.
 */
export function PricesLine({ prices }: { prices: PriceTableInfo | undefined }) {
  const api = useApi();
  const refresh = useAction();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  if (!prices) return null;
  return (
    <div className="prices">
      <div className="prices-line small" data-testid="prices-line">
        <span className="muted">
          {pricesAsOf(prices)}: {prices.source === 'shipped' ? 'the table shipped with ScopeCloud' : 'fetched from the AWS Pricing API'} (on-demand, Linux).
        </span>
        <button
          type="button"
          className="link"
          disabled={refresh.busy}
          onClick={() => {
            refresh
              .run(() => api.refreshPrices())
              .then((r) => {
                if (r) setResult(r);
              });
          }}
        >
          {refresh.busy ? 'Asking the AWS Pricing API…' : 'Refresh prices'}
        </button>
        {result ? (
          <span role="status" className={result.ok ? '' : 'warn-text'}>
            {result.message}
          </span>
        ) : null}
      </div>
      {prices.stale ? (
        <div className="note note-warn small" data-testid="prices-stale">
          <strong>These prices are {prices.ageDays} days old</strong> (older than {prices.staleAfterDays} days): AWS changes its prices, so the costs and budget
          checks shown here may be off. Refresh them with <em>Refresh prices</em> above, or run <code>scopecloud cost --refresh-prices</code>.
        </div>
      ) : null}
      <ErrorNote error={refresh.error} />
    </div>
  );
}
