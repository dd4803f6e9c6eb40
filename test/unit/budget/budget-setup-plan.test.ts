import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ALERTS,
  actionBudgetMonthlyUsd,
  isOurBudget,
  planBudgetSetup,
  type BudgetSetupRequest,
  type ExistingSetup,
} from '../../../main/budget/budget-setup-plan.ts';
import { ComputeError } from '../../../main/aws/errors.ts';
import { actionRolePolicy, budgetsTrustPolicy, denyEc2StartPolicy } from '../../../main/budget/budget-setup-policies.ts';
import { setupError } from '../../../main/budget/budget-setup-aws.ts';

const NOTHING: ExistingSetup = { budgets: [], actions: [], policyArn: null, roleArn: null, ownerTagActive: false, otherActionBudgets: 0 };
const FULL: BudgetSetupRequest = {
  lab: 'smith-lab',
  monthlyUsd: 400,
  emails: ['pi@lab.org', 'manager@lab.org'],
  perPerson: { owners: ['alice', 'bob'], monthlyUsd: 150 },
  action: { mode: 'approval', users: ['alice', 'bob'], roles: [] },
};
const allAlerts = ALERTS.map((a) => ({ ...a }));

describe('budget set-up planner', () => {
  it('plans every part of a new set-up, in the order it must be created', () => {
    const plan = planBudgetSetup(FULL, NOTHING);
    assert.deepEqual(
      plan.steps.map((s) => s.key),
      [
        'budget:scopecloud-smith-lab',
        'alert:scopecloud-smith-lab:ACTUAL:50',
        'alert:scopecloud-smith-lab:ACTUAL:80',
        'alert:scopecloud-smith-lab:ACTUAL:100',
        'alert:scopecloud-smith-lab:FORECASTED:100',
        'owner-tag:scopecloud:owner',
        'budget:scopecloud-smith-lab-person-alice',
        'alert:scopecloud-smith-lab-person-alice:ACTUAL:50',
        'alert:scopecloud-smith-lab-person-alice:ACTUAL:80',
        'alert:scopecloud-smith-lab-person-alice:ACTUAL:100',
        'alert:scopecloud-smith-lab-person-alice:FORECASTED:100',
        'budget:scopecloud-smith-lab-person-bob',
        'alert:scopecloud-smith-lab-person-bob:ACTUAL:50',
        'alert:scopecloud-smith-lab-person-bob:ACTUAL:80',
        'alert:scopecloud-smith-lab-person-bob:ACTUAL:100',
        'alert:scopecloud-smith-lab-person-bob:FORECASTED:100',
        'deny-policy:scopecloud-smith-lab-deny-ec2-start',
        'action-role:scopecloud-smith-lab-budget-action',
        'budget-action:scopecloud-smith-lab',
      ],
    );
    assert.ok(plan.steps.every((s) => s.state === 'missing'));
    const action = plan.steps.find((s) => s.kind === 'budget-action')!;
    assert.equal(action.kind === 'budget-action' && action.approval, 'MANUAL');
    assert.match(action.explanation, /only when you approve/);
    assert.match(plan.steps.find((s) => s.kind === 'owner-tag')!.explanation, /24 hours/);
    assert.equal(plan.monthlyCostUsd, 0, 'the first two action-enabled budgets are free');
    assert.ok(plan.notes.some((n) => /AWSBudgets/.test(n)));
  });

  it('a set-up that exists as asked has nothing to do', () => {
    const existing: ExistingSetup = {
      budgets: [
        { name: 'scopecloud-smith-lab', limitUsd: 400, alerts: allAlerts },
        { name: 'scopecloud-smith-lab-person-alice', limitUsd: 150, alerts: allAlerts },
        { name: 'scopecloud-smith-lab-person-bob', limitUsd: 150, alerts: allAlerts },
      ],
      actions: [{ budgetName: 'scopecloud-smith-lab', actionId: 'a1', approval: 'MANUAL', users: ['bob', 'alice'], roles: [] }],
      policyArn: 'arn:aws:iam::1:policy/p',
      roleArn: 'arn:aws:iam::1:role/r',
      ownerTagActive: true,
      otherActionBudgets: 0,
    };
    const plan = planBudgetSetup(FULL, existing);
    assert.deepEqual(plan.steps, []);
    assert.ok(plan.parts.length > 0 && plan.parts.every((p) => p.state === 'present'));
  });

  it('changes what differs: a new limit, a missing alert, other targets or approval replace the action', () => {
    const existing: ExistingSetup = {
      ...NOTHING,
      budgets: [{ name: 'scopecloud-smith-lab', limitUsd: 300, alerts: allAlerts.filter((a) => a.type === 'ACTUAL') }],
      actions: [{ budgetName: 'scopecloud-smith-lab', actionId: 'old', approval: 'AUTOMATIC', users: ['alice'], roles: [] }],
      policyArn: 'arn:aws:iam::1:policy/p',
      roleArn: 'arn:aws:iam::1:role/r',
    };
    const plan = planBudgetSetup({ ...FULL, perPerson: null }, existing);
    assert.deepEqual(
      plan.steps.map((s) => [s.key, s.state]),
      [
        ['budget:scopecloud-smith-lab', 'changed'],
        ['alert:scopecloud-smith-lab:FORECASTED:100', 'missing'],
        ['action-role:scopecloud-smith-lab-budget-action', 'changed'],
        ['budget-action:scopecloud-smith-lab', 'changed'],
      ],
    );
    assert.match(plan.steps[0].explanation, /\$300\.00.*\$400\.00/);
    const action = plan.steps.at(-1)!;
    assert.equal(action.kind === 'budget-action' && action.replaces, 'old');
  });

  it('other e-mail addresses replace the alerts and the action, not the role', () => {
    const existing: ExistingSetup = {
      ...NOTHING,
      budgets: [{ name: 'scopecloud-smith-lab', limitUsd: 400, alerts: allAlerts.map((a) => ({ ...a, emails: ['old@lab.org'] })) }],
      actions: [{ budgetName: 'scopecloud-smith-lab', actionId: 'a1', approval: 'MANUAL', users: ['alice', 'bob'], roles: [], emails: ['old@lab.org'] }],
      policyArn: 'arn:aws:iam::1:policy/p',
      roleArn: 'arn:aws:iam::1:role/r',
    };
    const plan = planBudgetSetup({ ...FULL, perPerson: null }, existing);
    assert.deepEqual(
      plan.steps.map((s) => [s.kind, s.state]),
      [
        ['alert', 'changed'],
        ['alert', 'changed'],
        ['alert', 'changed'],
        ['alert', 'changed'],
        ['budget-action', 'changed'],
      ],
    );
    assert.match(plan.steps[0].explanation, /now goes to old@lab\.org; it is replaced/);
    // Unread subscribers (undefined) are not compared.
    const unread = planBudgetSetup({ ...FULL, perPerson: null, emails: ['old@lab.org'] }, existing);
    assert.deepEqual(unread.steps, []);
  });

  it('prices the action-enabled budget from the free allowance', () => {
    assert.equal(actionBudgetMonthlyUsd(0), 0);
    assert.equal(actionBudgetMonthlyUsd(1), 0);
    assert.equal(actionBudgetMonthlyUsd(2), 3.04);
    const plan = planBudgetSetup({ ...FULL, perPerson: null }, { ...NOTHING, otherActionBudgets: 3 });
    assert.equal(plan.monthlyCostUsd, 3.04);
    assert.match(plan.steps.find((s) => s.kind === 'budget-action')!.explanation, /\$0\.10 a day/);
  });

  it('without per-person budgets or an action, plans only the lab budget and its alerts', () => {
    const plan = planBudgetSetup({ ...FULL, perPerson: null, action: null }, NOTHING);
    assert.deepEqual(
      plan.parts.map((p) => p.kind),
      ['budget', 'alert', 'alert', 'alert', 'alert'],
    );
  });

  it('refuses bad input with a clear message', () => {
    const bad: [Partial<BudgetSetupRequest>, RegExp][] = [
      [{ lab: 'Smith Lab' }, /lab name/],
      [{ lab: 'x-person-y' }, /lab name/],
      [{ monthlyUsd: 0 }, /positive amount/],
      [{ monthlyUsd: Number.NaN }, /positive amount/],
      [{ emails: [] }, /1 to 10 e-mail/],
      [{ emails: ['not-an-address'] }, /not an e-mail/],
      [{ perPerson: { owners: [], monthlyUsd: 10 } }, /no owners/],
      [{ perPerson: { owners: ['a b'], monthlyUsd: 10 } }, /owner "a b"/],
      [{ action: { mode: 'automatic', users: [], roles: [] } }, /IAM users or role/],
      [{ action: { mode: 'automatic', users: ['x/y'], roles: [] } }, /not an IAM user/],
    ];
    for (const [patch, message] of bad) {
      assert.throws(
        () => planBudgetSetup({ ...FULL, ...patch }, NOTHING),
        (e: ComputeError) => e.code === 'INVALID_INPUT' && message.test(e.message),
      );
    }
  });

  it('recognises only its own budget names', () => {
    assert.ok(isOurBudget('smith-lab', 'scopecloud-smith-lab'));
    assert.ok(isOurBudget('smith-lab', 'scopecloud-smith-lab-person-alice'));
    assert.ok(!isOurBudget('smith-lab', 'scopecloud-smith-lab2'));
    assert.ok(!isOurBudget('smith-lab', 'lab-monthly'));
  });
});

