/**
 * Per-file stability bookkeeping, free of I/O so it can be tested with a fake clock.
 *
 * A file is *stable* once its size and mtime have not changed for `stableMs` as measured
 * between observations; the watcher then asks the open-writer probe and, if no writer holds
 * it, completes it. A completed file that changes again goes back to pending.
 */

export interface FileObservation {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

export interface TrackedFile extends FileObservation {
  path: string;
  root: string;
  /** Posix path relative to `root`. */
  relativePath: string;
  state: 'pending' | 'complete';
  firstSeenAt: number;
  /** Clock time of the last observed change of size or mtime (or first sighting). */
  changedAt: number;
  /** Clock time of the last observation. */
  observedAt: number;
}

export type ObserveResult =
  | { kind: 'new'; file: TrackedFile }
  | { kind: 'unchanged'; file: TrackedFile }
  | { kind: 'changed'; file: TrackedFile; sizeChanged: boolean; reopened: boolean };

export function observe(
  previous: TrackedFile | undefined,
  identity: { path: string; root: string; relativePath: string },
  observation: FileObservation,
  now: number,
): ObserveResult {
  if (previous === undefined) {
    return {
      kind: 'new',
      file: { ...identity, ...observation, state: 'pending', firstSeenAt: now, changedAt: now, observedAt: now },
    };
  }
  const replaced = previous.ino !== observation.ino || previous.dev !== observation.dev;
  const sizeChanged = previous.size !== observation.size;
  if (!replaced && !sizeChanged && previous.mtimeMs === observation.mtimeMs) {
    previous.observedAt = now;
    return { kind: 'unchanged', file: previous };
  }
  const reopened = previous.state === 'complete';
  Object.assign(previous, observation, { state: 'pending', changedAt: now, observedAt: now });
  return { kind: 'changed', file: previous, sizeChanged: sizeChanged || replaced, reopened };
}

/** True when a pending file has been unchanged for at least `stableMs`. */
export function isStable(file: TrackedFile, now: number, stableMs: number): boolean {
  return file.state === 'pending' && now - file.changedAt >= stableMs;
}

/** Earliest clock time at which `file` could become stable, for timer scheduling. */
export function stableAt(file: TrackedFile, stableMs: number): number {
  return file.changedAt + stableMs;
}
