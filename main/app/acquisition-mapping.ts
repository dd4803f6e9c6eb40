/**
 * The Acquisition view's data from the upload engine's items, the watcher's status and the
 * session tracker. Pure functions over snapshots, so they are tested without a file system.
 *
 * Sessions follow the tracker's `subfolder` layout: each immediate subfolder of a watched folder
 * is one session, files lying directly in the watched folder form that folder's own session.
 * A session's id is the same short hash of its folder the acquisition service names its staged
 * manifest after (`<id>.g<generation>.manifest.json`), so a session counts as closed once a
 * manifest for it is queued, even across restarts.
 */
import { createHash } from 'node:crypto';
import { basename, relative, sep } from 'node:path';
import type { FileItem, FileState, SessionInfo, WatchedFolder } from '../../preload/api.ts';
import type { ItemSnapshot } from '../upload/engine.ts';
import type { WatchStatus } from '../watch/watch-types.ts';

export function isUnder(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

/** The deepest watched folder holding `path`, or null. */
export function rootOf(roots: readonly string[], path: string): string | null {
  let best: string | null = null;
  for (const r of roots) if (isUnder(r, path) && (best === null || r.length > best.length)) best = r;
  return best;
}

/** The session folder of a file under `root`: its first-level subfolder, or the root itself. */
export function sessionDirOf(root: string, path: string): string {
  const rel = relative(root, path);
  return rel.includes(sep) ? root + sep + rel.split(sep)[0] : root;
}

export function sessionId(dir: string): string {
  return createHash('sha256').update(dir).digest('hex').slice(0, 16);
}

export function fileState(item: ItemSnapshot): FileState {
  switch (item.state) {
    case 'verified':
      return 'verified';
    case 'failed':
      return 'failed';
    case 'uploading':
      return item.final && item.bytesDone >= item.size ? 'verifying' : 'uploading';
    case 'growing':
      return item.bytesDone > 0 ? 'uploading' : 'waiting';
    case 'queued':
      return 'waiting';
  }
}

/** Manifests staged by the acquisition service: internal unless they failed (then retryable). */
export function isStagedManifest(item: ItemSnapshot, stagingDir: string): boolean {
  return isUnder(stagingDir, item.path);
}

/**
 * Remembers when each item last changed (state or bytes), since the engine keeps no such time:
 * the UI lists files newest first.
 */
export class ChangeClock {
  private readonly seen = new Map<string, { sig: string; at: number }>();
  touch(item: ItemSnapshot, now: number): number {
    const sig = `${item.state}:${item.bytesDone}:${item.size}`;
    const prev = this.seen.get(item.id);
    if (prev && prev.sig === sig) return prev.at;
    const at = prev ? now : (item.verifiedAt ?? now);
    this.seen.set(item.id, { sig, at });
    return at;
  }
}

export function toFileItem(item: ItemSnapshot, roots: readonly string[], updatedAt: number): FileItem {
  const root = rootOf(roots, item.path);
  return {
    id: item.id,
    path: item.path,
    session: root ? sessionDirOf(root, item.path) : '',
    sizeBytes: item.size,
    sentBytes: item.state === 'verified' ? item.size : Math.min(item.size, item.bytesDone),
    state: fileState(item),
    error: item.error ? { code: item.error.code.slice(0, 128), message: item.error.message } : null,
    updatedAt,
  };
}

export interface LiveSession {
  dir: string;
  closed: boolean;
}

/** Sessions from the queue's items (persisted) merged with the tracker's live view. */
export function sessionsFrom(items: readonly ItemSnapshot[], roots: readonly string[], stagingDir: string, live: readonly LiveSession[]): SessionInfo[] {
  const manifests = new Set<string>();
  for (const i of items) if (isStagedManifest(i, stagingDir)) manifests.add(basename(i.path).split('.')[0]);
  const byDir = new Map<string, { folder: string; files: number; bytes: number; verified: number; failed: number }>();
  for (const i of items) {
    if (isStagedManifest(i, stagingDir)) continue;
    const root = rootOf(roots, i.path);
    if (!root) continue;
    const dir = sessionDirOf(root, i.path);
    const s = byDir.get(dir) ?? { folder: dir, files: 0, bytes: 0, verified: 0, failed: 0 };
    s.files++;
    s.bytes += i.size;
    if (i.state === 'verified') s.verified++;
    if (i.state === 'failed') s.failed++;
    byDir.set(dir, s);
  }
  const liveClosed = new Map(live.map((s) => [s.dir, s.closed]));
  return [...byDir.values()]
    .map((s) => {
      const id = sessionId(s.folder);
      const closed = liveClosed.get(s.folder) ?? manifests.has(id);
      return {
        id,
        folder: s.folder,
        files: s.files,
        bytes: s.bytes,
        closed,
        uploaded: closed && s.verified === s.files,
        verified: s.verified,
        failed: s.failed,
      };
    })
    .sort((a, b) => a.folder.localeCompare(b.folder));
}

/**
 * One row per watched folder: its state from the watcher (a folder the watcher does not report is
 * `stopped`), and the first problem met inside it; else, on a watched folder, the open-writer
 * probe's failure (watch/probe-guard.ts), which makes its files wait for the stability window.
 */
export function folderRows(
  roots: readonly string[],
  items: readonly ItemSnapshot[],
  watch: WatchStatus | undefined,
  sessions: readonly SessionInfo[],
  errors: ReadonlyMap<string, string>,
): WatchedFolder[] {
  const probe = watch?.running === true ? watch.writerProbe : undefined;
  const probeNote = probe
    ? `Cannot tell whether files are still being written (${probe.reason}; ${probe.failures} failed check${probe.failures === 1 ? '' : 's'}): they are uploaded as complete only after the stability window.`
    : null;
  return roots.map((root) => {
    const status = watch?.running === true ? watch.roots.find((r) => r.root === root) : undefined;
    const state = status?.state ?? 'stopped';
    return {
      path: root,
      state,
      reason: state === 'watching' ? null : (status?.reason ?? null),
      since: state === 'stopped' ? null : (status?.since ?? null),
      sessions: sessions.filter((s) => rootOf(roots, s.folder) === root).length,
      files: items.filter((i) => rootOf(roots, i.path) === root).length,
      error: errors.get(root) ?? (state === 'watching' ? probeNote : null),
    };
  });
}

export function totalsOf(items: readonly FileItem[]): { files: number; verified: number; failed: number; bytes: number; sentBytes: number } {
  let verified = 0,
    failed = 0,
    bytes = 0,
    sentBytes = 0;
  for (const f of items) {
    if (f.state === 'verified') verified++;
    if (f.state === 'failed') failed++;
    bytes += f.sizeBytes;
    sentBytes += f.sentBytes;
  }
  return { files: items.length, verified, failed, bytes, sentBytes };
}

/** `s3://bucket/prefix` or the archive folder. */
export function targetLabel(t: { kind: 'local'; path: string } | { kind: 's3'; bucket: string; prefix: string }): string {
  return t.kind === 'local' ? t.path : `s3://${t.bucket}/${t.prefix}`;
}
