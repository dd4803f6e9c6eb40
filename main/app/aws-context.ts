/**
 * AWS clients and compute services for the current settings, rebuilt when the destination,
 * region, profile, endpoint or local budget limit change (the app's settings change while it
 * runs). One per process, owned by the composition root (main/services.ts): the app and every
 * CLI command get their compute services here. In local-archive mode the app has none
 * (`of`), while the CLI may still address EC2 through the environment's AWS settings (`any`).
 */
import type { Settings } from '../config/schema.ts';
import { createAwsClients, type AwsClients } from '../aws/clients.ts';
import { awsConnection } from '../aws/connection.ts';
import { createJsonFileStore } from '../cost/cache-store.ts';
import { createComputeServices, type ComputeServices } from '../instances/compute-services.ts';
import type { GuardrailEvent } from '../instances/guardrails.ts';
import { createInstancePoller, type InstancePoller } from '../instances/instance-poller.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { systemClock, backgroundTimers, type Timeouts } from '../common/time.ts';

export interface AwsContext {
  clients: AwsClients;
  compute: ComputeServices;
  owner: string;
  /** Lists the app's instances adaptively (fast while one is changing state); null when not polling. */
  poller: InstancePoller | null;
}

/** What a long-running host (the app, `serve`) runs in the background while in AWS mode. */
export interface AwsBackground {
  /** Run the instance guardrails (idle, max runtime, budget thresholds). */
  guardrails: boolean;
  onGuardrailEvent?: (e: GuardrailEvent) => void;
  /** Poll the app's instances and report each changed list. */
  pollInstances?: boolean;
  onInstancesChanged?: (instances: InstanceInfo[], previous: InstanceInfo[] | null) => void;
  /** Default: real timers that do not keep the process alive. */
  pollTimers?: Timeouts;
}

export interface AwsContextDeps {
  env: NodeJS.ProcessEnv;
  owner: string;
  /** JSON cache of Cost Explorer answers and budget overrides. */
  cacheFile: string;
  /** Background work; default none (a CLI command). */
  background?: AwsBackground;
}

export interface AwsContexts {
  /** The context for these settings, or null in local-archive mode. */
  of(settings: Settings): AwsContext | null;
  /** The context for these settings whatever the destination (the CLI's instances, budget, cost). */
  any(settings: Settings): AwsContext;
  /** Starts background work from now on (the current context is rebuilt with it). */
  runInBackground(background: AwsBackground): void;
  dispose(): void;
}

export function createAwsContexts(d: AwsContextDeps): AwsContexts {
  let background = d.background ?? null;
  let current: { key: string; ctx: AwsContext } | null = null;
  const drop = () => {
    if (!current) return;
    current.ctx.compute.guardrails.stop();
    current.ctx.poller?.stop();
    current.ctx.clients.destroy();
    current = null;
  };
  function build(settings: Settings): AwsContext {
    const key = JSON.stringify([settings.target, settings.budget.monthlyLimitUsd, settings.budget.maxRuntimeHours]);
    if (current?.key === key) return current.ctx;
    drop();
    const conn = awsConnection(settings, d.env);
    const clients = createAwsClients(conn);
    const owner = d.owner;
    const compute = createComputeServices({
      ...clients,
      clock: systemClock,
      timers: backgroundTimers,
      store: createJsonFileStore(d.cacheFile),
      overrideLog: settings.target.kind === 's3' ? { s3: clients.s3, bucket: settings.target.bucket, prefix: settings.target.prefix } : null,
      region: conn.region,
      owner,
      localMonthlyLimitUsd: settings.budget.monthlyLimitUsd,
      maxRuntimeLimitMinutes: Math.round(settings.budget.maxRuntimeHours * 60),
      budgetName: d.env.SCOPECLOUD_BUDGET || null,
      onGuardrailEvent: (e) => background?.onGuardrailEvent?.(e),
    });
    if (background?.guardrails) compute.guardrails.start();
    const poller = background?.pollInstances
      ? createInstancePoller({
          list: () => compute.instances.list(),
          timers: background.pollTimers ?? backgroundTimers,
          onChange: (list, previous) => background?.onInstancesChanged?.(list, previous),
        })
      : null;
    poller?.start();
    current = { key, ctx: { clients, compute, owner, poller } };
    return current.ctx;
  }
  return {
    of(settings) {
      if (settings.target.kind !== 's3') {
        drop();
        return null;
      }
      return build(settings);
    },
    any: build,
    runInBackground(b) {
      background = b;
      drop();
    },
    dispose: drop,
  };
}
