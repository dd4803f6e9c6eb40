/**
 * Uptime records of the app's instances, kept in the small key-value store from the poller's
 * observations: per instance, the intervals it was seen running (pending or running).
 *
 * Contracts:
 * - `observe(list, atMs)` opens an interval when an instance is first seen active (at its launch
 *   time when that is later than its last interval's end, else at `atMs`) and closes it at `atMs`
 *   when it is seen inactive or no longer listed (terminated instances drop out of the list).
 * - Intervals that ended more than `keepMs` (default 8 days) ago are pruned.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import { isActive, TAG, type InstanceInfo } from './types.ts';

export interface UptimeInterval {
  start: number;
  /** null while the instance is still running. */
  end: number | null;
}

export interface UptimeRecord {
  id: string;
  name: string;
  type: string;
  /** On-demand $/h when known (an upper bound for spot instances). */
  hourlyPrice: number | null;
  spot: boolean;
  intervals: UptimeInterval[];
}

export type UptimeRecords = Record<string, UptimeRecord>;

export const UPTIME_KEY = 'instances/uptime';
const DAY_MS = 86_400_000;

export interface UptimeRecorder {
  observe(list: ReadonlyArray<InstanceInfo>, atMs: number): void;
  records(): UptimeRecords;
}

export function createUptimeRecorder(store: KeyValueStore, keepMs = 8 * DAY_MS): UptimeRecorder {
  const load = (): UptimeRecords => (store.get(UPTIME_KEY) as UptimeRecords | undefined) ?? {};
  return {
    records: load,
    observe(list, atMs) {
      const records = load();
      const seen = new Set<string>();
      for (const i of list) {
        seen.add(i.id);
        const r = (records[i.id] ??= { id: i.id, name: i.name, type: i.type, hourlyPrice: i.hourlyPrice, spot: false, intervals: [] });
        r.name = i.name;
        r.type = i.type;
        r.hourlyPrice = i.hourlyPrice;
        r.spot = i.tags[TAG.market] === 'spot';
        const open = r.intervals.find((v) => v.end === null);
        if (isActive(i.state) && !open) {
          const lastEnd = Math.max(0, ...r.intervals.map((v) => v.end ?? 0));
          const launched = i.launchTime ? Date.parse(i.launchTime) : NaN;
          const start = Number.isFinite(launched) && launched > lastEnd && launched <= atMs ? launched : atMs;
          r.intervals.push({ start, end: null });
        } else if (!isActive(i.state) && open) {
          open.end = atMs;
        }
      }
      for (const r of Object.values(records)) {
        if (!seen.has(r.id)) for (const v of r.intervals) if (v.end === null) v.end = atMs;
        r.intervals = r.intervals.filter((v) => v.end === null || atMs - v.end <= keepMs);
        if (!r.intervals.length) delete records[r.id];
      }
      store.set(UPTIME_KEY, records);
    },
  };
}
