/**
 * What stopped instances still cost: a stopped instance bills nothing for compute but keeps its
 * EBS volumes (often 100-300 GB) billing every month. This names each stopped instance's disk
 * cost and how long it has been stopped, and which ones are due a reminder (stopped for
 * REMIND_AFTER_DAYS or more): the tray, the Instances view and the daily summary show them.
 */
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { usd } from '../cost/money.ts';
import { STOPPED_DISK_REMIND_DAYS } from '../../preload/api.ts';

export const REMIND_AFTER_DAYS = STOPPED_DISK_REMIND_DAYS;
const DAY_MS = 86_400_000;

export interface StoppedDisk {
  id: string;
  name: string;
  /** GB of attached volumes. */
  sizeGb: number;
  /** Their monthly cost at the price table's EBS prices. */
  monthly: number;
  /** Epoch ms the instance stopped (EC2's state transition time); null when EC2 does not say. */
  since: number | null;
  /** Whole days stopped; null when unknown. */
  days: number | null;
  /** Stopped at least REMIND_AFTER_DAYS: worth reminding (terminate it, or snapshot and terminate). */
  remind: boolean;
}

export function stoppedDisks(instances: readonly InstanceInfo[], nowMs: number): StoppedDisk[] {
  return instances
    .filter((i) => i.state === 'stopped')
    .map((i) => {
      const since = i.stateSince ? Date.parse(i.stateSince) : NaN;
      const days = Number.isFinite(since) ? Math.max(0, Math.floor((nowMs - since) / DAY_MS)) : null;
      return {
        id: i.id,
        name: i.name,
        sizeGb: i.volumes.reduce((s, v) => s + v.sizeGb, 0),
        monthly: i.storageMonthly,
        since: Number.isFinite(since) ? since : null,
        days,
        remind: days !== null && days >= REMIND_AFTER_DAYS,
      };
    })
    .sort((a, b) => b.monthly - a.monthly);
}

/** One line for a tooltip or a notification: "2 stopped instances keep 400 GB of disk: $32.00/month". */
export function stoppedDisksLine(disks: readonly StoppedDisk[]): string | null {
  if (disks.length === 0) return null;
  const gb = disks.reduce((s, d) => s + d.sizeGb, 0);
  const monthly = disks.reduce((s, d) => s + d.monthly, 0);
  const n = disks.length;
  return `${n} stopped instance${n === 1 ? '' : 's'} keep${n === 1 ? 's' : ''} ${gb} GB of disk: ${usd(monthly)}/month`;
}
