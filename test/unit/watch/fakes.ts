/** In-memory clock, file system and event source for watcher unit tests. */
import { sep } from 'node:path';

import type { WatchClock, DirentLike, EventSourceFactory, EventSourceHandlers, SourceEventName, StatLike, WatchFs } from '../../../main/watch/watch-types.ts';

/** Lets pending promise chains settle (several macrotask turns). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

export class FakeClock implements WatchClock {
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
  /** Folders that exist even when empty (a folder holding a file always exists). */
  readonly dirs = new Set<string>();
  /** Folders this process may not open: listing them and stat'ing below them fail with EACCES. */
  readonly denied = new Set<string>();
  /** Device numbers of folders (default 1 everywhere). */
  readonly devices = new Map<string, number>();
  private nextIno = 100;
  private readonly clock: WatchClock;

  constructor(clock: WatchClock) {
    this.clock = clock;
  }

  mkdir(path: string): void {
    this.dirs.add(path);
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

  /** Moves a folder with everything in it (inodes kept, as mv does). */
  renameDir(from: string, to: string): void {
    const prefix = from + sep;
    for (const [path, file] of [...this.files]) {
      if (!path.startsWith(prefix)) continue;
      this.files.delete(path);
      this.files.set(to + sep + path.slice(prefix.length), file);
    }
    for (const dir of [...this.dirs]) {
      if (dir !== from && !dir.startsWith(prefix)) continue;
      this.dirs.delete(dir);
      this.dirs.add(to + dir.slice(from.length));
    }
  }

  remove(path: string): void {
    this.files.delete(path);
  }

  private blocked(path: string): boolean {
    for (const dir of this.denied) if (path.startsWith(dir + sep)) return true;
    return false;
  }

  async stat(path: string): Promise<StatLike> {
    if (this.blocked(path)) throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
    const file = this.files.get(path);
    if (file) return { size: file.size, mtimeMs: file.mtimeMs, ino: file.ino, dev: 1, isFile: () => true, isDirectory: () => false };
    const prefix = path + sep;
    if (this.dirs.has(path) || [...this.files.keys(), ...this.dirs].some((key) => key.startsWith(prefix))) {
      return { size: 0, mtimeMs: 0, ino: 1, dev: this.devices.get(path) ?? 1, isFile: () => false, isDirectory: () => true };
    }
    throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
  }

  async readdir(path: string): Promise<DirentLike[]> {
    if (this.blocked(path) || this.denied.has(path)) throw Object.assign(new Error(`EACCES: ${path}`), { code: 'EACCES' });
    const prefix = path + sep;
    const names = new Map<string, boolean>();
    for (const key of this.files.keys()) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const slash = rest.indexOf(sep);
      if (slash < 0) names.set(rest, false);
      else names.set(rest.slice(0, slash), true);
    }
    for (const dir of this.dirs) {
      if (dir.startsWith(prefix)) names.set(dir.slice(prefix.length).split(sep)[0], true);
    }
    if (names.size === 0 && !this.dirs.has(path)) throw Object.assign(new Error(`ENOENT: ${path}`), { code: 'ENOENT' });
    return [...names].map(([name, isDir]) => ({ name, isFile: () => !isDir, isDirectory: () => isDir, isSymbolicLink: () => false }));
  }
}

/** One fake source per watched folder (the watcher opens one per root); `emit` reaches the latest. */
export class FakeEventSource {
  handlers: EventSourceHandlers | undefined;
  created = 0;
  closed = false;
  /** Roots with an open source. */
  readonly open = new Set<string>();
  ignore: ((path: string, isDirectory: boolean | undefined) => boolean) | undefined;

  readonly factory: EventSourceFactory = (roots, ignore, handlers) => {
    this.created++;
    this.handlers = handlers;
    this.ignore = ignore;
    for (const root of roots) this.open.add(root);
    return {
      ready: Promise.resolve(),
      close: async () => {
        this.closed = true;
        for (const root of roots) this.open.delete(root);
      },
    };
  };

  emit(name: SourceEventName, path: string): void {
    if (this.ignore?.(path, name === 'addDir' || name === 'unlinkDir')) return;
    this.handlers?.event(name, path);
  }
}
