/**
 * Adaptive polling of the instance list: fast while something is changing state
 * (pending/stopping/shutting-down), then backing off while nothing changes.
 */
import { isTransitional, type InstanceInfo } from '../aws/ec2-instance.ts';

export const POLL_FAST_MS = 3_000;
export const POLL_SLOW_MIN_MS = 15_000;
export const POLL_SLOW_MAX_MS = 120_000;

/** A fingerprint of what a poll can change: ids, states and types. */
export function listFingerprint(instances: ReadonlyArray<InstanceInfo>): string {
  return instances
    .map((i) => `${i.id}:${i.state}:${i.type}`)
    .sort()
    .join('|');
}

export function nextPollDelay(instances: ReadonlyArray<InstanceInfo>, previousDelayMs: number, changed: boolean): number {
  if (instances.some((i) => isTransitional(i.state))) return POLL_FAST_MS;
  if (changed || previousDelayMs < POLL_SLOW_MIN_MS) return POLL_SLOW_MIN_MS;
  return Math.min(POLL_SLOW_MAX_MS, previousDelayMs * 2);
}
