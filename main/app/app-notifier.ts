/**
 * Desktop notifications of the app, all through the rate limiter (a `key` at most once per
 * interval, an `eventId` never twice): guardrail and budget events, upload batches finishing or
 * files failing, watched folders going missing or unreadable and coming back, analyses finishing
 * or failing, restores from cold storage ending, the daily summary.
 */
import { basename } from 'node:path';
import { describeFolderProblem } from '../watch/folder-health.ts';
import type { WatchEventMap } from '../watch/watch-types.ts';
import type { GuardrailEvent } from '../instances/guardrails.ts';
import type { NotificationLimiter } from '../tray/notification-limiter.ts';
import { guardrailNotification, jobNotification, restoreNotification, type AppNotification } from '../tray/notifications.ts';
import type { UploadEvent } from '../upload/engine.ts';

export interface AppNotifier {
  /** Shows `n` when the limiter allows; returns whether it was shown. */
  send(n: AppNotification | null): boolean;
  guardrail(e: GuardrailEvent): boolean;
  analysis(id: string, name: string, ok: boolean, detail: string): boolean;
  /** A restore from cold storage the user asked for is readable (`ok`) or failed; once per request. */
  restore(r: { id: string; label: string; askedAt: number; days: number }, ok: boolean, detail: string): boolean;
  /** Feed every upload-engine event: failures at once, one "finished" per batch when the queue goes idle. */
  uploadEvent(e: UploadEvent): void;
  /** A watched folder is not watched (missing, unreadable), or is back after that; a first sighting as watching says nothing. */
  folder(e: WatchEventMap['folder']): boolean;
}

export function createAppNotifier(d: {
  limiter: NotificationLimiter;
  show: (level: 'info' | 'warning' | 'error', title: string, body: string) => void;
  now: () => number;
}): AppNotifier {
  let verified = 0;
  let verifiedBytes = 0;
  let batchStart: number | null = null;
  const send = (n: AppNotification | null): boolean => {
    if (!n || !d.limiter.allow(n.key, n.eventId)) return false;
    d.show(n.urgency === 'critical' ? 'error' : 'info', n.title, n.body);
    return true;
  };
  return {
    send,
    guardrail: (e) => send(guardrailNotification(e, d.now())),
    analysis: (id, name, ok, detail) => send(jobNotification('analysis', id, name, ok, detail)),
    restore: (r, ok, detail) => send(restoreNotification(r, ok, detail)),
    folder(e) {
      if (e.state === 'watching' && e.previous === null) return false;
      const name = basename(e.root);
      return send(
        e.state === 'watching'
          ? {
              key: `folder:${e.root}:back`,
              eventId: `folder:${e.root}:back:${e.since}`,
              title: `Watching ${name} again`,
              body: `${e.root} is back; files written while it was away are being uploaded.`,
              urgency: 'normal',
            }
          : {
              key: `folder:${e.root}:${e.state}`,
              eventId: `folder:${e.root}:${e.state}:${e.since}`,
              title: `Not watching ${name}`,
              body: `${e.root} is ${describeFolderProblem(e)}. It is watched again as soon as it is back.`,
              urgency: 'critical',
            },
      );
    },
    uploadEvent(e) {
      if (e.type === 'item' && e.item.state === 'verified') {
        batchStart ??= d.now();
        verified++;
        verifiedBytes += e.item.size;
      } else if (e.type === 'item' && e.item.state === 'failed') {
        // a shared key: a burst of failing files gives one notification per interval
        const n = jobNotification(
          'upload',
          e.item.id,
          basename(e.item.path),
          false,
          `${e.item.error?.message ?? 'failed'} Retry it in Acquisition once fixed.`,
        );
        send({ ...n, key: 'upload:failed' });
      } else if (e.type === 'disk') {
        const at = d.now();
        send(
          e.full
            ? {
                key: 'upload:disk',
                eventId: `disk-full:${at}`,
                title: 'Uploads wait: the disk is full',
                body: `${e.message ?? 'The disk holding the upload queue is full.'} The acquisition files are safe where they are; uploads resume by themselves once space is free.`,
                urgency: 'critical',
              }
            : {
                key: 'upload:disk-ok',
                eventId: `disk-ok:${at}`,
                title: 'Uploads resumed',
                body: 'There is space on the disk again: the queue goes on where it stopped.',
                urgency: 'normal',
              },
        );
      } else if (e.type === 'idle' && verified > 0) {
        const label = `${verified} file${verified === 1 ? '' : 's'}`;
        send(jobNotification('upload', `batch-${batchStart}`, label, true, `${(verifiedBytes / 1e9).toFixed(2)} GB uploaded and verified.`));
        verified = 0;
        verifiedBytes = 0;
        batchStart = null;
      }
    },
  };
}
