/**
 * What the watcher tests share: `Logged`, one recorded watcher event with its type, and
 * `waitFor`, which polls a condition every 20 ms and fails naming `what` after the timeout.
 */
import assert from 'node:assert/strict';
import type { WatchEventMap } from '../../main/watch/watch-types.ts';

export type Logged = { [K in keyof WatchEventMap]: { type: K } & WatchEventMap[K] }[keyof WatchEventMap];

export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 8000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
