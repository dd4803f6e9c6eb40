import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateBudgetCommand } from '@aws-sdk/client-budgets';
import { useMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from '../instances/fixture.ts';
import { BudgetError } from '../../../main/budget/errors.ts';
import { OVERRIDES_KEY, type OverrideRecord } from '../../../main/budget/budget-guard.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { requires } from '../../support/requirements.ts';
import { awsQueryOperation, startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { checkJobBudget } from '../../../main/jobs/job-budget.ts';

const skip = requires(motoMissing());
const ACCOUNT = '123456789012';

async function createBudget(moto: MotoServer, name: string, limit: number, actual: number): Promise<void> {
  await awsClients(moto).budgets.send(
    new CreateBudgetCommand({
      AccountId: ACCOUNT,
      Budget: {
        BudgetName: name,
        BudgetLimit: { Amount: String(limit), Unit: 'USD' },
        TimeUnit: 'MONTHLY',
        BudgetType: 'COST',
        CalculatedSpend: { ActualSpend: { Amount: String(actual), Unit: 'USD' } },
      },
    }),
  );
}

describe('budgets and the budget guard against moto', { skip }, () => {
  let moto: MotoServer;
  useMoto((m) => {
    moto = m;
  });

  it('reads budgets with 50/80/100 % thresholds', async () => {
    await createBudget(moto, 'lab', 200, 170);
    await createBudget(moto, 'pilot', 50, 10);
    const { services } = computeOn(moto, { clock: fakeClock() });
    const list = await services.budgets.list();
    const lab = list.find((b) => b.name === 'lab')!;
    assert.equal(lab.limit, 200);
    assert.equal(lab.actual, 170);
    assert.equal(lab.percentUsed, 85);
    assert.deepEqual(lab.thresholds, [
      { percent: 50, crossed: true },
      { percent: 80, crossed: true },
      { percent: 100, crossed: false },
    ]);
    assert.equal(lab.level, 80);
    assert.equal(list.find((b) => b.name === 'pilot')!.level, 0);
  });

  it('guardrail ticks report each newly crossed budget threshold once', async () => {
    await createBudget(moto, 'lab', 100, 55);
    const { services } = computeOn(moto, { clock: fakeClock() });
    const first = (await services.guardrails.tick()).filter((e) => e.kind === 'budget-threshold');
    assert.deepEqual(first, [{ kind: 'budget-threshold', budget: 'lab', level: 50, spent: 55, limit: 100 }]);
    assert.deepEqual(
      (await services.guardrails.tick()).filter((e) => e.kind === 'budget-threshold'),
      [],
    );
  });

  it('a budget that does not exist is a clear error', async () => {
    const { services } = computeOn(moto, { clock: fakeClock(), budgetName: 'nope' });
    await assert.rejects(services.budgets.get('nope'), (e: BudgetError) => e.code === 'BUDGET_NOT_FOUND' && /"nope"/.test(e.message));
    await assert.rejects(services.instances.launch({ preset: 'small-analysis' }), (e: BudgetError) => e.code === 'BUDGET_NOT_FOUND');
  });

  it('refuses a launch that would pass the budget, with the numbers; an override is recorded', async () => {
    const price = loadPriceTable().regions['us-east-1'].hourly['g5.xlarge'];
    const plannedCost = price * 4; // gpu preset: 4 h
    // Room for exactly one GPU launch (plus a cent), after $50 spent.
    await createBudget(moto, 'lab', Math.round((50 + plannedCost + 0.01) * 100) / 100, 50);
    const { services, store } = computeOn(moto, { clock: fakeClock() });

    const first = await services.instances.launch({ preset: 'gpu' });
    assert.equal(first.guard?.checked, true);
    assert.equal(first.guard?.overridden, false);

    // The first instance still has ~4 h to run: committed cost now fills the budget.
    await assert.rejects(services.instances.launch({ preset: 'gpu' }), (e: BudgetError) => {
      assert.equal(e.code, 'BUDGET_EXCEEDED');
      assert.match(e.message, /spent \$50\.00/);
      assert.match(e.message, /"lab"/);
      return true;
    });
    assert.equal((await services.instances.list()).length, 1, 'the refused launch started nothing');

    await assert.rejects(
      services.instances.launch({ preset: 'gpu', override: { reason: '  ', by: 'pi' } }),
      (e: BudgetError) => e.code === 'OVERRIDE_REASON_REQUIRED',
    );
    const forced = await services.instances.launch({ preset: 'gpu', override: { reason: 'deadline for figure 3', by: 'pi' } });
    assert.equal(forced.guard?.overridden, true);
    const records = store.get(OVERRIDES_KEY) as OverrideRecord[];
    assert.equal(records.length, 1);
    assert.equal(records[0].reason, 'deadline for figure 3');
    assert.equal(records[0].by, 'pi');
    assert.ok(records[0].projected > records[0].limit!);
    assert.deepEqual(services.guard.overrides(), records);
  });

  it('guards start too: a stopped instance may not start past the budget', async () => {
    await createBudget(moto, 'roomy', 5000, 0);
    await createBudget(moto, 'tight', 1, 0.99);
    const roomy = computeOn(moto, { clock: fakeClock(), budgetName: 'roomy' }).services;
    const { instance } = await roomy.instances.launch({ preset: 'large-memory' });
    await roomy.instances.stop(instance.id);
    const tight = computeOn(moto, { clock: fakeClock(), budgetName: 'tight' }).services;
    await assert.rejects(tight.instances.start(instance.id), (e: BudgetError) => e.code === 'BUDGET_EXCEEDED' && e.message.includes(instance.id));
    assert.equal((await tight.instances.get(instance.id)).state, 'stopped');
    const started = await tight.instances.start(instance.id, { override: { reason: 'rerun', by: 'admin' } });
    assert.equal(started.guard?.overridden, true);
    assert.equal(started.previousState, 'stopped');
  });

  it('falls back to the local monthly limit when the account has no budget', async () => {
    const { services } = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: 1 });
    await assert.rejects(
      services.instances.launch({ preset: 'small-analysis' }),
      (e: BudgetError) => e.code === 'BUDGET_EXCEEDED' && /local monthly limit/.test(e.message),
    );
    const roomy = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: 500 }).services;
    const r = await roomy.instances.launch({ preset: 'small-analysis' });
    assert.deepEqual([r.guard?.checked, r.guard?.source, r.guard?.limit], [true, 'settings', 500]);
  });

  it('no AWS Budget and no local limit: launches, starts and EC2 analyses are refused, saying how to set a limit; an override does not help', async () => {
    const roomy = computeOn(moto, { clock: fakeClock() }).services;
    const { instance } = await roomy.instances.launch({ preset: 'small-analysis' });
    await roomy.instances.stop(instance.id);
    const { services, store } = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: null });
    const noLimit = (what: string) => (e: BudgetError) => {
      assert.equal(e.code, 'NO_SPEND_LIMIT', e.message);
      assert.ok(e.message.startsWith(`${what} refused: no spending limit is known (the AWS account has no monthly cost budget`), e.message);
      assert.ok(e.message.includes('`scopecloud config set budget.monthlyLimitUsd <USD>` or in Settings'), e.message);
      return true;
    };
    await assert.rejects(services.instances.launch({ preset: 'small-analysis' }), noLimit('launch small-analysis'));
    await assert.rejects(services.instances.launch({ preset: 'small-analysis', override: { reason: 'deadline', by: 'pi' } }), noLimit('launch small-analysis'));
    await assert.rejects(services.instances.start(instance.id, { override: { reason: 'deadline', by: 'pi' } }), noLimit(`start ${instance.id}`));
    await assert.rejects(checkJobBudget(services, { name: 'mouse7', instanceType: 'c7i.2xlarge', instances: 1, hours: 1 }), noLimit('launch analysis mouse7'));
    assert.deepEqual(
      (await services.instances.list()).map((i) => [i.id, i.state]),
      [[instance.id, 'stopped']],
      'nothing launched or started',
    );
    assert.equal(store.get(OVERRIDES_KEY), undefined, 'no override recorded');
  });

  it('an AWS Budget is the limit without any local one; a local limit alone is checked too', async () => {
    const { services } = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: null });
    await createBudget(moto, 'lab', 1, 0.99);
    await assert.rejects(
      services.instances.launch({ preset: 'small-analysis' }),
      (e: BudgetError) => e.code === 'BUDGET_EXCEEDED' && /"lab" of \$1\.00/.test(e.message),
    );
    await moto.reset();
    await createBudget(moto, 'lab', 500, 10);
    const fits = await services.instances.launch({ preset: 'small-analysis' });
    assert.deepEqual([fits.guard?.source, fits.guard?.limitName, fits.guard?.spent], ['aws-budget', 'lab', 10]);
  });
});

