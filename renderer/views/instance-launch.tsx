/**
 * The launch dialog: machine, pricing market, name and planned hours, with the projected cost and
 * the budget guard's answer.
 */
import { useEffect, useState } from 'react';
import type { LaunchCheck, Market, Preset, PriceTableInfo } from '../../preload/api.ts';
import { Dialog, ErrorNote } from '../components/bits.tsx';
import { hasCode } from '../../preload/errors.ts';
import { formatMoney } from '../format.ts';
import { useAction, useApi, useTopic } from '../hooks.ts';
import { PricesLine } from './instance-prices.tsx';
import { NoSpendLimitNote } from '../components/spend-limit.tsx';

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
export function LaunchDialog({ currency, prices, onClose }: { currency: string; prices: PriceTableInfo | undefined; onClose: () => void }) {
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
          {check?.refusal === 'NO_SPEND_LIMIT' ? (
            <NoSpendLimitNote lead={`Projected cost ${formatMoney(check.projectedCost, currency)}. `} message={check.message} />
          ) : check ? (
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
          {check?.refusal === 'BUDGET_EXCEEDED' ? (
            <label className="check">
              <input type="checkbox" checked={override} onChange={(e) => setOverride(e.target.checked)} /> Override the budget guard (administrators)
            </label>
          ) : null}
          {run.error && hasCode(run.error, 'NO_SPEND_LIMIT') ? <NoSpendLimitNote message={run.error.message} /> : <ErrorNote error={run.error} />}
          <div className="actions">
            <button type="button" onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              className="primary"
              disabled={run.busy || !presetId || !hoursOk || check?.refusal === 'NO_SPEND_LIMIT' || (check !== null && !check.allowed && !override)}
            >
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
