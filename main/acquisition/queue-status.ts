/**
 * The upload queue at a glance for `scopecloud status`: live from the status snapshot a running
 * watch/serve process publishes, otherwise read from the queue journal (under the queue lock, so
 * never beside a running queue) with each watched folder checked now.
 */
import type { Settings } from '../config/schema.ts';
import type { UploadItem } from '../upload/item.ts';
import { UploadJournal } from '../upload/journal.ts';
import { checkFolder } from '../watch/folder-health.ts';
import type { FolderState } from '../watch/watch-types.ts';
import { describeTarget } from './acquisition-service.ts';
import { acquisitionRate, type AcquisitionRate } from './acquisition-rate.ts';
import { acquireQueueLock } from './queue-lock.ts';
import { readLiveSnapshot } from './status-file.ts';

export interface QueueStatus {
  live: boolean;
  pid?: number;
  target: string;
  counts: Record<UploadItem['state'], number>;
  bytesRemaining: number;
  throughput?: number;
  etaSeconds?: number;
  paused?: boolean;
  circuit?: { state: string; message?: string };
  failed: Array<{ path: string; key: string; error?: string }>;
  /** Watched folders; `since` is epoch ms, null when nothing watches them. */
  folders: Array<{ path: string; state: FolderState; reason: string | null; since: number | null }>;
  /** Verified bytes per day lately (the storage bill's projection); absent from an older live snapshot. */
  rate?: AcquisitionRate;
}

export async function readQueueStatus(queueDir: string, settings: Settings, now: number = Date.now()): Promise<QueueStatus> {
  const live = await readLiveSnapshot(queueDir);
  if (live) {
    return {
      live: true,
      pid: live.pid,
      target: live.target,
      counts: live.engine.counts,
      bytesRemaining: live.engine.bytesRemaining,
      throughput: live.engine.throughput,
      ...(live.engine.etaSeconds !== undefined ? { etaSeconds: live.engine.etaSeconds } : {}),
      paused: live.engine.paused,
      circuit: live.engine.circuit,
      failed: live.failed.map((f) => ({ path: f.path, key: f.key, ...(f.error ? { error: f.error.message } : {}) })),
      folders: (live.watch?.roots ?? []).map((r) => ({ path: r.root, state: r.state, reason: r.reason, since: r.since })),
      ...(live.rate ? { rate: live.rate } : {}),
    };
  }
  const lock = await acquireQueueLock(queueDir);
  try {
    const journal = await UploadJournal.open(queueDir);
    const counts: Record<UploadItem['state'], number> = { queued: 0, growing: 0, uploading: 0, verified: 0, failed: 0 };
    let bytesRemaining = 0;
    const failed: QueueStatus['failed'] = [];
    for (const item of journal.items.values()) {
      counts[item.state]++;
      if (item.state !== 'verified' && item.state !== 'failed') bytesRemaining += item.size;
      if (item.state === 'failed') failed.push({ path: item.path, key: item.baseKey, ...(item.error ? { error: item.error.message } : {}) });
    }
    const rate = acquisitionRate(journal.items.values(), now);
    await journal.close();
    const folders: QueueStatus['folders'] = [];
    for (const path of settings.watch.folders) {
      const check = await checkFolder(path);
      folders.push({ path, state: check.state === 'ok' ? 'stopped' : check.state, reason: check.reason, since: null });
    }
    return { live: false, target: describeTarget(settings), counts, bytesRemaining, failed, folders, rate };
  } finally {
    await lock.release();
  }
}
