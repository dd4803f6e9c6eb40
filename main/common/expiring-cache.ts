/**
 * Answers kept for a fixed lifetime on an injected clock: `get(key, make)` returns the answer
 * made less than `lifetimeMs` ago (concurrent callers share one `make` in flight), else makes a
 * new one. A failed `make` is not kept. `drop(key)` forgets one answer (its next `get` makes it
 * again), for a writer that knows the answer changed.
 */
import type { Clock } from './time.ts';

export interface ExpiringCache<T> {
  get(key: string, make: () => Promise<T>): Promise<T>;
  drop(key: string): void;
}

export function createExpiringCache<T>(clock: Clock, lifetimeMs: number): ExpiringCache<T> {
  const entries = new Map<string, { at: number; value: Promise<T> }>();
  return {
    get(key, make) {
      const hit = entries.get(key);
      const now = clock.now();
      if (hit && now - hit.at < lifetimeMs && now >= hit.at) return hit.value;
      // Expired entries are only replaced, never swept: one per key ever asked, as small as the answer.
      const entry = { at: now, value: make() };
      entries.set(key, entry);
      entry.value.catch(() => {
        if (entries.get(key) === entry) entries.delete(key);
      });
      return entry.value;
    },
    drop(key) {
      entries.delete(key);
    },
  };
}
