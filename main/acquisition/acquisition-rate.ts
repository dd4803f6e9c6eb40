/**
 * The acquisition rate the storage bill projects with: bytes of files verified in the last
 * `windowDays` days, per day. Pure; the queue's items and the time are passed in.
 */

export const RATE_WINDOW_DAYS = 7;
const DAY_MS = 86_400_000;

export interface AcquisitionRate {
  /** Verified bytes per day over the window (the window's total ÷ its days). */
  bytesPerDay: number;
  /** Bytes of the files verified within the window. */
  verifiedBytes: number;
  windowDays: number;
}

export function acquisitionRate(
  items: Iterable<{ state: string; size: number; verifiedAt?: number }>,
  now: number,
  windowDays = RATE_WINDOW_DAYS,
): AcquisitionRate {
  const since = now - windowDays * DAY_MS;
  let verifiedBytes = 0;
  for (const i of items) if (i.state === 'verified' && i.verifiedAt !== undefined && i.verifiedAt > since && i.verifiedAt <= now) verifiedBytes += i.size;
  return { bytesPerDay: verifiedBytes / windowDays, verifiedBytes, windowDays };
}
