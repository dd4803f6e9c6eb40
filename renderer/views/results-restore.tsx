/**
 * Archived results (files moved to GLACIER / DEEP_ARCHIVE): shown where opening them failed, with
 * the restore dialog (each tier's wait and cost for the bytes to restore, the days the copies stay
 * readable) and, once asked, the restore underway. The app notifies when the files are readable;
 * meanwhile this view asks again every 10 s (answered from the app's restore watcher, no S3
 * request) and calls `onReadable` once the restore is over and nothing is cold.
 */
import { useEffect, useState } from 'react';
import type { ResultsRestore } from '../../preload/api.ts';
import { ErrorNote } from '../components/bits.tsx';
import { count, formatBytes, formatDateTime } from '../format.ts';
import { useAction, useApi } from '../hooks.ts';
import { RestoreConsent, type RestoreWording } from './analysis-restore.tsx';

const RESULTS_RESTORE: RestoreWording = {
  title: 'Restore these results from cold storage?',
  whose: 'of these results',
  reader: 'ScopeCloud',
  after: 'ScopeCloud tells you when they are readable (a notification, and the tray meanwhile), even after it restarts.',
  action: 'Restore results',
};

const RECHECK_MS = 10_000;

export function ArchivedResults({ id, onReadable }: { id: string; onReadable: () => void }) {
  const api = useApi();
  const action = useAction();
  const [state, setState] = useState<ResultsRestore | null>(null);
  const [asking, setAsking] = useState(false);
  const waiting = state?.pending != null;
  useEffect(() => {
    let live = true;
    const ask = () =>
      api.planResultsRestore({ id }).then(
        (r) => {
          if (!live) return;
          setState(r);
          if (waiting && !r.pending && r.offer.objects === 0 && r.offer.ongoing === 0) onReadable();
        },
        () => undefined,
      );
    if (!waiting) void ask();
    const timer = waiting ? setInterval(() => void ask(), RECHECK_MS) : undefined;
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [api, id, waiting, onReadable]);
  if (!state) return null;
  const { offer, pending } = state;
  if (pending)
    return (
      <div className="note" data-testid="results-restoring">
        <strong>
          Restoring from cold storage ({pending.tier}, {pending.waiting}) since {formatDateTime(pending.since)}.
        </strong>{' '}
        ScopeCloud tells you when the files are readable; they stay readable for {count(pending.days, 'day')}.
      </div>
    );
  if (offer.objects === 0)
    return offer.ongoing > 0 ? (
      <div className="note" data-testid="results-restoring">
        {count(offer.ongoing, 'file')} of these results {offer.ongoing === 1 ? 'is' : 'are'} being restored from cold storage (asked elsewhere).
      </div>
    ) : null;
  return (
    <div className="panel" data-testid="results-archived">
      <p>
        These results are in cold storage: {count(offer.objects, 'file')} ({formatBytes(offer.bytes)}) must be restored before they can be opened.
      </p>
      <ErrorNote error={action.error} />
      <div className="actions left">
        <button type="button" className="primary" disabled={action.busy} onClick={() => setAsking(true)}>
          Restore from cold storage…
        </button>
      </div>
      {asking ? (
        <RestoreConsent
          offer={offer}
          wording={RESULTS_RESTORE}
          onCancel={() => setAsking(false)}
          onAgree={(tier) => {
            setAsking(false);
            void action.run(() => api.restoreResults({ id, tier, consent: true })).then((r) => r && setState(r));
          }}
        />
      ) : null}
    </div>
  );
}
