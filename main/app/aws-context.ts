/**
 * AWS clients and compute services for the current S3 settings, rebuilt when the destination,
 * region, profile, endpoint or local budget limit change (the CLI's per-container cache cannot
 * follow a settings change; the app's settings change while it runs). In local-archive mode
 * there is none and nothing touches AWS.
 */
import { userInfo } from 'node:os';
import type { Settings } from '../config/schema.ts';
import { createAwsClients, type AwsClients } from '../aws/clients.ts';
import { awsConnection } from '../services.ts';
import { createJsonFileStore } from '../cost/cache-store.ts';
import { systemClock, systemTimers } from '../cost/clock.ts';
import { createComputeServices, type ComputeServices } from '../instances/compute-services.ts';
import type { GuardrailEvent } from '../instances/guardrails.ts';

export interface AwsContext {
  clients: AwsClients;
  compute: ComputeServices;
  owner: string;
}

export interface AwsContextDeps {
  env: NodeJS.ProcessEnv;
  /** JSON cache of Cost Explorer answers and budget overrides. */
  cacheFile: string;
  /** Run the instance guardrails (idle, max runtime, budget thresholds) while in AWS mode. */
  guardrails: boolean;
  onGuardrailEvent?: (e: GuardrailEvent) => void;
}

export interface AwsContexts {
  /** The context for these settings, or null in local-archive mode. */
  of(settings: Settings): AwsContext | null;
  dispose(): void;
}

export function ownerName(env: NodeJS.ProcessEnv): string {
  if (env.SCOPECLOUD_OWNER) return env.SCOPECLOUD_OWNER;
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

export function createAwsContexts(d: AwsContextDeps): AwsContexts {
  let current: { key: string; ctx: AwsContext } | null = null;
  const drop = () => {
    if (!current) return;
    current.ctx.compute.guardrails.stop();
    current.ctx.clients.destroy();
    current = null;
  };
  return {
    of(settings) {
      if (settings.target.kind !== 's3') {
        drop();
        return null;
      }
      const key = JSON.stringify([settings.target, settings.budget.monthlyLimitUsd]);
      if (current?.key === key) return current.ctx;
      drop();
      const conn = awsConnection(settings, d.env);
      const clients = createAwsClients(conn);
      const owner = ownerName(d.env);
      const compute = createComputeServices({
        ...clients,
        clock: systemClock,
        timers: systemTimers,
        store: createJsonFileStore(d.cacheFile),
        region: conn.region,
        owner,
        localMonthlyLimitUsd: settings.budget.monthlyLimitUsd,
        budgetName: d.env.SCOPECLOUD_BUDGET || null,
        onGuardrailEvent: d.onGuardrailEvent,
      });
      if (d.guardrails) compute.guardrails.start();
      current = { key, ctx: { clients, compute, owner } };
      return current.ctx;
    },
    dispose: drop,
  };
}
