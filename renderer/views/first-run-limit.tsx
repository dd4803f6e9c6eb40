/**
 * The first run's spending-limit question for an S3 destination: EC2 launches and analyses are
 * refused while no limit is known, so the user enters a monthly limit, says the account has an
 * AWS Budget, or decides later knowing launches are refused until then. No choice is made for
 * them.
 */

export type LimitChoice = 'limit' | 'aws-budget' | 'later';

/** What to save for a choice: the limit in USD, null for none, or a problem to show. */
export function limitFromChoice(choice: LimitChoice | null, text: string): { ok: true; monthlyLimitUsd: number | null } | { ok: false; message: string } {
  if (choice === null) return { ok: false, message: 'choose a monthly limit, an AWS Budget, or to decide later' };
  if (choice !== 'limit') return { ok: true, monthlyLimitUsd: null };
  const t = text.trim().replace(/,/g, '');
  const n = Number(t);
  if (t === '' || !Number.isFinite(n) || n < 0 || n > 10_000_000) return { ok: false, message: 'an amount in US dollars from 0 to 10,000,000' };
  return { ok: true, monthlyLimitUsd: n };
}

const OPTIONS: { id: LimitChoice; label: string; hint: string }[] = [
  {
    id: 'aws-budget',
    label: 'The account has an AWS Budget',
    hint: "Launches are checked against the account's monthly cost budget in AWS Budgets. If none can be found or read, they are refused until a limit is set.",
  },
  {
    id: 'later',
    label: 'Decide later',
    hint: 'Launches and EC2 analyses will be refused until a limit is set (Settings, Budget and instances). Uploads and analyses on this computer are not affected.',
  },
];

export function LimitQuestion({
  choice,
  setChoice,
  text,
  setText,
  problem,
}: {
  choice: LimitChoice | null;
  setChoice: (c: LimitChoice) => void;
  text: string;
  setText: (t: string) => void;
  problem: string | undefined;
}) {
  return (
    <fieldset className="choice compact" style={{ marginTop: 18 }} aria-describedby="fr-limit-msg">
      <legend>Monthly spending limit</legend>
      <p className="muted small">ScopeCloud refuses EC2 launches and analyses that would take the month past a limit, and all of them while there is none.</p>
      <label className={`choice-item ${choice === 'limit' ? 'selected' : ''}`}>
        <input type="radio" name="limit-choice" value="limit" checked={choice === 'limit'} onChange={() => setChoice('limit')} />
        <span>
          <strong>Set a monthly limit</strong>
          <br />
          <span className="with-suffix">
            <input
              id="fr-monthlyLimit"
              aria-label="Monthly limit (USD)"
              inputMode="decimal"
              placeholder="500"
              value={text}
              onChange={(e) => {
                setText(e.target.value);
                setChoice('limit');
              }}
              aria-invalid={problem && choice === 'limit' ? true : undefined}
            />
            <span className="muted">USD per month</span>
          </span>
        </span>
      </label>
      {OPTIONS.map((o) => (
        <label key={o.id} className={`choice-item ${choice === o.id ? 'selected' : ''}`}>
          <input type="radio" name="limit-choice" value={o.id} checked={choice === o.id} onChange={() => setChoice(o.id)} />
          <span>
            <strong>{o.label}</strong>
            <br />
            <span className="muted small">{o.hint}</span>
          </span>
        </label>
      ))}
      <div id="fr-limit-msg" className={problem ? 'field-msg bad' : 'field-msg'}>
        {problem ?? ''}
      </div>
    </fieldset>
  );
}
