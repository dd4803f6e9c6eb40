/** Settings: destination (re-runs the first-run checks), the lab's rules, appearance. */
import { useState } from 'react';
import type { Settings } from '../../preload/api.ts';
import { ErrorNote, Loading } from '../components/bits.tsx';
import { useAction, useApi, useTopic } from '../hooks.ts';
import { DestinationForm } from './first-run.tsx';
import { BudgetRules, RestoreRules, WatchRules } from './settings-rules.tsx';
import { UploadLifecycleRule } from './settings-lifecycle.tsx';
import { ColdStorageRule } from './settings-cold-storage.tsx';

export function SettingsView() {
  const api = useApi();
  const { data, error } = useTopic(['settings'], (a) => a.getSettings());
  const [editing, setEditing] = useState(false);
  const action = useAction();
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="settings" />;
  if (editing) return <ChangeDestination settings={data} onDone={() => setEditing(false)} />;
  return (
    <section className="view" aria-labelledby="set-title">
      <header className="view-header">
        <h1 id="set-title">Settings</h1>
      </header>
      <div className="panel">
        <h2>Destination</h2>
        {data.mode === 'local' ? (
          <p>
            Local archive at <code>{data.archiveDir}</code>
          </p>
        ) : (
          <p>
            Amazon S3:{' '}
            <code>
              s3://{data.aws?.bucket}/{data.aws?.prefix}
            </code>{' '}
            in {data.aws?.region} with profile <code>{data.aws?.profile || 'default'}</code>
          </p>
        )}
        <button onClick={() => setEditing(true)}>Change destination…</button>
      </div>
      {data.mode === 'aws' && <UploadLifecycleRule />}
      {data.mode === 'aws' && <ColdStorageRule />}
      {data.mode === 'aws' && <RestoreRules days={data.restoreDays} />}
      <BudgetRules budget={data.budget} aws={data.mode === 'aws'} />
      <WatchRules watch={data.watch} />
      <div className="panel">
        <h2>Appearance</h2>
        <div role="radiogroup" aria-label="Theme" className="segmented">
          {(['system', 'light', 'dark'] as const).map((t) => (
            <button
              key={t}
              role="radio"
              aria-checked={data.theme === t}
              aria-pressed={data.theme === t}
              onClick={() => action.run(() => api.saveSettings({ theme: t }))}
            >
              {t}
            </button>
          ))}
        </div>
        <ErrorNote error={action.error} />
      </div>
    </section>
  );
}

/** The first-run choice again, titled for what it does here, with Cancel to keep the current one. */
function ChangeDestination({ settings, onDone }: { settings: Settings; onDone: () => void }) {
  const current = settings.mode === 'local' ? `the local archive at ${settings.archiveDir}` : `s3://${settings.aws?.bucket}/${settings.aws?.prefix}`;
  return (
    <section className="view" aria-labelledby="dest-title">
      <header className="view-header">
        <h1 id="dest-title">Change destination</h1>
      </header>
      <div className="panel">
        <p className="muted panel-lead">
          Files now go to {current}. The new destination is checked before it is saved; files already archived or uploaded stay where they are.
        </p>
        <DestinationForm settings={settings} onDone={onDone} onCancel={onDone} />
      </div>
    </section>
  );
}
