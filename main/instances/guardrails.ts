/**
 * Guardrails against forgotten instances, run by the app every few minutes (`tick`):
 * - max runtime: a managed instance running longer than its scopecloud:max-runtime tag (plus a
 *   grace period for the on-instance shutdown timer, which should have fired first) is stopped or
 *   terminated according to its scopecloud:expiry-action tag;
 * - idle: a running instance whose CPU stayed below the threshold for the window is warned
 *   about once, and stopped `stopAfterWarningMinutes` later if still idle and `idleAction` is
 *   'stop';
 * - long running: one event when an instance passes `longRunningMinutes`;
 * - budgets (when `budgets` is given): one event each time a budget reaches a higher threshold
 *   (50/80/100 %) than the one last seen; DescribeBudgets is free, so reading it each tick is fine.
 * Events go to `onEvent` (the tray and notifications) and are returned from `tick`.
 */
import type { BudgetStatus } from '../budget/budgets.ts';
import { checkIdle, type CloudWatchApi } from './idle.ts';
import type { InstanceService } from './instance-service.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { type Clock, type Intervals } from '../common/time.ts';

export type GuardrailEvent =
  | { kind: 'max-runtime'; instanceId: string; name: string; uptimeMs: number; maxRuntimeMinutes: number; action: 'stop' | 'terminate'; error: string | null }
  | { kind: 'idle-warning'; instanceId: string; name: string; averageCpu: number | null; windowMinutes: number }
  | { kind: 'idle-stopped'; instanceId: string; name: string; averageCpu: number | null; error: string | null }
  | { kind: 'long-running'; instanceId: string; name: string; uptimeMs: number }
  | { kind: 'budget-threshold'; budget: string; level: number; spent: number; limit: number }
  | { kind: 'check-failed'; instanceId: string | null; message: string };

export interface GuardrailOptions {
  idleThresholdPercent: number;
  idleWindowMinutes: number;
  idleAction: 'warn' | 'stop';
  stopAfterWarningMinutes: number;
  longRunningMinutes: number;
  maxRuntimeGraceMinutes: number;
  intervalMs: number;
}

export const DEFAULT_GUARDRAILS: GuardrailOptions = {
  idleThresholdPercent: 5,
  idleWindowMinutes: 30,
  idleAction: 'warn',
  stopAfterWarningMinutes: 15,
  longRunningMinutes: 120,
  maxRuntimeGraceMinutes: 2,
  intervalMs: 5 * 60_000,
};

export interface Guardrails {
  tick(): Promise<GuardrailEvent[]>;
  start(): void;
  stop(): void;
}

export function createGuardrails(deps: {
  instances: InstanceService;
  cloudwatch: CloudWatchApi;
  clock: Clock;
  timers: Intervals;
  options?: Partial<GuardrailOptions>;
  onEvent?: (event: GuardrailEvent) => void;
  budgets?: () => Promise<BudgetStatus[]>;
}): Guardrails {
  const o = { ...DEFAULT_GUARDRAILS, ...deps.options };
  const idleWarnedAt = new Map<string, number>();
  const longRunningSent = new Set<string>();
  const budgetLevel = new Map<string, number>();
  let handle: unknown = null;
  let running: Promise<GuardrailEvent[]> | null = null;

  async function enforceMaxRuntime(i: InstanceInfo): Promise<GuardrailEvent | null> {
    if (i.maxRuntimeMinutes === null) return null;
    if (i.uptimeMs < (i.maxRuntimeMinutes + o.maxRuntimeGraceMinutes) * 60_000) return null;
    let error: string | null = null;
    try {
      if (i.expiryAction === 'terminate') await deps.instances.terminate(i.id, { confirm: i.id });
      else await deps.instances.stop(i.id);
    } catch (e) {
      error = (e as Error).message;
    }
    return { kind: 'max-runtime', instanceId: i.id, name: i.name, uptimeMs: i.uptimeMs, maxRuntimeMinutes: i.maxRuntimeMinutes, action: i.expiryAction, error };
  }

  async function watchIdle(i: InstanceInfo, now: number): Promise<GuardrailEvent | null> {
    const verdict = await checkIdle(deps.cloudwatch, i.id, {
      nowMs: now,
      uptimeMs: i.uptimeMs,
      thresholdPercent: o.idleThresholdPercent,
      windowMinutes: o.idleWindowMinutes,
    });
    if (!verdict.idle) {
      idleWarnedAt.delete(i.id);
      return null;
    }
    const warnedAt = idleWarnedAt.get(i.id);
    if (warnedAt === undefined) {
      idleWarnedAt.set(i.id, now);
      return { kind: 'idle-warning', instanceId: i.id, name: i.name, averageCpu: verdict.averageCpu, windowMinutes: o.idleWindowMinutes };
    }
    if (o.idleAction !== 'stop' || now - warnedAt < o.stopAfterWarningMinutes * 60_000) return null;
    idleWarnedAt.delete(i.id);
    let error: string | null = null;
    try {
      await deps.instances.stop(i.id);
    } catch (e) {
      error = (e as Error).message;
    }
    return { kind: 'idle-stopped', instanceId: i.id, name: i.name, averageCpu: verdict.averageCpu, error };
  }

  async function tickOnce(): Promise<GuardrailEvent[]> {
    const events: GuardrailEvent[] = [];
    let list: InstanceInfo[];
    try {
      list = (await deps.instances.list()).filter((i) => i.state === 'running');
    } catch (e) {
      events.push({ kind: 'check-failed', instanceId: null, message: (e as Error).message });
      return events;
    }
    const now = deps.clock.now();
    for (const i of list) {
      try {
        const expired = await enforceMaxRuntime(i);
        if (expired) {
          events.push(expired);
          continue;
        }
        const idle = await watchIdle(i, now);
        if (idle) events.push(idle);
        if (i.uptimeMs >= o.longRunningMinutes * 60_000 && !longRunningSent.has(i.id)) {
          longRunningSent.add(i.id);
          events.push({ kind: 'long-running', instanceId: i.id, name: i.name, uptimeMs: i.uptimeMs });
        }
      } catch (e) {
        events.push({ kind: 'check-failed', instanceId: i.id, message: (e as Error).message });
      }
    }
    if (deps.budgets) {
      try {
        for (const b of await deps.budgets()) {
          const seen = budgetLevel.get(b.name) ?? 0;
          budgetLevel.set(b.name, b.level);
          if (b.level > seen) events.push({ kind: 'budget-threshold', budget: b.name, level: b.level, spent: b.actual, limit: b.limit });
        }
      } catch (e) {
        events.push({ kind: 'check-failed', instanceId: null, message: (e as Error).message });
      }
    }
    const alive = new Set(list.map((i) => i.id));
    for (const id of [...longRunningSent]) if (!alive.has(id)) longRunningSent.delete(id);
    for (const e of events) deps.onEvent?.(e);
    return events;
  }

  return {
    tick() {
      running ??= tickOnce().finally(() => {
        running = null;
      });
      return running;
    },
    start() {
      if (handle !== null) return;
      handle = deps.timers.setInterval(() => {
        void this.tick();
      }, o.intervalMs);
    },
    stop() {
      if (handle !== null) deps.timers.clearInterval(handle);
      handle = null;
    },
  };
}
