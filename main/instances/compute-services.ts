/**
 * Builds the instance, image, cost, budget and guardrail services from injected clients and
 * capabilities, in dependency order. The service container calls this once; tests call it with
 * clients pointed at moto and a fake clock.
 */
import type { BudgetsClient } from '@aws-sdk/client-budgets';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { createBudgetGuard, spendLimitFrom, type BudgetGuard } from '../budget/budget-guard.ts';
import { createS3OverrideLog } from '../budget/override-log.ts';
import { accountIdFromSts, createBudgetReader, type BudgetReader } from '../budget/budgets.ts';
import type { KeyValueStore } from '../cost/cache-store.ts';
import { createCostExplorerCache, type CostExplorerCache } from '../cost/cost-explorer.ts';
import { createCostService, type CostService } from '../cost/cost-service.ts';
import { createPriceRefresher, type PriceRefreshOutcome, type PricingApi } from '../cost/price-refresh.ts';
import { loadPriceTable, type PriceTable } from '../cost/price-table.ts';
import { createGuardrails, type GuardrailEvent, type GuardrailOptions, type Guardrails } from './guardrails.ts';
import { createImageService, type ImageService } from './image-service.ts';
import { createInstanceService, type InstanceService } from './instance-service.ts';
import { type Clock, type Intervals } from '../common/time.ts';

export interface ComputeServicesDeps {
  ec2: Pick<EC2Client, 'send'>;
  ssm: Pick<SSMClient, 'send'>;
  sts: Pick<STSClient, 'send'>;
  cloudwatch: Pick<CloudWatchClient, 'send'>;
  budgets: Pick<BudgetsClient, 'send'>;
  costExplorer: Pick<CostExplorerClient, 'send'>;
  clock: Clock;
  timers: Intervals;
  /** Cache and records: Cost Explorer answers, budget overrides. */
  store: KeyValueStore;
  /** The destination bucket: every budget override is recorded there; null or absent: none (local records only). */
  overrideLog?: { s3: Pick<S3Client, 'send'>; bucket: string; prefix: string; host?: string } | null;
  region: string;
  owner: string;
  project?: string;
  /** Default: the table last refreshed from the Pricing API (kept in `store`), else the shipped one. */
  prices?: PriceTable;
  /** The Pricing API (see main/cost/pricing-client.ts); null or absent: prices cannot be refreshed. */
  pricing?: PricingApi | null;
  /** The AWS Budget the guard checks; default the first monthly cost budget. */
  budgetName?: string | null;
  /** Local limit (settings.budget.monthlyLimitUsd) used when the account has no AWS Budget. */
  localMonthlyLimitUsd?: number | null;
  /** The lab's longest run per instance (settings budget.maxRuntimeHours, in minutes). */
  maxRuntimeLimitMinutes?: number;
  instanceProfileName?: string;
  guardrails?: Partial<GuardrailOptions>;
  onGuardrailEvent?: (event: GuardrailEvent) => void;
  costExplorerMaxAgeMs?: number;
  costExplorerMinIntervalMs?: number;
}

export interface ComputeServices {
  region: string;
  /** Who acts (tags, overrides): the composition root's owner name. */
  owner: string;
  /** The table every service reads; a successful `refreshPrices()` updates it in place. */
  prices: PriceTable;
  /** Asks the Pricing API for this region's prices; never throws (the outcome says why not). */
  refreshPrices(): Promise<PriceRefreshOutcome>;
  instances: InstanceService;
  images: ImageService;
  budgets: BudgetReader;
  guard: BudgetGuard;
  costExplorer: CostExplorerCache;
  cost: CostService;
  guardrails: Guardrails;
}

export function createComputeServices(deps: ComputeServicesDeps): ComputeServices {
  const refresher = createPriceRefresher({
    pricing: deps.pricing ?? null,
    store: deps.store,
    clock: deps.clock,
    region: deps.region,
    shipped: loadPriceTable(),
  });
  const prices = deps.prices ?? refresher.current();
  const refreshPrices = async (): Promise<PriceRefreshOutcome> => {
    const outcome = await refresher.refresh();
    if (outcome.ok) Object.assign(prices, outcome.table);
    return outcome;
  };
  const costExplorer = createCostExplorerCache({
    ce: deps.costExplorer,
    store: deps.store,
    clock: deps.clock,
    maxAgeMs: deps.costExplorerMaxAgeMs,
    minIntervalMs: deps.costExplorerMinIntervalMs,
  });
  const budgets = createBudgetReader({ budgets: deps.budgets, accountId: accountIdFromSts(deps.sts) });
  const guard = createBudgetGuard({
    clock: deps.clock,
    store: deps.store,
    log: deps.overrideLog ? createS3OverrideLog({ sts: deps.sts, ...deps.overrideLog }) : null,
    limit: spendLimitFrom({
      reader: budgets,
      budgetName: deps.budgetName,
      localMonthlyLimitUsd: deps.localMonthlyLimitUsd,
      localSpent: async () => (await costExplorer.monthToDate()).total,
    }),
  });
  const instances = createInstanceService({
    ec2: deps.ec2,
    ssm: deps.ssm,
    clock: deps.clock,
    prices,
    region: deps.region,
    owner: deps.owner,
    project: deps.project,
    guard,
    instanceProfileName: deps.instanceProfileName,
    maxRuntimeLimitMinutes: deps.maxRuntimeLimitMinutes,
  });
  const images = createImageService({ ec2: deps.ec2, prices, region: deps.region, clock: deps.clock });
  const cost = createCostService({ listInstances: () => instances.list({ all: true }), costExplorer, clock: deps.clock, prices });
  const guardrails = createGuardrails({
    instances,
    cloudwatch: deps.cloudwatch,
    clock: deps.clock,
    timers: deps.timers,
    options: deps.guardrails,
    onEvent: deps.onGuardrailEvent,
    budgets: () => budgets.list(),
  });
  return { region: deps.region, owner: deps.owner, prices, refreshPrices, instances, images, budgets, guard, costExplorer, cost, guardrails };
}
