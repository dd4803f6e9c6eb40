/**
 * Instances: state, uptime and cost ticking every second (price × uptime, computed here from the
 * last server figure), lifecycle actions behind a dialog that explains them in plain words.
 */
import { useEffect, useState } from 'react';
import type { ActionExplanation, Instance, InstanceAction, LaunchCheck, Market, Preset, PriceTableInfo } from '../../preload/api.ts';
import { Dialog, ErrorNote, Loading, Pill, Stat, ViewError } from '../components/bits.tsx';
import { formatDuration, formatMoney, liveCost, pricesAsOf, uptimeSeconds } from '../format.ts';
import { useAction, useApi, useNow, useTopic } from '../hooks.ts';
import { hasCode } from '../../preload/errors.ts';

const STATE_TONE = { pending: 'busy', running: 'ok', stopping: 'busy', stopped: 'idle', 'shutting-down': 'busy', terminated: 'idle' } as const;
const ACTIONS: Record<Instance['state'], InstanceAction[]> = {
  pending: ['stop', 'terminate'],
  running: ['stop', 'reboot', 'terminate'],
  stopping: ['terminate'],
  stopped: ['start', 'terminate'],
  'shutting-down': [],
  terminated: [],
};

export function InstancesView() {
  const [all, setAll] = useState(false);
  const { data, error, reload } = useTopic(['instances'], (a) => a.listInstances({ all }), 250);
  const now = useNow(1000);
  const [pending, setPending] = useState<{ instance: Instance; action: InstanceAction } | null>(null);
  const [launching, setLaunching] = useState(false);
  if (error && (!data || hasCode(error, 'NOT_CONFIGURED'))) return <ViewError title="Instances" what="Instances" error={error} retry={reload} />;
  if (!data) return <Loading what="instances" />;
  const running = data.instances.filter((i) => i.state === 'running');
  const burn = running.reduce((s, i) => s + (i.hourlyPrice ?? 0), 0);
  const total = data.instances.reduce((s, i) => s + liveCost(i, now), 0);
  return (
    <section className="view" aria-labelledby="inst-title">
      <header className="view-header">
        <h1 id="inst-title">Instances</h1>
        <div className="view-actions">
          <label className="check">
            <input type="checkbox" checked={all} onChange={(e) => setAll(e.target.checked)} /> Show every instance in the account
          </label>
          <button className="primary" onClick={() => setLaunching(true)}>
            Launch instance…
          </button>
        </div>
      </header>
      <div className="stats">
        <Stat
          label="Running"
          value={running.length}
          tone={running.length ? 'warn' : 'ok'}
          hint={running.length ? 'billing per second' : 'nothing is billing for compute'}
        />
        <Stat label="Burn rate" value={`${formatMoney(burn, data.currency)}/h`} hint={`${formatMoney(burn * 24, data.currency)} per day at this rate`} />
        <Stat label="Accrued (listed)" value={<span data-testid="total-cost">{formatMoney(total, data.currency)}</span>} hint="since each instance's launch" />
      </div>
      <PricesLine prices={data.prices} />
      <div className="panel">
        <table className="table" aria-label="Instances">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">State</th>
              <th scope="col">Type</th>
              <th scope="col">Owner</th>
              <th scope="col" className="num">
                Uptime
              </th>
              <th scope="col" className="num">
                Price
              </th>
              <th scope="col" className="num">
                Cost so far
              </th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {data.instances.map((i) => (
              <tr key={i.id} data-instance={i.id} data-state={i.state}>
                <td>
                  <div>{i.name}</div>
                  <code className="muted small">{i.id}</code>
                </td>
                <td>
                  <Pill tone={STATE_TONE[i.state]}>{i.state}</Pill>
                </td>
                <td>
                  {i.type}
                  {i.spot ? (
                    <>
                      {' '}
                      <Pill tone="busy">spot</Pill>
                    </>
                  ) : null}
                </td>
                <td>{i.owner}</td>
                <td className="num">{formatDuration(uptimeSeconds(i, now))}</td>
                <td className="num">
                  {i.hourlyPrice === null ? (
                    <span title="Not in the price table">?</span>
                  ) : (
                    <span title={i.spot ? 'On-demand price: the most this Spot instance costs' : undefined}>
                      {i.spot ? '≤ ' : ''}
                      {formatMoney(i.hourlyPrice, data.currency, 3)}/h
                    </span>
                  )}
                </td>
                <td className="num cost" data-testid={`cost-${i.id}`}>
                  {formatMoney(liveCost(i, now), data.currency, 4)}
                </td>
                <td>
                  <div className="row-actions">
                    {ACTIONS[i.state].map((a) => (
                      <button
                        key={a}
                        className={a === 'terminate' ? 'danger-outline' : ''}
                        onClick={() => setPending({ instance: i, action: a })}
                        aria-label={`${a} ${i.name}`}
                      >
                        {a[0].toUpperCase() + a.slice(1)}
                      </button>
                    ))}
                  </div>
                </td>
              </tr>
            ))}
            {data.instances.length === 0 ? (
              <tr>
                <td colSpan={8} className="muted">
                  No instances. Launch one to run an analysis in the cloud.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      {pending ? (
        <ActionDialog key={`${pending.instance.id}-${pending.action}`} instance={pending.instance} action={pending.action} onClose={() => setPending(null)} />
      ) : null}
      {launching ? <LaunchDialog currency={data.currency} prices={data.prices} onClose={() => setLaunching(false)} /> : null}
    </section>
  );
}

function ActionDialog({ instance, action, onClose }: { instance: Instance; action: InstanceAction; onClose: () => void }) {
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

/**
 * Which price table the figures use and how old it is, a warning once it is out of date, and a
 * way to refresh it from the AWS Pricing API.
 */
function PricesLine({ prices }: { prices: PriceTableInfo | undefined }) {
  const api = useApi();
  const refresh = useAction();
  const [result, setResult] = useState<{ ok: boolean; message: string } | null>(null);
  if (!prices) return null;
  return (
    <div className="prices">
      <div className="prices-line small" data-testid="prices-line">
        <span className="muted">
          {pricesAsOf(prices)}: {prices.source === 'shipped' ? 'the table shipped with ScopeCloud' : 'fetched from the AWS Pricing API'} (on-demand, Linux).
        </span>
        <button
          type="button"
          className="link"
          disabled={refresh.busy}
          onClick={() => {
            refresh
              .run(() => api.refreshPrices())
              .then((r) => {
                if (r) setResult(r);
              });
          }}
        >
          {refresh.busy ? 'Asking the AWS Pricing API…' : 'Refresh prices'}
        </button>
        {result ? (
          <span role="status" className={result.ok ? '' : 'warn-text'}>
            {result.message}
          </span>
        ) : null}
      </div>
      {prices.stale ? (
        <div className="note note-warn small" data-testid="prices-stale">
          <strong>These prices are {prices.ageDays} days old</strong> (older than {prices.staleAfterDays} days): AWS changes its prices, so the costs and budget
          checks shown here may be off. Refresh them with <em>Refresh prices</em> above, or run <code>scopecloud cost --refresh-prices</code>.
        </div>
      ) : null}
      <ErrorNote error={refresh.error} />
    </div>
  );
}

const MARKETS: { id: Market; label: string; hint: string }[] = [
  {
    id: 'on-demand',
    label: 'On-demand',
    hint: 'Billed at the listed price per second while it runs. It stops itself after the planned hours; you can stop and start it again.',
  },
  {
    id: 'spot',
    label: 'Spot (cheaper, can be interrupted)',
    hint: "Spare AWS capacity, usually much cheaper. AWS can take it back at any time with two minutes' warning: it is then terminated and its disk deleted, so keep results in S3. It cannot be stopped, only terminated (also after the planned hours).",
  },
];

/**
 * The launch form. The choices scroll inside the dialog while the decision (projected cost, the
 * budget guard's answer, its override) and Cancel / Launch stay in view on short screens
 * (1280x800 with every note showing).
 */
function LaunchDialog({ currency, prices, onClose }: { currency: string; prices: PriceTableInfo | undefined; onClose: () => void }) {
  const api = useApi();
  const [presets, setPresets] = useState<Preset[]>([]);
  const [presetId, setPresetId] = useState('');
  const [name, setName] = useState('analysis');
  const { data: settings } = useTopic(['settings'], (a) => a.getSettings());
  const maxHours = settings?.budget.maxRuntimeHours ?? null;
  const [hours, setHours] = useState('4');
  useEffect(() => {
    if (maxHours !== null) setHours((h) => (Number(h) > maxHours ? String(maxHours) : h));
  }, [maxHours]);
  const [check, setCheck] = useState<LaunchCheck | null>(null);
  const [override, setOverride] = useState(false);
  const [market, setMarket] = useState<Market>('on-demand');
  const run = useAction();
  useEffect(() => {
    api.listPresets().then((p) => {
      setPresets(p.presets);
      setPresetId((id) => id || (p.presets[0]?.id ?? ''));
    });
  }, [api, prices?.source, prices?.retrieved]);
  const plannedHours = Number(hours);
  const hoursOk = plannedHours >= 0.1 && (maxHours === null || plannedHours <= maxHours);
  useEffect(() => {
    if (!presetId || !hoursOk) {
      setCheck(null);
      return;
    }
    let live = true;
    api.checkLaunch({ presetId, plannedHours }).then(
      (c) => {
        if (live) setCheck(c);
      },
      () => {
        if (live) setCheck(null);
      },
    );
    return () => {
      live = false;
    };
  }, [api, presetId, plannedHours, hoursOk, prices?.source, prices?.retrieved]);
  return (
    <Dialog open title="Launch an instance" onClose={onClose} className="dialog-scroll dialog-wide">
      <form
        onSubmit={(e) => {
          e.preventDefault();
          run
            .run(() => api.launchInstance({ presetId, name, plannedHours, override, market }))
            .then((r) => {
              if (r) onClose();
            });
        }}
      >
        <div className="dialog-body">
          <fieldset className="choice compact two-up">
            <legend>Machine</legend>
            {presets.map((p) => (
              <label key={p.id} className={`choice-item ${presetId === p.id ? 'selected' : ''}`}>
                <input type="radio" name="preset" value={p.id} checked={presetId === p.id} onChange={() => setPresetId(p.id)} />
                <span>
                  <strong>{p.label}</strong> · {p.type} · {formatMoney(p.hourlyPrice, currency, 3)}/h
                  <br />
                  <span className="muted small">
                    {p.vcpus} vCPU · {p.memoryGiB} GiB{p.gpus ? ` · ${p.gpus} GPU` : ''} · {p.diskGiB} GB disk
                  </span>
                </span>
              </label>
            ))}
          </fieldset>
          <PricesLine prices={prices} />
          <fieldset className="choice compact">
            <legend>Pricing</legend>
            {MARKETS.map((m) => (
              <label key={m.id} className={`choice-item ${market === m.id ? 'selected' : ''}`}>
                <input type="radio" name="market" value={m.id} checked={market === m.id} onChange={() => setMarket(m.id)} />
                <span>
                  <strong>{m.label}</strong>
                  <br />
                  <span className="muted small">{m.hint}</span>
                </span>
              </label>
            ))}
          </fieldset>
          <div className="grid-2">
            <div className="field">
              <label htmlFor="launch-name">Name</label>
              <input id="launch-name" value={name} onChange={(e) => setName(e.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="launch-hours">Planned hours (then it {market === 'spot' ? 'terminates' : 'stops'})</label>
              <input
                id="launch-hours"
                inputMode="decimal"
                value={hours}
                onChange={(e) => setHours(e.target.value)}
                aria-invalid={!hoursOk || undefined}
                aria-describedby="launch-hours-msg"
              />
              <div id="launch-hours-msg" className={hoursOk ? 'field-msg' : 'field-msg bad'}>
                {maxHours !== null && plannedHours > maxHours
                  ? `At most ${maxHours} h: the lab's limit per instance (Settings).`
                  : !(plannedHours >= 0.1)
                    ? 'At least 0.1 h.'
                    : maxHours !== null
                      ? `Up to ${maxHours} h (the lab's limit).`
                      : ''}
              </div>
            </div>
          </div>
        </div>
        <div className="dialog-foot">
          {check ? (
            <div className={`note ${check.allowed ? 'note-ok' : 'note-warn'}`} role="status">
              Projected cost {market === 'spot' ? 'at most ' : ''}
              {formatMoney(check.projectedCost, currency)}
              {check.remaining !== null ? `; ${formatMoney(check.remaining, currency)} left this month` : ''}. {sentence(check.message)}
              {market === 'spot' ? (
                <span data-testid="spot-basis">
                  {' '}
                  Spot is priced by the hour and zone and is usually well below the on-demand price used here, so the real cost is usually lower; the budget
                  check counts the on-demand price.
                </span>
              ) : null}
            </div>
          ) : null}
          {check && !check.allowed ? (
            <label className="check">
              <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} /> Override the budget guard (administrators)
            </label>
          ) : null}
          <ErrorNote error={run.error} />
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="primary" disabled={run.busy || !presetId || !hoursOk || (check !== null && !check.allowed && !override)}>
              Launch
            </button>
          </div>
        </div>
      </form>
    </Dialog>
  );
}

/** A message from main as a sentence: capitalised, ending in a full stop. */
function sentence(message: string): string {
  const m = message.trim();
  return m && `${m[0].toUpperCase()}${m.slice(1)}${/[.!?]$/.test(m) ? '' : '.'}`;
}
