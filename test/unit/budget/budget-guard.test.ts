import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createBudgetGuard, spendLimitFrom, type NoSpendLimit, type SpendLimit } from '../../../main/budget/budget-guard.ts';
import { toBudgetStatus, type BudgetReader, type BudgetStatus } from '../../../main/budget/budgets.ts';
import { BudgetError } from '../../../main/budget/errors.ts';
import { makeInstance } from '../instances/make-instance.ts';

const HOUR = 3_600_000;
const now = Date.UTC(2026, 10, 10, 12);
const clock = { now: () => now };

function guardWith(limit: SpendLimit | NoSpendLimit) {
  const store = createMemoryStore();
  return { store, guard: createBudgetGuard({ clock, store, limit: async () => limit }) };
}

describe('budget guard', () => {
  it('projected = spent + running instances until their max runtime + the new work', async () => {
    const { guard } = guardWith({ source: 'aws-budget', name: 'lab', limit: 100, spent: 40 });
    const running = [makeInstance({ id: 'i-a', hourlyPrice: 2, uptimeMs: HOUR, maxRuntimeMinutes: 240 })]; // 3 h left: $6
    const d = await guard.check({ action: 'launch', subject: 'gpu', hourlyPrice: 1, plannedHours: 4, running });
    assert.deepEqual([d.checked, d.spent, d.committed, d.planned, d.projected, d.overridden], [true, 40, 6, 4, 50, false]);
  });

  it('refuses past the limit with the numbers in the message', async () => {
    const { guard } = guardWith({ source: 'aws-budget', name: 'lab', limit: 100, spent: 95 });
    await assert.rejects(
      guard.check({ action: 'launch', subject: 'gpu', hourlyPrice: 1.006, plannedHours: 8, running: [] }),
      (e: BudgetError) => e.code === 'BUDGET_EXCEEDED' && /projected \$103\.05 .*spent \$95\.00 .*this \$8\.05.*"lab" of \$100\.00 by \$3\.05/.test(e.message),
    );
  });

  it('the instance being started is not counted twice', async () => {
    const { guard } = guardWith({ source: 'settings', name: 'local monthly limit', limit: 10, spent: 0 });
    const self = makeInstance({ id: 'i-self', hourlyPrice: 1, maxRuntimeMinutes: 480 });
    const d = await guard.check({ action: 'start', subject: 'i-self', hourlyPrice: 1, plannedHours: 8, running: [self] });
    assert.equal(d.committed, 0);
    assert.equal(d.projected, 8);
  });

  it('override needs a reason and is recorded', async () => {
    const { guard } = guardWith({ source: 'aws-budget', name: 'lab', limit: 1, spent: 1 });
    const req = { action: 'launch' as const, subject: 'gpu', hourlyPrice: 1, plannedHours: 1, running: [] };
    await assert.rejects(guard.check({ ...req, override: { reason: '', by: 'pi' } }), (e: BudgetError) => e.code === 'OVERRIDE_REASON_REQUIRED');
    assert.deepEqual(guard.overrides(), []);
    const d = await guard.check({ ...req, override: { reason: 'paper revision', by: 'pi' } });
    assert.equal(d.overridden, true);
    const [rec] = guard.overrides();
    assert.deepEqual([rec.reason, rec.by, rec.subject, rec.at, rec.projected], ['paper revision', 'pi', 'gpu', new Date(now).toISOString(), 2]);
  });

  it('no limit anywhere: launches and starts are refused, saying how to set one; an override does not go around it', async () => {
    const { guard, store } = guardWith({ source: null, budgetsError: null });
    const req = { action: 'launch' as const, subject: 'gpu', hourlyPrice: 0.01, plannedHours: 1, running: [] };
    for (const r of [req, { ...req, action: 'start' as const, subject: 'i-0abc' }, { ...req, override: { reason: 'deadline', by: 'pi' } }]) {
      await assert.rejects(guard.check(r), (e: BudgetError) => {
        assert.equal(e.code, 'NO_SPEND_LIMIT');
        assert.match(e.message, new RegExp(`^${r.action} ${r.subject} refused: no spending limit is known \\(the AWS account has no monthly cost budget`));
        assert.ok(e.message.includes('`scopecloud config set budget.monthlyLimitUsd <USD>`'), e.message);
        assert.match(e.message, /Settings \(Budget and instances: Monthly limit\)/);
        assert.match(e.message, /create a monthly cost budget in AWS Budgets/);
        assert.match(e.message, /override does not stand in for a limit/);
        assert.doesNotMatch(e.message, /\n/, 'one line: the contract carries only the first');
        return true;
      });
    }
    assert.deepEqual(guard.overrides(), [], 'nothing recorded');
    assert.equal(store.get('budget/overrides'), undefined);
  });

  it('AWS Budgets unreadable and no local limit: the refusal says Budgets could not be read, not that there is none', async () => {
    const { guard } = guardWith({ source: null, budgetsError: 'list AWS Budgets: your AWS identity is not allowed to do this (AccessDeniedException)' });
    await assert.rejects(guard.check({ action: 'launch', subject: 'analysis m1', hourlyPrice: 1, plannedHours: 1, running: [] }), (e: BudgetError) => {
      assert.equal(e.code, 'NO_SPEND_LIMIT');
      assert.match(
        e.message,
        /^launch analysis m1 refused: no spending limit is known \(AWS Budgets could not be read \(list AWS Budgets: .*AccessDeniedException\)/,
      );
      assert.doesNotMatch(e.message, /has no monthly cost budget/);
      assert.match(e.message, /budgets:ViewBudget/);
      assert.match(e.message, /scopecloud config set budget\.monthlyLimitUsd <USD>/);
      return true;
    });
  });
});

describe('spend limit source', () => {
  const status = (name: string, limit: number, actual: number, timeUnit = 'MONTHLY'): BudgetStatus =>
    toBudgetStatus({
      BudgetName: name,
      BudgetLimit: { Amount: String(limit), Unit: 'USD' },
      TimeUnit: timeUnit as never,
      BudgetType: 'COST',
      CalculatedSpend: { ActualSpend: { Amount: String(actual), Unit: 'USD' } },
    });
  const reader = (list: BudgetStatus[]): BudgetReader => ({
    list: async () => list,
    get: async (name) => {
      const b = list.find((x) => x.name === name);
      if (!b) throw new BudgetError('BUDGET_NOT_FOUND', `no ${name}`);
      return b;
    },
  });

  it('prefers the named budget, then the first monthly cost budget, then the local limit', async () => {
    const list = [status('yearly', 1000, 1, 'ANNUALLY'), status('lab', 100, 20), status('other', 50, 5)];
    assert.deepEqual(await spendLimitFrom({ reader: reader(list), budgetName: 'other' })(), { source: 'aws-budget', name: 'other', limit: 50, spent: 5 });
    assert.deepEqual(await spendLimitFrom({ reader: reader(list), localMonthlyLimitUsd: 30 })(), { source: 'aws-budget', name: 'lab', limit: 100, spent: 20 });
    const local = await spendLimitFrom({ reader: reader([]), localMonthlyLimitUsd: 30, localSpent: async () => 12 })();
    assert.deepEqual(local, { source: 'settings', name: 'local monthly limit', limit: 30, spent: 12 });
    assert.deepEqual(await spendLimitFrom({ reader: reader([status('yearly', 1000, 1, 'ANNUALLY')]) })(), { source: null, budgetsError: null });
    await assert.rejects(spendLimitFrom({ reader: reader(list), budgetName: 'nope' })(), (e: BudgetError) => e.code === 'BUDGET_NOT_FOUND');
  });

  it('AWS Budgets unreadable: the local limit when there is one, else none with the reason', async () => {
    const denied: BudgetReader = {
      list: async () => {
        throw new Error('list AWS Budgets: your AWS identity is not allowed to do this (AccessDeniedException)\nmore detail');
      },
      get: async () => {
        throw new Error('unused');
      },
    };
    assert.deepEqual(await spendLimitFrom({ reader: denied, localMonthlyLimitUsd: 30, localSpent: async () => 2 })(), {
      source: 'settings',
      name: 'local monthly limit',
      limit: 30,
      spent: 2,
    });
    assert.deepEqual(await spendLimitFrom({ reader: denied })(), {
      source: null,
      budgetsError: 'list AWS Budgets: your AWS identity is not allowed to do this (AccessDeniedException)',
    });
  });

  it('thresholds 50/80/100', () => {
    assert.equal(status('a', 100, 49.99).level, 0);
    assert.equal(status('a', 100, 50).level, 50);
    assert.equal(status('a', 100, 100).level, 100);
    assert.equal(status('a', 0, 10).level, 0, 'a zero limit crosses nothing (no division by zero)');
  });
});
