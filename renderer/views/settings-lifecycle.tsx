/**
 * Settings > Unfinished uploads (S3 destination): whether a bucket lifecycle rule makes S3 abort
 * uploads left unfinished for 7 days, and adding it after the plain explanation, with consent.
 */
import { useState } from 'react';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { useAction, useApi, useTopic } from '../hooks.ts';

export function UploadLifecycleRule() {
  const api = useApi();
  const { data, error, reload } = useTopic(['settings'], (a) => a.getUploadLifecycle());
  const [asking, setAsking] = useState(false);
  const action = useAction();
  if (!data) return <div className="panel">{error ? <ErrorNote error={error} /> : <Loading what="the bucket's lifecycle rules" />}</div>;
  if (data.state === 'local') return null;
  return (
    <div className="panel" aria-labelledby="lifecycle-title">
      <h2 id="lifecycle-title">Unfinished uploads</h2>
      {data.state === 'present' && (
        <p data-testid="lifecycle-state">
          Present: S3 aborts uploads under <code>{data.where}</code> left unfinished for {data.days} days (rule <code>{data.rule}</code>).
        </p>
      )}
      {data.state === 'unsupported' && (
        <p data-testid="lifecycle-state">
          Unknown: this S3 store does not offer lifecycle rules, so uploads left unfinished under <code>{data.where}</code> stay until someone aborts them.
        </p>
      )}
      {data.state === 'absent' && (
        <>
          <p data-testid="lifecycle-state">
            Absent: uploads left unfinished under <code>{data.where}</code> by another workstation or an analysis instance stay, and are billed, until someone
            aborts them. This app cleans up only its own.
          </p>
          {asking ? (
            <div role="group" aria-label="Add the lifecycle rule">
              {data.explanation.map((line, i) => (
                <p key={i} className="muted">
                  {line}
                </p>
              ))}
              <button disabled={action.busy} onClick={() => void action.run(() => api.addUploadLifecycleRule({ consent: true })).then(() => reload())}>
                Add the rule
              </button>{' '}
              <button onClick={() => setAsking(false)}>Cancel</button>
            </div>
          ) : (
            <button onClick={() => setAsking(true)}>Add a rule to abort them after 7 days…</button>
          )}
        </>
      )}
      <ErrorNote error={action.error} />
    </div>
  );
}
