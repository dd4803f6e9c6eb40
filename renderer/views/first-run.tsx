/**
 * Where acquired files go: keep everything local (the default, no AWS needed) or connect an AWS
 * account. Each choice is checked on the spot; problems are shown next to the field they name.
 * `FirstRun` asks it once, on a welcome screen, until a destination is chosen (here or with
 * `scopecloud config target`); Settings asks it again under its own title (settings.tsx). The
 * first run also asks an S3 destination's monthly spending limit (first-run-limit.tsx).
 */
import { useEffect, useState } from 'react';
import type { FieldProblem, Settings } from '../../preload/api.ts';
import { ErrorNote } from '../components/bits.tsx';
import { useAction, useApi } from '../hooks.ts';
import { LimitQuestion, limitFromChoice, type LimitChoice } from './first-run-limit.tsx';

export function FirstRun({ settings, onDone }: { settings: Settings; onDone: () => void }) {
  return (
    <main className="first-run" aria-labelledby="fr-title">
      <div className="first-run-card">
        <h1 id="fr-title">Welcome to ScopeCloud</h1>
        <p className="lead">Where should acquired files go? You can change this later in Settings.</p>
        <DestinationForm settings={settings} onDone={onDone} askLimit />
      </div>
    </main>
  );
}

/**
 * The destination choice, checked and saved; `onCancel` adds a Cancel button that keeps the current
 * one; `askLimit` asks an S3 destination's spending limit too.
 */
