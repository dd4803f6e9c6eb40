/**
 * Instances: state, uptime and cost ticking every second (price × uptime, computed here from the
 * last server figure), lifecycle actions behind a dialog that explains them in plain words.
 */
import { useState } from 'react';
import { STOPPED_DISK_REMIND_DAYS, type Instance, type InstanceAction } from '../../preload/api.ts';
import { Loading, Pill, Stat, ViewError } from '../components/bits.tsx';
import { formatDuration, formatMoney, liveCost, uptimeSeconds } from '../format.ts';
import { useNow, useTopic } from '../hooks.ts';
import { hasCode } from '../../preload/errors.ts';
import { ActionDialog } from './instance-actions.tsx';
import { LaunchDialog } from './instance-launch.tsx';
import { PricesLine } from './instance-prices.tsx';

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
  const stopped = data.instances.filter((i) => i.state === 'stopped');
  const stoppedMonthly = stopped.reduce((s, i) => s + i.diskMonthly, 0);
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
        {stopped.length ? (
          <Stat
            label="Stopped disks"
            value={<span data-testid="stopped-disks">{`${formatMoney(stoppedMonthly, data.currency)}/month`}</span>}
            tone={stopped.some((i) => stoppedDays(i, now) >= STOPPED_DISK_REMIND_DAYS) ? 'warn' : undefined}
            hint={`${stopped.length} stopped instance${stopped.length === 1 ? '' : 's'} keep${stopped.length === 1 ? 's' : ''} ${stopped.reduce((s, i) => s + i.diskGb, 0)} GB of disk billing: terminate what is done`}
          />
        ) : null}
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
                  {i.state === 'stopped' ? (
                    <div className="muted small" data-testid={`disk-${i.id}`}>
                      {stoppedNote(i, now, data.currency)}
                    </div>
                  ) : null}
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

/** Days since a stopped instance stopped (-1 when EC2 did not say). */
function stoppedDays(i: Instance, now: number): number {
  return i.stoppedSince === null ? -1 : Math.floor((now - i.stoppedSince) / 86_400_000);
}

/** "Disk 250 GB: $20.00/month while stopped, stopped 4 days". */
function stoppedNote(i: Instance, now: number, currency: string): string {
  const days = stoppedDays(i, now);
  const since = days < 0 ? '' : days === 0 ? ', stopped today' : `, stopped ${days} day${days === 1 ? '' : 's'}`;
  return `Disk ${i.diskGb} GB: ${formatMoney(i.diskMonthly, currency)}/month while stopped${since}`;
}
