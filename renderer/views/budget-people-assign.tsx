/**
 * The By person table's sessions without an owner (recorded before manifests named anyone) and a
 * form that assigns one of them, or every such session under a folder (an acquisition folder, a
 * rig, a mouse), to a person. The assignment is kept in the destination (`assignSessions`), so
 * every rig and app instance on the bucket splits storage the same way.
 */
import { useState, type FormEvent } from 'react';
import type { StorageCost } from '../../preload/api.ts';
import { ErrorNote } from '../components/bits.tsx';
import { useAction, useApi } from '../hooks.ts';
import { billedSize } from './budget-storage.tsx';

const SHOWN = 10;

/** Each folder above a session, with how many of the sessions it holds and their bytes. */
export function folderChoices(sessions: StorageCost['unattributedSessions']): { folder: string; count: number; bytes: number }[] {
  const by = new Map<string, { folder: string; count: number; bytes: number }>();
  for (const s of sessions) {
    const parts = s.session.split('/');
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/');
      const f = by.get(folder) ?? { folder, count: 0, bytes: 0 };
      f.count += 1;
      f.bytes += s.bytes;
      by.set(folder, f);
    }
  }
  return [...by.values()].sort((a, b) => a.folder.localeCompare(b.folder));
}

export function UnattributedSessions({ storage, people, reload }: { storage: StorageCost; people: readonly string[]; reload: () => void }) {
  const api = useApi();
  const act = useAction();
  const sessions = storage.unattributedSessions;
  const folders = folderChoices(sessions);
  const [what, setWhat] = useState('');
  const [owner, setOwner] = useState('');
  const [done, setDone] = useState<string | null>(null);
  if (!sessions.length && !done) return null;
  const chosen = what || (sessions[0] ? `session:${sessions[0].session}` : '');

  const submit = (e: FormEvent) => {
    e.preventDefault();
    setDone(null);
    const [scope, ...rest] = chosen.split(':');
    void act
      .run(() => api.assignSessions({ scope: scope === 'prefix' ? 'prefix' : 'session', key: rest.join(':'), owner }))
      .then((r) => {
        if (!r) return;
        setDone(`Assigned ${r.assigned.length === 1 ? r.assigned[0] : `${r.assigned.length} sessions`} to ${owner.trim()}.`);
        setWhat('');
        reload();
      });
  };

  return (
    <div data-testid="people-sessions">
      <h3>Sessions without an owner</h3>
      {sessions.length ? (
        <>
          <p className="small muted">
            {sessions.length} session{sessions.length === 1 ? '' : 's'} recorded before manifests named who recorded them (
            {billedSize(sessions.reduce((n, s) => n + s.bytes, 0))}). Assign them to the person who did: it is kept in the destination for every rig and app on
            it; the data and manifests are not changed.
          </p>
          <table className="table" aria-label="Sessions without an owner">
            <thead>
              <tr>
                <th scope="col">Session</th>
                <th scope="col" className="num">
                  Storage
                </th>
              </tr>
            </thead>
            <tbody>
              {sessions.slice(0, SHOWN).map((s) => (
                <tr key={s.session} data-session={s.session}>
                  <td>{s.session}</td>
                  <td className="num">{billedSize(s.bytes)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {sessions.length > SHOWN ? <p className="small muted">and {sessions.length - SHOWN} more (choose a folder below to assign them together)</p> : null}
          <form className="form-row" style={{ marginTop: 12, alignItems: 'flex-end' }} onSubmit={submit} aria-label="Assign sessions to a person">
            <div className="field grow">
              <label htmlFor="assign-what">Sessions</label>
              <select id="assign-what" value={chosen} onChange={(e) => setWhat(e.target.value)}>
                {sessions.map((s) => (
                  <option key={s.session} value={`session:${s.session}`}>
                    {s.session} ({billedSize(s.bytes)})
                  </option>
                ))}
                {folders.map((f) => (
                  <option key={f.folder} value={`prefix:${f.folder}`}>
                    All {f.count} under {f.folder}/ ({billedSize(f.bytes)})
                  </option>
                ))}
              </select>
            </div>
            <div className="field">
              <label htmlFor="assign-owner">Person</label>
              <input id="assign-owner" list="assign-people" value={owner} onChange={(e) => setOwner(e.target.value)} placeholder="maria" spellCheck={false} />
              <datalist id="assign-people">
                {people.map((p) => (
                  <option key={p} value={p} />
                ))}
              </datalist>
            </div>
            <button type="submit" disabled={act.busy || !chosen}>
              {act.busy ? 'Assigning…' : 'Assign'}
            </button>
          </form>
        </>
      ) : null}
      {done ? (
        <p className="small note" role="status">
          {done}
        </p>
      ) : null}
      <ErrorNote error={act.error} />
    </div>
  );
}
