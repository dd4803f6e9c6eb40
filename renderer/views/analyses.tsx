/** Analyses: launch from a session or a local folder, progress per step, log, cancel. */
import { useEffect, useState } from 'react';
import type { Analysis, AnalysisRestoreOffer, LaunchAnalysisRequest, Preset, SessionInfo } from '../../preload/api.ts';
import { ErrorNote, Loading, Pill, Progress } from '../components/bits.tsx';
import { ConsentDialog } from '../components/consent-dialog.tsx';
import { analysisStageText, count, formatDuration, formatMoney } from '../format.ts';
import { useAction, useApi, useNow, useTopic } from '../hooks.ts';
import { hasCode } from '../../preload/errors.ts';
import { NoSpendLimitNote } from '../components/spend-limit.tsx';
import { RestoreConsent, restoringText } from './analysis-restore.tsx';

const TONE = { queued: 'idle', running: 'busy', done: 'ok', failed: 'bad', cancelled: 'idle' } as const;

export function AnalysesView({ openResults }: { openResults: (id: string) => void }) {
  const { data, error } = useTopic(['analyses'], (a) => a.listAnalyses());
  const now = useNow(1000);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="analyses" />;
  return (
    <section className="view" aria-labelledby="an-title">
      <header className="view-header">
        <h1 id="an-title">Analyses</h1>
      </header>
      <LaunchForm />
      <div className="analyses">
        {data.analyses.length === 0 ? <p className="muted">No analyses yet.</p> : null}
        {data.analyses.map((a) => (
          <AnalysisCard key={a.id} a={a} now={now} openResults={openResults} />
        ))}
      </div>
    </section>
  );
}

function AnalysisCard({ a, now, openResults }: { a: Analysis; now: number; openResults: (id: string) => void }) {
  const api = useApi();
  const action = useAction();
  const [log, setLog] = useState<string[] | null>(null);
  const done = a.steps.reduce((s, x) => s + x.done / Math.max(1, x.total), 0);
  const stage = analysisStageText(a.stage, a.where);
  const restoring = restoringText(a);
  return (
    <article className="panel analysis" data-analysis={a.id} data-status={a.status} aria-labelledby={`an-${a.id}`}>
      <div className="panel-head">
        <div>
          <h2 id={`an-${a.id}`}>
            {a.name}
            {a.demo ? (
              <>
                {' '}
                <Pill tone="idle">demo</Pill>
              </>
            ) : null}
          </h2>
          <div className="muted small">
            <code>{a.source}</code> · {a.where === 'ec2' ? 'on EC2' : 'on this computer'} · {formatDuration(((a.finishedAt ?? now) - a.startedAt) / 1000)}
          </div>
        </div>
        <Pill tone={TONE[a.status]}>{a.stage === 'restoring' ? 'restoring' : a.status}</Pill>
      </div>
      <ol className="steps" aria-label="Steps">
        {a.steps.map((s) => (
          <li key={s.name} className={s.done >= s.total ? 'step-done' : s.done > 0 ? 'step-active' : ''}>
            <span className="step-name">{s.name}</span>
            <Progress value={s.done} max={s.total} label={`${a.name}: ${s.name}`} tone={s.done >= s.total ? 'ok' : 'busy'} />
          </li>
        ))}
      </ol>
      {restoring ? (
        <p className="small" data-testid="analysis-restoring">
          <strong>{restoring}</strong>
        </p>
      ) : null}
      {stage ? (
        <p className="small" data-testid="analysis-stage">
          {stage}
        </p>
      ) : null}
      {a.status === 'running' && !restoring ? <p className="muted small">{Math.round((done / Math.max(1, a.steps.length)) * 100)}% overall</p> : null}
      {a.error ? (
        <div className="note note-error" role="alert">
          {a.error}
        </div>
      ) : null}
      <ErrorNote error={action.error} />
      <div className="actions left">
        {a.status === 'done' ? (
          <button className="primary" onClick={() => openResults(a.id)}>
            Open results
          </button>
        ) : null}
        {a.status === 'running' || a.status === 'queued' ? <button onClick={() => action.run(() => api.cancelAnalysis({ id: a.id }))}>Cancel</button> : null}
        {a.status === 'failed' || a.status === 'cancelled' ? (
          <button onClick={() => action.run(() => api.dismissAnalysis({ id: a.id }))}>Dismiss</button>
        ) : null}
        <button
          className="link"
          aria-expanded={log !== null}
          onClick={() => (log ? setLog(null) : action.run(() => api.getAnalysisLog({ id: a.id })).then((r) => r && setLog(r.lines)))}
        >
          {log ? 'Hide log' : 'Show log'}
        </button>
      </div>
      {log ? (
        <pre className="log" tabIndex={0} aria-label={`Log of ${a.name}`}>
          {log.join('\n') || '(empty)'}
        </pre>
      ) : null}
    </article>
  );
}

