/**
 * The budget guard: refuses a launch or start whose projected spend would pass the monthly
 * limit, showing the numbers. Projected spend =
 *     spent this month (AWS Budgets actual, or Cost Explorer when the limit is local)
 *   + what running instances will still cost (price x time left until their max runtime,
 *     or until month end when they have none)
 *   + the new work (price x planned hours).
 * An administrator may override with a reason; every override is recorded in the store
 * (`budget/overrides`, newest last, the latest 500 kept) and, when there is an S3 destination,
 * in the shared log in the bucket (`override-log.ts`) with the caller's AWS identity: an override
 * that cannot be written there is refused, so the lab manager sees every one.
 *
 * With no limit known (no AWS Budget found, or AWS Budgets unreadable, and no local limit) every
 * launch and start is refused (NO_SPEND_LIMIT), saying how to set one. An override does not go
 * around that: it records going past a limit the lab set, and there is none to go past.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import { remainingRunMs } from '../cost/live-cost.ts';
import { round4, usd } from '../cost/money.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import type { BudgetReader } from './budgets.ts';
import { BudgetError } from './errors.ts';
import { HOUR_MS, type Clock } from '../common/time.ts';
import { nextMonthStartUtc } from '../cost/calendar.ts';
import type { LoggedOverride, OverrideLog } from './override-log.ts';

export interface BudgetOverride {
  reason: string;
  /** Who overrode (user name or AWS identity). */
  by: string;
}

export interface SpendLimit {
  /** 'aws-budget': an AWS Budget; 'settings': the app's local monthly limit. */
  source: 'aws-budget' | 'settings';
  name: string;
  limit: number;
  spent: number;
}

/** No limit to check against. */
export interface NoSpendLimit {
  source: null;
  /** Why AWS Budgets could not be read; null: it was read and has no monthly cost budget. */
  budgetsError: string | null;
}

export interface GuardRequest {
  action: 'launch' | 'start';
  /** Preset name or instance id. */
  subject: string;
  hourlyPrice: number;
  plannedHours: number;
  /** Instances running now (the subject excluded). */
  running: ReadonlyArray<InstanceInfo>;
  override?: BudgetOverride;
}

export interface GuardDecision {
  /** Always true (without a limit the check throws NO_SPEND_LIMIT); kept in the override records' shared format. */
  checked: boolean;
  overridden: boolean;
  limitName: string | null;
  source: SpendLimit['source'] | null;
  limit: number | null;
  spent: number;
  committed: number;
  planned: number;
  projected: number;
}

export interface OverrideRecord extends GuardDecision {
  at: string;
  action: GuardRequest['action'];
  subject: string;
  reason: string;
  by: string;
}

export interface OverrideListing {
  /** True: read from the shared log in the bucket; false: only this machine's records. */
  shared: boolean;
  /** The shared log's `s3://` location, null when there is none. */
  location: string | null;
  /** Newest first. */
  overrides: LoggedOverride[];
}

export interface BudgetGuard {
  check(request: GuardRequest): Promise<GuardDecision>;
  /** This machine's records, oldest first. */
  overrides(): OverrideRecord[];
  /** The shared log when there is one (every workstation's overrides), else this machine's records. */
  listOverrides(): Promise<OverrideListing>;
}

export const OVERRIDES_KEY = 'budget/overrides';

