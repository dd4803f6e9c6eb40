/**
 * The instance service: list, start, stop, reboot, terminate and launch EC2 instances, each
 * action preceded by a plain-words explanation (`explain*`) the caller shows first.
 *
 * Contracts:
 * - `list()` shows the instances ScopeCloud launched (scopecloud:app tag); `{ all: true }` every
 *   instance in the account and region. Terminated instances are left out.
 * - Actions check the instance's state first and fail with WRONG_STATE naming it; terminate also
 *   needs `confirm` equal to the instance id or its Name.
 * - `start` and `launch` pass the budget guard (when one is given) before touching EC2.
 * - `launch` is idempotent per `clientToken`: it is sent as EC2's ClientToken and written as the
 *   scopecloud:launch-token tag; an instance already carrying the token is returned instead of a
 *   second launch, and failed attempts are retried (same token) only after that check.
 */
import { randomUUID } from 'node:crypto';
import { RebootInstancesCommand, StartInstancesCommand, StopInstancesCommand, TerminateInstancesCommand, type Tag } from '@aws-sdk/client-ec2';
import { ebsPerGbMonth, hourlyPrice, instanceSpec, type PriceTable } from '../cost/price-table.ts';
import type { BudgetGuard, BudgetOverride, GuardDecision } from '../budget/budget-guard.ts';
import { describeInstances, MANAGED_FILTER, type Ec2Api } from './describe.ts';
import { ComputeError, fromAwsError } from '../aws/errors.ts';
import { explainAction, explainLaunch, type Explanation, type InstanceAction } from './explain.ts';
import { latestAl2023Ami, type SsmApi } from './launch-support.ts';
import { launchLockedDown } from './launch-spec.ts';
import { effectiveExpiry, presetByName, SPOT_PRICE_NOTE, type LaunchPreset } from './presets.ts';
import { APP_TAG_VALUE, TAG, type InstanceInfo, type InstanceState } from '../aws/ec2-instance.ts';
import { buildUserData } from './user-data.ts';
import { sleep, systemTimers, type Clock } from '../common/time.ts';