describe('the budget guard when AWS Budgets cannot be read (fault proxy in front of moto)', { skip }, () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  useMoto((m) => {
    moto = m;
  });
  before(async () => {
    proxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
  });
  after(async () => {
    await proxy?.stop();
  });
  const through = (localMonthlyLimitUsd: number | null) =>
    computeOn(moto, { clock: fakeClock(), ...awsClients(moto, { endpoint: proxy.endpoint, maxAttempts: 1 }), localMonthlyLimitUsd }).services;

  it('access denied and no local limit: refused, saying AWS Budgets could not be read (not that there is none)', async () => {
    await createBudget(moto, 'lab', 5000, 0);
    proxy.setRules([
      {
        match: 'DescribeBudgets',
        fault: { kind: 'status', status: 400, code: 'AccessDeniedException', message: 'not authorized to ViewBudget', format: 'json' },
      },
    ]);
    await assert.rejects(through(null).instances.launch({ preset: 'small-analysis' }), (e: BudgetError) => {
      assert.equal(e.code, 'NO_SPEND_LIMIT', e.message);
      assert.match(e.message, /^launch small-analysis refused: no spending limit is known \(AWS Budgets could not be read \(list AWS Budgets: .*AccessDenied/);
      assert.match(e.message, /budgets:ViewBudget/);
      assert.doesNotMatch(e.message, /has no monthly cost budget/);
      return true;
    });
    assert.ok((proxy.stats().injected.DescribeBudgets ?? 0) >= 1);
  });

  it('unreachable and no local limit: refused with the network failure; with a local limit, checked against it', async () => {
    proxy.setRules([{ match: 'DescribeBudgets', fault: { kind: 'drop-request' } }]);
    await assert.rejects(through(null).instances.launch({ preset: 'small-analysis' }), (e: BudgetError) => {
      assert.equal(e.code, 'NO_SPEND_LIMIT', e.message);
      assert.match(e.message, /AWS Budgets could not be read \(list AWS Budgets: /);
      return true;
    });
    await assert.rejects(
      through(1).instances.launch({ preset: 'small-analysis' }),
      (e: BudgetError) => e.code === 'BUDGET_EXCEEDED' && /local monthly limit/.test(e.message),
    );
    const ok = await through(500).instances.launch({ preset: 'small-analysis' });
    assert.deepEqual([ok.guard?.source, ok.guard?.limit], ['settings', 500]);
  });
});
