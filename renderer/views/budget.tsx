/**
 * Budget: month-to-date against the limit and the forecast on one bar with threshold ticks, the
 * guard state, daily spend and breakdowns. Cost Explorer is never polled: its figures are shown
 * with their time, and "Refresh now" asks again (the service keeps a minimum interval). The
 * budget overrides are listed from the shared log in the bucket, so every workstation (and the
 * lab manager) sees who overrode, from which machine, and why.
 */
import type { Budget } from '../../preload/api.ts';
import { BarChart, ForecastBar, HBars } from '../components/charts.tsx';
import { ErrorNote, Loading, Pill, Stat, ViewError } from '../components/bits.tsx';
import { formatDateTime, formatMoney } from '../format.ts';
import { useAction, useApi, useNow, useTopic } from '../hooks.ts';
import { hasCode } from '../../preload/errors.ts';
import { StoragePanel } from './budget-storage.tsx';
import { PeoplePanel } from './budget-people.tsx';
import { MONTHLY_LIMIT_HREF } from '../components/spend-limit.tsx';
import { BudgetSetupPanel } from './budget-setup.tsx';

export function BudgetView() {
  const { data, error, reload } = useTopic(['budget'], (a) => a.getBudget(), 1000);
  if (error && hasCode(error, 'NOT_CONFIGURED'))
    // a local archive: no AWS figures, but its storage (on the lab's own disk) is still the lab's
    return (
      <div className="view">
        <ViewError title="Budget" what="Budget figures" error={error} retry={reload} />
        <section className="view" aria-label="Storage of the local archive">
          <StoragePanel />
          <PeoplePanel budget={null} />
        </section>
      </div>
    );
  if (error && !data) return <ViewError title="Budget" what="Budget figures" error={error} retry={reload} />;
  if (!data) return <Loading what="budget" />;
  const money = (v: number) => formatMoney(v, data.currency, 0);
  const tone = data.guard.state === 'ok' ? 'ok' : data.guard.state === 'warning' ? 'warn' : 'bad';
  const limit = data.limit;
  return (
    <section className="view" aria-labelledby="budget-title">
      <header className="view-header">
        <h1 id="budget-title">Budget</h1>
      </header>
      <div className="stats">
        <Stat
          label="Spent this month"
          value={formatMoney(data.monthToDate, data.currency)}
          hint={limit !== null ? `of ${money(limit)}` : 'no monthly limit set'}
        />
        <Stat
          label="Forecast to month end"
          value={formatMoney(data.forecast, data.currency)}
          tone={limit !== null && data.forecast > limit ? 'warn' : undefined}
          hint={limit === null ? 'no limit to compare it with' : data.forecast > limit ? 'above budget' : 'within budget'}
        />
        {limit === null ? (
          <Stat label="Launch guard" value={<Pill tone="bad">no limit</Pill>} hint="launches are refused" tone="bad" />
        ) : (
          <Stat
            label="Launch guard"
            value={<Pill tone={tone}>{data.guard.state}</Pill>}
            hint={data.guard.remaining !== null ? `${money(data.guard.remaining)} left` : undefined}
            tone={tone}
          />
        )}
      </div>
      <div className="panel">
        <div className="panel-head">
          <h2>This month</h2>
          <div className="legend-inline" aria-hidden="true">
            <span>
              <i style={{ background: `var(--${tone})` }} />
              spent
            </span>
            <span>
              <i
                style={{
                  background: `repeating-linear-gradient(45deg, var(--${data.limit !== null && data.forecast > data.limit ? 'bad' : 'accent'}) 0 3px, var(--surface-2) 3px 6px)`,
                }}
              />
              forecast
            </span>
            {data.limit !== null ? (
              <span>
                <i style={{ background: 'var(--muted)', width: 2 }} />
                thresholds
              </span>
            ) : null}
          </div>
        </div>
        <ForecastBar monthToDate={data.monthToDate} forecast={data.forecast} limit={limit} thresholds={data.thresholds} format={money} tone={tone} />
        {limit === null ? (
          <div className="note note-warn" data-testid="no-limit">
            <div>
              <strong>{data.guard.message}</strong>
            </div>
            <div className="note-more">
              To set one, enter a <em>Monthly limit</em> in <a href={MONTHLY_LIMIT_HREF}>Settings</a> (Budget and instances), or run{' '}
              <code>scopecloud config set budget.monthlyLimitUsd 500</code>. A monthly cost budget in AWS Budgets, when the account has one, takes its place.
            </div>
          </div>
        ) : (
          <p>{data.guard.message}</p>
        )}
      </div>
      <CostExplorerPanel data={data} money={money} />
      <StoragePanel />
      <PeoplePanel budget={data} />
      <div className="panel">
        <h2>By service</h2>
        {data.byService.length ? (
          <HBars label="Spend by service" items={data.byService} format={(v) => formatMoney(v, data.currency)} />
        ) : (
          <p className="muted">No breakdown yet: it comes with the Cost Explorer figures.</p>
        )}
      </div>
      <OverridesPanel data={data} />
      <BudgetSetupPanel />
      <p className="muted small">Cost Explorer lags by up to a day; running instances are added live from their price and uptime.</p>
    </section>
  );
}

