/**
 * Settings panels for the lab's rules: spending (budget limit, instance run time), how the
 * acquisition folders are watched, and how long restored copies stay readable. Each panel edits text fields, checks them on the spot (a
 * problem is shown under its field and Save stays off) and saves them in one patch.
 */
import { useEffect, useState } from 'react';
import type { BudgetPrefs, WatchPrefs } from '../../preload/api.ts';
import { ErrorNote } from '../components/bits.tsx';
import { useAction, useApi } from '../hooks.ts';
import { MONTHLY_LIMIT_HREF } from '../components/spend-limit.tsx';

/** A number typed in a field: `undefined` for blank, NaN for anything that is not a number. */
function parse(text: string): number | undefined {
  const t = text.trim().replace(/,/g, '');
  return t === '' ? undefined : Number(t);
}

function Field({
  id,
  label,
  value,
  set,
  problem,
  help,
  suffix,
}: {
  id: string;
  label: string;
  value: string;
  set: (v: string) => void;
  problem: string | null;
  help: string;
  suffix?: string;
}) {
  return (
    <div className={`field ${problem ? 'field-bad' : ''}`}>
      <label htmlFor={id}>{label}</label>
      <span className="with-suffix">
        <input
          id={id}
          value={value}
          onChange={(e) => set(e.target.value)}
          aria-invalid={problem ? true : undefined}
          aria-describedby={`${id}-msg`}
          inputMode="decimal"
        />
        {suffix ? <span className="muted">{suffix}</span> : null}
      </span>
      <div id={`${id}-msg`} className={problem ? 'field-msg bad' : 'field-msg'}>
        {problem ?? help}
      </div>
    </div>
  );
}

export function BudgetRules({ budget, aws }: { budget: BudgetPrefs; aws: boolean }) {
  const api = useApi();
  const action = useAction();
  const [limit, setLimit] = useState(budget.monthlyLimitUsd === null ? '' : String(budget.monthlyLimitUsd));
  const [hours, setHours] = useState(String(budget.maxRuntimeHours));
  useEffect(() => {
    setLimit(budget.monthlyLimitUsd === null ? '' : String(budget.monthlyLimitUsd));
    setHours(String(budget.maxRuntimeHours));
  }, [budget.monthlyLimitUsd, budget.maxRuntimeHours]);
  const limitNum = parse(limit);
  const hoursNum = parse(hours);
  const limitProblem =
    limitNum === undefined || (Number.isFinite(limitNum) && limitNum >= 0 && limitNum <= 10_000_000)
      ? null
      : 'an amount in US dollars from 0 to 10,000,000, or blank for no local limit';
  const hoursProblem =
    hoursNum !== undefined && Number.isFinite(hoursNum) && hoursNum >= 0.1 && hoursNum <= 744 ? null : 'a number of hours from 0.1 to 744 (31 days)';
  const dirty = (limitNum ?? null) !== budget.monthlyLimitUsd || hoursNum !== budget.maxRuntimeHours;
  // A launch refused for want of a limit links here (MONTHLY_LIMIT_HREF): the field is ready to type in.
  useEffect(() => {
    if (location.hash !== MONTHLY_LIMIT_HREF) return;
    const input = document.getElementById('set-limit');
    input?.scrollIntoView({ block: 'center' });
    input?.focus();
  }, []);
  return (
    <form
      className="panel"
      aria-labelledby="set-budget"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() => api.saveSettings({ budget: { monthlyLimitUsd: limitNum ?? null, maxRuntimeHours: hoursNum! } }));
      }}
    >
      <h2 id="set-budget">Budget and instances</h2>
      {aws ? null : <p className="muted small">These apply once the destination is Amazon S3.</p>}
      <div className="form-row">
        <Field
          id="set-limit"
          label="Monthly limit"
          value={limit}
          set={setLimit}
          problem={limitProblem}
          suffix="USD"
          help="Launches are refused when the month's projected spend would pass it. An AWS Budget on the account, when there is one, takes its place. Blank, and no AWS Budget: launches are refused."
        />
        <Field
          id="set-hours"
          label="Instances stop themselves after"
          value={hours}
          set={setHours}
          problem={hoursProblem}
          suffix="hours"
          help="The longest any instance launched from ScopeCloud (by hand or for an analysis) may run: it then shuts itself down, even if this computer is off."
        />
      </div>
      <ErrorNote error={action.error} />
      <div className="actions left">
        <button type="submit" className="primary" disabled={action.busy || !dirty || !!limitProblem || !!hoursProblem}>
          Save
        </button>
      </div>
    </form>
  );
}

