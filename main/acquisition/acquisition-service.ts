/**
 * Acquisition: the watcher decides when bytes are final, the upload engine moves them, the
 * session tracker writes `manifest.json` when an acquisition folder closes.
 *
 * Contract:
 * - every included file under a watched folder is offered to the engine as it grows (parts whose
 *   bytes are final go early) and completed when the watcher says the writer closed it;
 * - keys are `<watched folder name>/<path inside it>` under the target prefix;
 * - a closed session's manifest goes beside its files as `<session>/manifest.json` (a reopened
 *   session's later manifest becomes a new version, never an overwrite, naming what changed); a
 *   session whose files did not change since its last manifest gets none, after a restart too,
 *   and its unchanged files are not read again (session-manifests.ts);
 * - the process holds the queue lock for its lifetime and publishes a status snapshot;
 * - a watched folder that is missing or unreadable is logged with its reason when found so and
 *   when it is back; then uploads that failed because its files could not be read while it was
 *   away (FileDeleted, FileUnreadable) are retried if the file is there again. Files already
 *   verified are not sent again (the engine compares size, mtime and, if needed, the checksum).
 * - a session folder whose files are all verified as they are is recorded as archived
 *   (archived-sessions.ts, in `<stagingDir>/archived-sessions.jsonl`); the watcher does not list it
 *   at the next start while it is unchanged, so a restart costs a stat per archived session, not
 *   per file; its recorded files are confirmed unchanged by stat in the background.
 */
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '../config/schema.ts';
import { createUploadEngine, type UploadEngine, type UploadEngineOptions } from '../upload/engine.ts';
import { FolderWatcher } from '../watch/folder-watcher.ts';
import { describeFolderProblem } from '../watch/folder-health.ts';
import type { WatchDeps, WatchEventMap } from '../watch/watch-types.ts';
import { SessionTracker, type SessionInfo } from '../session/session-tracker.ts';
import type { Manifest, ManifestChanges, RecordedBy } from '../session/manifest.ts';
import { ManifestHistory } from '../session/manifest-history.ts';
import { acquireQueueLock, type QueueLock } from './queue-lock.ts';
import { engineOptionsFromSettings } from './engine-options.ts';
import { acquisitionRate, RATE_WINDOW_DAYS } from './acquisition-rate.ts';
import { keyFor, rootLabels } from './object-keys.ts';
import { writeSnapshot, type AcquisitionSnapshot } from './status-file.ts';
import { SessionManifests } from './session-manifests.ts';
import { ArchivedSessions } from './archived-sessions.ts';
import { createPathFilter } from '../watch/patterns.ts';
import { HOUR_MS, backgroundTimers, systemClock, type Clock, type Intervals } from '../common/time.ts';

export interface AcquisitionOptions {
  settings: Settings;
  /** Journal + lock + status snapshot live here. */
  queueDir: string;
  /** Where manifests are staged before upload. */
  stagingDir: string;
  /** Required when the target is S3 (construct with maxAttempts: 1). */
  s3?: S3Client;
  /** Watch the configured folders (false for one-shot `upload`). */
  watch: boolean;
  /** Session idle time before a folder without marker closes (ms). */
  sessionIdleMs?: number;
  watchDeps?: WatchDeps;
  engine?: Partial<UploadEngineOptions>;
  /** Status snapshot period; 0 disables. */
  snapshotMs?: number;
  /** Who records, on which workstation: written into each session manifest. */
  recordedBy?: RecordedBy;
  /** Default: the system clock and background timers (common/time.ts). */
  clock?: Clock;
  timers?: Intervals;
  log?: (line: string) => void;
}

/** How a caller starts the acquisition; the composition root supplies the queue, staging and S3 client. */
export type AcquisitionStart = Omit<AcquisitionOptions, 'queueDir' | 'stagingDir' | 's3' | 'settings'> & { settings?: Settings };

export interface Acquisition {
  engine: UploadEngine;
  watcher?: FolderWatcher;
  sessions?: SessionTracker;
  snapshot(): AcquisitionSnapshot;
  stop(): Promise<void>;
}

