/**
 * EC2 analyses go through the same budget guard as any launch: before a job is submitted, its
 * instances at their price for the job's maximum runtime are added to the month's spend and to
 * what is running.
 */
import type { ComputeServices } from '../instances/compute-services.ts';
import { hourlyPrice } from '../cost/price-table.ts';
import type { BudgetOverride } from '../budget/budget-guard.ts';

export interface JobBudgetRequest {
  /** Shown in the refusal ("launch analysis <name> refused: ..."). */
  name: string;
  instanceType: string;
  /** Instances the job starts (one per shard). */
  instances: number;
  /** The job's maximum runtime, the most each instance can bill. */
  hours: number;
  /** Go ahead past the limit; the guard records who and why. */
  override?: BudgetOverride;
}

/**
 * Throws BudgetError (BUDGET_EXCEEDED) when the job could take the month past the limit, and
 * PriceMissingError when the instance type has no price in the table.
 */
export async function checkJobBudget(compute: Pick<ComputeServices, 'instances' | 'guard' | 'prices' | 'region'>, r: JobBudgetRequest): Promise<void> {
  const running = (await compute.instances.list({ all: true })).filter((i) => i.state === 'running' || i.state === 'pending');
  await compute.guard.check({
    action: 'launch',
    subject: `analysis ${r.name}`,
    hourlyPrice: hourlyPrice(compute.prices, compute.region, r.instanceType) * r.instances,
    plannedHours: r.hours,
    running,
    ...(r.override ? { override: r.override } : {}),
  });
}
