/**
 * Uptime records of the app's instances, kept in the small key-value store: per instance, the
 * intervals it ran (pending or running). They come from the poller's observations and, for the
 * time the app was not watching (quit, asleep, crashed), from the facts EC2 keeps: LaunchTime
 * (the latest start) and the time in StateTransitionReason (the latest stop or termination).
 *
 * Contracts of `observe(list, atMs)`; `list` may include terminated instances:
 * - Running, no open interval: opens one at its launch time when that is later than its last
 *   interval's end (a start the app did not see), else at `atMs`.
 * - Running with an open interval that began before the launch time: it was stopped and started
 *   again unseen; the old interval ends at the restart (or earlier at its maximum runtime) and a
 *   new one opens at the launch time.
 * - Not running with an open interval: it ends at the stop time EC2 states, else at its maximum
 *   runtime or `atMs`, whichever is first. A run the app never saw at all (launch time and stop
 *   time both after the last interval) is added whole.
 * - Not listed any more (terminated and gone from EC2): the open interval ends at its maximum
 *   runtime or `atMs`, whichever is first.
 * - Where EC2 gives no time, the estimate errs on the high side (the cost is not understated).
 * - Intervals that ended more than `keepMs` (default 8 days) ago are pruned.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import { isActive, TAG, type InstanceInfo } from '../aws/ec2-instance.ts';

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
  /** From the max-runtime tag; bounds intervals whose end EC2 does not state. */
  maxRuntimeMs?: number | null;
  intervals: UptimeInterval[];
}

export type UptimeRecords = Record<string, UptimeRecord>;

export const UPTIME_KEY = 'instances/uptime';
const DAY_MS = 86_400_000;

export interface UptimeRecorder {
  observe(list: ReadonlyArray<InstanceInfo>, atMs: number): void;
  records(): UptimeRecords;
}

function parseMs(iso: string | null | undefined): number {
  return iso ? Date.parse(iso) : NaN;
}

/** When an interval that started at `start` ended at the latest: its max runtime or `atMs`. */
function boundedEnd(r: UptimeRecord, start: number, atMs: number): number {
  return r.maxRuntimeMs ? Math.min(atMs, start + r.maxRuntimeMs) : atMs;
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
        r.spot = i.spot === true || i.tags[TAG.market] === 'spot';
        r.maxRuntimeMs = i.maxRuntimeMinutes ? i.maxRuntimeMinutes * 60_000 : null;
        const launched = parseMs(i.launchTime);
        const since = parseMs(i.stateSince);
        const lastEnd = () => Math.max(0, ...r.intervals.map((v) => v.end ?? 0));
        let open = r.intervals.find((v) => v.end === null);
        // A start after the open interval began: stopped and started again while unseen.
        if (open && Number.isFinite(launched) && launched > open.start && launched <= atMs) {
          open.end = Math.min(launched, boundedEnd(r, open.start, atMs));
          open = undefined;
        }
        if (isActive(i.state)) {
          if (!open) {
            const start = Number.isFinite(launched) && launched >= lastEnd() && launched <= atMs ? launched : atMs;
            r.intervals.push({ start, end: null });
          }
          continue;
        }
        const stoppedAt = Number.isFinite(since) && since <= atMs ? since : NaN;
        if (open) {
          open.end = Number.isFinite(stoppedAt) && stoppedAt >= open.start ? stoppedAt : boundedEnd(r, open.start, atMs);
        } else if (Number.isFinite(launched) && Number.isFinite(stoppedAt) && launched >= lastEnd() && stoppedAt > launched) {
          r.intervals.push({ start: launched, end: stoppedAt });
        }
      }
      for (const r of Object.values(records)) {
        if (!seen.has(r.id)) for (const v of r.intervals) if (v.end === null) v.end = Math.max(v.start, boundedEnd(r, v.start, atMs));
        r.intervals = r.intervals.filter((v) => v.end === null || atMs - v.end <= keepMs);
        if (!r.intervals.length) delete records[r.id];
      }
      store.set(UPTIME_KEY, records);
    },
  };
}
