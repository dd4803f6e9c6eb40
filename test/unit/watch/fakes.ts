/** In-memory clock, file system and event source for watcher unit tests. */
import { sep } from 'node:path';

import type { Clock, DirentLike, EventSourceFactory, EventSourceHandlers, SourceEventName, StatLike, WatchFs } from '../../../main/watch/watch-types.ts';

/** Lets pending promise chains settle (several macrotask turns). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements Clock {
  private time = 1_000_000;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(callback: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + ms, callback });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers.delete(handle as number);
  }

  /** Moves time forward, firing due timers in order and letting their async work settle. */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      let nextId: number | undefined;
      let nextAt = Infinity;
      for (const [id, timer] of this.timers) {
        if (timer.at <= target && timer.at < nextAt) {
          nextAt = timer.at;
          nextId = id;
        }
      }
      if (nextId === undefined) break;
      const timer = this.timers.get(nextId);
      this.timers.delete(nextId);
      this.time = nextAt;
      timer?.callback();
      await settle();
    }
    this.time = target;
    await settle();
  }
}

interface FakeFile {
  size: number;
  mtimeMs: number;
  ino: number;
}

export class FakeFs implements WatchFs {
  readonly files = new Map<string, FakeFile>();
  private nextIno = 100;
  private readonly clock: Clock;

  constructor(clock: Clock) {
    this.clock = clock;
  }

  write(path: string, size: number): FakeFile {
    const existing = this.files.get(path);
    const file = { size, mtimeMs: this.clock.now(), ino: existing?.ino ?? this.nextIno++ };
    this.files.set(path, file);
    return file;
  }

  touch(path: string): void {
    const file = this.files.get(path);
    if (file) file.mtimeMs = this.clock.now() + 0.5;
  }

  rename(from: string, to: string): void {
    const file = this.files.get(from);
    if (!file) throw new Error(`no ${from}`);
    this.files.delete(from);
    this.files.set(to, file);
  }

  remove(path: string): void {
    this.files.delete(path);
  }

  async stat(path: string): Promise<StatLike> {
    const file = this.files.get(path);
    if (file) return { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, dev: 1, isFile: () => true, isDirectory: () => false };
    const prefix = path + sep;
    if ([...this.files.keys()].some((key) => key.startsWith(prefix))) {
      return { size: 0, mtimeMs: 0, ino: 1, dev: 1, isFile: () => false, isDirectory: () => true };
    }
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  }

  async readdir(path: string): Promise<DirentLike[]> {
    const prefix = path + sep;
    const names = new Map<string, boolean>();
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf(sep);
      if (slash < 0) names.set(rest, false);
      else names.set(rest.slice(0, slash), true);
    }
    if (names.size === 0) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return [...names].map(([name, isDir]) => ({ name, isFile: () => !isDir, isDirectory: () => isDir, isSymbolicLink: () => false }));
  }
}

export class FakeEventSource {
  handlers: EventSourceHandlers | undefined;
  created = 0;
  closed = false;
  ignore: ((path: string, isDirectory: boolean | undefined) => boolean) | undefined;

  readonly factory: EventSourceFactory = (_roots, ignore, handlers) => {
    this.created++;
    this.handlers = handlers;
    this.ignore = ignore;
    return {
      ready: Promise.resolve(),
      close: async () => {
        this.closed = true;
      },
    };
  };

  emit(name: SourceEventName, path: string): void {
    if (this.ignore?.(path, name === 'addDir' || name === 'unlinkDir')) return;
    this.handlers?.event(name, path);
  }
}
