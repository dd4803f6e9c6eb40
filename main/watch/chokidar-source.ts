/** The default event source: chokidar 5 over all roots, initial add events suppressed (the watcher scans itself). */
import { watch } from 'chokidar';

import type { EventSourceFactory, SourceEventName } from './watch-types.ts';

const FORWARDED: readonly SourceEventName[] = ['add', 'change', 'unlink', 'addDir', 'unlinkDir'];

export const chokidarEventSource: EventSourceFactory = (roots, ignore, handlers) => {
  const watcher = watch([...roots], {
    ignoreInitial: true,
    persistent: true,
    followSymlinks: false,
    ignorePermissionErrors: true,
    atomic: false,
    ignored: (path, stats) => ignore(path, stats === undefined ? undefined : stats.isDirectory()),
  });
  for (const name of FORWARDED) watcher.on(name, (path: string) => handlers.event(name, path));
  watcher.on('error', (error: unknown) => handlers.error(error instanceof Error ? error : new Error(String(error))));
  const ready = new Promise<void>((resolve) => watcher.once('ready', () => resolve()));
  return {
    ready,
    close: () => watcher.close(),
  };
};
