/**
 * What quitting has to reckon with, asked of EC2 at that moment (never the status line's cached
 * count, which is 0 until the first list arrives): the running instances and their hourly price,
 * or why EC2 could not be asked. Used by the desktop app's quit prompt and by `scopecloud serve`
 * when it stops.
 */
import type { Instance } from '../../preload/api.ts';
import type { AppServices } from './contract.ts';

export interface RunningSummary {
  running: number;
  hourlyBurn: number;
  currency: string;
}

export type RunningCheck = { kind: 'instances'; summary: RunningSummary } | { kind: 'unknown'; reason: string };

/** Running (or starting) instances and their hourly price; an instance without a price adds 0. */
export function runningSummary(instances: Instance[], currency: string): RunningSummary {
  const live = instances.filter((i) => i.state === 'running' || i.state === 'pending');
  return { running: live.length, hourlyBurn: live.reduce((sum, i) => sum + (i.hourlyPrice ?? 0), 0), currency };
}

/** In local mode there is no AWS account to ask, and ScopeCloud has launched nothing. */
export async function checkRunning(services: Pick<AppServices, 'getStatus' | 'listInstances'>): Promise<RunningCheck> {
  const status = await services.getStatus();
  if (status.mode !== 'aws') return { kind: 'instances', summary: { running: 0, hourlyBurn: 0, currency: status.currency } };
  try {
    const { instances, currency } = await services.listInstances({ all: false });
    return { kind: 'instances', summary: runningSummary(instances, currency) };
  } catch (err) {
    return { kind: 'unknown', reason: err instanceof Error ? err.message : String(err) };
  }
}

export function formatHourly(s: RunningSummary): string {
  return `${s.currency === 'USD' ? '$' : `${s.currency} `}${s.hourlyBurn.toFixed(2)} per hour`;
}
