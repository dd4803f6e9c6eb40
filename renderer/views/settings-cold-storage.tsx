/**
 * Settings > Cold storage (S3 destination): whether raw files move to a colder S3 class after N
 * days, the saving per month for the class and days chosen, and adding, changing or removing the
 * rule after the plain explanation, with consent.
 */
import { useEffect, useState } from 'react';
import type { ColdStorage } from '../../preload/api.ts';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { useAction, useApi, useTopic } from '../hooks.ts';

type ColdClass = 'GLACIER_IR' | 'GLACIER' | 'DEEP_ARCHIVE';
const CLASSES: Array<{ value: ColdClass; label: string }> = [
  { value: 'GLACIER_IR', label: 'Glacier Instant Retrieval (recommended: analyses read it at once)' },
  { value: 'GLACIER', label: 'Glacier Flexible Retrieval (restore of hours before an analysis)' },
  { value: 'DEEP_ARCHIVE', label: 'Glacier Deep Archive (restore of up to 12 hours before an analysis)' },
];

/** GB = 2^30 bytes, as S3 bills; small amounts keep their digits so a test bucket does not read as zero. */
const gb = (bytes: number) => {
  const g = bytes / 2 ** 30;
  return `${g >= 100 ? Math.round(g) : g >= 1 ? g.toFixed(1) : g.toFixed(3)} GB`;
};
const usd = (v: number) => `$${v > 0 && v < 0.01 ? v.toFixed(4) : v.toFixed(2)}`;

function Present({ data }: { data: ColdStorage }) {
  return (
    <>
      {data.rules.map((r) => (
        <p key={r.prefix} data-testid="cold-state">
          {r.enabled ? 'Present' : 'Disabled'}: raw files over 16 MiB under <code>{r.prefix}</code> move to {r.storageClass} after {r.days} days.
        </p>
      ))}
      {data.state === 'partial' && (
        <p className="muted">A watched folder has no rule yet ({data.rawPrefixes.join(', ')}): apply again to cover every watched folder.</p>
      )}
    </>
  );
}

export function ColdStorageRule() {
  const api = useApi();
  const [days, setDays] = useState(30);
  const [daysText, setDaysText] = useState('30');
  const [storageClass, setStorageClass] = useState<ColdClass>('GLACIER_IR');
  const { data, error, reload } = useTopic(['settings'], (a) => a.getColdStorage({ days, storageClass }));
  useEffect(() => reload(), [days, storageClass, reload]);
  const [asking, setAsking] = useState<'apply' | 'remove' | null>(null);
  const action = useAction();
  if (!data) return <div className="panel">{error ? <ErrorNote error={error} /> : <Loading what="the cold-storage rules" />}</div>;
  if (data.state === 'local') return null;
  const s = data.saving;
  const daysValid = /^\d+$/.test(daysText) && Number(daysText) <= 3650;
  return (
    <div className="panel" aria-labelledby="cold-title">
      <h2 id="cold-title">Cold storage for raw files</h2>
      {data.state === 'unsupported' && <p data-testid="cold-state">Unknown: this S3 store does not offer lifecycle rules, so raw files stay in STANDARD.</p>}
      {data.state === 'absent' && (
        <p data-testid="cold-state">
          Absent: raw files under {data.rawPrefixes.length ? <code>{data.rawPrefixes.join(', ')}</code> : 'the watched folders'} stay in S3 Standard. Manifests
          and results always stay there.
        </p>
      )}
      {(data.state === 'present' || data.state === 'partial') && <Present data={data} />}
      {data.state !== 'unsupported' && (
        <>
          <div className="form-row">
            <label>
              Move after{' '}
              <input
                aria-label="Days after upload"
                inputMode="numeric"
                size={5}
                value={daysText}
                onChange={(e) => {
                  setDaysText(e.target.value);
                  if (/^\d+$/.test(e.target.value) && Number(e.target.value) <= 3650) setDays(Number(e.target.value));
                }}
              />{' '}
              days to{' '}
              <select aria-label="Storage class" value={storageClass} onChange={(e) => setStorageClass(e.target.value as ColdClass)}>
                {CLASSES.map((c) => (
                  <option key={c.value} value={c.value}>
                    {c.label}
                  </option>
                ))}
              </select>
            </label>
          </div>
          {!daysValid && <p className="error">Days must be a whole number from 0 to 3650.</p>}
          {s && (
            <p data-testid="cold-saving">
              {s.perMonthUsd === null ? (
                <>Saving unknown: the price table has no {s.storageClass} price for this region.</>
              ) : (
                <>
                  Saving now: <strong>{usd(s.perMonthUsd)} per month</strong> on {gb(s.eligibleBytes)} in {s.eligibleFiles} raw files older than {s.days} days.
                </>
              )}{' '}
              <span className="muted">
                Minimum {s.minStorageDays} days stored; reading costs ${s.retrievalPerGbUsd}/GB
                {s.needsRestore ? '; an analysis must restore the files first (hours).' : '; no restore needed before an analysis.'}
              </span>
            </p>
          )}
          {asking ? (
            <div role="group" aria-label={asking === 'apply' ? 'Add the cold-storage rule' : 'Remove the cold-storage rule'}>
              {asking === 'apply' ? (
                data.explanation.map((line, i) => (
                  <p key={i} className="muted">
                    {line}
                  </p>
                ))
              ) : (
                <p className="muted">Removing the rule stops further moves; files already moved stay in their class.</p>
              )}
              <button
                disabled={action.busy || !daysValid}
                onClick={() =>
                  void action
                    .run(() =>
                      asking === 'apply'
                        ? api.applyColdStorage({ days, storageClass, consent: true })
                        : api.removeColdStorage({ days, storageClass, consent: true }),
                    )
                    .then(() => {
                      setAsking(null);
                      reload();
                    })
                }
              >
                {asking === 'apply' ? 'I agree: add the rule' : 'Remove the rule'}
              </button>{' '}
              <button onClick={() => setAsking(null)}>Cancel</button>
            </div>
          ) : (
            <>
              <button disabled={!daysValid || data.rawPrefixes.length === 0} onClick={() => setAsking('apply')}>
                {data.state === 'absent' ? 'Add the rule…' : 'Change the rule to these settings…'}
              </button>{' '}
              {data.rules.length > 0 && <button onClick={() => setAsking('remove')}>Remove the rule…</button>}
            </>
          )}
        </>
      )}
      <ErrorNote error={action.error} />
    </div>
  );
}