export function createBudgetGuard(deps: {
  limit: () => Promise<SpendLimit | NoSpendLimit>;
  clock: Clock;
  store: KeyValueStore;
  /** The shared log in the destination bucket; null or absent: no S3 destination. */
  log?: OverrideLog | null;
}): BudgetGuard {
  const overrides = () => (deps.store.get(OVERRIDES_KEY) as OverrideRecord[] | undefined) ?? [];
  const log = deps.log ?? null;
  return {
    overrides,
    async listOverrides() {
      if (log) return { shared: true, location: log.location, overrides: await log.list() };
      const local = overrides()
        .slice()
        .reverse()
        .map((r) => ({ identity: null, host: null, ...r }));
      return { shared: false, location: null, overrides: local };
    },
    async check(req) {
      const now = deps.clock.now();
      const monthEnd = nextMonthStartUtc(now);
      const committed = req.running
        .filter((i) => (i.state === 'running' || i.state === 'pending') && i.hourlyPrice !== null && i.id !== req.subject)
        .reduce((s, i) => s + (i.hourlyPrice! * remainingRunMs(i, now, monthEnd)) / HOUR_MS, 0);
      const planned = req.hourlyPrice * req.plannedHours;
      const limit = await deps.limit();
      if (limit.source === null) throw noSpendLimit(`${req.action} ${req.subject}`, limit.budgetsError);
      const projected = limit.spent + committed + planned;
      const decision: GuardDecision = {
        checked: true,
        overridden: false,
        limitName: limit.name,
        source: limit.source,
        limit: limit.limit,
        spent: round4(limit.spent),
        committed: round4(committed),
        planned: round4(planned),
        projected: round4(projected),
      };
      if (projected <= limit.limit) return decision;
      if (!req.override) {
        throw new BudgetError(
          'BUDGET_EXCEEDED',
          `${req.action} ${req.subject} refused: projected ${usd(projected)} this month (spent ${usd(limit.spent)} + running ${usd(committed)} + this ${usd(planned)}) ` +
            `exceeds the budget "${limit.name}" of ${usd(limit.limit)} by ${usd(projected - limit.limit)}; an administrator can override with a reason`,
        );
      }
      if (!req.override.reason.trim()) {
        throw new BudgetError('OVERRIDE_REASON_REQUIRED', 'a budget override needs a reason (it is recorded)');
      }
      const overridden = { ...decision, overridden: true };
      const record: OverrideRecord = {
        ...overridden,
        at: new Date(now).toISOString(),
        action: req.action,
        subject: req.subject,
        reason: req.override.reason.trim(),
        by: req.override.by,
      };
      if (log) {
        try {
          await log.record(record);
        } catch (e) {
          throw new BudgetError(
            'OVERRIDE_NOT_RECORDED',
            `${req.action} ${req.subject} refused: the override could not be recorded in ${log.location}, where the lab manager sees every override (${(e as Error).message})`,
          );
        }
      }
      deps.store.set(OVERRIDES_KEY, [...overrides(), record].slice(-500));
      return overridden;
    },
  };
}

/** How to set a limit, as every refusal for want of one says it. */
export const HOW_TO_SET_A_LIMIT =
  'set one with `scopecloud config set budget.monthlyLimitUsd <USD>` or in Settings (Budget and instances: Monthly limit), or create a monthly cost budget in AWS Budgets';

/** The refusal of `what` ("launch gpu") when no limit is known; one line. */
export function noSpendLimit(what: string, budgetsError: string | null): BudgetError {
  const why = budgetsError
    ? `AWS Budgets could not be read (${budgetsError}) and no local monthly limit is set`
    : 'the AWS account has no monthly cost budget and no local monthly limit is set';
  const readable = budgetsError ? ' (and let this AWS identity read it: budgets:ViewBudget)' : '';
  return new BudgetError(
    'NO_SPEND_LIMIT',
    `${what} refused: no spending limit is known (${why}). Launches and EC2 analyses are refused until there is one: ${HOW_TO_SET_A_LIMIT}${readable}. A budget override does not stand in for a limit`,
  );
}

/**
 * The limit the guard checks: the named AWS Budget (an error when it cannot be read); else the
 * first monthly cost budget in the account; else the local monthly limit from settings (spent =
 * Cost Explorer month-to-date, cached), also when AWS Budgets cannot be read; else none, with
 * the reason AWS Budgets could not be read, if it could not.
 */
export function spendLimitFrom(deps: {
  reader: BudgetReader;
  budgetName?: string | null;
  localMonthlyLimitUsd?: number | null;
  localSpent?: () => Promise<number>;
}): () => Promise<SpendLimit | NoSpendLimit> {
  return async () => {
    if (deps.budgetName) {
      const b = await deps.reader.get(deps.budgetName);
      return { source: 'aws-budget', name: b.name, limit: b.limit, spent: b.actual };
    }
    let budgetsError: string | null = null;
    try {
      const all = await deps.reader.list();
      const monthly = all.find((b) => b.type === 'COST' && b.timeUnit === 'MONTHLY' && b.limit > 0);
      if (monthly) return { source: 'aws-budget', name: monthly.name, limit: monthly.limit, spent: monthly.actual };
    } catch (e) {
      budgetsError = (e instanceof Error ? e.message : String(e)).split('\n')[0];
    }
    if (deps.localMonthlyLimitUsd !== null && deps.localMonthlyLimitUsd !== undefined) {
      return { source: 'settings', name: 'local monthly limit', limit: deps.localMonthlyLimitUsd, spent: deps.localSpent ? await deps.localSpent() : 0 };
    }
    return { source: null, budgetsError };
  };
}
