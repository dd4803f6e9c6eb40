/**
 * Restoring files from cold storage (GLACIER, DEEP_ARCHIVE): the consent dialog (objects, bytes,
 * each tier's cost and wait, the days the copies stay readable; one tier chosen and agreed to)
 * used before an analysis launch and for archived results, and the line an analysis card shows
 * while S3 restores.
 */
import { useState } from 'react';
import type { Analysis, AnalysisRestoreOffer, RestoreTierName } from '../../preload/api.ts';
import { ConsentDialog } from '../components/consent-dialog.tsx';
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

/** What is restored and what happens once it is back, in the dialog's words. */
export interface RestoreWording {
  title: string;
  /** "of this session", "of these results". */
  whose: string;
  /** Who reads the files once restored: "an instance", "ScopeCloud". */
  reader: string;
  /** The closing sentence: what starts (or is announced) once the files are back. */
  after: string;
  action: string;
}

export const LAUNCH_RESTORE: RestoreWording = {
  title: 'Restore the recording from cold storage?',
  whose: 'of this session',
  reader: 'an instance',
  after: 'Nothing is launched or billed for EC2 while S3 restores; the analysis starts by itself when the files are back, even after ScopeCloud restarts.',
  action: 'Restore and start analysis',
};

export function RestoreConsent({
  offer,
  wording = LAUNCH_RESTORE,
  onAgree,
  onCancel,
}: {
  offer: AnalysisRestoreOffer;
  wording?: RestoreWording;
  onAgree: (tier: RestoreTierName) => void;
  onCancel: () => void;
}) {
  const [tier, setTier] = useState<RestoreTierName | null>(null);
  const chosen = offer.tiers.find((t) => t.tier === tier) ?? null;
  const them = offer.objects === 1 ? 'it' : 'them';
  return (
    <ConsentDialog
      title={wording.title}
      agreement={<>pay for this restore{chosen ? ` (${chosen.tier}, ${usd(chosen.usd)})` : ''}</>}
      action={wording.action}
      ready={chosen !== null}
      onCancel={onCancel}
      onConfirm={() => chosen && onAgree(chosen.tier)}
    >
      <p>
        {count(offer.objects, 'file')} {wording.whose} ({formatBytes(offer.bytes)}) moved to a cold storage class. S3 must restore {them} before{' '}
        {wording.reader} can read {them}: the restore is billed and takes time. Choose how fast:
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
      <p className="muted small" data-testid="restore-days">
        Once restored, the copies are readable for {count(offer.days, 'day')}
        {offer.restoredCopyUsd !== null ? <>, billed as S3 Standard ({approx(offer.restoredCopyUsd)})</> : ', billed as S3 Standard'}; the files themselves stay
        in cold storage.
        {offer.ongoing > 0
          ? ` ${count(offer.ongoing, 'file')} already being restored ${offer.ongoing === 1 ? 'is' : 'are'} waited for, not billed again.`
          : ''}{' '}
        {wording.after}
      </p>
    </ConsentDialog>
  );
}
