/**
 * The health of the folder watcher's roots (the watched folders) and their fs event sources.
 *
 * Contract:
 * - `check(root)` asks folder-health.ts whether the root is there and readable (calls for one
 *   root coalesce while one runs). A root is `watching`, `missing` or `unreadable`, with the
 *   reason and since when; `since` changes only when the state does.
 * - A watching root has an event source (in `events` mode; one that fails to open is retried at
 *   the next check); any other has none. Its files are not touched here: they are kept as last
 *   seen while it is away.
 * - A change of state is followed, outside the check, by a catch-up scan when the root is back,
 *   then by a `folder` event (unless the state changed again meanwhile); `settle()` waits for the
 *   checks and those follow-ups.
 */
import { checkFolder } from './folder-health.ts';
import type { WatcherContext } from './watcher-context.ts';
import type { EventSource, EventSourceFactory, FolderState } from './watch-types.ts';

export interface RootHealth {
  state: Exclude<FolderState, 'stopped'>;
  reason: string | null;
  since: number;
  /** The last check that could read the root found it to be a mount point. */
  mountPoint: boolean;
}

export interface RootMonitorDeps extends Pick<WatcherContext, 'clock' | 'fs' | 'running' | 'emit'> {
  mode: 'events' | 'polling';
  eventSource: EventSourceFactory;
  /** Paths the event source need not watch. */
  ignoreForEvents(path: string, isDirectory: boolean | undefined): boolean;
  onSourceEvent(name: string, path: string): void;
  /** Scans a root that came back (watcher-scans.ts). */
  catchUp(root: string): Promise<void>;
}

export class RootMonitor {
  private readonly d: RootMonitorDeps;
  private readonly health = new Map<string, RootHealth>();
  private readonly checks = new Map<string, Promise<void>>();
  /** Catch-up scans and `folder` events after a root's state changed. */
  private readonly transitions = new Set<Promise<void>>();
  private readonly sources = new Map<string, EventSource>();

  constructor(deps: RootMonitorDeps) {
    this.d = deps;
  }

  /** The root's state as last checked; undefined before its first check. */
  get(root: string): RootHealth | undefined {
    return this.health.get(root);
  }

  /** Waits for the state changes under way to be followed (catch-up scan, `folder` event). */
  async followed(): Promise<void> {
    await Promise.allSettled([...this.transitions]);
  }

  /** Waits for the checks and follow-ups under way, then closes every event source (stop). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.checks.values(), ...this.transitions]);
    const sources = [...this.sources.values()];
    this.sources.clear();
    await Promise.allSettled(sources.map((source) => source.close()));
  }

  /** Checks one root (calls for a root coalesce while one runs) and follows a change of its state. */
  check(root: string): Promise<void> {
    const running = this.checks.get(root);
    if (running) return running;
    const work = this.update(root).finally(() => this.checks.delete(root));
    this.checks.set(root, work);
    return work;
  }

  private async update(root: string): Promise<void> {
    const previous = this.health.get(root);
    const found = await checkFolder(root, this.d.fs, previous?.mountPoint === true);
    if (!this.d.running()) return;
    const state = found.state === 'ok' ? 'watching' : found.state;
    const mountPoint = found.state === 'ok' ? found.mountPoint === true : previous?.mountPoint === true;
    if (previous && previous.state === state && previous.reason === found.reason) {
      previous.mountPoint = mountPoint;
      if (state === 'watching') await this.openSource(root); // again, if it failed to open
      return;
    }
    const next: RootHealth = { state, reason: found.reason, since: previous?.state === state ? previous.since : this.d.clock.now(), mountPoint };
    this.health.set(root, next);
    if (state === 'watching') await this.openSource(root);
    else await this.closeSource(root);
    // Outside this check: the catch-up's own stat failures check the root again.
    const after = (async () => {
      if (state === 'watching' && previous && previous.state !== 'watching') await this.d.catchUp(root);
      if (this.d.running() && this.health.get(root) === next) {
        this.d.emit('folder', { root, state, reason: next.reason, since: next.since, previous: previous?.state ?? null });
      }
    })().catch((error: unknown) => this.d.emit('error', { error: error as Error, path: root }));
    this.transitions.add(after);
    void after.finally(() => this.transitions.delete(after));
  }

  private async openSource(root: string): Promise<void> {
    if (this.d.mode !== 'events' || this.sources.has(root)) return;
    const source = this.d.eventSource([root], (path, isDirectory) => this.d.ignoreForEvents(path, isDirectory), {
      event: (name, path) => this.d.onSourceEvent(name, path),
      error: (error) => this.d.emit('error', { error }),
    });
    this.sources.set(root, source);
    try {
      await source.ready;
    } catch (error) {
      // scans still find its files; the next folder check tries again
      this.d.emit('error', { error: error as Error, path: root });
      this.sources.delete(root);
      await source.close().catch(() => undefined);
    }
  }

  private async closeSource(root: string): Promise<void> {
    const source = this.sources.get(root);
    if (!source) return;
    this.sources.delete(root);
    await source.close();
  }
}
