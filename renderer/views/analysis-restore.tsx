/**
 * Restoring an analysis's inputs from cold storage (GLACIER, DEEP_ARCHIVE), in the Analyses view:
 * the consent dialog before launch (objects, bytes, each tier's cost and wait; one tier chosen and
 * agreed to) and the line an analysis card shows while S3 restores.
 */
import { useState } from 'react';
import type { Analysis, AnalysisRestoreOffer, RestoreTierName } from '../../preload/api.ts';
import { Dialog } from '../components/bits.tsx';
import { count, formatBytes, formatDateTime, formatMoney } from '../format.ts';

/** "Restoring from cold storage (Standard, 3-5 hours) since 2026-12-07 16:05"; null when not restoring. */
export function restoringText(a: Pick<Analysis, 'stage' | 'restore'>): string | null {
  if (a.stage !== 'restoring' || !a.restore) return null;
  return `Restoring from cold storage (${a.restore.tier}, ${a.restore.waiting}) since ${formatDateTime(a.restore.since)}`;
}

/** A restore's price: cents, or "under $0.01" for a few small files. */
function usd(n: number): string {
  return n > 0 && n < 0.005 ? 'under $0.01' : formatMoney(n);
}

function approx(n: number): string {
  return n > 0 && n < 0.005 ? 'under $0.01' : `about ${formatMoney(n)}`;
}

export function RestoreConsent({ offer, onAgree, onCancel }: { offer: AnalysisRestoreOffer; onAgree: (tier: RestoreTierName) => void; onCancel: () => void }) {
  const [tier, setTier] = useState<RestoreTierName | null>(null);
  const [agreed, setAgreed] = useState(false);
  const chosen = offer.tiers.find((t) => t.tier === tier) ?? null;
  const them = offer.objects === 1 ? 'it' : 'them';
  return (
    <Dialog open title="Restore the recording from cold storage?" onClose={onCancel}>
      <div className="explain consent">
        <p>
          {count(offer.objects, 'file')} of this session ({formatBytes(offer.bytes)}) moved to a cold storage class. S3 must restore {them} before an instance
          can read {them}: the restore is billed and takes time. Choose how fast:
        </p>
        <fieldset className="restore-tiers">
          <legend className="sr-only">Restore tier</legend>
          {offer.tiers.map((t) => (
            <label key={t.tier} className="check" data-tier={t.tier}>
              <input type="radio" name="restore-tier" value={t.tier} checked={tier === t.tier} onChange={() => setTier(t.tier)} /> <strong>{t.tier}</strong> ·{' '}
              {usd(t.usd)} · ready in {t.waiting}
            </label>
          ))}
        </fieldset>
        <p className="muted small">
          The restored copies stay readable for {count(offer.days, 'day')}
          {offer.restoredCopyUsd !== null ? <>, billed as S3 Standard ({approx(offer.restoredCopyUsd)})</> : ', billed as S3 Standard'}; the files themselves
          stay in cold storage.
          {offer.ongoing > 0
            ? ` ${count(offer.ongoing, 'file')} already being restored ${offer.ongoing === 1 ? 'is' : 'are'} waited for, not billed again.`
            : ''}{' '}
          Nothing is launched or billed for EC2 while S3 restores; the analysis starts by itself when the files are back, even after ScopeCloud restarts.
        </p>
        <label className="check">
          <input type="checkbox" checked={agreed} onChange={(e) => setAgreed(e.target.checked)} /> I agree to pay for this restore
          {chosen ? ` (${chosen.tier}, ${usd(chosen.usd)})` : ''}
        </label>
      </div>
      <div className="actions">
        <button type="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="button" className="primary" disabled={!chosen || !agreed} onClick={() => chosen && onAgree(chosen.tier)}>
          Restore and start analysis
        </button>
      </div>
    </Dialog>
  );
}
