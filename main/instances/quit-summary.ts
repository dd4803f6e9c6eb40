/**
 * What the app shows when the user quits with instances still running: closing the app does
 * not stop them (the mistake the paper warns about), so the user chooses.
 */
import { duration, usd } from '../cost/money.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';

export type QuitChoice = 'stop-all' | 'keep-running' | 'cancel';

export interface QuitSummary {
  count: number;
  hourlyRate: number;
  accrued: number;
  instances: { id: string; name: string; type: string; uptime: string; accrued: number | null; stopsItselfIn: string | null }[];
  /** Null when nothing runs (quit without asking). */
  message: string | null;
  choices: ReadonlyArray<QuitChoice>;
}

export function runningInstancesSummary(instances: ReadonlyArray<InstanceInfo>): QuitSummary {
  const running = instances.filter((i) => i.state === 'running' || i.state === 'pending');
  const hourlyRate = running.reduce((s, i) => s + (i.hourlyPrice ?? 0), 0);
  const accrued = running.reduce((s, i) => s + (i.accruedCost ?? 0), 0);
  const rows = running.map((i) => ({
    id: i.id,
    name: i.name,
    type: i.type,
    uptime: duration(i.uptimeMs),
    accrued: i.accruedCost,
    stopsItselfIn: i.maxRuntimeMinutes !== null ? duration(Math.max(0, i.maxRuntimeMinutes * 60_000 - i.uptimeMs)) : null,
  }));
  if (running.length === 0) return { count: 0, hourlyRate: 0, accrued: 0, instances: [], message: null, choices: [] };
  const unbounded = rows.filter((r) => r.stopsItselfIn === null).length;
  const message =
    `${running.length} instance${running.length === 1 ? ' is' : 's are'} still running and billing ${usd(hourlyRate)}/h ` +
    `(${usd(accrued)} so far). Quitting ScopeCloud does not stop ${running.length === 1 ? 'it' : 'them'}.` +
    (unbounded ? ` ${unbounded} ha${unbounded === 1 ? 's' : 've'} no maximum runtime and will run until stopped.` : '');
  return { count: running.length, hourlyRate, accrued, instances: rows, message, choices: ['stop-all', 'keep-running', 'cancel'] };
}