function clock(ms: number): string {
  return new Date(ms).toLocaleString(undefined, { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
}

function CostExplorerPanel({ data, money }: { data: Budget; money: (v: number) => string }) {
  const api = useApi();
  const refresh = useAction();
  const now = useNow(15_000);
  const ce = data.costExplorer;
  const fetchedAt = ce?.fetchedAt ?? null;
  const nextAt = ce?.nextRefreshAt ?? null;
  const waiting = nextAt !== null && nextAt > now;
  const price = formatMoney(ce?.requestCost ?? 0.01, data.currency);
  return (
    <div className="panel" aria-labelledby="daily-title">
      <h2 id="daily-title">Daily spend</h2>
      {data.daily.length ? (
        <BarChart
          label="Daily spend this month"
          bars={data.daily.map((d) => ({ label: d.date.slice(8), value: d.amount }))}
          formatY={money}
          refLine={data.limit !== null ? { value: data.limit / 30, label: 'even pace' } : undefined}
        />
      ) : (
        <div className="chart-empty muted daily-empty" style={{ height: 90 }} data-testid="daily-empty">
          No daily figures yet — Cost Explorer is queried on demand (it costs {price} per request).
        </div>
      )}
      <div className="ce-state" role="status">
        <p className="small" data-testid="ce-fetched">
          {fetchedAt === null
            ? 'Cost Explorer has not been asked yet this month; spend shown is from running instances and the AWS Budget.'
            : `Cost Explorer figures from ${clock(fetchedAt)}.`}
          {waiting ? ` The next refresh can ask AWS at ${clock(nextAt)}.` : ''}
        </p>
        <button
          onClick={() => refresh.run(() => api.refreshBudget())}
          disabled={refresh.busy || waiting}
          title={waiting ? `Cost Explorer is asked at most every few minutes; next at ${clock(nextAt)}` : `One request to Cost Explorer (${price})`}
        >
          {refresh.busy ? 'Asking Cost Explorer…' : 'Refresh now'}
        </button>
      </div>
      <ErrorNote error={refresh.error} />
    </div>
  );
}

function OverridesPanel({ data }: { data: Budget }) {
  const o = data.overrides;
  return (
    <div className="panel" aria-labelledby="overrides-title" data-testid="overrides">
      <h2 id="overrides-title">Budget overrides</h2>
      <p className="small muted">
        {o.shared
          ? `Every workstation's overrides, recorded in ${o.location ?? 'the bucket'} with the AWS identity that made them.`
          : 'Only the overrides made on this workstation (there is no S3 destination to share them through).'}
      </p>
      {o.error ? <p className="note note-warn">{o.error}</p> : null}
      {o.list.length === 0 ? (
        <p className="muted">No budget overrides recorded.</p>
      ) : (
        <table className="table" aria-labelledby="overrides-title">
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Who</th>
              <th scope="col">What</th>
              <th scope="col" className="num">
                Projected / limit
              </th>
              <th scope="col">Reason</th>
            </tr>
          </thead>
          <tbody>
            {o.list.map((r, i) => (
              <tr key={`${r.at}-${i}`} data-override-by={r.identity ?? r.by}>
                <td>{formatDateTime(r.at)}</td>
                <td>
                  <div>{r.by}</div>
                  {r.identity ? <code className="small">{r.identity}</code> : null}
                  {r.host ? <div className="muted small">on {r.host}</div> : null}
                </td>
                <td>
                  {r.action} {r.subject}
                </td>
                <td className="num">
                  {formatMoney(r.projected, data.currency)} / {r.limit === null ? '-' : formatMoney(r.limit, data.currency)}
                </td>
                <td>{r.reason}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
