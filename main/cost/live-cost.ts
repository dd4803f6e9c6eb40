/**
 * Live cost computed locally from the price table and uptimes: no AWS billing call involved, so
 * it can tick every second. Figures are estimates for on-demand Linux pricing; Cost Explorer
 * (cost-explorer.ts) is the authoritative, delayed view.
 */
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { HOURS_PER_MONTH } from './price-table.ts';
import { HOUR_MS } from '../common/time.ts';
import { nextMonthStartUtc } from './calendar.ts';

const HOURS_PER_MONTH_MS = HOURS_PER_MONTH * HOUR_MS;

/** Compute cost of `uptimeMs` at `hourlyPrice` (EC2 bills Linux per second). */
export function accruedCost(hourlyPrice: number, uptimeMs: number): number {
  return (hourlyPrice * Math.max(0, uptimeMs)) / HOUR_MS;
}

export interface LiveCost {
  at: string;
  /** Instances pending or running. */
  running: number;
  /** Sum of hourly prices of running instances with a known price. */
  hourlyRate: number;
  /** Compute accrued since each running instance's latest start. */
  accruedCompute: number;
  /** Monthly cost of every listed volume (running or stopped). */
  storageMonthly: number;
  /** Running instances whose type has no price in the table. */
  unpriced: string[];
  /** Running Spot instances: their figures use the on-demand price, an upper bound (Spot prices vary). */
  spotUpperBound: string[];
  /** If nothing changes: this month's remaining compute (until each instance's max runtime or month end) plus storage for the rest of the month. */
  projectedRestOfMonth: number;
}

export function liveCost(instances: ReadonlyArray<InstanceInfo>, nowMs: number): LiveCost {
  const running = instances.filter((i) => i.state === 'running' || i.state === 'pending');
  const monthEnd = nextMonthStartUtc(nowMs);
  let hourlyRate = 0;
  let accruedCompute = 0;
  let projected = 0;
  const unpriced: string[] = [];
  const spotUpperBound = running.filter((i) => i.spot).map((i) => `${i.id} (${i.type})`);
  for (const i of running) {
    if (i.hourlyPrice === null) {
      unpriced.push(`${i.id} (${i.type})`);
      continue;
    }
    hourlyRate += i.hourlyPrice;
    accruedCompute += accruedCost(i.hourlyPrice, i.uptimeMs);
    projected += i.hourlyPrice * (remainingRunMs(i, nowMs, monthEnd) / HOUR_MS);
  }
  const storageMonthly = instances.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').reduce((s, i) => s + i.storageMonthly, 0);
  projected += (storageMonthly * (monthEnd - nowMs)) / HOURS_PER_MONTH_MS;
  return {
    at: new Date(nowMs).toISOString(),
    running: running.length,
    hourlyRate,
    accruedCompute,
    storageMonthly,
    unpriced,
    spotUpperBound,
    projectedRestOfMonth: projected,
  };
}

/** How much longer a running instance will bill this month: until its max runtime, else month end. */
export function remainingRunMs(i: InstanceInfo, nowMs: number, monthEndMs: number): number {
  const untilMonthEnd = Math.max(0, monthEndMs - nowMs);
  if (i.maxRuntimeMinutes === null) return untilMonthEnd;
  const left = i.maxRuntimeMinutes * 60_000 - i.uptimeMs;
  return Math.max(0, Math.min(left, untilMonthEnd));
}
