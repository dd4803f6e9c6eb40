/**
 * A dialog that asks for consent before something billed or lasting is done: an explanation, an
 * "I agree" box, Cancel and the action. The action stays disabled until the box is ticked and
 * `ready` holds (e.g. a choice made in the explanation).
 */
import { useState, type ReactNode } from 'react';
import { Dialog } from './bits.tsx';

export function ConsentDialog({
  title,
  children,
  agreement,
  action,
  ready = true,
  onConfirm,
  onCancel,
}: {
  title: string;
  /** The explanation (and any choice) above the agreement. */
  children: ReactNode;
  /** What the box agrees to, after "I agree to ". */
  agreement: ReactNode;
  /** The action button's words. */
  action: string;
  ready?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}) {
  const [agreed, setAgreed] = useState(false);
  return (
    <Dialog open title={title} onClose={onCancel}>
      <div className="explain consent">
        {children}
        <label className="check">
          <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} /> I agree to {agreement}
        </label>
      </div>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={!agreed || !ready} onClick={onConfirm}>
          {action}
        </button>
      </div>
    </Dialog>
  );
}