export function engineTarget(settings: Settings, s3?: S3Client): UploadEngineOptions['target'] {
  const t = settings.target;
  if (t.kind === 'local') return { kind: 'folder', root: t.path };
  if (!s3) throw new Error('an S3 client is needed for an S3 target');
  return { kind: 's3', client: s3, bucket: t.bucket, prefix: t.prefix };
}

export function describeTarget(settings: Settings): string {
  const t = settings.target;
  return t.kind === 'local' ? `local archive ${t.path}` : `s3://${t.bucket}/${t.prefix}`;
}

/** Failures caused by a file that could not be read (its folder away); worth a retry once it is back. */
const SOURCE_AWAY = new Set(['FileDeleted', 'FileUnreadable']);

function retryFilesOf(engine: UploadEngine, folder: WatchEventMap['folder'], onError: (e: unknown) => void): void {
  for (const item of engine.list({ state: 'failed' })) {
    if (!item.path.startsWith(folder.root + sep) || !SOURCE_AWAY.has(item.error?.code ?? '')) continue;
    stat(item.path)
      .then(
        (st) => (st.isFile() ? engine.retry(item.id) : undefined),
        () => undefined,
      )
      .catch(onError);
  }
}

function describeChanges(c: ManifestChanges): string {
  return (['added', 'changed', 'removed'] as const)
    .filter((k) => c[k].length > 0)
    .map((k) => `${c[k].length} ${k}`)
    .join(', ');
}

