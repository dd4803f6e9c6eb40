/** The instance view shared by the instance service, cost, budget guard, guardrails and tray. */

export type InstanceState = 'pending' | 'running' | 'stopping' | 'stopped' | 'shutting-down' | 'terminated';

export type ExpiryAction = 'stop' | 'terminate';

export interface VolumeInfo {
  id: string;
  sizeGb: number;
  type: string;
  deleteOnTermination: boolean;
}

export interface InstanceInfo {
  id: string;
  /** The Name tag, or the id when there is none. */
  name: string;
  type: string;
  state: InstanceState;
  /** ISO time of the latest start (EC2 resets LaunchTime when a stopped instance starts). */
  launchTime: string | null;
  /**
   * ISO time of the latest stop or termination, from EC2's StateTransitionReason ("User initiated
   * (2026-11-27 10:00:00 GMT)"); null when EC2 states none (running instances, or a reason without a time).
   */
  stateSince?: string | null;
  /** Milliseconds running since launchTime; 0 unless pending/running. */
  uptimeMs: number;
  tags: Record<string, string>;
  owner: string | null;
  purpose: string | null;
  preset: string | null;
  /** From the scopecloud:max-runtime tag, minutes; null when absent. */
  maxRuntimeMinutes: number | null;
  expiryAction: ExpiryAction;
  /** Launched by ScopeCloud (scopecloud:app tag). */
  managed: boolean;
  /** A Spot instance (EC2 InstanceLifecycle or the scopecloud:market tag); its costs use the on-demand price as an upper bound. */
  spot?: boolean;
  /** On-demand price from the price table; null when the table has none. */
  hourlyPrice: number | null;
  /** Compute cost since launchTime (price x uptime); null when the price is unknown. */
  accruedCost: number | null;
  volumes: VolumeInfo[];
  /** Monthly cost of the attached volumes (billed whether running or stopped). */
  storageMonthly: number;
}

/** Tag keys ScopeCloud writes; reading code uses these, never string literals. */
export const TAG = {
  app: 'scopecloud:app',
  owner: 'scopecloud:owner',
  project: 'scopecloud:project',
  purpose: 'scopecloud:purpose',
  preset: 'scopecloud:preset',
  maxRuntime: 'scopecloud:max-runtime',
  expiryAction: 'scopecloud:expiry-action',
  launchToken: 'scopecloud:launch-token',
  /** 'spot' on one-time Spot launches; absent for on-demand. */
  market: 'scopecloud:market',
  /** 'every-boot' when the instance re-arms its maximum runtime at every boot (launch-spec.ts). */
  deadline: 'scopecloud:deadline',
  name: 'Name',
} as const;

export const APP_TAG_VALUE = 'scopecloud';

/** The scopecloud:deadline value of instances whose maximum runtime is re-armed at every boot. */
export const DEADLINE_EVERY_BOOT = 'every-boot';

export function isActive(state: InstanceState): boolean {
  return state === 'pending' || state === 'running';
}

export function isTransitional(state: InstanceState): boolean {
  return state === 'pending' || state === 'stopping' || state === 'shutting-down';
}
