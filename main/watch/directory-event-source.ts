/**
 * An event source that watches directories only, one non-recursive `fs.watch` each: a directory's
 * watch reports the entries created, changed and removed in it, so files need none of their own.
 * (chokidar watches and stats every file besides: at 100,000 files it took minutes and 500 MB
 * before it was ready, and a million files exceed the kernel's default inotify watch limit.)
 *
 * Events: an entry that appeared is lstat'ed: a directory is watched with everything below it,
 * then reported `addDir`; a file is reported `add`. An entry that vanished is `unlinkDir` when it
 * was a watched directory (its watches are closed), else `unlink`. A changed entry is `change`.
 * When the system cannot name the entry, the directory is reported `addDir` (the watcher scans it).
 * Symbolic links are not followed. `ready` resolves once every directory present under the roots
 * at start is watched.
 */
import { watch, type FSWatcher } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { join, sep } from 'node:path';

import type { EventSourceFactory } from './watch-types.ts';

export const directoryEventSource: EventSourceFactory = (roots, ignore, handlers) => {
  const watchers = new Map<string, FSWatcher>();
  let closed = false;

  const unwatch = (dir: string): void => {
    const prefix = dir + sep;
    for (const [path, watcher] of watchers) {
      if (path === dir || path.startsWith(prefix)) {
        watcher.close();
        watchers.delete(path);
      }
    }
  };

  const appeared = async (path: string): Promise<void> => {
    let isDirectory: boolean;
    try {
      isDirectory = (await lstat(path)).isDirectory();
    } catch {
      if (closed) return;
      if (watchers.has(path)) {
        unwatch(path);
        handlers.event('unlinkDir', path);
      } else {
        handlers.event('unlink', path);
      }
      return;
    }
    if (closed || ignore(path, isDirectory)) return;
    if (!isDirectory) return handlers.event('add', path);
    if (watchers.has(path)) return;
    await watchTree(path);
    if (!closed) handlers.event('addDir', path);
  };

  const onEvent = (dir: string, type: string, name: string | Buffer | null): void => {
    if (closed) return;
    if (name === null) return handlers.event('addDir', dir);
    const path = join(dir, name.toString());
    if (type === 'change' && !watchers.has(path)) {
      if (!ignore(path, undefined)) handlers.event('change', path);
      return;
    }
    appeared(path).catch((error: unknown) => handlers.error(error as Error));
  };

  const watchTree = async (top: string): Promise<void> => {
    const stack = [top];
    while (stack.length > 0 && !closed) {
      const dir = stack.pop() as string;
      if (watchers.has(dir)) continue;
      let watcher: FSWatcher;
      try {
        watcher = watch(dir, { persistent: true }, (type, name) => onEvent(dir, type, name));
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'ENOTDIR') handlers.error(error as Error);
        continue;
      }
      // a directory removed under its watch ends it; the parent's event reports the removal
      watcher.on('error', (error) => {
        unwatch(dir);
        const code = (error as NodeJS.ErrnoException).code;
        if (code !== 'ENOENT' && code !== 'EPERM') handlers.error(error);
      });
      watchers.set(dir, watcher);
      let entries;
      try {
        entries = await readdir(dir, { withFileTypes: true });
      } catch {
        continue;
      }
      for (const entry of entries) {
        if (!entry.isDirectory()) continue;
        const path = join(dir, entry.name);
        if (!ignore(path, true)) stack.push(path);
      }
    }
  };

  const ready = (async () => {
    for (const root of roots) await watchTree(root);
  })();
  return {
    ready,
    async close() {
      closed = true;
      await ready.catch(() => {});
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
};
