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
import { createInstancePoller, type InstancePoller } from '../instances/instance-poller.ts';
import type { InstanceInfo } from '../instances/types.ts';
import { backgroundTimers, type Timers } from '../upload/timers.ts';

export interface AwsContext {
  clients: AwsClients;
  compute: ComputeServices;
  owner: string;
  /** Lists the app's instances adaptively (fast while one is changing state); null when not polling. */
  poller: InstancePoller | null;
}

export interface AwsContextDeps {
  env: NodeJS.ProcessEnv;
  /** JSON cache of Cost Explorer answers and budget overrides. */
  cacheFile: string;
  /** Run the instance guardrails (idle, max runtime, budget thresholds) while in AWS mode. */
  guardrails: boolean;
  onGuardrailEvent?: (e: GuardrailEvent) => void;
  /** Poll the app's instances while in AWS mode (default false) and report each changed list. */
  pollInstances?: boolean;
  onInstancesChanged?: (instances: InstanceInfo[], previous: InstanceInfo[] | null) => void;
  /** Default: real timers that do not keep the process alive. */
  pollTimers?: Timers;
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
    current.ctx.poller?.stop();
    current.ctx.clients.destroy();
    current = null;
  };
  return {
    of(settings) {
      if (settings.target.kind !== 's3') {
        drop();
        return null;
      }
      const key = JSON.stringify([settings.target, settings.budget.monthlyLimitUsd, settings.budget.maxRuntimeHours]);
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
        maxRuntimeLimitMinutes: Math.round(settings.budget.maxRuntimeHours * 60),
        budgetName: d.env.SCOPECLOUD_BUDGET || null,
        onGuardrailEvent: d.onGuardrailEvent,
      });
      if (d.guardrails) compute.guardrails.start();
      const poller = d.pollInstances
        ? createInstancePoller({
          list: () => compute.instances.list(),
          timers: d.pollTimers ?? backgroundTimers,
          onChange: (list, previous) => d.onInstancesChanged?.(list, previous),
        })
        : null;
      poller?.start();
      current = { key, ctx: { clients, compute, owner, poller } };
      return current.ctx;
    },
    dispose: drop,
  };
}
