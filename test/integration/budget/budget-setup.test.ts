/**
 * The budget set-up against moto. moto 5.2 serves Budgets, IAM, STS, EC2 and Cost Explorer but not
 * budget actions (CreateBudgetAction, DescribeBudgetActionsForBudget/ForAccount,
 * DeleteBudgetAction), UpdateBudget or Cost Explorer's UpdateCostAllocationTagsStatus /
 * ListCostAllocationTags: test/support/moto_extended.py adds those to moto's server (same wire
 * protocol, state kept on moto's backends), started here with `{ extended: true }`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  BudgetsClient,
  CreateBudgetActionCommand,
  CreateBudgetCommand,
  DescribeBudgetActionsForBudgetCommand,
  DescribeBudgetsCommand,
  DescribeNotificationsForBudgetCommand,
  DescribeSubscribersForNotificationCommand,
} from '@aws-sdk/client-budgets';
import { CostExplorerClient, ListCostAllocationTagsCommand } from '@aws-sdk/client-cost-explorer';
import { DescribeImagesCommand, EC2Client, RunInstancesCommand } from '@aws-sdk/client-ec2';
import {
  AttachUserPolicyCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  IAMClient,
  ListAttachedUserPoliciesCommand,
} from '@aws-sdk/client-iam';
import { STSClient } from '@aws-sdk/client-sts';
import { useMoto, motoExtendedMissing, type MotoServer } from '../../support/moto.ts';
import { requires } from '../../support/requirements.ts';
import { budgetSetup, ROLE_POLICY_NAME, type BudgetSetupDeps } from '../../../main/budget/budget-setup-aws.ts';
import { accountIdFromSts } from '../../../main/budget/budgets.ts';
import type { BudgetSetupRequest } from '../../../main/budget/budget-setup-plan.ts';
import type { ComputeError } from '../../../main/aws/errors.ts';

const skip = requires(motoExtendedMissing());
const ACCOUNT = '123456789012';

function clients(m: MotoServer) {
  const base = { region: 'us-east-1', endpoint: m.endpoint, credentials: m.credentials };
  return {
    budgets: new BudgetsClient(base),
    iam: new IAMClient(base),
    costExplorer: new CostExplorerClient(base),
    ec2: new EC2Client(base),
    sts: new STSClient(base),
  };
}

function deps(m: MotoServer): BudgetSetupDeps {
  const c = clients(m);
  const noWait = { setTimeout: (fn: () => void) => setImmediate(fn), clearTimeout: () => {} } as unknown as BudgetSetupDeps['timers'];
  return { ...c, accountId: accountIdFromSts(c.sts), timers: noWait };
}

async function runTaggedInstance(m: MotoServer, owner: string): Promise<void> {
  const { ec2 } = clients(m);
  const image = (await ec2.send(new DescribeImagesCommand({ Owners: ['amazon'] }))).Images!.find((i) => i.ImageId)!.ImageId!;
  await ec2.send(
    new RunInstancesCommand({
      ImageId: image,
      MinCount: 1,
      MaxCount: 1,
      InstanceType: 't3.micro',
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'scopecloud:owner', Value: owner }] }],
    }),
  );
}

const request = (patch: Partial<BudgetSetupRequest> = {}): BudgetSetupRequest => ({
  lab: 'smith-lab',
  monthlyUsd: 400,
  emails: ['pi@lab.org'],
  perPerson: { owners: ['alice'], monthlyUsd: 150 },
  action: { mode: 'approval', users: ['alice'], roles: [] },
  ...patch,
});

describe('budget set-up against moto (extended with budget actions and cost allocation tags)', { skip }, () => {
  let moto: MotoServer;
  useMoto(
    (m) => {
      moto = m;
    },
    undefined,
    { extended: true },
  );

  it('plans, creates nothing without consent, creates everything with it, and then has nothing left to do', async () => {
    await runTaggedInstance(moto, 'alice');
    const setup = budgetSetup(deps(moto));
    assert.deepEqual(await setup.owners(), ['alice']);

    const before = await setup.plan(request());
    assert.equal(before.steps.length, before.parts.length);
    await assert.rejects(setup.apply(request(), { consent: false }), (e: ComputeError) => e.code === 'CONFIRMATION_REQUIRED');
    const c = clients(moto);
    assert.deepEqual((await c.budgets.send(new DescribeBudgetsCommand({ AccountId: ACCOUNT }))).Budgets ?? [], []);

    const { applied, notes, after } = await setup.apply(request(), { consent: true });
    assert.equal(applied.length, before.steps.length, notes.join('\n'));
    assert.deepEqual(after.steps, []);

    const budgets = (await c.budgets.send(new DescribeBudgetsCommand({ AccountId: ACCOUNT }))).Budgets!;
    assert.deepEqual(budgets.map((b) => b.BudgetName).sort(), ['scopecloud-smith-lab', 'scopecloud-smith-lab-person-alice']);
    const person = budgets.find((b) => b.BudgetName === 'scopecloud-smith-lab-person-alice')!;
    assert.deepEqual(person.CostFilters, { TagKeyValue: ['user:scopecloud:owner$alice'] });
    assert.equal(Number(person.BudgetLimit!.Amount), 150);
    const alerts = (await c.budgets.send(new DescribeNotificationsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'scopecloud-smith-lab' }))).Notifications!;
    assert.deepEqual(alerts.map((n) => `${n.NotificationType}:${n.Threshold}`).sort(), ['ACTUAL:100', 'ACTUAL:50', 'ACTUAL:80', 'FORECASTED:100']);

    const actions = (await c.budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'scopecloud-smith-lab' }))).Actions!;
    assert.equal(actions.length, 1);
    assert.equal(actions[0].ApprovalModel, 'MANUAL');
    assert.equal(actions[0].ActionThreshold?.ActionThresholdValue, 100);
    assert.deepEqual(actions[0].Definition?.IamActionDefinition?.Users, ['alice']);
    const policyArn = actions[0].Definition!.IamActionDefinition!.PolicyArn!;
    const policy = await c.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }));
    const doc = await c.iam.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: policy.Policy!.DefaultVersionId! }));
    assert.match(decodeURIComponent(doc.PolicyVersion!.Document!), /"Deny".*ec2:RunInstances.*ec2:StartInstances/);
    const role = await c.iam.send(new GetRoleCommand({ RoleName: 'scopecloud-smith-lab-budget-action' }));
    assert.match(decodeURIComponent(role.Role!.AssumeRolePolicyDocument!), /budgets\.amazonaws\.com/);
    const rolePolicy = await c.iam.send(new GetRolePolicyCommand({ RoleName: 'scopecloud-smith-lab-budget-action', PolicyName: ROLE_POLICY_NAME }));
    assert.match(decodeURIComponent(rolePolicy.PolicyDocument!), /user\/alice/);

    const tags = await c.costExplorer.send(new ListCostAllocationTagsCommand({ TagKeys: ['scopecloud:owner'] }));
    assert.equal(tags.CostAllocationTags?.[0]?.Status, 'Active');
  });

  it('switching to automatic with another target replaces the action and rewrites the role', async () => {
    await runTaggedInstance(moto, 'alice');
    const setup = budgetSetup(deps(moto));
    await setup.apply(request({ perPerson: null }), { consent: true });
    const changed = request({ perPerson: null, monthlyUsd: 500, action: { mode: 'automatic', users: [], roles: ['LabRole'] } });
    const plan = await setup.plan(changed);
    assert.deepEqual(
      plan.steps.map((s) => `${s.kind}:${s.state}`),
      ['budget:changed', 'action-role:changed', 'budget-action:changed'],
    );
    const { after } = await setup.apply(changed, { consent: true });
    assert.deepEqual(after.steps, []);
    const c = clients(moto);
    const actions = (await c.budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'scopecloud-smith-lab' }))).Actions!;
    assert.deepEqual(
      actions.map((a) => [a.ApprovalModel, a.Definition?.IamActionDefinition?.Roles]),
      [['AUTOMATIC', ['LabRole']]],
    );
    const rolePolicy = await c.iam.send(new GetRolePolicyCommand({ RoleName: 'scopecloud-smith-lab-budget-action', PolicyName: ROLE_POLICY_NAME }));
    assert.match(decodeURIComponent(rolePolicy.PolicyDocument!), /role\/LabRole/);
    assert.doesNotMatch(decodeURIComponent(rolePolicy.PolicyDocument!), /user\/alice/);
  });

  it('new e-mail addresses replace the alerts and the subscribers of the action', async () => {
    const setup = budgetSetup(deps(moto));
    await setup.apply(request({ perPerson: null }), { consent: true });
    const moved = request({ perPerson: null, emails: ['new-pi@lab.org', 'manager@lab.org'] });
    const plan = await setup.plan(moved);
    assert.deepEqual(
      plan.steps.map((s) => `${s.kind}:${s.state}`),
      ['alert:changed', 'alert:changed', 'alert:changed', 'alert:changed', 'budget-action:changed'],
    );
    const { after } = await setup.apply(moved, { consent: true });
    assert.deepEqual(after.steps, []);
    const c = clients(moto);
    const subs = await c.budgets.send(
      new DescribeSubscribersForNotificationCommand({
        AccountId: ACCOUNT,
        BudgetName: 'scopecloud-smith-lab',
        Notification: { NotificationType: 'FORECASTED', ComparisonOperator: 'GREATER_THAN', Threshold: 100, ThresholdType: 'PERCENTAGE' },
      }),
    );
    assert.deepEqual(subs.Subscribers?.map((x) => x.Address).sort(), ['manager@lab.org', 'new-pi@lab.org']);
    const alerts = (await c.budgets.send(new DescribeNotificationsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'scopecloud-smith-lab' }))).Notifications!;
    assert.equal(alerts.length, 4, 'replaced, not added');
    const actions = (await c.budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'scopecloud-smith-lab' }))).Actions!;
    assert.deepEqual(
      actions.map((a) => a.Subscribers?.map((x) => x.Address).sort()),
      [['manager@lab.org', 'new-pi@lab.org']],
    );
  });

  it('an owner tag billing has not seen yet is reported, and the rest is created', async () => {
    const setup = budgetSetup(deps(moto));
    const { applied, notes, after } = await setup.apply(request({ action: null }), { consent: true });
    assert.ok(
      notes.some((n) => /could not be activated yet.*about a day/.test(n)),
      notes.join('\n'),
    );
    assert.ok(applied.some((a) => a.key === 'budget:scopecloud-smith-lab-person-alice'));
    assert.deepEqual(
      after.steps.map((s) => s.kind),
      ['owner-tag'],
    );
  });

  it('removes only what it created, lifting a block the action applied; other budgets and actions stay', async () => {
    await runTaggedInstance(moto, 'alice');
    const c = clients(moto);
    // Someone else's budget with an action of its own.
    await c.budgets.send(
      new CreateBudgetCommand({
        AccountId: ACCOUNT,
        Budget: { BudgetName: 'finance-monthly', BudgetLimit: { Amount: '1000', Unit: 'USD' }, TimeUnit: 'MONTHLY', BudgetType: 'COST' },
      }),
    );
    const otherRole = await c.iam.send(new CreateRoleCommand({ RoleName: 'finance-role', AssumeRolePolicyDocument: '{}' }));
    const otherPolicy = await c.iam.send(
      new CreatePolicyCommand({
        PolicyName: 'finance-deny',
        PolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Deny', Action: 's3:*', Resource: '*' }] }),
      }),
    );
    await c.budgets.send(
      new CreateBudgetActionCommand({
        AccountId: ACCOUNT,
        BudgetName: 'finance-monthly',
        NotificationType: 'ACTUAL',
        ActionType: 'APPLY_IAM_POLICY',
        ActionThreshold: { ActionThresholdValue: 90, ActionThresholdType: 'PERCENTAGE' },
        Definition: { IamActionDefinition: { PolicyArn: otherPolicy.Policy!.Arn!, Roles: ['finance-role'] } },
        ExecutionRoleArn: otherRole.Role!.Arn!,
        ApprovalModel: 'AUTOMATIC',
        Subscribers: [{ SubscriptionType: 'EMAIL', Address: 'cfo@uni.edu' }],
      }),
    );
    await c.iam.send(new CreateUserCommand({ UserName: 'alice' }));
    const setup = budgetSetup(deps(moto));
    await setup.apply(request(), { consent: true });
    // The budget was exceeded and the action ran: alice has the block policy.
    const denyArn = `arn:aws:iam::${ACCOUNT}:policy/scopecloud-smith-lab-deny-ec2-start`;
    await c.iam.send(new AttachUserPolicyCommand({ UserName: 'alice', PolicyArn: denyArn }));

    await assert.rejects(setup.remove('smith-lab', { consent: false }), (e: ComputeError) => e.code === 'CONFIRMATION_REQUIRED');
    const removed = await setup.remove('smith-lab', { consent: true });
    assert.deepEqual(removed, [
      'lifted the block on user alice',
      'deleted the block action of budget scopecloud-smith-lab',
      'deleted budget scopecloud-smith-lab and its alerts',
      'deleted budget scopecloud-smith-lab-person-alice and its alerts',
      'deleted IAM policy scopecloud-smith-lab-deny-ec2-start',
      'deleted IAM role scopecloud-smith-lab-budget-action',
    ]);
    const attached = await c.iam.send(new ListAttachedUserPoliciesCommand({ UserName: 'alice' }));
    assert.deepEqual(attached.AttachedPolicies, []);
    const left = (await c.budgets.send(new DescribeBudgetsCommand({ AccountId: ACCOUNT }))).Budgets!;
    assert.deepEqual(
      left.map((b) => b.BudgetName),
      ['finance-monthly'],
    );
    const otherActions = (await c.budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'finance-monthly' }))).Actions!;
    assert.equal(otherActions.length, 1);
    await c.iam.send(new GetRoleCommand({ RoleName: 'finance-role' }));
    // Removing again finds nothing of ours.
    assert.deepEqual(await setup.remove('smith-lab', { consent: true }), []);
    // The foreign action-enabled budget counts against the free allowance in a new plan.
    const plan = await setup.plan(request());
    assert.equal(plan.monthlyCostUsd, 0, 'one other action-enabled budget plus ours is still within the two free ones');
  });
});
