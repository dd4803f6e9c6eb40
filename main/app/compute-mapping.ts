/**
 * The compute services' shapes (instances, explanations, presets, budgets, cost) in the
 * contract's terms. Pure.
 */
import type { ActionExplanation, Budget, Instance, LaunchCheck, Preset, PriceTableInfo } from '../../preload/api.ts';
import type { BudgetStatus } from '../budget/budgets.ts';
import type { OverrideListing } from '../budget/budget-guard.ts';
import { DEFAULT_THRESHOLDS } from '../budget/budgets.ts';
import type { CostAnswer } from '../cost/cost-explorer.ts';
import type { LiveCost } from '../cost/live-cost.ts';
import { usd } from '../cost/money.ts';
import { priceAge, STALE_PRICE_DAYS } from '../cost/price-age.ts';
import { hourlyPriceOrNull, instanceSpec, type PriceTable } from '../cost/price-table.ts';
import type { Explanation, InstanceAction } from '../instances/explain.ts';
import type { LaunchPreset } from '../instances/presets.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';

export function toInstance(i: InstanceInfo, now: number): Instance {
  const running = i.state === 'running' || i.state === 'pending';
  const launched = i.launchTime ? Date.parse(i.launchTime) : NaN;
  return {
    id: i.id,
    name: i.name.slice(0, 256),
    type: i.type,
    state: i.state,
    launchTime: running && Number.isFinite(launched) ? launched : null,
    owner: i.owner ?? '',
    hourlyPrice: i.hourlyPrice,
    accruedCost: running ? (i.accruedCost ?? 0) : 0,
    costAsOf: now,
    launchedByApp: i.managed,
    spot: i.spot === true,
    diskGb: i.volumes.reduce((s, v) => s + v.sizeGb, 0),
    diskMonthly: i.storageMonthly,
    stoppedSince: i.state === 'stopped' && i.stateSince && Number.isFinite(Date.parse(i.stateSince)) ? Date.parse(i.stateSince) : null,
  };
}

export function toExplanation(action: InstanceAction, e: Explanation, i: InstanceInfo): ActionExplanation {
  return {
    action,
    what: e.what,
    cost: e.cost,
    lost: e.lost,
    confirmation: e.confirmation,
    confirmText: e.confirmation === 'name' ? (i.name && i.name !== i.id ? i.name : i.id) : null,
  };
}

export function toPreset(p: LaunchPreset, prices: PriceTable, region: string): Preset {
  const spec = instanceSpec(prices, p.instanceType);
  return {
    id: p.name,
    label: p.label,
    type: p.instanceType,
    vcpus: spec?.vcpu ?? 0,
    memoryGiB: spec?.memoryGiB ?? 0,
    gpus: spec?.gpu ? 1 : 0,
    diskGiB: p.diskGb,
    hourlyPrice: hourlyPriceOrNull(prices, region, p.instanceType) ?? 0,
    spot: false,
  };
}

/** Which table the figures use and how old it is at `now`. */
export function toPriceTableInfo(table: PriceTable, now: number): PriceTableInfo {
  const age = priceAge(table, { now: () => now });
  return { source: age.source, retrieved: age.asOf, ageDays: age.days, staleAfterDays: STALE_PRICE_DAYS, stale: age.stale };
}

/**
 * Whether `projected` fits what is left this month. `baseline` is the guard's decision for no new
 * work (spent + what running instances will still cost); null when there is no limit.
 */
export function launchCheck(projected: number, baseline: { limit: number; spent: number; committed: number }): LaunchCheck {
  const remaining = Math.max(0, baseline.limit - baseline.spent - baseline.committed);
  const allowed = projected <= remaining;
  return {
    allowed,
    projectedCost: projected,
    remaining,
    message: allowed
      ? `${usd(projected)} fits in the ${usd(remaining)} left after this month's spend and running instances.`
      : `${usd(projected)} is more than the ${usd(remaining)} left of the ${usd(baseline.limit)} monthly budget (spent ${usd(baseline.spent)}, running instances ${usd(baseline.committed)}).`,
    refusal: allowed ? null : 'BUDGET_EXCEEDED',
  };
}

