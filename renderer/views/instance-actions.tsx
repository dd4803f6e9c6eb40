/**
 * The dialog behind an instance's lifecycle action (start, stop, reboot, terminate): what it does,
 * what it costs and what is lost, in plain words, and the typed confirmation where one is asked for.
 */
import { useEffect, useState } from 'react';
import type { ActionExplanation, Instance, InstanceAction } from '../../preload/api.ts';
import { Dialog, ErrorNote } from '../components/bits.tsx';
import { useAction, useApi } from '../hooks.ts';

export function ActionDialog({ instance, action, onClose }: { instance: Instance; action: InstanceAction; onClose: () => void }) {
  const api = useApi();
  const [explanation, setExplanation] = useState<ActionExplanation | null>(null);
  const [typed, setTyped] = useState('');
  const run = useAction();
  const load = useAction();
  useEffect(() => {
    load
      .run(() => api.explainAction({ id: instance.id, action }))
      .then((e) => {
        if (e) setExplanation(e);
      });
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, instance.id, action]);
  const verb = action[0].toUpperCase() + action.slice(1);
  const canRun = explanation !== null && (explanation.confirmation !== 'name' || typed === explanation.confirmText);
  return (
    <Dialog open title={`${verb} ${instance.name}?`} onClose={onClose}>
      {explanation ? (
        <div className="explain">
          <p>{explanation.what}</p>
          <p>
            <strong>Billing:</strong> {explanation.cost}
          </p>
          {explanation.lost.length ? (
            <>
              <p>
                <strong>Lost:</strong>
              </p>
              <ul>
                {explanation.lost.map((l) => (
                  <li key={l}>{l}</li>
                ))}
              </ul>
            </>
          ) : (
            <p>
              <strong>Nothing is lost.</strong>
            </p>
          )}
          {explanation.confirmation === 'name' ? (
            <div className="field">
              <label htmlFor="confirm-name">
                Type <code>{explanation.confirmText}</code> to confirm
              </label>
              <input id="confirm-name" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} autoFocus />
            </div>
          ) : null}
        </div>
      ) : load.error ? (
        <ErrorNote error={load.error} />
      ) : (
        <p className="muted">Loading explanation…</p>
      )}
      <ErrorNote error={run.error} />
      <form
        method="dialog"
        className="actions"
        onSubmit={(e) => {
          e.preventDefault();
          run
            .run(() => api.instanceAction({ id: instance.id, action, confirmText: explanation?.confirmation === 'name' ? typed : undefined }))
            .then((r) => {
              if (r) onClose();
            });
        }}
      >
        <button type="button" onClick={onClose}>
          Cancel
        </button>
        <button type="submit" className={action === 'terminate' ? 'danger' : 'primary'} disabled={!canRun || run.busy}>
          {run.busy ? 'Working…' : verb}
        </button>
      </form>
    </Dialog>
  );
}
