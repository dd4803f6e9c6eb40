/**
 * Instances, launch presets and the budget for the app, over the compute services of the
 * current AWS context. In local-archive mode every AWS call fails with NOT_CONFIGURED (the views
 * show that message) while presets and the status line work without AWS.
 *
 * The status line is asked for every second, so it never calls AWS itself: it reads the last
 * instance list and budget this module fetched (refreshed in the background at most every
 * `statusMaxAgeMs`, and right after an action).
 */
import type { Budget, Instances, LaunchCheck, Preset, Req, Res } from '../../preload/api.ts';
import type { Settings } from '../config/schema.ts';
import { BudgetError } from '../budget/errors.ts';
import type { BudgetStatus } from '../budget/budgets.ts';
import { PRESETS, presetByName } from '../instances/presets.ts';
import { hourlyPrice, loadPriceTable, type PriceTable } from '../cost/price-table.ts';
import { liveCost } from '../cost/live-cost.ts';
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import { trayModel, type TrayModel, type TrayStorage } from '../tray/tray-model.ts';
import type { TrayPeople } from '../tray/tray-people.ts';
import { awsConnection } from '../aws/connection.ts';
import type { AwsContext } from './aws-context.ts';
import { AppError, notConfigured } from './app-errors.ts';
import type { EventHub } from './events.ts';
import { launchCheck, toBudget, toExplanation, toInstance, toPreset, toPriceTableInfo } from './compute-mapping.ts';

export interface ComputeDeps {
  settings: () => Settings;
  context: (settings: Settings) => AwsContext | null;
  env: NodeJS.ProcessEnv;
  hub: EventHub;
  now?: () => number;
  prices?: PriceTable;
  statusMaxAgeMs?: number;
  /** The storage bill's last answer for the tray (read, never listed, on each draw). */
  storage?: () => TrayStorage | null;
  /** The storage bill's last split per person, for the tray's top spenders (never listed). */
  storageByOwner?: () => TrayPeople['storage'];
}

export interface ComputeStatus {
  running: number;
  hourlyBurn: number;
  monthToDate: number;
  limit: number | null;
  state: 'ok' | 'warning' | 'blocked';
  currency: string;
}

export interface ComputeApi {
  listInstances(req: Req<'listInstances'>): Promise<Instances>;
  explainAction(req: Req<'explainAction'>): Promise<Res<'explainAction'>>;
  instanceAction(req: Req<'instanceAction'>): Promise<Res<'instanceAction'>>;
  listPresets(): Promise<{ presets: Preset[] }>;
  checkLaunch(req: Req<'checkLaunch'>): Promise<LaunchCheck>;
  launchInstance(req: Req<'launchInstance'>): Promise<{ id: string }>;
  getBudget(): Promise<Budget>;
  /** Asks Cost Explorer again if its minimum interval has passed. */
  refreshBudget(): Promise<Budget>;
  /** Asks the Pricing API; a refusal is an answer (`ok` false), not an error. */
  refreshPrices(): Promise<Res<'refreshPrices'>>;
  /** From cached figures; never calls AWS in the caller's path and never throws. */
  status(): ComputeStatus;
  trayModel(): Promise<TrayModel>;
  /** This month's spend per person from the cached Cost Explorer answer and storage split (never asks AWS). */
  trayPeople(): TrayPeople;
  /** The poller's latest list of the app's instances (AwsContext.poller.onChange). */
  instancesPolled(list: InstanceInfo[]): void;
}

