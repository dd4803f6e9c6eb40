/**
 * Restores from cold storage the user asked for (an analysis's inputs, archived results), watched
 * until S3 has made every object readable, so the app can say so: S3 takes minutes to two days
 * and tells no one.
 *
 * Contract:
 * - Checking costs one HeadObject per key still pending (its `x-amz-restore`), all keys of a round
 *   at once through `inspect`, and a round starts at most once per `intervalMs` on the injected
 *   timers: a one-shot timer armed only while something is pending, re-armed after the round
 *   ends, so rounds never overlap and nothing polls when nothing is asked.
 * - A restore is `done` once every key reads restored (or no longer needs one), and `failed` once a
 *   key's restore is gone or its copy expired (jobs/job-restore.ts `checkRestore`); either way it
 *   leaves the watch and `onDone` / `onFailed` is called once. A round whose HEADs fail (network,
 *   credentials) changes nothing and is tried again next interval.
 * - The watch is kept in `store`, so a restart keeps watching what was asked before it; `add` of
 *   an id already watched replaces it.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import type { Clock, Timeouts } from '../common/time.ts';
import { checkRestore } from './job-restore.ts';
import type { JobRestore } from './job-types.ts';
import type { ObjectColdState } from './restore-plan.ts';

export interface WatchedRestore extends JobRestore {
  /** `analysis:<job id>` or `results:<job id>`. */
  id: string;
  /** What the user calls it: "results of 2026-12-01_cold". */
  label: string;
}

export interface RestoreWatcher {
  add(r: WatchedRestore): void;
  /** Restores still waited for, oldest first (no I/O). */
  pending(): WatchedRestore[];
  /** Arms the timer when something is pending (after a restart). */
  start(): void;
  stop(): void;
}

export const RESTORES_KEY = 'restores/watched';
/** Two minutes: a restore takes minutes (Expedited) to hours, so a few minutes late is on time. */
export const RESTORE_CHECK_MS = 2 * 60_000;

export function createRestoreWatcher(d: {
  /** HeadObject of each store key; null when the destination has no S3 (nothing can be checked now). */
  inspect: () => ((keys: readonly string[]) => Promise<ObjectColdState[]>) | null;
  store: KeyValueStore;
  clock: Clock;
  timers: Timeouts;
  intervalMs?: number;
  onDone: (r: WatchedRestore) => void;
  onFailed: (r: WatchedRestore, message: string) => void;
  /** A round that could not HEAD (kept, tried again). */
  onError?: (e: unknown) => void;
}): RestoreWatcher {
  const intervalMs = Math.max(1000, d.intervalMs ?? RESTORE_CHECK_MS);
  let timer: unknown = null;
  let running = false;
  let stopped = true;
  const load = (): WatchedRestore[] => (d.store.get(RESTORES_KEY) as WatchedRestore[] | undefined) ?? [];
  const save = (list: WatchedRestore[]) => d.store.set(RESTORES_KEY, list);

  const arm = () => {
    if (stopped || running || timer !== null || load().length === 0) return;
    timer = d.timers.setTimeout(() => {
      timer = null;
      void round();
    }, intervalMs);
  };

  async function round(): Promise<void> {
    const inspect = d.inspect();
    const list = load();
    if (!inspect || list.length === 0) return arm();
    running = true;
    try {
      const keys = [...new Set(list.flatMap((r) => r.keys))];
      let states: ObjectColdState[];
      try {
        states = await inspect(keys);
      } catch (e) {
        d.onError?.(e);
        return;
      }
      const byKey = new Map(states.map((s) => [s.key, s]));
      const now = d.clock.now();
      const ended = new Map<string, () => void>();
      for (const r of list) {
        const check = checkRestore(
          r,
          r.keys.map((k) => byKey.get(k) ?? { key: k, size: 0 }),
          now,
        );
        if (check.kind === 'ready') ended.set(r.id, () => d.onDone(r));
        else if (check.kind === 'failed') ended.set(r.id, () => d.onFailed(r, check.message));
      }
      if (ended.size > 0) {
        // re-read: an add during the HEADs stays
        save(load().filter((r) => !ended.has(r.id) || r.askedAt !== list.find((x) => x.id === r.id)?.askedAt));
        for (const end of ended.values()) end();
      }
    } finally {
      running = false;
      arm();
    }
  }

  return {
    add(r) {
      save([...load().filter((x) => x.id !== r.id), { ...r, keys: [...r.keys] }]);
      arm();
    },
    pending: () => load().sort((a, b) => a.askedAt - b.askedAt),
    start() {
      stopped = false;
      arm();
    },
    stop() {
      stopped = true;
      if (timer !== null) d.timers.clearTimeout(timer);
      timer = null;
    },
  };
}