function LaunchForm() {
  const api = useApi();
  const [kind, setKind] = useState<'session' | 'local'>('local');
  const [path, setPath] = useState('');
  const [sessions, setSessions] = useState<SessionInfo[]>([]);
  const [sessionId, setSessionId] = useState('');
  const [where, setWhere] = useState<'local' | 'ec2'>('local');
  const [k, setK] = useState('4');
  const [fs, setFs] = useState('');
  const [planes, setPlanes] = useState('');
  // EC2 machines for the worker (CPU only), loaded when EC2 is chosen; '' = the default machine.
  const [presets, setPresets] = useState<Preset[]>([]);
  const [presetId, setPresetId] = useState('');
  /** Shown once the budget guard refused an EC2 launch: an administrator may go ahead. */
  const [overrideBudget, setOverrideBudget] = useState(false);
  useEffect(() => {
    if (where !== 'ec2' || presets.length) return;
    api.listPresets().then(
      (p) => setPresets(p.presets.filter((x) => x.gpus === 0)),
      () => undefined,
    );
  }, [api, where, presets.length]);
  const action = useAction();
  /** A launch refused for want of consent to create the instance profile, waiting for the user. */
  const [needsConsent, setNeedsConsent] = useState<LaunchAnalysisRequest | null>(null);
  /** A launch refused because its inputs are in cold storage: the restore offer, waiting for a tier. */
  const [needsRestore, setNeedsRestore] = useState<{ req: LaunchAnalysisRequest; offer: AnalysisRestoreOffer } | null>(null);
  /** Which consent a CONSENT_REQUIRED refusal asks for: a restore tier (its offer is read first) or the instance profile. */
  const ask = (req: LaunchAnalysisRequest, field: string | null) => {
    if (field !== 'restoreTier') return setNeedsConsent(req);
    void action
      .run(() => api.planAnalysisRestore(req))
      .then((offer) => {
        if (offer && offer.objects > 0) setNeedsRestore({ req, offer });
      });
  };
  useEffect(() => {
    api.listSessions().then(
      (s) => {
        setSessions(s.sessions);
        setSessionId(s.sessions[0]?.id ?? '');
      },
      () => undefined,
    );
  }, [api]);
  const kNum = Number(k);
  // Blank = let the worker read it from the file's metadata (ScanImage, ImageJ, OME).
  const fsNum = fs.trim() === '' ? undefined : Number(fs);
  const planesNum = planes.trim() === '' ? undefined : Number(planes);
  const kOk = Number.isInteger(kNum) && kNum >= 1 && kNum <= 64;
  const fsOk = fsNum === undefined || (Number.isFinite(fsNum) && fsNum >= 0.01 && fsNum <= 10_000);
  const planesOk = planesNum === undefined || (Number.isInteger(planesNum) && planesNum >= 1 && planesNum <= 1000);
  return (
    <form
      className="panel launch-form"
      aria-labelledby="launch-an"
      onSubmit={(e) => {
        e.preventDefault();
        const source = kind === 'local' ? { kind: 'local' as const, path: path.trim() } : { kind: 'session' as const, sessionId };
        const req: LaunchAnalysisRequest = {
          source,
          where,
          ...(where === 'ec2' && presetId ? { presetId } : {}),
          ...(where === 'ec2' && overrideBudget ? { overrideBudget: true } : {}),
          params: { k: kNum, ...(fsNum !== undefined ? { fs: fsNum } : {}), ...(planesNum !== undefined ? { planes: planesNum } : {}) },
        };
        void launchAsking(api.launchAnalysis, req, action.run, ask).then((ok) => {
          if (ok) setOverrideBudget(false);
        });
      }}
    >
      <h2 id="launch-an">New analysis</h2>
      <div className="form-row">
        <div className="field">
          <label htmlFor="an-kind">Data</label>
          <select id="an-kind" value={kind} onChange={(e) => setKind(e.target.value as 'session' | 'local')}>
            <option value="local">A folder on this computer</option>
            <option value="session" disabled={sessions.length === 0}>
              An acquisition session
            </option>
          </select>
        </div>
        {kind === 'local' ? (
          <div className="field grow">
            <label htmlFor="an-path">Folder or TIFF file</label>
            <input id="an-path" value={path} onChange={(e) => setPath(e.target.value)} placeholder="/data/acquisition/…" spellCheck={false} />
          </div>
        ) : (
          <div className="field grow">
            <label htmlFor="an-session">Session</label>
            <select id="an-session" value={sessionId} onChange={(e) => setSessionId(e.target.value)}>
              {sessions.map((s) => (
                <option key={s.id} value={s.id}>
                  {s.folder.split('/').pop()} ({count(s.files, 'file')}
                  {s.uploaded ? ', uploaded' : ''})
                </option>
              ))}
            </select>
          </div>
        )}
        <div className="field">
          <label htmlFor="an-k">Clusters (k)</label>
          <input id="an-k" inputMode="numeric" value={k} onChange={(e) => setK(e.target.value)} aria-invalid={!kOk || undefined} />
        </div>
        <div className="field">
          <label htmlFor="an-fs">Frame rate (Hz)</label>
          <input
            id="an-fs"
            inputMode="decimal"
            value={fs}
            onChange={(e) => setFs(e.target.value)}
            placeholder="from file"
            aria-describedby="an-fs-help"
            aria-invalid={!fsOk || undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="an-planes">Planes</label>
          <input
            id="an-planes"
            inputMode="numeric"
            value={planes}
            onChange={(e) => setPlanes(e.target.value)}
            placeholder="from file"
            aria-describedby="an-fs-help"
            aria-invalid={!planesOk || undefined}
          />
        </div>
        <div className="field">
          <label htmlFor="an-where">Run on</label>
          <select id="an-where" value={where} onChange={(e) => setWhere(e.target.value as 'local' | 'ec2')}>
            <option value="local">This computer</option>
            <option value="ec2">EC2 (billed)</option>
          </select>
        </div>
      </div>
      <p id="an-fs-help" className="muted small">
        Frame rate and planes: leave blank to read them from the file (ScanImage, ImageJ, OME-TIFF); a plain TIFF without them is taken as 30 Hz, one plane. The
        frame rate sets the time scale of cell detection and spike inference, so give it when the file does not say.
      </p>
      {!kOk ? (
        <p className="field-error small" role="alert">
          Clusters: a whole number from 1 to 64.
        </p>
      ) : null}
      {!fsOk ? (
        <p className="field-error small" role="alert">
          Frame rate: a number of frames per second, from 0.01 to 10,000.
        </p>
      ) : null}
      {!planesOk ? (
        <p className="field-error small" role="alert">
          Planes: a whole number from 1 to 1,000.
        </p>
      ) : null}
      {where === 'ec2' && presets.length ? (
        <div className="form-row">
          <div className="field">
            <label htmlFor="an-machine">Machine</label>
            <select id="an-machine" value={presetId || presets[0].id} onChange={(e) => setPresetId(e.target.value)}>
              {presets.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label} · {p.type} · {p.vcpus} vCPU, {p.memoryGiB} GiB · {formatMoney(p.hourlyPrice, 'USD', 3)}/h
                </option>
              ))}
            </select>
          </div>
        </div>
      ) : null}
      {where === 'ec2' ? (
        <p className="muted small">
          Runs on a billed EC2 instance that reads the session from S3. The first time, ScopeCloud asks before creating the IAM instance profile it needs.
        </p>
      ) : null}
      {hasCode(action.error, 'CONSENT_REQUIRED') ? null : action.error && hasCode(action.error, 'NO_SPEND_LIMIT') ? (
        <NoSpendLimitNote message={action.error.message} />
      ) : (
        <ErrorNote error={action.error} />
      )}
      {where === 'ec2' && (hasCode(action.error, 'BUDGET_EXCEEDED') || overrideBudget) ? (
        <label className="check">
          <input type="checkbox" checked={overrideBudget} onChange={(e) => setOverrideBudget(e.target.checked)} /> Override the budget guard (administrators;
          recorded with your name)
        </label>
      ) : null}
      <div className="actions left">
        <button type="submit" className="primary" disabled={action.busy || (kind === 'local' && !path.trim()) || !kOk || !fsOk || !planesOk}>
          Start analysis
        </button>
      </div>
      {needsConsent ? (
        <ProfileConsent
          reason={action.error?.message ?? ''}
          onCancel={() => {
            setNeedsConsent(null);
            action.clear();
          }}
          onAgree={() => {
            const req = { ...needsConsent, consentToCreateProfile: true };
            setNeedsConsent(null);
            void launchAsking(api.launchAnalysis, req, action.run, ask).then((ok) => {
              if (ok) setOverrideBudget(false);
            });
          }}
        />
      ) : null}
      {needsRestore ? (
        <RestoreConsent
          offer={needsRestore.offer}
          onCancel={() => {
            setNeedsRestore(null);
            action.clear();
          }}
          onAgree={(tier) => {
            const req = { ...needsRestore.req, restoreTier: tier };
            setNeedsRestore(null);
            void launchAsking(api.launchAnalysis, req, action.run, ask).then((ok) => {
              if (ok) setOverrideBudget(false);
            });
          }}
        />
      ) : null}
    </form>
  );
}

