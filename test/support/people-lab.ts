/**
 * Shared set-up of the lab manager's by-person e2e tests (budget-people, budget-people-assign):
 * a session's manifest as a rig writes it, and this month's Cost Explorer answers moto gives back.
 */
import { buildManifest } from '../../main/session/manifest.ts';
import type { MotoServer } from './moto.ts';

/** The manifest.json a rig closes `session` (under /data/rig1) with, naming who recorded it when given. */
export async function sessionManifest(session: string, recordedBy?: { owner: string; host: string }): Promise<string> {
  return JSON.stringify(
    await buildManifest(
      { root: '/data/rig1', dir: `/data/rig1/${session}`, files: [], closedBy: 'idle', ...(recordedBy ? { recordedBy } : {}) },
      { readTiffs: async () => new Map() },
    ),
  );
}

const cost = (amount: string) => ({ UnblendedCost: { Amount: amount, Unit: 'USD' } });

/**
 * Queues this month's two Cost Explorer answers in moto, in the order the app asks: EC2 compute by
 * service, then spend by the `scopecloud:owner` tag (`''` = untagged).
 */
export async function stubMonthCosts(moto: MotoServer, computeUsd: string, byOwner: Record<string, string>): Promise<void> {
  const now = new Date();
  const day = (d: Date) => d.toISOString().slice(0, 10);
  const period = { Start: day(new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1))), End: day(new Date(now.getTime() + 86_400_000)) };
  const groups = Object.entries(byOwner).map(([owner, amount]) => ({ Keys: [`scopecloud:owner$${owner}`], Metrics: cost(amount) }));
  await moto.post('/moto-api/static/ce/cost-and-usage-results', {
    results: [
      { ResultsByTime: [{ TimePeriod: period, Total: {}, Groups: [{ Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: cost(computeUsd) }] }] },
      { ResultsByTime: [{ TimePeriod: period, Total: {}, Groups: groups }] },
    ],
  });
}
