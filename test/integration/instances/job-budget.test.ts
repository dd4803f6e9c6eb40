/**
 * EC2 analyses pass the budget guard like any launch (main/jobs/job-budget.ts), against moto:
 * every instance of the job at its price for the job's maximum runtime counts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { computeOn, fakeClock } from './fixture.ts';
import { checkJobBudget } from '../../../main/jobs/job-budget.ts';
import { BudgetError } from '../../../main/budget/errors.ts';
import { hourlyPrice } from '../../../main/cost/price-table.ts';
import { requires } from '../../support/requirements.ts';

describe('the budget guard for EC2 analyses', { skip: requires(motoMissing()) }, () => {
  let moto: MotoServer;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  it('counts every shard instance for the whole maximum runtime, and refuses past the limit', async () => {
    const probe = computeOn(moto, { clock: fakeClock() }).services;
    const price = hourlyPrice(probe.prices, probe.region, 'c7i.2xlarge');
    // 2 instances x 3 h cost 6 h of the price: a limit just above fits, just below is refused
    const fits = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: 6 * price + 0.01 }).services;
    await checkJobBudget(fits, { name: 'mouse11', instanceType: 'c7i.2xlarge', instances: 2, hours: 3 });
    const tight = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: 6 * price - 0.01 }).services;
    await assert.rejects(
      checkJobBudget(tight, { name: 'mouse11', instanceType: 'c7i.2xlarge', instances: 2, hours: 3 }),
      (e: BudgetError) => e instanceof BudgetError && e.code === 'BUDGET_EXCEEDED' && /analysis mouse11/.test(e.message),
    );
    await checkJobBudget(tight, { name: 'mouse11', instanceType: 'c7i.2xlarge', instances: 1, hours: 3 });
    // an administrator's override goes through and is recorded
    await checkJobBudget(tight, { name: 'mouse11', instanceType: 'c7i.2xlarge', instances: 2, hours: 3, override: { reason: 'grant deadline', by: 'maria' } });
    assert.deepEqual(
      tight.guard.overrides().map((o) => [o.by, o.reason]),
      [['maria', 'grant deadline']],
    );
  });

  it('an instance type without a price is refused rather than launched at an unknown cost', async () => {
    const s = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: 1000 }).services;
    await assert.rejects(checkJobBudget(s, { name: 'x', instanceType: 'z9.huge', instances: 1, hours: 1 }), /z9\.huge/);
  });
});
