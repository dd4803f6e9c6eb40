/**
 * The refusal of a launch when no spending limit is known (code NO_SPEND_LIMIT): main's message,
 * which says how to set one, and the way to the Settings field. No override is offered: an
 * override goes past a limit, and there is none.
 */
import type { ReactNode } from 'react';

/** Settings with the Monthly limit field focused (settings-rules.tsx `BudgetRules`). */
export const MONTHLY_LIMIT_HREF = '#/settings/monthly-limit';

export function NoSpendLimitNote({ message, lead }: { message: string; lead?: ReactNode }) {
  return (
    <div className="note note-error" role="alert" data-testid="no-spend-limit">
      {lead}
      {withCode(message)}
      <div className="actions left">
        <a className="button primary" href={MONTHLY_LIMIT_HREF}>
          Set a monthly limit in Settings
        </a>
      </div>
    </div>
  );
}

/** `a `b` c` with the backquoted parts as code; the message as a sentence (capitalised, full stop). */
function withCode(message: string): ReactNode[] {
  const m = message.trim();
  const text = m && `${m[0].toUpperCase()}${m.slice(1)}${/[.!?]$/.test(m) ? '' : '.'}`;
  return text.split('`').map((part, i) => (i % 2 === 1 ? <code key={i}>{part}</code> : part));
}
