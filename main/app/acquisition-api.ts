/**
 * Runs the acquisition (watcher → upload engine → session manifests) for the app and answers
 * the Acquisition view. One acquisition runs at a time, started from the current settings;
 * changing the watched folders or the destination stops it and starts it again (the queue is a
 * journal, so in-flight uploads resume). Pause and the bandwidth limit survive a restart.
 *
 * When the acquisition cannot start (most often another scopecloud process holds the upload
 * queue) the view's reads fail with that error, and starting is retried on the next read.
 *
 * A watched folder that goes missing or unreadable (or comes back) changes the view and the
 * status at once and is announced through `onFolderEvent` (a notification by default).
 */
import { basename } from 'node:path';
import type { Acquisition as AcquisitionView, SessionInfo } from '../../preload/api.ts';
import type { Settings } from '../config/schema.ts';
import type { Acquisition, AcquisitionStart } from '../acquisition/acquisition-service.ts';
import type { ItemSnapshot, UploadEvent } from '../upload/engine.ts';
import type { WatchEventMap } from '../watch/watch-types.ts';
import { describeFolderProblem } from '../watch/folder-health.ts';
import type { EventHub } from './events.ts';
import { ChangeClock, folderRows, isStagedManifest, rootOf, sessionsFrom, targetLabel, toFileItem, totalsOf } from './acquisition-mapping.ts';

export interface AcquisitionDeps {
  settings: () => Settings;
  /** Starts the acquisition for these settings (the composition root's, which knows the queue and the S3 client). */
  start: (o: AcquisitionStart) => Promise<Acquisition>;
  /** Where manifests are staged (their queue items are not shown as files). */
  stagingDir: string;
  hub: EventHub;
  now?: () => number;
  log?: (line: string) => void;
  /** Throughput sampling period (default 1000 ms; 0 disables the timer). */
  sampleMs?: number;
  /** Session idle close time passed to the tracker. */
  sessionIdleMs?: number;
  /** Minimum time between two failed-upload notifications. */
  notifyGapMs?: number;
  /** Every upload-engine event (the app's rate-limited notifier); replaces the built-in failure notice. */
  onUploadEvent?: (e: UploadEvent) => void;
  /** A watched folder's state was found or changed (the app's rate-limited notifier); replaces the built-in notice. */
  onFolderEvent?: (e: WatchEventMap['folder']) => void;
}

export interface UploadsSummary {
  active: number;
  queued: number;
  failed: number;
  paused: boolean;
  /** Watched folders missing or unreadable now. */
  unwatchedFolders: number;
}

export interface AcquisitionApi {
  /** Starts (or restarts) from the current settings; never throws (the error is kept for the view). */
  restart(): Promise<void>;
  view(): Promise<AcquisitionView>;
  sessions(): Promise<SessionInfo[]>;
  summary(): UploadsSummary;
  target(): string;
  pause(): Promise<void>;
  resume(): Promise<void>;
  setBandwidthLimit(bytesPerSec: number): Promise<void>;
  retry(id: string): Promise<void>;
  /** Items of the running queue (empty when it is not running). */
  items(): ItemSnapshot[];
  stop(): Promise<void>;
}

const HISTORY_MAX = 300;
const RETRY_START_MS = 5000;

