/**
 * The cost view: live, locally computed cost of the instances (ticks freely) beside the cached
 * Cost Explorer month-to-date (asked rarely, see cost-explorer.ts) and a month-end projection.
 */
import type { InstanceInfo } from '../aws/ec2-instance.ts';
import type { CostAnswer, CostExplorerCache } from './cost-explorer.ts';
import { liveCost, type LiveCost } from './live-cost.ts';
import { priceAge } from './price-age.ts';
import { priceTableLabel } from './price-refresh.ts';
import type { PriceTable } from './price-table.ts';
import { type Clock } from '../common/time.ts';

export interface CostSummary {
  live: LiveCost;
  /** Cost Explorer month-to-date; null when it could not be read (see `actualError`). */
  actual: CostAnswer | null;
  actualError: string | null;
  /** actual total + live projection for the rest of the month; null without actual. */
  projectedMonthTotal: number | null;
  /**
   * Which price table live cost used: `label` is "shipped table of <date>" or "AWS Pricing API,
   * fetched <date>"; `ageDays` its age by the injected clock, `stale` when older than 90 days.
   */
  prices: { source: string; retrieved: string; currency: string; label: string; ageDays: number; stale: boolean };
  instances: InstanceInfo[];
}

export interface CostService {
  summary(options?: { refresh?: boolean; skipActual?: boolean }): Promise<CostSummary>;
}

export function createCostService(deps: {
  listInstances: () => Promise<InstanceInfo[]>;
  costExplorer: CostExplorerCache;
  clock: Clock;
  prices: PriceTable;
}): CostService {
  return {
    async summary(options = {}) {
      const instances = await deps.listInstances();
      const live = liveCost(instances, deps.clock.now());
      let actual: CostAnswer | null = null;
      let actualError: string | null = null;
      if (options.skipActual) actual = deps.costExplorer.peek();
      else {
        try {
          actual = await deps.costExplorer.monthToDate({ refresh: options.refresh });
        } catch (e) {
          actualError = (e as Error).message;
          actual = deps.costExplorer.peek();
        }
      }
      const age = priceAge(deps.prices, deps.clock);
      return {
        live,
        actual,
        actualError,
        projectedMonthTotal: actual ? actual.total + live.projectedRestOfMonth : null,
        prices: {
          source: deps.prices.source,
          retrieved: deps.prices.retrieved,
          currency: deps.prices.currency,
          label: priceTableLabel(deps.prices),
          ageDays: age.days,
          stale: age.stale,
        },
        instances,
      };
    },
  };
}
