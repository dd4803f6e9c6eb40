/** Budget: month-to-date against the limit, forecast, thresholds, guard state, breakdowns. */
import { BarChart, HBars } from '../components/charts.tsx';
import { ErrorNote, Loading, Pill, Progress, Stat } from '../components/bits.tsx';
import { formatMoney } from '../format.ts';
import { useTopic } from '../hooks.ts';

export function BudgetView() {
  const { data, error } = useTopic(['budget'], (a) => a.getBudget(), 1000);
  if (!data) return error ? <ErrorNote error={error} /> : <Loading what="budget" />;
  const money = (v: number) => formatMoney(v, data.currency, 0);
  const tone = data.guard.state === 'ok' ? 'ok' : data.guard.state === 'warning' ? 'warn' : 'bad';
  return (
    <section className="view" aria-labelledby="budget-title">
      <header className="view-header"><h1 id="budget-title">Budget</h1></header>
      <div className="stats">
        <Stat label="Spent this month" value={formatMoney(data.monthToDate, data.currency)} hint={data.limit !== null ? `of ${money(data.limit)}` : 'no budget set'} />
        <Stat label="Forecast to month end" value={formatMoney(data.forecast, data.currency)} tone={data.limit !== null && data.forecast > data.limit ? 'warn' : undefined} hint={data.limit !== null && data.forecast > data.limit ? 'above budget' : 'within budget'} />
        <Stat label="Launch guard" value={<Pill tone={tone}>{data.guard.state}</Pill>} hint={data.guard.remaining !== null ? `${money(data.guard.remaining)} left` : undefined} tone={tone} />
      </div>
      <div className="panel">
        <h2>This month</h2>
        {data.limit !== null ? (
          <div className="budget-meter">
            <Progress value={data.monthToDate} max={data.limit} label="Month-to-date spend against budget" tone={tone} />
            <div className="thresholds" aria-label="Thresholds">
              {data.thresholds.map((t) => <span key={t.percent} className={`threshold ${t.crossed ? 'crossed' : ''}`} style={{ left: `${Math.min(100, t.percent)}%` }}>{t.percent}%{t.crossed ? ' ✓' : ''}</span>)}
            </div>
          </div>
        ) : null}
        <p>{data.guard.message}</p>
        <BarChart label="Daily spend this month" bars={data.daily.map((d) => ({ label: d.date.slice(8), value: d.amount }))} formatY={money}
          refLine={data.limit !== null ? { value: data.limit / 30, label: 'even pace' } : undefined} />
      </div>
      <div className="grid-2">
        <div className="panel"><h2>By service</h2><HBars label="Spend by service" items={data.byService} format={(v) => formatMoney(v, data.currency)} /></div>
        <div className="panel"><h2>By person</h2><HBars label="Spend by owner" items={data.byOwner} format={(v) => formatMoney(v, data.currency)} /></div>
      </div>
      <p className="muted small">Figures as of {new Date(data.asOf).toLocaleString()}. Cost Explorer lags by up to a day; running instances are added live.</p>
    </section>
  );
}
