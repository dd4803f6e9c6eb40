/**
 * Rate limiting for desktop notifications:
 * - a notification with an `eventId` (one instance going idle once, one budget threshold in one
 *   month) is shown at most once, ever;
 * - notifications sharing a `key` (e.g. "idle:i-123") are shown at most once per `intervalMs`.
 * History lives in the injected store so limits survive restarts; it is pruned to stay small.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import { type Clock } from '../common/time.ts';

export interface NotificationLimiter {
  /** True when the notification may be shown now; records it when so. */
  allow(key: string, eventId?: string): boolean;
}

interface History {
  lastByKey: Record<string, number>;
  /** eventId -> when it was shown. */
  events: Record<string, number>;
}

export const NOTIFICATIONS_KEY = 'notifications/history';
const MAX_EVENTS = 2000;

export function createNotificationLimiter(deps: { clock: Clock; store: KeyValueStore; intervalMs: number }): NotificationLimiter {
  const load = (): History => {
    const h = deps.store.get(NOTIFICATIONS_KEY) as History | undefined;
    return { lastByKey: h?.lastByKey ?? {}, events: h?.events ?? {} };
  };
  return {
    allow(key, eventId) {
      const now = deps.clock.now();
      const h = load();
      if (eventId !== undefined && h.events[eventId] !== undefined) return false;
      const last = h.lastByKey[key];
      if (last !== undefined && now - last < deps.intervalMs) return false;
      h.lastByKey[key] = now;
      if (eventId !== undefined) h.events[eventId] = now;
      for (const [k, t] of Object.entries(h.lastByKey)) if (now - t >= deps.intervalMs) delete h.lastByKey[k];
      const ids = Object.entries(h.events);
      if (ids.length > MAX_EVENTS) {
        ids.sort((a, b) => a[1] - b[1]);
        h.events = Object.fromEntries(ids.slice(ids.length - MAX_EVENTS));
      }
      deps.store.set(NOTIFICATIONS_KEY, h);
      return true;
    },
  };
}