export function createAcquisitionApi(d: AcquisitionDeps): AcquisitionApi {
  const now = d.now ?? Date.now;
  const log = d.log ?? (() => {});
  const start = d.start;
  let current: Acquisition | null = null;
  let startError: Error | null = null;
  let lastAttempt = 0;
  let chain: Promise<void> = Promise.resolve();
  let paused = false;
  let unsubscribe: Array<() => void> = [];
  const rootErrors = new Map<string, string>();
  const history: Array<{ t: number; bytesPerSec: number }> = [];
  const clock = new ChangeClock();
  let lastNotify = -Infinity;
  let stopped = false;

  const serial = (op: () => Promise<void>): Promise<void> => {
    const next = chain.then(op, op);
    chain = next.catch(() => undefined);
    return next;
  };

  async function stopCurrent(): Promise<void> {
    for (const off of unsubscribe.splice(0)) off();
    const acq = current;
    current = null;
    if (acq) await acq.stop().catch((e: unknown) => log(`stopping acquisition: ${(e as Error).message}`));
  }

  async function startNow(): Promise<void> {
    await stopCurrent();
    if (stopped) return;
    const settings = d.settings();
    lastAttempt = now();
    rootErrors.clear();
    try {
      const acq = await start({
        settings,
        watch: settings.watch.folders.length > 0,
        ...(d.sessionIdleMs !== undefined ? { sessionIdleMs: d.sessionIdleMs } : {}),
        log,
      });
      current = acq;
      startError = null;
      if (paused) acq.engine.pause();
      unsubscribe.push(
        acq.engine.subscribe((ev) => {
          if (d.onUploadEvent) d.onUploadEvent(ev);
          else if (ev.type === 'item' && ev.item.state === 'failed') failedUpload(ev.item);
          d.hub.changed('acquisition', 'status');
        }),
      );
      if (acq.watcher) {
        const roots = settings.watch.folders;
        unsubscribe.push(
          acq.watcher.on('error', (e) => {
            const root = e.path ? rootOf(roots, e.path) : null;
            if (root && (e.path === root || !rootErrors.has(root))) rootErrors.set(root, e.error.message.split('\n')[0]);
            d.hub.changed('acquisition');
          }),
        );
        unsubscribe.push(acq.watcher.on('scan', () => d.hub.changed('acquisition')));
        const onFolder = (e: WatchEventMap['folder']) => {
          if (e.state === 'watching') rootErrors.delete(e.root);
          if (d.onFolderEvent) d.onFolderEvent(e);
          else if (e.state !== 'watching')
            d.hub.notify('warning', `Not watching ${basename(e.root)}`, `${e.root} is ${describeFolderProblem(e)}. It is watched again as soon as it is back.`);
          d.hub.changed('acquisition', 'status');
        };
        unsubscribe.push(acq.watcher.on('folder', onFolder));
        // Folders found missing while the acquisition started, before this subscription.
        for (const r of acq.watcher.status().roots) {
          if (r.state === 'missing' || r.state === 'unreadable')
            onFolder({ root: r.root, state: r.state, reason: r.reason, since: r.since ?? now(), previous: null });
        }
      }
    } catch (e) {
      startError = e as Error;
      log(`acquisition did not start: ${startError.message}`);
    }
    d.hub.changed('acquisition', 'status');
  }

  function failedUpload(item: ItemSnapshot): void {
    const t = now();
    if (t - lastNotify < (d.notifyGapMs ?? 30_000)) return;
    lastNotify = t;
    d.hub.notify('error', 'Upload failed', `${basename(item.path)}: ${item.error?.message ?? 'failed'} Retry it in Acquisition once fixed.`);
  }

  async function running(): Promise<Acquisition> {
    await chain;
    if (!current && !stopped && now() - lastAttempt >= RETRY_START_MS) await serial(startNow);
    if (!current) throw startError ?? new Error('the acquisition is not running');
    return current;
  }

  const sample = () => {
    if (!current) return;
    const st = current.engine.status();
    const last = history.at(-1);
    history.push({ t: now(), bytesPerSec: st.throughput });
    if (history.length > HISTORY_MAX) history.shift();
    if (st.throughput > 0 || (last && last.bytesPerSec > 0)) d.hub.changed('acquisition');
  };
  const sampleMs = d.sampleMs ?? 1000;
  const timer = sampleMs > 0 ? setInterval(sample, sampleMs) : null;
  timer?.unref?.();

  function visibleItems(acq: Acquisition): ItemSnapshot[] {
    return acq.engine.list().filter((i) => !isStagedManifest(i, d.stagingDir) || i.state === 'failed');
  }

  return {
    restart: () => serial(startNow),

    async view() {
      const acq = await running();
      const settings = d.settings();
      const roots = settings.watch.folders;
      const st = acq.engine.status();
      const t = now();
      const all = acq.engine.list();
      const files = visibleItems(acq).map((i) => toFileItem(i, roots, clock.touch(i, t)));
      const sessions = sessionsFrom(all, roots, d.stagingDir, acq.sessions?.list() ?? []);
      return {
        target: targetLabel(settings.target),
        // From this module's own state: engine.status() is cached for 200 ms and could show the
        // value from before a change whose event has already gone out.
        paused,
        bandwidthLimitBytesPerSec: settings.upload.bandwidthLimit > 0 ? settings.upload.bandwidthLimit : null,
        throughputBytesPerSec: st.throughput,
        etaSeconds: st.etaSeconds ?? null,
        diskFull: st.diskFull ?? null,
        totals: totalsOf(files),
        // The live figure closes the chart, so it agrees with the throughput shown beside it.
        history: [...history.slice(-119), { t, bytesPerSec: st.throughput }],
        folders: folderRows(roots, all, acq.watcher?.status(), sessions, rootErrors),
        files: files.sort((a, b) => b.updatedAt - a.updatedAt || Number(b.id) - Number(a.id)).slice(0, 500),
      };
    },

    async sessions() {
      const acq = await running();
      return sessionsFrom(acq.engine.list(), d.settings().watch.folders, d.stagingDir, acq.sessions?.list() ?? []);
    },

    summary() {
      if (!current) return { active: 0, queued: 0, failed: 0, paused, unwatchedFolders: 0 };
      // Counted from the items, not engine.status(), whose figures are cached for 200 ms.
      const unwatchedFolders = current.watcher?.status().roots.filter((r) => r.state === 'missing' || r.state === 'unreadable').length ?? 0;
      const out = { active: 0, queued: 0, failed: 0, paused, unwatchedFolders };
      for (const i of current.engine.list()) {
        if (i.state === 'uploading' || i.state === 'growing') out.active++;
        else if (i.state === 'queued') out.queued++;
        else if (i.state === 'failed') out.failed++;
      }
      return out;
    },

    target: () => targetLabel(d.settings().target),

    async pause() {
      const acq = await running();
      paused = true;
      acq.engine.pause();
      d.hub.changed('acquisition', 'status');
    },
    async resume() {
      const acq = await running();
      paused = false;
      acq.engine.resume();
      d.hub.changed('acquisition', 'status');
    },
    async setBandwidthLimit(bytesPerSec) {
      (await running()).engine.setBandwidthLimit(bytesPerSec);
      d.hub.changed('acquisition');
    },
    async retry(id) {
      const acq = await running();
      await acq.engine.retry(id);
      d.hub.changed('acquisition', 'status');
    },

    items: () => current?.engine.list() ?? [],

    async stop() {
      stopped = true;
      if (timer) clearInterval(timer);
      await serial(stopCurrent);
    },
  };
}