/** Launches; a CONSENT_REQUIRED refusal hands the request back, with the field it names, for a consent dialog. */
async function launchAsking(
  launch: (r: LaunchAnalysisRequest) => Promise<{ id: string }>,
  req: LaunchAnalysisRequest,
  run: <T>(f: () => Promise<T>) => Promise<T | undefined>,
  ask: (r: LaunchAnalysisRequest, field: string | null) => void,
): Promise<boolean> {
  let refused: { field: string | null } | null = null;
  const launched = await run(() =>
    launch(req).catch((e: unknown) => {
      if (hasCode(e, 'CONSENT_REQUIRED')) refused = { field: (e as { field?: string | null }).field ?? null };
      throw e;
    }),
  );
  if (refused) ask(req, (refused as { field: string | null }).field);
  return launched !== undefined;
}

/** What the least-privilege policy allows, in s3:// terms (main/iam/job-role-policy.ts). */
export function profileScope(bucket: string, prefix: string): { read: string; write: string } {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const base = `s3://${bucket}/${p ? p + '/' : ''}`;
  return { read: `${base}*`, write: `${base}jobs/*` };
}

function ProfileConsent({ reason, onAgree, onCancel }: { reason: string; onAgree: () => void; onCancel: () => void }) {
  const { data: settings } = useTopic(['settings'], (a) => a.getSettings());
  const aws = settings?.aws ?? null;
  const scope = aws ? profileScope(aws.bucket, aws.prefix) : null;
  return (
    <ConsentDialog
      title="Create the analysis instance profile?"
      agreement="create this role and instance profile"
      action="Create and start analysis"
      onConfirm={onAgree}
      onCancel={onCancel}
    >
      <p>
        EC2 analyses run with an IAM instance profile so the instance can read its data and write results without your credentials. It does not exist yet in
        this account; ScopeCloud will create:
      </p>
      <ul>
        <li>
          an IAM role <code>scopecloud-analysis</code> that only EC2 instances can assume, in the instance profile <code>scopecloud-analysis</code>;
        </li>
        <li>
          one inline policy on it, limited to {aws ? <code>s3://{aws.bucket}</code> : 'the configured bucket'}:
          <ul>
            <li>
              <strong>read</strong> (s3:GetObject) <code data-testid="scope-read">{scope?.read ?? (settings ? '<prefix>/*' : '…')}</code>
            </li>
            <li>
              <strong>write</strong> (s3:PutObject) <code data-testid="scope-write">{scope?.write ?? (settings ? '<prefix>/jobs/*' : '…')}</code>
            </li>
          </ul>
        </li>
      </ul>
      <p className="muted small">
        Nothing else: no listing, no deletes, no other bucket or AWS service. IAM roles cost nothing; it stays until you delete it in the IAM console.
      </p>
      {reason && !scope ? <p className="muted small">{reason}</p> : null}
    </ConsentDialog>
  );
}
