/** Acquisition: watched folders, files with their state, throughput, ETA, pause, bandwidth. */
import { useState } from 'react';
import type { Acquisition as AcquisitionData, FileItem, SessionInfo } from '../../preload/api.ts';
import { LineChart } from '../components/charts.tsx';
import { ErrorNote, Loading, Pill, Progress, Stat } from '../components/bits.tsx';
import { formatBytes, formatDuration, formatRate, parseBandwidthMBps } from '../format.ts';
import { folderStateView } from '../folder-state.ts';
import { useAction, useApi, useTopic } from '../hooks.ts';

const STATE_TONE = { waiting: 'idle', uploading: 'busy', verifying: 'busy', verified: 'ok', failed: 'bad' } as const;

export function AcquisitionView() {
  const api = useApi();
  const { data, error } = useTopic(['acquisition'], (a) => a.getAcquisition());
  const action = useAction();
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="acquisition" />;
  return (
    <section aria-labelledby="acq-title" className="view">
      <header className="view-header">
        <h1 id="acq-title">Acquisition</h1>
        <div className="view-actions">
          {data.paused ? (
            <button className="primary" onClick={() => action.run(() => api.resumeUploads())} disabled={action.busy}>
              Resume uploads
            </button>
          ) : (
            <button onClick={() => action.run(() => api.pauseUploads())} disabled={action.busy}>
              Pause uploads
            </button>
          )}
        </div>
      </header>
      <ErrorNote error={action.error} />
      {data.diskFull ? (
        <div className="note note-error" role="alert" data-testid="disk-full">
          <strong>Uploads wait: the disk is full.</strong> {data.diskFull.charAt(0).toUpperCase() + data.diskFull.slice(1)}. The acquisition files are safe
          where they are; uploads resume by themselves once space is free.
        </div>
      ) : null}
      <div className="stats">
        <Stat
          label="Throughput"
          value={data.paused ? 'Paused' : data.diskFull ? 'Waiting' : formatRate(data.throughputBytesPerSec)}
          hint={data.bandwidthLimitBytesPerSec ? `limit ${formatRate(data.bandwidthLimitBytesPerSec)}` : 'no limit'}
          tone={data.paused ? 'warn' : undefined}
        />
        <Stat
          label="Time left"
          value={data.paused ? '—' : data.diskFull ? 'Waiting for space' : formatDuration(data.etaSeconds)}
          hint={`${formatBytes(data.totals.bytes - data.totals.sentBytes)} to go`}
          tone={data.diskFull ? 'bad' : undefined}
        />
        <Stat
          label="Verified"
          value={`${data.totals.verified} / ${data.totals.files}`}
          hint={`${formatBytes(data.totals.sentBytes)} of ${formatBytes(data.totals.bytes)}`}
          tone={data.totals.verified === data.totals.files ? 'ok' : undefined}
        />
        <Stat
          label="Failed"
          value={data.totals.failed}
          hint={data.totals.failed ? 'see below; retry when fixed' : 'none'}
          tone={data.totals.failed ? 'bad' : 'ok'}
        />
      </div>
      <div className="panel">
        <h2>Throughput</h2>
        <LineChart
          label="Upload throughput over time"
          points={data.history.map((h) => ({ x: h.t, y: h.bytesPerSec }))}
          formatY={formatRate}
          idleText={data.paused ? 'Uploads are paused' : 'Idle: nothing to upload'}
        />
        <p className="muted small">
          Destination: <code>{data.target}</code>
        </p>
      </div>
      <div className="grid-2 wide-left">
        <Folders data={data} />
        <Bandwidth current={data.bandwidthLimitBytesPerSec} />
      </div>
      <Sessions />
      <Files files={data.files} />
    </section>
  );
}

function Folders({ data }: { data: AcquisitionData }) {
  const api = useApi();
  const [path, setPath] = useState('');
  const action = useAction();
  return (
    <div className="panel">
      <h2>Watched folders</h2>
      {data.folders.length === 0 ? (
        <p className="muted">No folders yet. Add the folder your microscope writes into.</p>
      ) : (
        <ul className="folders">
          {data.folders.map((f) => {
            const st = folderStateView(f, Date.now());
            return (
              <li key={f.path} data-folder-state={f.state}>
                <Pill tone={st.tone}>{st.label}</Pill>
                <code className="path" title={f.path}>
                  {f.path}
                </code>
                <span className="muted small">
                  {f.sessions} session{f.sessions === 1 ? '' : 's'} · {f.files} file{f.files === 1 ? '' : 's'}
                </span>
                <button className="link" aria-label={`Stop watching ${f.path}`} onClick={() => action.run(() => api.removeWatchedFolder({ path: f.path }))}>
                  Remove
                </button>
                {st.detail ? (
                  <div className="field-msg bad folder-reason" role="status">
                    {st.detail}
                  </div>
                ) : null}
                {f.error ? <div className="field-msg bad">{f.error}</div> : null}
              </li>
            );
          })}
        </ul>
      )}
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          if (path.trim())
            action
              .run(() => api.addWatchedFolder({ path: path.trim() }))
              .then((r) => {
                if (r) setPath('');
              });
        }}
      >
        <label htmlFor="add-folder" className="sr-only">
          Folder to watch
        </label>
        <input id="add-folder" placeholder="/data/acquisition/rig-B" value={path} onChange={(e) => setPath(e.target.value)} spellCheck={false} />
        <button type="submit" disabled={action.busy || !path.trim()}>
          Watch folder
        </button>
      </form>
      <ErrorNote error={action.error} />
    </div>
  );
}