export function WatchRules({ watch }: { watch: WatchPrefs }) {
  const api = useApi();
  const action = useAction();
  const [marker, setMarker] = useState(watch.markerFile);
  const [stable, setStable] = useState(String(watch.stableMs / 1000));
  const [polling, setPolling] = useState(watch.polling);
  const [poll, setPoll] = useState(String(watch.pollIntervalMs / 1000));
  useEffect(() => {
    setMarker(watch.markerFile);
    setStable(String(watch.stableMs / 1000));
    setPolling(watch.polling);
    setPoll(String(watch.pollIntervalMs / 1000));
  }, [watch.markerFile, watch.stableMs, watch.polling, watch.pollIntervalMs]);
  const stableNum = parse(stable);
  const pollNum = parse(poll);
  const markerProblem = marker.trim() === '' ? 'a file name' : /[/\\]/.test(marker) ? 'a file name without a folder' : null;
  const seconds = (v: number | undefined) => v !== undefined && Number.isFinite(v) && v >= 0.1 && v <= 3600;
  const stableProblem = seconds(stableNum) ? null : 'seconds, from 0.1 to 3,600';
  const pollProblem = seconds(pollNum) ? null : 'seconds, from 0.1 to 3,600';
  const next: WatchPrefs | null =
    markerProblem || stableProblem || pollProblem
      ? null
      : { markerFile: marker.trim(), stableMs: Math.round(stableNum! * 1000), polling, pollIntervalMs: Math.round(pollNum! * 1000) };
  const dirty =
    next !== null &&
    (next.markerFile !== watch.markerFile ||
      next.stableMs !== watch.stableMs ||
      next.polling !== watch.polling ||
      next.pollIntervalMs !== watch.pollIntervalMs);
  return (
    <form
      className="panel"
      aria-labelledby="set-watch"
      onSubmit={(e) => {
        e.preventDefault();
        if (next) void action.run(() => api.saveSettings({ watch: next }));
      }}
    >
      <h2 id="set-watch">Watching acquisition folders</h2>
      <div className="form-row">
        <Field
          id="set-stable"
          label="A file is complete when unchanged for"
          value={stable}
          set={setStable}
          problem={stableProblem}
          suffix="s"
          help="Raise it when the microscope pauses between writes."
        />
        <div className={`field ${markerProblem ? 'field-bad' : ''}`}>
          <label htmlFor="set-marker">Session marker file</label>
          <input
            id="set-marker"
            value={marker}
            onChange={(e) => setMarker(e.target.value)}
            aria-invalid={markerProblem ? true : undefined}
            aria-describedby="set-marker-msg"
            spellCheck={false}
          />
          <div id="set-marker-msg" className={markerProblem ? 'field-msg bad' : 'field-msg'}>
            {markerProblem ?? 'Writing a file of this name closes its session folder at once.'}
          </div>
        </div>
      </div>
      <div className="form-row">
        <div className="field">
          <label className="check">
            <input type="checkbox" checked={polling} onChange={(e) => setPolling(e.target.checked)} />
            Check the folders by polling
          </label>
          <div className="field-msg">For network shares, where file-system events do not arrive.</div>
        </div>
        {polling ? <Field id="set-poll" label="Poll every" value={poll} set={setPoll} problem={pollProblem} suffix="s" help="" /> : null}
      </div>
      <ErrorNote error={action.error} />
      <div className="actions left">
        <button type="submit" className="primary" disabled={action.busy || !dirty}>
          Save
        </button>
      </div>
    </form>
  );
}

/** How long copies restored from cold storage stay readable (stored `restore.days`, 1-30). */
export function RestoreRules({ days }: { days: number }) {
  const api = useApi();
  const action = useAction();
  const [text, setText] = useState(String(days));
  useEffect(() => setText(String(days)), [days]);
  const n = parse(text);
  const problem = n !== undefined && Number.isInteger(n) && n >= 1 && n <= 30 ? null : 'a whole number of days from 1 to 30';
  return (
    <form
      className="panel"
      aria-labelledby="set-restore"
      onSubmit={(e) => {
        e.preventDefault();
        void action.run(() => api.saveSettings({ restoreDays: n! }));
      }}
    >
      <h2 id="set-restore">Restores from cold storage</h2>
      <div className="form-row">
        <Field
          id="set-restore-days"
          label="Restored copies stay readable for"
          value={text}
          set={setText}
          problem={problem}
          suffix="days"
          help="Each restore (an analysis of archived recordings, archived results) keeps its copies this long, billed as S3 Standard meanwhile; the restore dialog says so before you agree."
        />
      </div>
      <ErrorNote error={action.error} />
      <div className="actions left">
        <button type="submit" className="primary" disabled={action.busy || n === days || !!problem}>
          Save
        </button>
      </div>
    </form>
  );
}
