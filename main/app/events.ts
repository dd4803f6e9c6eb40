/**
 * The event hub behind `AppServices.subscribe`: `changed(topic)` is coalesced per topic (at most
 * one event per topic every `minGapMs`, the last one always delivered), notifications go out at
 * once. A listener that throws does not affect the others.
 */
import type { AppEvent, Topic } from '../../preload/api.ts';
import { backgroundTimers, type Timeouts } from '../common/time.ts';

export interface EventHub {
  subscribe(listener: (event: AppEvent) => void): () => void;
  changed(...topics: Topic[]): void;
  notify(level: 'info' | 'warning' | 'error', title: string, body: string): void;
  dispose(): void;
}

export function createEventHub(opts: { minGapMs?: number; timers?: Timeouts; now?: () => number } = {}): EventHub {
  const minGapMs = opts.minGapMs ?? 250;
  const timers = opts.timers ?? backgroundTimers;
  const now = opts.now ?? Date.now;
  const listeners = new Set<(event: AppEvent) => void>();
  const lastSent = new Map<Topic, number>();
  const pending = new Map<Topic, unknown>();

  const send = (event: AppEvent) => {
    for (const l of [...listeners]) {
      try {
        l(event);
      } catch {
        // one broken listener (a closed socket) must not starve the others
      }
    }
  };
  const flush = (topic: Topic) => {
    pending.delete(topic);
    lastSent.set(topic, now());
    send({ type: 'changed', topic });
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    changed(...topics) {
      for (const topic of topics) {
        if (pending.has(topic)) continue;
        const wait = (lastSent.get(topic) ?? -Infinity) + minGapMs - now();
        if (wait <= 0) flush(topic);
        else
          pending.set(
            topic,
            timers.setTimeout(() => flush(topic), wait),
          );
      }
    },
    notify(level, title, body) {
      send({ type: 'notification', level, title, body });
    },
    dispose() {
      for (const h of pending.values()) timers.clearTimeout(h);
      pending.clear();
      listeners.clear();
    },
  };
}