export function createComputeApi(d: ComputeDeps): ComputeApi {
  const now = d.now ?? Date.now;
  const prices = d.prices ?? loadPriceTable();
  const maxAge = d.statusMaxAgeMs ?? 30_000;
  let cachedInstances: { at: number; key: string; list: InstanceInfo[] } | null = null;
  let cachedBudget: { at: number; key: string; budget: Budget } | null = null;
  let refreshing = false;
  // The poller's last list, once taken: a list is adopted only once, so a poll older than a
  // lifecycle action (which clears the cache) cannot come back as fresh figures.
  let adoptedPoll: InstanceInfo[] | null = null;

  /** What the cached figures depend on: the destination, and the limit they are shown against. */
  const ctxKey = (s: Settings) => JSON.stringify([s.target, s.budget.monthlyLimitUsd]);
  /** The AWS context's table (refreshed from the Pricing API when it was), else the shipped one. */
  const table = (): PriceTable => {
    const settings = d.settings();
    return settings.target.kind === 's3' ? (d.context(settings)?.compute.prices ?? prices) : prices;
  };
  const tableInfo = () => toPriceTableInfo(table(), now());
  const region = () => awsConnection(d.settings(), d.env).region;

  function need(what: string): { ctx: AwsContext; settings: Settings } {
    const settings = d.settings();
    const ctx = d.context(settings);
    if (!ctx) throw notConfigured(what);
    return { ctx, settings };
  }

  async function instances(all: boolean): Promise<InstanceInfo[]> {
    const { ctx, settings } = need('instances');
    const list = await ctx.compute.instances.list({ all });
    if (!all) cachedInstances = { at: now(), key: ctxKey(settings), list };
    return list;
  }

  /** `withOverrides`: read the override log too (the view does; the status line's refresh does not). */
  async function budget(refresh = false, withOverrides = true): Promise<Budget> {
    const { ctx, settings } = need('the budget');
    const overrides = withOverrides
      ? ctx.compute.guard.listOverrides().catch((e: unknown) => ({ error: `The budget overrides could not be read: ${(e as Error).message}` }))
      : undefined;
    // The Cost Explorer cache keeps its minimum interval whatever `refresh` says.
    const summary = await ctx.compute.cost.summary({ refresh });
    let aws: BudgetStatus | null = null;
    let budgetsError: unknown = null;
    try {
      const all = await ctx.compute.budgets.list();
      const named = d.env.SCOPECLOUD_BUDGET;
      aws = (named ? all.find((b) => b.name === named) : all.find((b) => b.type === 'COST' && b.timeUnit === 'MONTHLY' && b.limit > 0)) ?? null;
    } catch (e) {
      budgetsError = e;
    }
    if (budgetsError && !summary.actual) throw budgetsError;
    const b = toBudget({
      now: now(),
      currency: prices.currency,
      actual: summary.actual,
      actualError: summary.actualError,
      live: summary.live,
      budget: aws,
      localLimit: settings.budget.monthlyLimitUsd,
      overrides: await overrides,
    });
    const shown = cachedBudget?.key === ctxKey(settings) ? cachedBudget.budget : null;
    cachedBudget = { at: now(), key: ctxKey(settings), budget: b };
    cachedInstances = { at: now(), key: ctxKey(settings), list: summary.instances.filter((i) => i.managed) };
    // The status line shows these figures too: tell it when a read here changed them.
    if (shown?.monthToDate !== b.monthToDate || shown?.limit !== b.limit || shown?.guard.state !== b.guard.state) d.hub.changed('status');
    return b;
  }

  /** Cost Explorer's figures as last cached by the Budget view or the status line: the tray never asks it. */
  function trayPeople(): TrayPeople {
    const byOwner = d.storageByOwner?.() ?? null;
    if (d.settings().target.kind !== 's3') return { compute: null, storage: byOwner, billed: false };
    const b = cachedBudget?.budget;
    return { compute: b?.costExplorer?.fetchedAt ? b.byOwner : null, storage: byOwner, billed: true };
  }

  /** Background refresh for the status line; errors keep the previous figures. */
  function refreshSoon(): void {
    const settings = d.settings();
    if (refreshing || settings.target.kind !== 's3') return;
    const key = ctxKey(settings);
    const fresh = (c: { at: number; key: string } | null) => c !== null && c.key === key && now() - c.at < maxAge;
    const polled = d.context(settings)?.poller?.latest() ?? null;
    if (polled && polled !== adoptedPoll) {
      adoptedPoll = polled;
      cachedInstances = { at: now(), key, list: polled };
    }
    if (fresh(cachedInstances) && fresh(cachedBudget)) return;
    refreshing = true;
    const before = JSON.stringify([cachedInstances?.list.map((i) => [i.id, i.state]), cachedBudget?.budget.monthToDate]);
    const work = fresh(cachedBudget) ? instances(false).then(() => undefined) : budget(false, false).then(() => undefined);
    work
      .then(
        () => {
          const after = JSON.stringify([cachedInstances?.list.map((i) => [i.id, i.state]), cachedBudget?.budget.monthToDate]);
          if (after !== before) d.hub.changed('status');
        },
        () => {
          // keep the last figures; the views show the error when asked directly
          const t = now();
          if (cachedInstances) cachedInstances.at = t;
          if (cachedBudget) cachedBudget.at = t;
          else
            cachedBudget = {
              at: t,
              key,
              budget: toBudget({
                now: t,
                currency: prices.currency,
                actual: null,
                actualError: null,
                live: liveCost([], t),
                budget: null,
                localLimit: settings.budget.monthlyLimitUsd,
              }),
            };
        },
      )
      .finally(() => {
        refreshing = false;
      });
  }

  const changedInstances = () => {
    cachedInstances = null;
    d.hub.changed('instances', 'status');
    // the poller goes fast while the instance changes state and reports when it settles
    void d.context(d.settings())?.poller?.poke();
  };

  return {
    async listInstances(req) {
      const list = await instances(req.all);
      const t = now();
      return { currency: prices.currency, asOf: t, instances: list.filter((i) => i.state !== 'terminated').map((i) => toInstance(i, t)), prices: tableInfo() };
    },

    async explainAction(req) {
      const { ctx } = need('instance actions');
      const { instance, explanation } = await ctx.compute.instances.explain(req.action, req.id);
      return toExplanation(req.action, explanation, instance);
    },

    async instanceAction(req) {
      const { ctx } = need('instance actions');
      const svc = ctx.compute.instances;
      const r =
        req.action === 'start'
          ? await svc.start(req.id)
          : req.action === 'stop'
            ? await svc.stop(req.id)
            : req.action === 'reboot'
              ? await svc.reboot(req.id)
              : await svc.terminate(req.id, { confirm: req.confirmText ?? '' });
      changedInstances();
      return { id: r.instance.id, state: r.currentState };
    },

    async listPresets() {
      return { presets: PRESETS.map((p) => toPreset(p, table(), region())) };
    },

    async checkLaunch(req) {
      const { ctx } = need('launching instances');
      checkPlannedHours(req.plannedHours, d.settings());
      const preset = presetByName(req.presetId);
      const projected = hourlyPrice(table(), region(), preset.instanceType) * req.plannedHours;
      const running = (await ctx.compute.instances.list({ all: true })).filter((i) => i.state === 'running' || i.state === 'pending');
      try {
        const base = await ctx.compute.guard.check({ action: 'launch', subject: preset.name, hourlyPrice: 0, plannedHours: 0, running });
        return launchCheck(projected, { limit: base.limit!, spent: base.spent, committed: base.committed });
      } catch (e) {
        if (e instanceof BudgetError && (e.code === 'BUDGET_EXCEEDED' || e.code === 'NO_SPEND_LIMIT')) {
          return { allowed: false, projectedCost: projected, remaining: e.code === 'BUDGET_EXCEEDED' ? 0 : null, message: e.message, refusal: e.code };
        }
        throw e;
      }
    },

    async launchInstance(req) {
      const { ctx } = need('launching instances');
      checkPlannedHours(req.plannedHours, d.settings());
      const r = await ctx.compute.instances.launch({
        preset: req.presetId,
        name: req.name,
        maxRuntimeMinutes: Math.max(6, Math.round(req.plannedHours * 60)),
        ...(req.market ? { spot: req.market === 'spot' } : {}),
        ...(req.override ? { override: { reason: 'confirmed in the ScopeCloud launch dialog', by: ctx.owner } } : {}),
      });
      changedInstances();
      if (req.override) d.hub.changed('budget'); // the override is in the Budget view's list
      return { id: r.instance.id };
    },

    getBudget: () => budget(false),
    refreshBudget: async () => {
      const b = await budget(true);
      d.hub.changed('budget', 'status');
      return b;
    },

    async refreshPrices() {
      const { ctx } = need('refreshing prices');
      const outcome = await ctx.compute.refreshPrices();
      if (outcome.ok) {
        cachedInstances = null; // its prices are the old ones
        d.hub.changed('instances', 'budget', 'status');
      }
      return { ok: outcome.ok, message: outcome.message, prices: tableInfo() };
    },

    status() {
      const settings = d.settings();
      const limit = settings.budget.monthlyLimitUsd;
      if (settings.target.kind !== 's3') return { running: 0, hourlyBurn: 0, monthToDate: 0, limit, state: 'ok', currency: prices.currency };
      refreshSoon();
      const key = ctxKey(settings);
      const list = cachedInstances?.key === key ? cachedInstances.list : [];
      const b = cachedBudget?.key === key ? cachedBudget.budget : null;
      const live = liveCost(list, now());
      return {
        running: live.running,
        hourlyBurn: live.hourlyRate,
        monthToDate: b?.monthToDate ?? 0,
        limit: b?.limit ?? limit,
        state: b?.guard.state ?? 'ok',
        currency: prices.currency,
      };
    },

    instancesPolled(list) {
      adoptedPoll = list;
      cachedInstances = { at: now(), key: ctxKey(d.settings()), list };
      d.hub.changed('instances', 'status');
    },

    trayPeople,

    async trayModel() {
      const settings = d.settings();
      const storage = d.storage?.() ?? null;
      const people = trayPeople();
      if (settings.target.kind !== 's3') {
        return trayModel({ instances: [], budgetPercent: null, idleIds: [], longRunningMs: 2 * 3_600_000, nowMs: now(), storage, people });
      }
      let list: InstanceInfo[] = [];
      try {
        list = await instances(false);
      } catch {
        list = cachedInstances?.list ?? [];
      }
      const b = cachedBudget?.budget;
      const pct = b && b.limit ? (b.monthToDate / b.limit) * 100 : null;
      return trayModel({ instances: list, budgetPercent: pct, idleIds: [], longRunningMs: 2 * 3_600_000, nowMs: now(), storage, people });
    },
  };
}

/** The lab's rule (settings budget.maxRuntimeHours): no instance is planned to run longer. */
export function checkPlannedHours(plannedHours: number, settings: Settings): void {
  const max = settings.budget.maxRuntimeHours;
  if (plannedHours > max) {
    throw new AppError(
      'INVALID_INPUT',
      `${plannedHours} h is longer than the lab's limit of ${max} h per instance (Settings, Budget and instances)`,
      'plannedHours',
    );
  }
}