export interface InstanceServiceDeps {
  ec2: Ec2Api;
  ssm: SsmApi;
  clock: Clock;
  prices: PriceTable;
  region: string;
  /** Default Owner tag (e.g. the OS user or the IAM user name). */
  owner: string;
  /** Default Project tag. */
  project?: string;
  guard?: BudgetGuard;
  /** Instance profile giving launched instances SSM Session Manager (and S3) access; none when unset. */
  instanceProfileName?: string;
  /** The lab's longest run for any instance (settings budget.maxRuntimeHours, in minutes): a
   *  preset's longer default is cut to it and a longer request is refused. None when unset. */
  maxRuntimeLimitMinutes?: number;
  /** Attempts per launch (each after checking the token); default 3. */
  launchAttempts?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface LaunchRequest {
  preset: string;
  name?: string;
  purpose?: string;
  owner?: string;
  project?: string;
  /** An AMI to launch instead of the latest Amazon Linux 2023 (e.g. one saved with createImage). */
  imageId?: string;
  /** Overrides the preset's maximum runtime. */
  maxRuntimeMinutes?: number;
  /** One-time Spot instead of on-demand; default the preset's `spot`. */
  spot?: boolean;
  /** Bash run at boot after the shutdown timer. */
  script?: string;
  /** Reuse the same token when retrying a launch; one is generated when absent. */
  clientToken?: string;
  override?: BudgetOverride;
}

export interface LaunchPlan {
  /** The preset with the expiry action the launch really gets (terminate for spot). */
  preset: LaunchPreset;
  spot: boolean;
  maxRuntimeMinutes: number;
  hourlyPrice: number;
  explanation: Explanation;
}

export interface LaunchResult {
  instance: InstanceInfo;
  clientToken: string;
  /** True when an instance with this token already existed and no new one was launched. */
  reused: boolean;
  guard: GuardDecision | null;
  userData: string;
}

export interface ActionResult {
  instance: InstanceInfo;
  previousState: InstanceState;
  currentState: InstanceState;
  explanation: Explanation;
  guard?: GuardDecision | null;
}

export interface InstanceService {
  /** The app's instances (every instance with `all`); terminated ones only with `includeTerminated` (EC2 shows them for about an hour). */
  list(options?: { all?: boolean; includeTerminated?: boolean }): Promise<InstanceInfo[]>;
  get(id: string): Promise<InstanceInfo>;
  explain(action: InstanceAction, id: string): Promise<{ instance: InstanceInfo; explanation: Explanation }>;
  planLaunch(request: Pick<LaunchRequest, 'preset' | 'maxRuntimeMinutes' | 'spot'>): LaunchPlan;
  start(id: string, options?: { override?: BudgetOverride }): Promise<ActionResult>;
  stop(id: string): Promise<ActionResult>;
  reboot(id: string): Promise<ActionResult>;
  terminate(id: string, options: { confirm: string }): Promise<ActionResult>;
  launch(request: LaunchRequest): Promise<LaunchResult>;
}

const ALLOWED: Record<InstanceAction, ReadonlyArray<InstanceState>> = {
  start: ['stopped'],
  stop: ['running', 'pending'],
  reboot: ['running'],
  terminate: ['pending', 'running', 'stopping', 'stopped'],
};

export function createInstanceService(deps: InstanceServiceDeps): InstanceService {
  const ctx = { ec2: deps.ec2, clock: deps.clock, prices: deps.prices, region: deps.region };
  const attempts = Math.max(1, deps.launchAttempts ?? 3);
  const pause = deps.sleep ?? ((ms: number) => sleep(systemTimers, ms));

  async function get(id: string): Promise<InstanceInfo> {
    if (!/^i-[0-9a-f]{8,17}$/.test(id)) {
      throw new ComputeError('UNKNOWN_INSTANCE', `"${id}" is not an instance id (they look like i-0123456789abcdef0)`);
    }
    const [found] = await describeInstances(ctx, { instanceIds: [id], includeTerminated: true });
    if (!found) throw new ComputeError('UNKNOWN_INSTANCE', `no instance ${id} in ${deps.region}`);
    return found;
  }

  function requireState(action: InstanceAction, i: InstanceInfo): void {
    if (!ALLOWED[action].includes(i.state)) {
      throw new ComputeError(
        'WRONG_STATE',
        `cannot ${action} ${i.id}: it is ${i.state}` + (action === 'start' && i.state === 'stopping' ? '; wait until it has stopped' : ''),
      );
    }
  }

  async function runningOthers(exceptId?: string): Promise<InstanceInfo[]> {
    const all = await describeInstances(ctx, { filters: [{ Name: 'instance-state-name', Values: ['pending', 'running'] }] });
    return all.filter((i) => i.id !== exceptId);
  }

  function planLaunch(request: Pick<LaunchRequest, 'preset' | 'maxRuntimeMinutes' | 'spot'>): LaunchPlan {
    const named = presetByName(request.preset);
    const spot = request.spot ?? named.spot ?? false;
    const preset: LaunchPreset = { ...named, spot, expiryAction: effectiveExpiry(named, spot) };
    const limit = deps.maxRuntimeLimitMinutes;
    if (limit !== undefined && request.maxRuntimeMinutes !== undefined && request.maxRuntimeMinutes > limit) {
      throw new ComputeError(
        'INVALID_INPUT',
        `a maximum runtime of ${request.maxRuntimeMinutes} min is longer than the lab's limit of ${limit} min per instance (settings budget.maxRuntimeHours)`,
      );
    }
    const maxRuntimeMinutes = request.maxRuntimeMinutes ?? Math.min(preset.maxRuntimeMinutes, limit ?? Infinity);
    const price = hourlyPrice(deps.prices, deps.region, preset.instanceType);
    const spec = instanceSpec(deps.prices, preset.instanceType);
    const explanation = explainLaunch({
      preset: { ...preset, maxRuntimeMinutes },
      hourlyPrice: price,
      diskMonthly: preset.diskGb * ebsPerGbMonth(deps.prices, deps.region),
      vcpu: spec?.vcpu ?? null,
      memoryGiB: spec?.memoryGiB ?? null,
      gpu: spec?.gpu ?? null,
    });
    if (spot) {
      explanation.what = explanation.what.replace('Starts a new', 'Starts a new one-time Spot');
      explanation.cost += ` ${SPOT_PRICE_NOTE} AWS may interrupt it at any time (it is then terminated).`;
      if (!explanation.lost.length) explanation.lost.push('the disk is deleted when the Spot instance terminates or is interrupted: keep results in S3');
    }
    return { preset, spot, maxRuntimeMinutes, hourlyPrice: price, explanation };
  }

  async function byToken(token: string): Promise<InstanceInfo | null> {
    const found = await describeInstances(ctx, {
      filters: [{ Name: `tag:${TAG.launchToken}`, Values: [token] }],
    });
    return found.sort((a, b) => (a.launchTime ?? '').localeCompare(b.launchTime ?? ''))[0] ?? null;
  }

  async function transition(
    action: InstanceAction,
    id: string,
    call: () => Promise<{ currentState: InstanceState | undefined }>,
    guard?: GuardDecision | null,
  ): Promise<ActionResult> {
    const before = await get(id);
    requireState(action, before);
    let currentState: InstanceState | undefined;
    try {
      ({ currentState } = await call());
    } catch (e) {
      throw fromAwsError(e, `${action} ${id}`);
    }
    return {
      instance: { ...before, state: currentState ?? before.state },
      previousState: before.state,
      currentState: currentState ?? before.state,
      explanation: explainAction(action, before),
      guard,
    };
  }

  return {
    list: (options = {}) => describeInstances(ctx, { filters: options.all ? [] : [MANAGED_FILTER], includeTerminated: options.includeTerminated }),
    get,
    async explain(action, id) {
      const instance = await get(id);
      return { instance, explanation: explainAction(action, instance) };
    },
    planLaunch,

    async start(id, options = {}) {
      const before = await get(id);
      requireState('start', before);
      let decision: GuardDecision | null = null;
      if (deps.guard) {
        const price = before.hourlyPrice ?? hourlyPrice(deps.prices, deps.region, before.type);
        decision = await deps.guard.check({
          action: 'start',
          subject: id,
          hourlyPrice: price,
          plannedHours: before.maxRuntimeMinutes !== null ? before.maxRuntimeMinutes / 60 : hoursToMonthEnd(deps.clock.now()),
          running: await runningOthers(id),
          override: options.override,
        });
      }
      return transition(
        'start',
        id,
        async () => {
          const out = await deps.ec2.send(new StartInstancesCommand({ InstanceIds: [id] }));
          return { currentState: out.StartingInstances?.[0]?.CurrentState?.Name as InstanceState | undefined };
        },
        decision,
      );
    },

    stop: (id) =>
      transition('stop', id, async () => {
        const out = await deps.ec2.send(new StopInstancesCommand({ InstanceIds: [id] }));
        return { currentState: out.StoppingInstances?.[0]?.CurrentState?.Name as InstanceState | undefined };
      }),

    reboot: (id) =>
      transition('reboot', id, async () => {
        await deps.ec2.send(new RebootInstancesCommand({ InstanceIds: [id] }));
        return { currentState: 'running' };
      }),

    async terminate(id, options) {
      const before = await get(id);
      const confirm = options.confirm?.trim() ?? '';
      if (confirm !== before.id && (before.name === before.id || confirm !== before.name)) {
        throw new ComputeError(
          'CONFIRMATION_REQUIRED',
          `terminating ${before.id} destroys it and its disks: confirm by naming it (${before.name === before.id ? before.id : `${before.id} or "${before.name}"`})`,
        );
      }
      return transition('terminate', id, async () => {
        const out = await deps.ec2.send(new TerminateInstancesCommand({ InstanceIds: [id] }));
        return { currentState: out.TerminatingInstances?.[0]?.CurrentState?.Name as InstanceState | undefined };
      });
    },

    async launch(request) {
      const plan = planLaunch(request);
      const { preset, maxRuntimeMinutes } = plan;
      const userData = buildUserData(maxRuntimeMinutes, request.script);
      const token = request.clientToken ?? randomUUID();
      if (token.length > 64) throw new ComputeError('INVALID_INPUT', 'client token must be at most 64 characters');

      const existing = await byToken(token);
      if (existing) return { instance: existing, clientToken: token, reused: true, guard: null, userData: userData.script };

      const decision = deps.guard
        ? await deps.guard.check({
            action: 'launch',
            subject: preset.name,
            hourlyPrice: plan.hourlyPrice,
            plannedHours: maxRuntimeMinutes / 60,
            running: await runningOthers(),
            override: request.override,
          })
        : null;

      const imageId = request.imageId ?? (await latestAl2023Ami(deps.ssm));
      const owner = request.owner ?? deps.owner;
      const tags: Tag[] = [
        { Key: TAG.name, Value: request.name ?? `scopecloud-${preset.name}` },
        { Key: TAG.app, Value: APP_TAG_VALUE },
        { Key: TAG.owner, Value: owner },
        { Key: TAG.project, Value: request.project ?? deps.project ?? 'default' },
        { Key: TAG.purpose, Value: request.purpose ?? preset.description },
        { Key: TAG.preset, Value: preset.name },
        { Key: TAG.maxRuntime, Value: String(maxRuntimeMinutes) },
        { Key: TAG.expiryAction, Value: preset.expiryAction },
        { Key: TAG.launchToken, Value: token },
        ...(plan.spot ? [{ Key: TAG.market, Value: 'spot' }] : []),
      ];
      const subject = `launch ${preset.name} (${preset.instanceType})`;
      let reused = false;
      const id = await launchLockedDown(
        deps.ec2,
        {
          imageId,
          instanceType: preset.instanceType,
          clientToken: token,
          diskGb: preset.diskGb,
          userData,
          expiryAction: preset.expiryAction,
          spot: plan.spot,
          tags,
          volumeTags: tags.filter((t) => t.Key !== TAG.launchToken),
          instanceProfileName: deps.instanceProfileName,
          // containers on a manually launched instance (Cellpose, notebooks) need the second hop
          imdsHopLimit: 2,
        },
        subject,
        {
          attempts,
          pause,
          launched: async () => {
            const found = await byToken(token);
            reused = found !== null;
            return found?.id ?? null;
          },
        },
      );
      const [instance] = await describeInstances(ctx, { instanceIds: [id] });
      return { instance: instance ?? (await get(id)), clientToken: token, reused, guard: decision, userData: userData.script };
    },
  };
}
function hoursToMonthEnd(now: number): number {
  const d = new Date(now);
  return (Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) - now) / 3_600_000;
}
