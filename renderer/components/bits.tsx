/** Small presentational pieces shared by the views. */
import { useEffect, useRef, type ReactNode } from 'react';
import { hasCode, type ApiError } from '../../preload/errors.ts';

export function ErrorNote({ error, action }: { error: ApiError | null; action?: ReactNode }) {
  if (!error) return null;
  return (
    <div className="note note-error" role="alert">
      <strong>{error.field ? `${error.field}: ` : ''}</strong>
      {error.message}
      {action ? <span className="note-action">{action}</span> : null}
    </div>
  );
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="muted" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function Progress({ value, max, label, tone }: { value: number; max: number; label: string; tone?: 'ok' | 'warn' | 'bad' | 'busy' }) {
  const pct = max > 0 ? Math.max(0, Math.min(100, (value / max) * 100)) : 0;
  return (
    <div
      className={`progress ${tone ? `progress-${tone}` : ''}`}
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={Math.round(pct)}
    >
      <div className="progress-fill" style={{ width: `${pct}%` }} />
    </div>
  );
}

export function Pill({ tone, children }: { tone: 'ok' | 'warn' | 'bad' | 'busy' | 'idle'; children: ReactNode }) {
  return <span className={`pill pill-${tone}`}>{children}</span>;
}

export function Stat({ label, value, hint, tone }: { label: string; value: ReactNode; hint?: ReactNode; tone?: 'ok' | 'warn' | 'bad' }) {
  return (
    <div className={`stat ${tone ? `stat-${tone}` : ''}`}>
      <div className="stat-label">{label}</div>
      <div className="stat-value">{value}</div>
      {hint ? <div className="stat-hint">{hint}</div> : null}
    </div>
  );
}

/**
 * A modal <dialog>: focus is trapped by the browser, Escape cancels. `className` adds layout
 * variants: `dialog-scroll` (a form whose `.dialog-body` scrolls while its `.dialog-foot` stays in view)
 * and `dialog-wide`.
 */
export function Dialog({
  open,
  title,
  onClose,
  children,
  labelledBy,
  className,
}: {
  open: boolean;
  title: string;
  onClose: () => void;
  children: ReactNode;
  labelledBy?: string;
  className?: string;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal();
    if (!open && d.open) d.close();
  }, [open]);
  const id = labelledBy ?? `dlg-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <dialog
      ref={ref}
      className={className ? `dialog ${className}` : 'dialog'}
      aria-labelledby={id}
      onClose={onClose}
      onCancel={(e) => {
        e.preventDefault();
        onClose();
      }}
    >
      {open ? (
        <>
          <h2 id={id}>{title}</h2>
          {children}
        </>
      ) : null}
    </dialog>
  );
}

/**
 * A view that could not load: a heading saying what is unavailable, the reason, and the next
 * step. AWS-only views in local mode (code NOT_CONFIGURED) point to Settings.
 */
export function ViewError({ title, what, error, retry }: { title: string; what: string; error: ApiError; retry?: () => void }) {
  const notConfigured = hasCode(error, 'NOT_CONFIGURED');
  return (
    <section className="view" aria-labelledby="view-error-title">
      <header className="view-header">
        <h1 id="view-error-title">{title}</h1>
      </header>
      <div className={`panel view-error ${notConfigured ? 'view-error-setup' : ''}`} data-error-code={error.code}>
        <h2>{notConfigured ? `${what} need an AWS account` : `${what} could not be loaded`}</h2>
        <p>{error.message}</p>
        {notConfigured ? (
          <p className="muted">
            ScopeCloud is saving to a local archive, so there are no EC2 instances or AWS costs to show. Switch the destination to Amazon S3 (profile, region
            and bucket) to see them here.
          </p>
        ) : null}
        <div className="actions left">
          {notConfigured ? (
            <a className="button primary" href="#/settings">
              Open Settings to switch to S3
            </a>
          ) : null}
          {retry ? <button onClick={retry}>Try again</button> : null}
        </div>
      </div>
    </section>
  );
}
