/**
 * What the folder watcher (folder-watcher.ts) gives the pieces it is built from: the per-file
 * completion rules (watcher-files.ts), the scans (watcher-scans.ts) and the watched folders' health
 * (watcher-roots.ts). Each piece takes the part of it that it uses.
 */
import type { PathFilter } from './patterns.ts';
import type { FileRef, WatchClock, WatchEventMap, WatchEventName, WatchFs } from './watch-types.ts';

export type WatchEmit = <K extends WatchEventName>(name: K, event: WatchEventMap[K]) => void;

export interface WatcherContext {
  /** The watched folders, absolute, without duplicates. */
  readonly roots: readonly string[];
  readonly clock: WatchClock;
  readonly fs: WatchFs;
  readonly filter: PathFilter;
  /** Between start() and stop(). */
  running(): boolean;
  /** Calls the listeners of `name`; a listener that throws becomes an `error` event. */
  emit: WatchEmit;
  /** `path` relative to the deepest root containing it; undefined outside every root. */
  refOf(path: string): FileRef | undefined;
  /** Whether `root` is there and readable, as last checked, while running. */
  available(root: string): boolean;
  /** Stats `path` and updates its state; calls for one path coalesce into a re-run. */
  refresh(path: string): Promise<void>;
  /** Checks a root now (calls for one root coalesce) and follows a change of its state. */
  checkRoot(root: string): Promise<void>;
  /** Runs `work` on every item, `statConcurrency` at a time; a failure is an `error` event. */
  forEachLimited<T>(items: readonly T[], work: (item: T) => Promise<void>): Promise<void>;
  /** Lets `work` run on its own; its failure is an `error` event. */
  track(work: Promise<void>): void;
}
