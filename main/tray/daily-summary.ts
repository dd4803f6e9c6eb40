/**
 * The daily summary: what ran during one local day of the workstation (its time zone, injected)
 * and what it cost, from the uptime records, and a scheduler that produces yesterday's summary
 * once a day and sends it as a tray notification through the rate limiter (one per day, never
 * repeated, also across restarts). A day across a daylight-saving change lasts 23 or 25 hours.
 * The notification ends with this month's top spenders when the cached figures name any
 * (tray-people.ts; no Cost Explorer request is made for it).
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import { duration, usd } from '../cost/money.ts';
import type { NotificationLimiter } from './notification-limiter.ts';
import type { AppNotification } from './notifications.ts';
import { addDays, localDay, localDayRange, systemTimeZone } from '../instances/local-day.ts';
import type { UptimeRecords } from '../instances/uptime-records.ts';
import { stoppedDisksLine, type StoppedDisk } from '../instances/stopped-disks.ts';
import { type Clock, type Timeouts } from '../common/time.ts';
import { trayPeople, type TrayPeople } from './tray-people.ts';

export const DAY_MS = 86_400_000;

export interface DailySummaryItem {
  id: string;
  name: string;
  type: string;
  runMs: number;
  /** On-demand price x time run that day; null when the price is unknown. */
  cost: number | null;
  spot: boolean;
}

export interface DailySummary {
  /** YYYY-MM-DD, a local day in `timeZone`. */
  day: string;
  timeZone: string;
  /** The day's first instant and the next day's (epoch ms). */
  start: number;
  end: number;
  items: DailySummaryItem[];
  totalRunMs: number;
  /** Sum of the known costs. */
  totalCost: number;
  /** Instances whose price is unknown (not in totalCost). */
  unpriced: number;
}

/**
 * Pure: the time each instance ran within local day `day` (YYYY-MM-DD in `timeZone`) and its
 * cost; open intervals end at `nowMs`.
 */
export function dailySummary(records: UptimeRecords, day: string, nowMs: number, timeZone: string = systemTimeZone()): DailySummary {
  const { start: dayStartMs, end: dayEnd } = localDayRange(day, timeZone);
  const items: DailySummaryItem[] = [];
  for (const r of Object.values(records)) {
    let runMs = 0;
    for (const v of r.intervals) {
      const from = Math.max(v.start, dayStartMs);
      const to = Math.min(v.end ?? nowMs, dayEnd);
      if (to > from) runMs += to - from;
    }
    if (runMs <= 0) continue;
    items.push({ id: r.id, name: r.name, type: r.type, runMs, cost: r.hourlyPrice === null ? null : (r.hourlyPrice * runMs) / 3_600_000, spot: r.spot });
  }
  items.sort((a, b) => (b.cost ?? 0) - (a.cost ?? 0) || b.runMs - a.runMs);
  return {
    day,
    timeZone,
    start: dayStartMs,
    end: dayEnd,
    items,
    totalRunMs: items.reduce((s, i) => s + i.runMs, 0),
    totalCost: items.reduce((s, i) => s + (i.cost ?? 0), 0),
    unpriced: items.filter((i) => i.cost === null).length,
  };
}

/**
 * The notification for a day's summary; stopped instances whose disks still bill are named after
 * it (the reminder the tray's warning also gives once they have been stopped for days).
 */
export function dailySummaryNotification(s: DailySummary, stopped: readonly StoppedDisk[] = [], people: TrayPeople | null = null): AppNotification {
  const disks = stoppedDisksLine(stopped);
  const overdue = stopped.filter((d) => d.remind).map((d) => `${d.name} (${d.days} days)`);
  const reminder = disks ? ` ${disks}${overdue.length ? `; stopped for days: ${overdue.join(', ')}, terminate what is done` : ''}.` : '';
  const top = s.items.slice(0, 3).map((i) => `${i.name} ${duration(i.runMs)}${i.cost === null ? '' : ` ${usd(i.cost)}`}`);
  const more = s.items.length > 3 ? `, and ${s.items.length - 3} more` : '';
  const spenders = people ? trayPeople(people) : null;
  return {
    key: 'daily-summary',
    eventId: `daily-summary:${s.day}`,
    title: s.items.length
      ? `${s.day}: ${s.items.length} instance${s.items.length === 1 ? '' : 's'} ran, ${usd(s.totalCost)}${s.unpriced ? ' + unpriced' : ''}`
      : `${s.day}: no instances ran`,
    body:
      (s.items.length
        ? `${top.join('; ')}${more}.${s.items.some((i) => i.spot) ? ' Spot costs are upper bounds (on-demand price).' : ''}`
        : 'Nothing was billed for compute.') +
      reminder +
      (spenders ? ` ${spenders.line}.` : ''),
    urgency: 'normal',
  };
}

export interface DailySummarySchedulerDeps {
  clock: Clock;
  timers: Timeouts;
  records: () => UptimeRecords;
  /** Stopped instances and their disks' cost now (default none): named in the summary, and a day with nothing run is still summarised while one is due a reminder. */
  stopped?: () => readonly StoppedDisk[];
  /** This month's spend per person from cached figures (default none): its top spenders end the summary. */
  people?: () => TrayPeople | null;
  /** Remembers the last day summarised. */
  store: KeyValueStore;
  limiter: NotificationLimiter;
  notify: (n: AppNotification, summary: DailySummary) => void;
  /** How often to check whether a day has ended (default 15 min). */
  checkEveryMs?: number;
  /** Skip days when nothing ran (default true). */
  skipEmpty?: boolean;
  /** IANA time zone whose days are summarised (default: the workstation's). */
  timeZone?: string;
}

export const LAST_SUMMARY_KEY = 'instances/daily-summary-last';

export interface DailySummaryScheduler {
  start(): void;
  stop(): void;
  /** Summarises the last finished day if not done yet; returns it when a summary was produced. */
  check(): DailySummary | null;
}

export function createDailySummaryScheduler(d: DailySummarySchedulerDeps): DailySummaryScheduler {
  const every = d.checkEveryMs ?? 15 * 60_000;
  const timeZone = d.timeZone ?? systemTimeZone();
  let handle: unknown = null;
  let running = false;

  const check = (): DailySummary | null => {
    const now = d.clock.now();
    const day = addDays(localDay(now, timeZone), -1);
    if (d.store.get(LAST_SUMMARY_KEY) === day) return null;
    d.store.set(LAST_SUMMARY_KEY, day);
    const summary = dailySummary(d.records(), day, now, timeZone);
    const stopped = d.stopped?.() ?? [];
    if (!summary.items.length && !stopped.some((x) => x.remind) && (d.skipEmpty ?? true)) return null;
    const n = dailySummaryNotification(summary, stopped, d.people?.() ?? null);
    if (d.limiter.allow(n.key, n.eventId)) d.notify(n, summary);
    return summary;
  };

  const tick = () => {
    if (!running) return;
    try {
      check();
    } finally {
      handle = d.timers.setTimeout(tick, every);
    }
  };

  return {
    start() {
      if (running) return;
      running = true;
      tick();
    },
    stop() {
      running = false;
      if (handle !== null) d.timers.clearTimeout(handle);
      handle = null;
    },
    check,
  };
}