describe('budget action policies', () => {
  it('deny only new starts, and let the role attach only that policy to the named targets', () => {
    assert.deepEqual((denyEc2StartPolicy() as { Statement: { Action: string[] }[] }).Statement[0].Action, ['ec2:RunInstances', 'ec2:StartInstances']);
    const trust = JSON.stringify(budgetsTrustPolicy('111122223333'));
    assert.match(trust, /budgets\.amazonaws\.com/);
    assert.match(trust, /"aws:SourceAccount":"111122223333"/);
    const role = actionRolePolicy('111122223333', 'arn:aws:iam::111122223333:policy/deny', ['alice'], ['LabRole']) as {
      Statement: { Action: string[]; Resource: string[]; Condition: unknown }[];
    };
    assert.deepEqual(
      role.Statement.map((s) => s.Resource),
      [['arn:aws:iam::111122223333:user/alice'], ['arn:aws:iam::111122223333:role/LabRole']],
    );
    for (const s of role.Statement) assert.deepEqual(s.Condition, { ArnEquals: { 'iam:PolicyARN': 'arn:aws:iam::111122223333:policy/deny' } });
    assert.ok(role.Statement.flatMap((s) => s.Action).every((a) => /^iam:(Attach|Detach)(User|Role)Policy$/.test(a)));
  });
});

describe('budget set-up errors', () => {
  it('access denied says who must allow what, including billing access for IAM users', () => {
    const e = setupError(Object.assign(new Error('User is not authorized'), { name: 'AccessDeniedException' }), 'list AWS Budgets');
    assert.equal(e.code, 'ACCESS_DENIED');
    assert.match(e.message, /^list AWS Budgets: AWS refused/);
    assert.match(e.message, /IAM user and role access to Billing information/);
  });
});
