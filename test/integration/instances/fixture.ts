/**
 * Shared set-up for the compute integration tests: SDK clients pointed at moto (or a fault proxy
 * in front of it), a fake clock, and `createComputeServices` wired with both.
 */
import { BudgetsClient } from '@aws-sdk/client-budgets';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createComputeServices, type ComputeServicesDeps } from '../../../main/instances/compute-services.ts';
import type { MotoServer } from '../../support/moto.ts';
import { type Intervals } from '../../../main/common/time.ts';

export interface FakeClock {
  now(): number;
  advance(ms: number): void;
}

export function fakeClock(start = Date.now()): FakeClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
  };
}

export const manualTimers: Intervals & { fire(): void } = (() => {
  const fns = new Map<number, () => void>();
  let next = 1;
  return {
    setInterval: (fn: () => void) => {
      fns.set(next, fn);
      return next++;
    },
    clearInterval: (h: unknown) => {
      fns.delete(h as number);
    },
    fire: () => {
      for (const fn of fns.values()) fn();
    },
  };
})();

export function awsClients(moto: MotoServer, options: { endpoint?: string; maxAttempts?: number } = {}) {
  const base = {
    region: moto.region,
    endpoint: options.endpoint ?? moto.endpoint,
    credentials: moto.credentials,
    ...(options.maxAttempts ? { maxAttempts: options.maxAttempts } : {}),
  };
  return {
    ec2: new EC2Client(base),
    ssm: new SSMClient(base),
    sts: new STSClient(base),
    cloudwatch: new CloudWatchClient(base),
    budgets: new BudgetsClient({ ...base, region: 'us-east-1' }),
    costExplorer: new CostExplorerClient({ ...base, region: 'us-east-1' }),
  };
}

/**
 * The local monthly limit `computeOn` gives by default: launches are refused without a limit
 * (issue #16 pt 6), and this one is far above anything a test launches. A test of the refusal
 * passes `localMonthlyLimitUsd: null`.
 */
export const ROOMY_LIMIT_USD = 100_000;

export function computeOn(moto: MotoServer, overrides: Partial<ComputeServicesDeps> & { clock: FakeClock }) {
  const store = createMemoryStore();
  const services = createComputeServices({
    ...awsClients(moto),
    timers: manualTimers,
    store,
    region: moto.region,
    owner: 'tester',
    project: 'zebrafish',
    localMonthlyLimitUsd: ROOMY_LIMIT_USD,
    ...overrides,
  });
  return { services, store };
}
