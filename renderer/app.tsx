/** The shell: first run or the sidebar layout with the views, status at a glance, notifications. */
import { useEffect, useState } from 'react';
import type { AppEvent, ScopeCloudApi, Settings } from '../preload/api.ts';
import { ErrorNote, Loading } from './components/bits.tsx';
import { formatMoney } from './format.ts';
import { ApiContext, useApi, useTopic } from './hooks.ts';
import { AcquisitionView } from './views/acquisition.tsx';
import { AnalysesView } from './views/analyses.tsx';
import { BudgetView } from './views/budget.tsx';
import { FirstRun } from './views/first-run.tsx';
import { InstancesView } from './views/instances.tsx';
import { ResultsView } from './views/results.tsx';
import { SettingsView } from './views/settings.tsx';
import { announceThemeChange } from './theme-change.ts';

type Route = { view: 'acquisition' | 'instances' | 'budget' | 'analyses' | 'settings' } | { view: 'results'; id: string | null };

export function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  switch (parts[0]) {
    case 'instances':
    case 'budget':
    case 'analyses':
    case 'settings':
      return { view: parts[0] };
    case 'results':
      return { view: 'results', id: parts[1] || null };
    default:
      return { view: 'acquisition' };
  }
}

function useRoute(): Route {
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  useEffect(() => {
    const on = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', on);
    return () => removeEventListener('hashchange', on);
  }, []);
  return route;
}

export function App({ api }: { api: ScopeCloudApi }) {
  return (
    <ApiContext.Provider value={api}>
      <Root />
    </ApiContext.Provider>
  );
}

function applyTheme(theme: Settings['theme']): void {
  document.documentElement.dataset.theme = theme;
  announceThemeChange();
}

function Root() {
  const { data: settings, error, reload } = useTopic(['settings'], (a) => a.getSettings());
  const theme = settings?.theme;
  useEffect(() => {
    if (theme) applyTheme(theme);
  }, [theme]);
  if (!settings) {
    return <main className="boot">{error ? <ErrorNote error={error} /> : <Loading what="ScopeCloud" />}</main>;
  }
  if (!settings.firstRunComplete) return <FirstRun settings={settings} onDone={reload} />;
  return <Shell />;
}

const NAV: ReadonlyArray<{ view: Route['view']; label: string }> = [
  { view: 'acquisition', label: 'Acquisition' },
  { view: 'instances', label: 'Instances' },
  { view: 'budget', label: 'Budget' },
  { view: 'analyses', label: 'Analyses' },
  { view: 'results', label: 'Results' },
  { view: 'settings', label: 'Settings' },
];

function Shell() {
  const route = useRoute();
  const { data: status } = useTopic(['status'], (a) => a.getStatus(), 1000);
  const badge = (view: Route['view']): { text: string; tone: string } | null => {
    if (!status) return null;
    switch (view) {
      case 'acquisition':
        // a watched folder missing or unreadable: nothing of it is uploaded until it is back
        if (status.uploads.unwatchedFolders) return { text: `${status.uploads.unwatchedFolders} not watched`, tone: 'bad' };
        if (status.uploads.failed) return { text: `${status.uploads.failed} failed`, tone: 'bad' };
        if (status.uploads.paused) return { text: 'paused', tone: 'warn' };
        return status.uploads.active ? { text: `${status.uploads.active} active`, tone: 'busy' } : null;
      case 'instances':
        return status.instances.running ? { text: `${status.instances.running} running`, tone: 'warn' } : null;
      case 'budget':
        return status.budget.state !== 'ok' ? { text: status.budget.state, tone: status.budget.state === 'blocked' ? 'bad' : 'warn' } : null;
      case 'analyses': {
        // waiting for S3 to restore inputs is no compute spend: counted apart from running
        const { running, restoring } = status.analyses;
        const text = [running ? `${running} running` : '', restoring ? `${restoring} restoring` : ''].filter(Boolean).join(', ');
        return text ? { text, tone: running ? 'busy' : 'idle' } : null;
      }
      default:
        return null;
    }
  };
  return (
    <div className="shell">
      <a href="#main" className="skip">
        Skip to content
      </a>
      <aside className="sidebar">
        <div className="brand" aria-label="ScopeCloud">
          <span className="brand-mark" aria-hidden="true" />
          ScopeCloud
        </div>
        <nav aria-label="Main">
          <ul>
            {NAV.map((n) => {
              const b = badge(n.view);
              return (
                <li key={n.view}>
                  <a href={`#/${n.view}`} aria-current={route.view === n.view ? 'page' : undefined}>
                    <span>{n.label}</span>
                    {b ? <span className={`badge badge-${b.tone}`}>{b.text}</span> : null}
                  </a>
                </li>
              );
            })}
          </ul>
        </nav>
        {status ? (
          <div className="sidebar-foot small">
            <div>
              <span className="muted">Destination</span>
              <br />
              <code title={status.target}>{status.mode === 'aws' ? status.target : 'local archive'}</code>
            </div>
            <div>
              <span className="muted">Compute now</span>
              <br />
              <strong>{formatMoney(status.instances.hourlyBurn, status.currency)}/h</strong>
            </div>
            <div>
              <span className="muted">This month</span>
              <br />
              <strong>{formatMoney(status.budget.monthToDate, status.currency, 0)}</strong>
              {status.budget.limit !== null ? <span className="muted"> of {formatMoney(status.budget.limit, status.currency, 0)}</span> : null}
            </div>
          </div>
        ) : null}
      </aside>
      <main id="main" className="content" tabIndex={-1}>
        {route.view === 'acquisition' ? <AcquisitionView /> : null}
        {route.view === 'instances' ? <InstancesView /> : null}
        {route.view === 'budget' ? <BudgetView /> : null}
        {route.view === 'analyses' ? (
          <AnalysesView
            openResults={(id) => {
              location.hash = `#/results/${encodeURIComponent(id)}`;
            }}
          />
        ) : null}
        {route.view === 'results' ? (
          <ResultsView
            id={route.id}
            back={() => {
              location.hash = '#/results';
            }}
          />
        ) : null}
        {route.view === 'settings' ? <SettingsView /> : null}
      </main>
      <Toasts />
    </div>
  );
}

function Toasts() {
  const api = useApi();
  const [items, setItems] = useState<Array<Extract<AppEvent, { type: 'notification' }> & { key: number }>>([]);
  useEffect(() => {
    let n = 0;
    return api.subscribe((e) => {
      if (e.type !== 'notification') return;
      const key = ++n;
      setItems((xs) => [...xs.slice(-3), { ...e, key }]);
      setTimeout(() => setItems((xs) => xs.filter((x) => x.key !== key)), 8000);
    });
  }, [api]);
  return (
    <div className="toasts" role="status" aria-live="polite">
      {items.map((t) => (
        <div key={t.key} className={`toast toast-${t.level}`}>
          <strong>{t.title}</strong>
          <div>{t.body}</div>
          <button className="link" aria-label="Dismiss" onClick={() => setItems((xs) => xs.filter((x) => x.key !== t.key))}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