/** One acquisition session per row: where, how much, whether it is closed and safely uploaded. */
export function sessionState(s: SessionInfo): { label: string; tone: 'ok' | 'warn' | 'bad' | 'busy' | 'idle' } {
  if (s.failed) return { label: `${s.failed} failed`, tone: 'bad' };
  if (s.uploaded) return { label: 'uploaded · verified', tone: 'ok' };
  if (s.verified !== undefined && s.verified === s.files && s.files > 0)
    return { label: s.closed ? 'verified' : 'verified so far', tone: s.closed ? 'ok' : 'busy' };
  return { label: 'uploading', tone: 'busy' };
}

function Sessions() {
  const { data, error } = useTopic(['acquisition'], (a) => a.listSessions(), 2000);
  return (
    <div className="panel">
      <h2 id="sessions-title">Sessions</h2>
      <ErrorNote error={error} />
      {!data ? (
        error ? null : (
          <Loading what="sessions" />
        )
      ) : data.sessions.length === 0 ? (
        <p className="muted">No sessions yet. A session is one acquisition folder under a watched folder; it closes when no file has changed for a while.</p>
      ) : (
        <table className="table" aria-labelledby="sessions-title">
          <thead>
            <tr>
              <th scope="col">Session folder</th>
              <th scope="col" className="num">
                Files
              </th>
              <th scope="col" className="num">
                Size
              </th>
              <th scope="col">Acquisition</th>
              <th scope="col">Upload</th>
            </tr>
          </thead>
          <tbody>
            {data.sessions.map((s) => {
              const st = sessionState(s);
              return (
                <tr key={s.id} data-session={s.id} data-uploaded={s.uploaded}>
                  <td>
                    <code className="path" title={s.folder}>
                      {s.folder.split('/').slice(-2).join('/')}
                    </code>
                  </td>
                  <td className="num">
                    {s.verified !== undefined ? `${s.verified} / ${s.files}` : s.files}
                    {s.verified !== undefined ? <span className="muted small"> verified</span> : null}
                  </td>
                  <td className="num">{formatBytes(s.bytes)}</td>
                  <td>
                    <Pill tone={s.closed ? 'idle' : 'busy'}>{s.closed ? 'closed' : 'open'}</Pill>
                  </td>
                  <td>
                    <Pill tone={st.tone}>{st.label}</Pill>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Bandwidth({ current }: { current: number | null }) {
  const api = useApi();
  const [text, setText] = useState(current ? String(current / 1_000_000) : '');
  const [bad, setBad] = useState(false);
  const action = useAction();
  return (
    <div className="panel">
      <h2>Bandwidth limit</h2>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          const v = parseBandwidthMBps(text);
          setBad(v === undefined);
          if (v !== undefined) action.run(() => api.setBandwidthLimit({ bytesPerSec: v }));
        }}
      >
        <label htmlFor="bw">MB/s</label>
        <input
          id="bw"
          inputMode="decimal"
          placeholder="no limit"
          value={text}
          onChange={(e) => setText(e.target.value)}
          aria-invalid={bad || undefined}
          aria-describedby="bw-msg"
        />
        <button type="submit" disabled={action.busy}>
          Apply
        </button>
      </form>
      <div id="bw-msg" className={bad ? 'field-msg bad' : 'field-msg'}>
        {bad
          ? 'Enter a number of megabytes per second, or leave empty for no limit.'
          : current
            ? `Currently ${formatRate(current)}. Leave empty for no limit.`
            : 'Keeps uploads from saturating a shared acquisition network.'}
      </div>
      <ErrorNote error={action.error} />
    </div>
  );
}

function Files({ files }: { files: ReadonlyArray<FileItem> }) {
  const api = useApi();
  const action = useAction();
  const [filter, setFilter] = useState<'all' | 'active' | 'failed'>('all');
  const shown = files.filter(
    (f) => filter === 'all' || (filter === 'failed' ? f.state === 'failed' : f.state === 'uploading' || f.state === 'waiting' || f.state === 'verifying'),
  );
  return (
    <div className="panel">
      <div className="panel-head">
        <h2>Files</h2>
        <div role="group" aria-label="Show files" className="segmented">
          {(['all', 'active', 'failed'] as const).map((f) => (
            <button key={f} aria-pressed={filter === f} onClick={() => setFilter(f)}>
              {f}
            </button>
          ))}
        </div>
      </div>
      <ErrorNote error={action.error} />
      <table className="table">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">State</th>
            <th scope="col" className="w-progress">
              Progress
            </th>
            <th scope="col" className="num">
              Size
            </th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {shown.map((f) => (
            <tr key={f.id} data-file-state={f.state}>
              <td>
                <code className="path" title={f.path}>
                  {f.path.split('/').slice(-2).join('/')}
                </code>
                {f.error ? <div className="field-msg bad">{f.error.message}</div> : null}
              </td>
              <td>
                <Pill tone={STATE_TONE[f.state]}>{f.state}</Pill>
              </td>
              <td>
                <Progress
                  value={f.sentBytes}
                  max={f.sizeBytes}
                  label={`${f.path} uploaded`}
                  tone={f.state === 'failed' ? 'bad' : f.state === 'verified' ? 'ok' : 'busy'}
                />
                <span className="muted small">
                  {formatBytes(f.sentBytes)} / {formatBytes(f.sizeBytes)}
                </span>
              </td>
              <td className="num">{formatBytes(f.sizeBytes)}</td>
              <td>
                {f.state === 'failed' ? (
                  <button onClick={() => action.run(() => api.retryFile({ id: f.id }))} aria-label={`Retry ${f.path}`}>
                    Retry
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
          {shown.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                Nothing here.
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </div>
  );
}