export function DestinationForm({
  settings,
  onDone,
  onCancel,
  askLimit,
}: {
  settings: Settings;
  onDone: () => void;
  onCancel?: () => void;
  askLimit?: boolean;
}) {
  const api = useApi();
  const [mode, setMode] = useState<'local' | 'aws'>(settings.mode);
  const [archiveDir, setArchiveDir] = useState(settings.archiveDir);
  const [profile, setProfile] = useState(settings.aws?.profile ?? 'default');
  const [region, setRegion] = useState(settings.aws?.region ?? '');
  const [bucket, setBucket] = useState(settings.aws?.bucket ?? '');
  const [prefix, setPrefix] = useState(settings.aws?.prefix ?? 'scopecloud/');
  const [endpoint, setEndpoint] = useState(settings.aws?.endpoint ?? '');
  const [profiles, setProfiles] = useState<string[]>([]);
  const [problems, setProblems] = useState<FieldProblem[]>([]);
  const [identity, setIdentity] = useState<string | null>(null);
  const [limitChoice, setLimitChoice] = useState<LimitChoice | null>(settings.budget.monthlyLimitUsd === null ? null : 'limit');
  const [limitText, setLimitText] = useState(settings.budget.monthlyLimitUsd === null ? '' : String(settings.budget.monthlyLimitUsd));
  const action = useAction();

  useEffect(() => {
    api.listAwsProfiles().then(
      (p) => {
        setProfiles(p.profiles);
        if (!region && p.defaultRegion) setRegion(p.defaultRegion);
      },
      () => setProfiles([]),
    );
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api]);

  const problemFor = (field: string) => problems.find((p) => p.field === field)?.message;

  async function submit(e: React.FormEvent) {
    e.preventDefault();
    setProblems([]);
    await action.run(async () => {
      if (mode === 'local') {
        const check = await api.checkLocalArchive({ archiveDir });
        if (!check.ok) {
          setProblems(check.problems);
          return;
        }
        await api.saveSettings({ mode: 'local', archiveDir, firstRunComplete: true });
      } else {
        const limit = askLimit ? limitFromChoice(limitChoice, limitText) : null;
        const check = await api.checkAwsSettings({ profile, region, bucket, endpoint });
        setIdentity(check.identity);
        const limitProblems = limit && !limit.ok ? [{ field: 'monthly limit', message: limit.message }] : [];
        if (!check.ok || limitProblems.length > 0) {
          setProblems([...check.problems, ...limitProblems]);
          return;
        }
        const budget = limit?.ok && limit.monthlyLimitUsd !== null ? { budget: { ...settings.budget, monthlyLimitUsd: limit.monthlyLimitUsd } } : {};
        await api.saveSettings({ mode: 'aws', aws: { profile, region, bucket, prefix, endpoint }, ...budget, firstRunComplete: true });
      }
      onDone();
    });
  }

  const field = (id: string, label: string, value: string, set: (v: string) => void, extra: { list?: string; placeholder?: string; help?: string } = {}) => (
    <div className={`field ${problemFor(id) ? 'field-bad' : ''}`}>
      <label htmlFor={`fr-${id}`}>{label}</label>
      <input
        id={`fr-${id}`}
        name={id}
        value={value}
        onChange={(e) => set(e.target.value)}
        list={extra.list}
        placeholder={extra.placeholder}
        aria-invalid={problemFor(id) ? true : undefined}
        aria-describedby={`fr-${id}-msg`}
        autoComplete="off"
        spellCheck={false}
      />
      <div id={`fr-${id}-msg`} className={problemFor(id) ? 'field-msg bad' : 'field-msg'}>
        {problemFor(id) ?? extra.help ?? ''}
      </div>
    </div>
  );

  return (
    <form onSubmit={submit} noValidate>
      <fieldset className="choice">
        <legend>Destination</legend>
        <label className={`choice-item ${mode === 'local' ? 'selected' : ''}`}>
          <input type="radio" name="mode" value="local" checked={mode === 'local'} onChange={() => setMode('local')} />
          <span>
            <strong>Local archive</strong> (recommended to start)
            <br />
            <span className="muted">Files are copied and verified into a folder on this computer or a mounted NAS. No AWS account needed.</span>
          </span>
        </label>
        <label className={`choice-item ${mode === 'aws' ? 'selected' : ''}`}>
          <input type="radio" name="mode" value="aws" checked={mode === 'aws'} onChange={() => setMode('aws')} />
          <span>
            <strong>Amazon S3</strong>
            <br />
            <span className="muted">
              Files are uploaded to your bucket and can be analysed on EC2. Uses your AWS profile; no keys are stored by ScopeCloud.
            </span>
          </span>
        </label>
      </fieldset>

      {mode === 'local' ? (
        field('archiveDir', 'Archive folder', archiveDir, setArchiveDir, { placeholder: '/srv/archive', help: 'An absolute path with enough free space.' })
      ) : (
        <div className="grid-2">
          {field('profile', 'AWS profile', profile, setProfile, { list: 'fr-profiles', help: 'From ~/.aws/config (SSO profiles work).' })}
          <datalist id="fr-profiles">
            {profiles.map((p) => (
              <option key={p} value={p} />
            ))}
          </datalist>
          {field('region', 'Region', region, setRegion, { placeholder: 'eu-west-1' })}
          {field('bucket', 'Bucket', bucket, setBucket, { placeholder: 'my-lab-data' })}
          {field('prefix', 'Key prefix', prefix, setPrefix, { help: 'Folder inside the bucket.' })}
          {field('endpoint', 'Endpoint (optional)', endpoint, setEndpoint, { placeholder: 'https://s3.example.org', help: 'Only for S3-compatible stores.' })}
        </div>
      )}
      {mode === 'aws' && askLimit ? (
        <LimitQuestion choice={limitChoice} setChoice={setLimitChoice} text={limitText} setText={setLimitText} problem={problemFor('monthly limit')} />
      ) : null}
      {identity && problems.length > 0 ? <p className="muted">Credentials work (signed in as {identity}).</p> : null}
      {problems.length > 0 ? (
        <div className="note note-error" role="alert">
          Please fix {problems.map((p) => p.field).join(', ')}: {problems[0].message}
        </div>
      ) : null}
      <ErrorNote error={action.error} />
      <div className="actions">
        {onCancel ? (
          <button type="button" onClick={onCancel} disabled={action.busy}>
            Cancel
          </button>
        ) : null}
        <button type="submit" className="primary" disabled={action.busy}>
          {action.busy ? 'Checking…' : mode === 'local' ? 'Use this folder' : 'Check and connect'}
        </button>
      </div>
    </form>
  );
}