export interface BudgetInputs {
  now: number;
  currency: string;
  /** Cost Explorer month to date (cached); null when it could not be read. */
  actual: CostAnswer | null;
  actualError: string | null;
  live: LiveCost;
  /** The AWS Budget the guard checks, if any. */
  budget: BudgetStatus | null;
  localLimit: number | null;
  /** The guard's override listing (the shared log, or this machine's), or why it could not be read; absent: none shown. */
  overrides?: OverrideListing | { error: string };
}

/** The override listing in the contract's terms. */
export function toOverrides(x: OverrideListing | { error: string } | undefined): Budget['overrides'] {
  if (!x) return { shared: false, location: null, error: null, list: [] };
  if ('error' in x) return { shared: false, location: null, error: x.error, list: [] };
  return {
    shared: x.shared,
    location: x.location,
    error: null,
    list: x.overrides.slice(0, 500).map((o) => ({
      at: Date.parse(o.at) || 0,
      action: o.action,
      subject: o.subject,
      by: o.by,
      identity: o.identity?.arn ?? null,
      host: o.host ?? null,
      reason: o.reason,
      projected: o.projected,
      limit: o.limit,
    })),
  };
}

export function toBudget(x: BudgetInputs): Budget {
  const monthToDate = x.actual?.total ?? x.budget?.actual ?? 0;
  const forecast = x.budget?.forecast ?? monthToDate + x.live.projectedRestOfMonth;
  const limit = x.budget?.limit ?? x.localLimit;
  const thresholds =
    x.budget?.thresholds ?? DEFAULT_THRESHOLDS.map((percent) => ({ percent, crossed: limit !== null && limit > 0 && monthToDate >= (limit * percent) / 100 }));
  const source = x.budget ? `the AWS Budget "${x.budget.name}"` : 'the monthly limit in settings';
  let guard: Budget['guard'];
  if (limit === null) {
    guard = { state: 'blocked', remaining: null, message: 'No monthly limit is set, so launches and EC2 analyses are refused until one is.' };
  } else if (monthToDate >= limit) {
    guard = {
      state: 'blocked',
      remaining: 0,
      message: `Spend this month (${usd(monthToDate)}) has reached ${source} of ${usd(limit)}: new launches are refused unless an administrator overrides.`,
    };
  } else if (forecast > limit || monthToDate >= limit * 0.8) {
    guard = {
      state: 'warning',
      remaining: limit - monthToDate,
      message: `At the current rate this month ends near ${usd(forecast)}, against ${source} of ${usd(limit)}. Launches are checked against what is left.`,
    };
  } else {
    guard = { state: 'ok', remaining: limit - monthToDate, message: `Launches are allowed while the projected spend stays under ${source} of ${usd(limit)}.` };
  }
  if (x.actualError && !x.actual) guard = { ...guard, message: `${guard.message} (Cost Explorer could not be read: ${x.actualError})` };
  return {
    currency: x.currency,
    asOf: x.actual ? Date.parse(x.actual.fetchedAt) || x.now : x.now,
    monthToDate,
    forecast,
    limit,
    thresholds,
    guard,
    byService: (x.actual?.byService ?? []).filter((l) => l.amount > 0).map((l) => ({ name: l.key, amount: l.amount })),
    byOwner: (x.actual?.byOwner ?? []).filter((l) => l.amount > 0).map((l) => ({ name: l.key || '(untagged)', amount: l.amount })),
    daily: (x.actual?.daily ?? []).slice(-31).map((d) => ({ date: d.date, amount: Math.max(0, d.amount) })),
    costExplorer: {
      fetchedAt: x.actual ? Date.parse(x.actual.fetchedAt) || null : null,
      nextRefreshAt: x.actual ? Date.parse(x.actual.nextRefreshAt) || null : null,
      requestCost: COST_EXPLORER_REQUEST_USD,
    },
    overrides: toOverrides(x.overrides),
  };
}

/** What one GetCostAndUsage request costs (AWS list price). */
export const COST_EXPLORER_REQUEST_USD = 0.01;
