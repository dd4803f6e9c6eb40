/**
 * Calendar days on the workstation's clock: which local day an instant falls in, and the instants
 * a local day starts and ends (23 or 25 hours apart across a daylight-saving change). The time
 * zone is an IANA name passed in; `systemTimeZone()` is the default.
 */

export function systemTimeZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function wallClock(ms: number, timeZone: string): { y: number; mo: number; d: number; h: number; mi: number; s: number } {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  const p: Record<string, number> = {};
  for (const part of f.formatToParts(ms)) if (part.type !== 'literal') p[part.type] = Number(part.value);
  return { y: p.year!, mo: p.month!, d: p.day!, h: p.hour!, mi: p.minute!, s: p.second! };
}

/** Local time minus UTC at instant `ms`, in milliseconds (+3_600_000 for Paris in winter). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.y, w.mo - 1, w.d, w.h, w.mi, w.s);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/** YYYY-MM-DD of the local day containing `ms`. */
export function localDay(ms: number, timeZone: string): string {
  const w = wallClock(ms, timeZone);
  return `${String(w.y).padStart(4, '0')}-${String(w.mo).padStart(2, '0')}-${String(w.d).padStart(2, '0')}`;
}

/** The day `delta` calendar days after `day` (YYYY-MM-DD). */
export function addDays(day: string, delta: number): string {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d + delta)).toISOString().slice(0, 10);
}

/** The first instant of local day `day` (its local midnight, or the first instant after a skipped midnight). */
export function localDayStart(day: string, timeZone: string): number {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  const wall = Date.UTC(y, m - 1, d);
  let guess = wall - zoneOffsetMs(wall, timeZone);
  // The offset at the guess may differ (a change near midnight): correct once more.
  guess = wall - zoneOffsetMs(guess, timeZone);
  if (localDay(guess, timeZone) !== day) guess += 3_600_000; // midnight skipped by a change at 00:00
  return guess;
}

/** [start, end) of local day `day`. */
export function localDayRange(day: string, timeZone: string): { start: number; end: number } {
  return { start: localDayStart(day, timeZone), end: localDayStart(addDays(day, 1), timeZone) };
}