export async function startAcquisition(o: AcquisitionOptions): Promise<Acquisition> {
  const log = o.log ?? (() => {});
  const lock: QueueLock = await acquireQueueLock(o.queueDir);
  let engine: UploadEngine | undefined;
  let watcher: FolderWatcher | undefined;
  let sessions: SessionTracker | undefined;
  let archived: ArchivedSessions | undefined;
  let unsubscribeArchived: (() => void) | undefined;
  const clock = o.clock ?? systemClock;
  const timers = o.timers ?? backgroundTimers;
  let timer: unknown;
  let freeTimer: unknown;
  try {
    if (o.settings.target.kind === 'local') await mkdir(o.settings.target.path, { recursive: true });
    engine = createUploadEngine({
      target: engineTarget(o.settings, o.s3),
      stateDir: o.queueDir,
      ...engineOptionsFromSettings(o.settings.upload),
      ...o.engine,
    });
    await engine.start();
    const eng = engine;

    if (o.watch) {
      const roots = o.settings.watch.folders;
      if (roots.length === 0) throw new Error('no folders to watch: set watch.folders (scopecloud config set watch.folders /path/a,/path/b)');
      const labels = rootLabels(roots);
      const key = (root: string, path: string) => keyFor(labels.get(root) ?? 'root', root, path);
      await mkdir(o.stagingDir, { recursive: true });
      const history = new ManifestHistory(join(o.stagingDir, 'sessions'));
      const archive = (archived = await ArchivedSessions.open({
        path: join(o.stagingDir, 'archived-sessions.jsonl'),
        roots: roots.map((root) => resolve(root)),
        filter: createPathFilter({ include: o.settings.watch.include, exclude: o.settings.watch.exclude, markerNames: [o.settings.watch.markerFile] }),
        last: (dir) => history.last(dir),
        verifiedAs: (path, size, mtimeMs) => eng.verifiedAs(path, size, mtimeMs),
        clock,
        onError: (e) => log(`archived sessions: ${e.message}`),
      }));
      unsubscribeArchived = eng.subscribe((ev) => {
        if (ev.type === 'item' && ev.item.state === 'verified') archive.verified(ev.item.path);
      });
      watcher = new FolderWatcher(
        {
          roots,
          include: o.settings.watch.include,
          exclude: o.settings.watch.exclude,
          markerNames: [o.settings.watch.markerFile],
          mode: o.settings.watch.polling ? 'polling' : 'events',
          stableMs: o.settings.watch.stableMs,
          pollIntervalMs: o.settings.watch.pollIntervalMs,
          reconcileIntervalMs: o.settings.watch.reconcileIntervalMs,
        },
        { archived: archive, ...o.watchDeps },
      );
      const report = (what: string) => (e: unknown) => log(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      // Offers for one path are applied in the order the watcher reported them.
      const chains = new Map<string, Promise<unknown>>();
      const inOrder = (path: string, step: () => Promise<unknown>) => {
        const next = (chains.get(path) ?? Promise.resolve()).then(step).catch(report(path));
        chains.set(path, next);
        void next.then(() => {
          if (chains.get(path) === next) chains.delete(path);
        });
      };
      watcher.on('growing', (f) => inOrder(f.path, () => eng.offer(f.path, f.size, false, { key: key(f.root, f.path) })));
      // the watcher stat'ed a file right before reporting it complete
      watcher.on('complete', (f) => inOrder(f.path, () => eng.offer(f.path, f.size, true, { key: key(f.root, f.path), mtimeMs: f.mtimeMs })));
      watcher.on('error', (e) => log(`watch: ${e.path ? `${e.path}: ` : ''}${e.error.message}`));
      watcher.on('folder', (f) => {
        if (f.state !== 'watching') log(`watch: ${f.root} is ${describeFolderProblem(f)}; watched again once it is back`);
        else if (f.previous !== null) {
          log(`watch: ${f.root} is back; files written while it was away are being uploaded`);
          retryFilesOf(eng, f, report('retry'));
        }
      });
      const manifests = new SessionManifests({
        stagingDir: o.stagingDir,
        history,
        ...(o.recordedBy ? { recordedBy: o.recordedBy } : {}),
        queue: async (staged, manifestKey) => {
          await eng.add(staged, { key: manifestKey });
        },
      });
      sessions = new SessionTracker(watcher, {
        ...(o.sessionIdleMs !== undefined ? { idleMs: o.sessionIdleMs } : {}),
        build: manifests.build,
        onManifest: async (manifest: Manifest, session: SessionInfo) => {
          const sessionKey = key(session.root, session.dir);
          const outcome = await manifests.publish(manifest, session.dir, sessionKey);
          archive.consider(session.dir, manifest.files);
          if (outcome.kind === 'unchanged') return;
          const changed = outcome.changes ? `; changed since manifest ${outcome.changes.since}: ${describeChanges(outcome.changes)}` : '';
          log(
            `session ${sessionKey} closed (${manifest.totals.files} file${manifest.totals.files === 1 ? '' : 's'}, ${manifest.closedBy}); manifest ${outcome.generation} queued${changed}`,
          );
        },
        onError: (e, session) => log(`session ${session.dir}: ${e.message}`),
      });
      sessions.start();
      await watcher.start();
    }

    // each second: snapshots of what is in flight, failed or verified lately, not of the whole archive
    const snapshot = (): AcquisitionSnapshot => {
      const now = clock.now();
      return {
        pid: process.pid,
        writtenAt: now,
        target: describeTarget(o.settings),
        engine: eng.status(),
        ...(watcher ? { watch: watcher.status() } : {}),
        active: [...eng.list({ state: 'uploading' }), ...eng.list({ state: 'growing' })],
        failed: eng.list({ state: 'failed' }),
        recent: eng.list({ state: 'verified', newest: 20 }),
        rate: acquisitionRate(eng.verifiedSince(now - RATE_WINDOW_DAYS * 86_400_000), now),
      };
    };
    const snapshotMs = o.snapshotMs ?? 1000;
    if (snapshotMs > 0) {
      const publish = () => writeSnapshot(o.queueDir, snapshot()).catch(() => {});
      timer = timers.setInterval(publish, snapshotMs);
      await publish();
    }
    if (o.settings.upload.freeSpaceAfterDays !== null) {
      freeTimer = timers.setInterval(() => {
        eng.freeSpace().catch(report('free space'));
      }, HOUR_MS);
    }
    function report(what: string) {
      return (e: unknown) => log(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }

    return {
      engine: eng,
      watcher,
      sessions,
      snapshot,
      async stop() {
        if (timer) timers.clearInterval(timer);
        if (freeTimer) timers.clearInterval(freeTimer);
        await sessions?.stop();
        await watcher?.stop();
        unsubscribeArchived?.();
        await archived?.close();
        await eng.stop();
        await lock.release();
      },
    };
  } catch (e) {
    if (timer) timers.clearInterval(timer);
    await sessions?.stop().catch(() => {});
    await watcher?.stop().catch(() => {});
    unsubscribeArchived?.();
    await archived?.close().catch(() => {});
    await engine?.stop().catch(() => {});
    await lock.release();
    throw e;
  }
}
