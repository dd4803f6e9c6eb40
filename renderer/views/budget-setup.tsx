/**
 * Budget > Set up AWS Budgets: for a lab manager who has never opened the Billing console. The
 * form says what the lab wants; "Check" shows what exists, what is missing and what each part
 * costs (Budgets' own charges); creating asks for consent to exactly that plan; removing deletes
 * only what ScopeCloud created. Nothing is sent to AWS but reads before a confirm.
 */
import { useEffect, useState } from 'react';
import type { BudgetSetupPlan, BudgetSetupRequest } from '../../preload/api.ts';
import { ErrorNote, Pill } from '../components/bits.tsx';
import { formatMoney } from '../format.ts';
import { useAction, useApi } from '../hooks.ts';

const list = (v: string) =>
  v
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);

const STATE_TONE = { present: 'ok', missing: 'warn', changed: 'busy' } as const;

export function BudgetSetupPanel() {
  const api = useApi();
  const [lab, setLab] = useState('lab');
  const [monthly, setMonthly] = useState('');
  const [emails, setEmails] = useState('');
  const [perPerson, setPerPerson] = useState(false);
  const [owners, setOwners] = useState('');
  const [personMonthly, setPersonMonthly] = useState('');
  const [block, setBlock] = useState(false);
  const [mode, setMode] = useState<'approval' | 'automatic'>('approval');
  const [users, setUsers] = useState('');
  const [roles, setRoles] = useState('');
  const [plan, setPlan] = useState<BudgetSetupPlan | null>(null);
  const [asking, setAsking] = useState<'create' | 'remove' | null>(null);
  const [agreed, setAgreed] = useState(false);
  const [outcome, setOutcome] = useState<string[] | null>(null);
  const check = useAction();
  const act = useAction();

  useEffect(() => {
    void api.getSettings().then((s) => setMonthly((m) => (m === '' && s.budget.monthlyLimitUsd !== null ? String(s.budget.monthlyLimitUsd) : m)));
  }, [api]);
  useEffect(() => {
    if (!perPerson || owners !== '') return;
    void api
      .getBudgetSetupOwners()
      .then((o) => setOwners((cur) => (cur === '' ? o.owners.join(', ') : cur)))
      .catch(() => undefined);
  }, [api, perPerson, owners]);

  const request = (): BudgetSetupRequest => ({
    lab: lab.trim(),
    monthlyUsd: Number(monthly),
    emails: list(emails),
    perPerson: perPerson ? { owners: list(owners), monthlyUsd: Number(personMonthly || monthly) } : null,
    action: block ? { mode, users: list(users), roles: list(roles) } : null,
  });
  // A plan answers one request: any change to the form asks for a new check.
  const edited =
    <T,>(set: (v: T) => void) =>
    (v: T) => {
      set(v);
      setPlan(null);
      setAsking(null);
      setAgreed(false);
    };
  const steps = plan ? plan.parts.filter((p) => p.state !== 'present') : [];
  const money = (v: number) => formatMoney(v, 'USD');

  return (
    <div className="panel" aria-labelledby="budget-setup-title" data-testid="budget-setup">
      <h2 id="budget-setup-title">Set up AWS Budgets</h2>
      <p className="small">
        AWS Budgets is AWS&rsquo;s own spending watch. It e-mails you as the lab&rsquo;s spend nears its monthly limit and, if you choose, stops anyone from
        starting new instances once the limit is reached, also from the AWS console or any other tool, not only from ScopeCloud. ScopeCloud can set it up for
        you; nothing is created until you confirm.
      </p>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          setOutcome(null);
          void check.run(() => api.planBudgetSetup(request())).then((p) => p && setPlan(p));
        }}
      >
        <div className="form-row">
          <div className="field">
            <label htmlFor="bs-lab">Lab name</label>
            <input id="bs-lab" value={lab} onChange={(e) => edited(setLab)(e.target.value)} spellCheck={false} />
          </div>
          <div className="field">
            <label htmlFor="bs-monthly">Monthly limit (USD)</label>
            <input id="bs-monthly" inputMode="decimal" value={monthly} onChange={(e) => edited(setMonthly)(e.target.value)} />
          </div>
          <div className="field grow">
            <label htmlFor="bs-emails">E-mail alerts to</label>
            <input
              id="bs-emails"
              value={emails}
              onChange={(e) => edited(setEmails)(e.target.value)}
              placeholder="pi@lab.org, manager@lab.org"
              spellCheck={false}
            />
          </div>
        </div>
        <p className="small muted">Alerts at 50%, 80% and 100% of the limit, and when AWS forecasts the month will end above it.</p>
        <p>
          <label className="check">
            <input type="checkbox" checked={perPerson} onChange={(e) => edited(setPerPerson)(e.target.checked)} />
            Also one budget per person (from the owner tag ScopeCloud puts on what it launches)
          </label>
        </p>
        {perPerson ? (
          <div className="form-row">
            <div className="field grow">
              <label htmlFor="bs-owners">People</label>
              <input id="bs-owners" value={owners} onChange={(e) => edited(setOwners)(e.target.value)} placeholder="alice, bob" spellCheck={false} />
            </div>
            <div className="field">
              <label htmlFor="bs-person-monthly">Limit per person (USD)</label>
              <input
                id="bs-person-monthly"
                inputMode="decimal"
                value={personMonthly}
                onChange={(e) => edited(setPersonMonthly)(e.target.value)}
                placeholder={monthly}
              />
            </div>
          </div>
        ) : null}
        <p>
          <label className="check">
            <input type="checkbox" checked={block} onChange={(e) => edited(setBlock)(e.target.checked)} />
            Block new EC2 starts when the lab reaches 100% of its limit
          </label>
        </p>
        {block ? (
          <div className="form-row">
            <div className="field">
              <label htmlFor="bs-mode">When the limit is reached</label>
              <select id="bs-mode" value={mode} onChange={(e) => edited(setMode)(e.target.value as 'approval' | 'automatic')}>
                <option value="approval">Ask me first (e-mail, then approve)</option>
                <option value="automatic">Block at once, automatically</option>
              </select>
            </div>
            <div className="field grow">
              <label htmlFor="bs-users">IAM users the lab works as</label>
              <input id="bs-users" value={users} onChange={(e) => edited(setUsers)(e.target.value)} placeholder="alice, bob" spellCheck={false} />
            </div>
            <div className="field">
              <label htmlFor="bs-roles">or IAM roles</label>
              <input id="bs-roles" value={roles} onChange={(e) => edited(setRoles)(e.target.value)} placeholder="LabRole" spellCheck={false} />
            </div>
          </div>
        ) : null}
        <div className="form-row" style={{ marginTop: 12 }}>
          <button type="submit" disabled={check.busy}>
            {check.busy ? 'Checking…' : 'Check what exists'}
          </button>
          <button type="button" onClick={() => setAsking('remove')} disabled={act.busy}>
            Remove what ScopeCloud created…
          </button>
        </div>
      </form>
      <ErrorNote error={check.error} />

      {plan ? (
        <>
          <table className="table" aria-label="Budget set-up parts" data-testid="budget-setup-parts">
            <thead>
              <tr>
                <th scope="col">Part</th>
                <th scope="col">State</th>
                <th scope="col" className="num">
                  Cost a month
                </th>
              </tr>
            </thead>
            <tbody>
              {plan.parts.map((p) => (
                <tr key={p.key} data-part={p.key} data-state={p.state}>
                  <td>
                    <div>{p.label}</div>
                    {p.state !== 'present' ? <div className="muted small">{p.explanation}</div> : null}
                  </td>
                  <td>
                    <Pill tone={STATE_TONE[p.state]}>{p.state === 'present' ? 'exists' : p.state}</Pill>
                  </td>
                  <td className="num">{money(p.monthlyCostUsd)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p data-testid="budget-setup-total">
            <strong>
              {steps.length === 0 ? 'Everything is in place.' : `${steps.length} of ${plan.parts.length} parts missing or to change.`} AWS Budgets&rsquo; own
              charge for this set-up: {money(plan.monthlyCostUsd)} a month.
            </strong>
          </p>
          {plan.notes.map((n, i) => (
            <p key={i} className="small muted">
              {n}
            </p>
          ))}
          {steps.length > 0 && asking !== 'create' ? <button onClick={() => setAsking('create')}>Create the missing parts…</button> : null}
        </>
      ) : null}

      {plan && asking === 'create' ? (
        <div role="group" aria-label="Confirm the budget set-up" className="note note-warn" data-testid="budget-setup-consent">
          <div>
            <strong>
              ScopeCloud will create or change these {steps.length} parts in your AWS account ({money(plan.monthlyCostUsd)} a month):
            </strong>
            <ul>
              {steps.map((s) => (
                <li key={s.key}>
                  {s.label}: <span className="muted">{s.explanation}</span>
                </li>
              ))}
            </ul>
            <label className="check">
              <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} />I have read this and want ScopeCloud to create them
            </label>{' '}
            <button
              disabled={!agreed || act.busy}
              onClick={() =>
                void act
                  .run(() => api.applyBudgetSetup({ request: request(), consent: true }))
                  .then((r) => {
                    if (!r) return;
                    setPlan(r.plan);
                    setOutcome([...r.done, ...r.notes]);
                    setAsking(null);
                    setAgreed(false);
                  })
              }
            >
              {act.busy ? 'Creating…' : 'Create'}
            </button>{' '}
            <button onClick={() => setAsking(null)}>Cancel</button>
          </div>
        </div>
      ) : null}

      {asking === 'remove' ? (
        <div role="group" aria-label="Confirm removing the budget set-up" className="note note-warn">
          <div>
            <strong>Remove the budgets, alerts, block action, IAM policy and role ScopeCloud created for lab &ldquo;{lab}&rdquo;?</strong>
            <p className="small">Anyone the block action stopped can start instances again. Nothing else in the AWS account is touched.</p>
            <button
              disabled={act.busy}
              onClick={() =>
                void act
                  .run(() => api.removeBudgetSetup({ lab: lab.trim(), consent: true }))
                  .then((r) => {
                    if (!r) return;
                    setOutcome(r.removed.length ? r.removed : [`Nothing of lab "${lab}" to remove.`]);
                    setPlan(null);
                    setAsking(null);
                  })
              }
            >
              {act.busy ? 'Removing…' : 'Remove'}
            </button>{' '}
            <button onClick={() => setAsking(null)}>Cancel</button>
          </div>
        </div>
      ) : null}
      <ErrorNote error={act.error} />
      {outcome ? (
        <ul className="small" data-testid="budget-setup-outcome" role="status">
          {outcome.map((o, i) => (
            <li key={i}>{o}</li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
