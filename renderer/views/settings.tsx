/** Settings: destination (re-runs the first-run checks), the lab's rules, appearance. */
import { useState } from 'react';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { useAction, useApi, useTopic } from '../hooks.ts';
import { FirstRun } from './first-run.tsx';
import { BudgetRules, WatchRules } from './settings-rules.tsx';

export function SettingsView() {
  const api = useApi();
  const { data, error } = useTopic(['settings'], (a) => a.getSettings());
  const [editing, setEditing] = useState(false);
  const action = useAction();
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="settings" />;
  if (editing) return <FirstRun settings={data} onDone={() => setEditing(false)} />;
  return (
    <section className="view" aria-labelledby="set-title">
      <header className="view-header"><h1 id="set-title">Settings</h1></header>
      <div className="panel">
        <h2>Destination</h2>
        {data.mode === 'local' ? <p>Local archive at <code>{data.archiveDir}</code></p>
          : <p>Amazon S3: <code>s3://{data.aws?.bucket}/{data.aws?.prefix}</code> in {data.aws?.region} with profile <code>{data.aws?.profile || 'default'}</code></p>}
        <button onClick={() => setEditing(true)}>Change destination…</button>
      </div>
      <BudgetRules budget={data.budget} aws={data.mode === 'aws'} />
      <WatchRules watch={data.watch} />
      <div className="panel">
        <h2>Appearance</h2>
        <div role="radiogroup" aria-label="Theme" className="segmented">
          {(['system', 'light', 'dark'] as const).map((t) => (
            <button key={t} role="radio" aria-checked={data.theme === t} aria-pressed={data.theme === t} onClick={() => action.run(() => api.saveSettings({ theme: t }))}>{t}</button>
          ))}
        </div>
        <ErrorNote error={action.error} />
      </div>
    </section>
  );
}
