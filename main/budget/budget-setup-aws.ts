/**
 * The lab's AWS Budgets set-up in the account (the plan is budget-setup-plan.ts): read what
 * ScopeCloud created, apply a plan's steps, remove the set-up.
 *
 * Contract:
 * - `apply` and `remove` need `{ consent: true }`; without it nothing is sent to AWS.
 * - Only parts named by `names` (budget-setup-plan.ts) for the lab are read, changed or removed;
 *   any other budget, policy or role in the account is left alone.
 * - `remove` detaches the block policy from whoever the budget action attached it to (that lifts
 *   the block), then deletes actions, budgets, policy and role. The owner cost allocation tag stays
 *   active: Cost Explorer's per-person spend uses it too, and it costs nothing.
 * - AWS refusing is a ComputeError whose message says what to ask for (billing access for IAM
 *   users, the permissions the set-up needs).
 */
import {
  CreateBudgetActionCommand,
  CreateBudgetCommand,
  CreateNotificationCommand,
  DeleteBudgetActionCommand,
  DeleteBudgetCommand,
  DescribeBudgetActionsForAccountCommand,
  DescribeBudgetActionsForBudgetCommand,
  DescribeBudgetsCommand,
  DescribeNotificationsForBudgetCommand,
  DescribeSubscribersForNotificationCommand,
  DeleteNotificationCommand,
  type Notification,
  UpdateBudgetCommand,
  type Budget,
  type BudgetsClient,
} from '@aws-sdk/client-budgets';
import {
  CreatePolicyCommand,
  CreateRoleCommand,
  DeletePolicyCommand,
  DeletePolicyVersionCommand,
  DeleteRoleCommand,
  DeleteRolePolicyCommand,
  DetachGroupPolicyCommand,
  DetachRolePolicyCommand,
  DetachUserPolicyCommand,
  GetPolicyCommand,
  GetRoleCommand,
  ListEntitiesForPolicyCommand,
  ListPolicyVersionsCommand,
  PutRolePolicyCommand,
  type IAMClient,
} from '@aws-sdk/client-iam';
import { ListCostAllocationTagsCommand, UpdateCostAllocationTagsStatusCommand, type CostExplorerClient } from '@aws-sdk/client-cost-explorer';
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import type { AwsClients } from '../aws/clients.ts';
import { ComputeError, fromAwsError } from '../aws/errors.ts';
import { TAG } from '../aws/ec2-instance.ts';
import { awsFailure } from '../common/aws-errors.ts';
import { sleep, systemTimers, type Timeouts } from '../common/time.ts';
import {
  isOurBudget,
  names,
  planBudgetSetup,
  validateLab,
  validateSetupRequest,
  type Alert,
  type BudgetSetupRequest,
  type ExistingSetup,
  type SetupPart,
  type SetupPlan,
} from './budget-setup-plan.ts';
import { accountIdFromSts } from './budgets.ts';
import { actionRolePolicy, budgetsTrustPolicy, denyEc2StartPolicy } from './budget-setup-policies.ts';

export interface BudgetSetupDeps {
  budgets: Pick<BudgetsClient, 'send'>;
  iam: Pick<IAMClient, 'send'>;
  costExplorer: Pick<CostExplorerClient, 'send'>;
  ec2: Pick<EC2Client, 'send'>;
  accountId: () => Promise<string>;
  /** Waits between tries while a new IAM role propagates (default: real timers). */
  timers?: Timeouts;
}

export const ROLE_POLICY_NAME = 'scopecloud-attach-deny-policy';
const SCOPECLOUD_TAGS = (lab: string) => [
  { Key: TAG.app, Value: 'scopecloud' },
  { Key: 'scopecloud:lab', Value: lab },
];

const errName = (e: unknown) => (e as { name?: string })?.name ?? '';
const isNotFound = (e: unknown) => ['NotFoundException', 'NoSuchEntity', 'NoSuchEntityException'].includes(errName(e));

/** AWS errors in the words a lab manager needs: who must allow what. */
export function setupError(e: unknown, subject: string): ComputeError {
  if (e instanceof ComputeError) return e;
  if (awsFailure(e) === 'access-denied') {
    return new ComputeError(
      'ACCESS_DENIED',
      `${subject}: AWS refused (${errName(e) || 'access denied'}). Setting up budgets needs permission for AWS Budgets, IAM (to create one policy and one role) ` +
        'and Cost Explorer. An IAM user also sees nothing of billing until the account\'s root user turns on "IAM user and role access to Billing information" ' +
        '(Billing console > Account). Ask whoever administers the AWS account, or sign in with an administrator profile.',
      { cause: e },
    );
  }
  return fromAwsError(e, subject);
}

async function call<T>(subject: string, op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw setupError(e, subject);
  }
}

const toAlert = (n: { NotificationType?: string; Threshold?: number; ThresholdType?: string }): Alert | null =>
  (n.NotificationType === 'ACTUAL' || n.NotificationType === 'FORECASTED') && (n.ThresholdType ?? 'PERCENTAGE') === 'PERCENTAGE' && n.Threshold !== undefined
    ? { type: n.NotificationType, percent: n.Threshold }
    : null;

async function ourBudgets(deps: BudgetSetupDeps, accountId: string, lab: string): Promise<Budget[]> {
  const out: Budget[] = [];
  let token: string | undefined;
  do {
    const page = await call('list AWS Budgets', () =>
      deps.budgets.send(new DescribeBudgetsCommand({ AccountId: accountId, NextToken: token, MaxResults: 100 })).catch((e: unknown) => {
        // Budgets answers NotFound when the account has no budget at all.
        if (isNotFound(e)) return { Budgets: [], NextToken: undefined };
        throw e;
      }),
    );
    out.push(...(page.Budgets ?? []).filter((b) => b.BudgetName && isOurBudget(lab, b.BudgetName)));
    token = page.NextToken;
  } while (token);
  return out;
}

async function optional<T>(op: () => Promise<T>): Promise<T | null> {
  try {
    return await op();
  } catch (e) {
    if (isNotFound(e)) return null;
    throw e;
  }
}

export async function readExisting(deps: BudgetSetupDeps, lab: string): Promise<ExistingSetup> {
  const accountId = await deps.accountId();
  const budgets = await ourBudgets(deps, accountId, lab);
  const withAlerts = await Promise.all(
    budgets.map(async (b) => {
      const n = await call(`read the alerts of budget ${b.BudgetName}`, () =>
        deps.budgets.send(new DescribeNotificationsForBudgetCommand({ AccountId: accountId, BudgetName: b.BudgetName!, MaxResults: 100 })),
      );
      const alerts = await Promise.all(
        (n.Notifications ?? []).map(async (notification) => {
          const alert = toAlert(notification);
          if (!alert) return null;
          const subs = await call(`read who gets the alerts of budget ${b.BudgetName}`, () =>
            deps.budgets.send(
              new DescribeSubscribersForNotificationCommand({ AccountId: accountId, BudgetName: b.BudgetName!, Notification: notification, MaxResults: 100 }),
            ),
          );
          return { ...alert, emails: (subs.Subscribers ?? []).filter((x) => x.SubscriptionType === 'EMAIL').map((x) => x.Address ?? '') };
        }),
      );
      return { name: b.BudgetName!, limitUsd: Number(b.BudgetLimit?.Amount ?? 0), alerts: alerts.filter((a) => a !== null) };
    }),
  );
  const labBudget = names.labBudget(lab);
  const actions = budgets.some((b) => b.BudgetName === labBudget)
    ? ((await call(`read the actions of budget ${labBudget}`, () =>
        deps.budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: accountId, BudgetName: labBudget })),
      ).then((o) => o.Actions)) ?? [])
    : [];
  const accountActions = await call('list the budget actions of the account', () =>
    deps.budgets.send(new DescribeBudgetActionsForAccountCommand({ AccountId: accountId })).catch((e: unknown) => {
      if (isNotFound(e)) return { Actions: [] };
      throw e;
    }),
  );
  const otherActionBudgets = new Set((accountActions.Actions ?? []).map((a) => a.BudgetName ?? '').filter((n) => !isOurBudget(lab, n))).size;
  const policyArn = `arn:aws:iam::${accountId}:policy/${names.denyPolicy(lab)}`;
  const policy = await call(`read IAM policy ${names.denyPolicy(lab)}`, () => optional(() => deps.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))));
  const role = await call(`read IAM role ${names.actionRole(lab)}`, () =>
    optional(() => deps.iam.send(new GetRoleCommand({ RoleName: names.actionRole(lab) }))),
  );
  let ownerTagActive: boolean | null;
  try {
    const tags = await deps.costExplorer.send(new ListCostAllocationTagsCommand({ TagKeys: [TAG.owner] }));
    ownerTagActive = (tags.CostAllocationTags ?? []).some((t) => t.TagKey === TAG.owner && t.Status === 'Active');
  } catch {
    // Cost Explorer unreadable (not enabled, no permission): the plan activates the tag again.
    ownerTagActive = null;
  }
  return {
    budgets: withAlerts,
    actions: actions.map((a) => ({
      budgetName: a.BudgetName ?? labBudget,
      actionId: a.ActionId ?? '',
      approval: a.ApprovalModel === 'MANUAL' ? 'MANUAL' : 'AUTOMATIC',
      users: a.Definition?.IamActionDefinition?.Users ?? [],
      roles: a.Definition?.IamActionDefinition?.Roles ?? [],
      emails: (a.Subscribers ?? []).filter((x) => x.SubscriptionType === 'EMAIL').map((x) => x.Address ?? ''),
    })),
    policyArn: policy?.Policy?.Arn ?? null,
    roleArn: role?.Role?.Arn ?? null,
    ownerTagActive,
    otherActionBudgets,
  };
}

/** Owner names on the account's instances in the region (the owner tag ScopeCloud writes). */
export async function ownersFromInstances(deps: Pick<BudgetSetupDeps, 'ec2'>): Promise<string[]> {
  const owners = new Set<string>();
  let token: string | undefined;
  do {
    const page = await call('list instances to find their owners', () =>
      deps.ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: [TAG.owner] }], NextToken: token })),
    );
    for (const r of page.Reservations ?? [])
      for (const i of r.Instances ?? []) for (const t of i.Tags ?? []) if (t.Key === TAG.owner && t.Value) owners.add(t.Value);
    token = page.NextToken;
  } while (token);
  return [...owners].sort();
}

function budgetBody(part: Extract<SetupPart, { kind: 'budget' }>): Budget {
  return {
    BudgetName: part.name,
    BudgetType: 'COST',
    TimeUnit: 'MONTHLY',
    BudgetLimit: { Amount: part.monthlyUsd.toFixed(2), Unit: 'USD' },
    ...(part.owner ? { CostFilters: { TagKeyValue: [`user:${TAG.owner}$${part.owner}`] } } : {}),
  };
}

export interface AppliedStep {
  key: string;
  done: string;
}

export class ConsentRequiredError extends ComputeError {
  constructor(what: string) {
    super('CONFIRMATION_REQUIRED', `${what} needs your consent: read the plan, then confirm (CLI: --yes)`);
  }
}

/** Applies the plan's steps in order; stops at the first AWS refusal (the steps before it stay applied). */
export async function applyPlan(deps: BudgetSetupDeps, plan: SetupPlan, consent: { consent: boolean }): Promise<{ applied: AppliedStep[]; notes: string[] }> {
  if (consent?.consent !== true) throw new ConsentRequiredError('Creating the budget set-up');
  const accountId = await deps.accountId();
  const timers = deps.timers ?? systemTimers;
  const applied: AppliedStep[] = [];
  const notes: string[] = [];
  const tags = SCOPECLOUD_TAGS(plan.lab);
  const policyArn = `arn:aws:iam::${accountId}:policy/${names.denyPolicy(plan.lab)}`;
  const roleArn = `arn:aws:iam::${accountId}:role/${names.actionRole(plan.lab)}`;
  for (const step of plan.steps) {
    switch (step.kind) {
      case 'budget':
        if (step.state === 'missing') {
          await call(`create budget ${step.name}`, () =>
            deps.budgets.send(new CreateBudgetCommand({ AccountId: accountId, Budget: budgetBody(step), ResourceTags: tags })),
          );
          applied.push({ key: step.key, done: `created budget ${step.name} (${step.monthlyUsd.toFixed(2)} USD a month)` });
        } else {
          await call(`change the limit of budget ${step.name}`, () =>
            deps.budgets.send(new UpdateBudgetCommand({ AccountId: accountId, NewBudget: budgetBody(step) })),
          );
          applied.push({ key: step.key, done: `set the limit of budget ${step.name} to ${step.monthlyUsd.toFixed(2)} USD a month` });
        }
        break;
      case 'alert': {
        const notification: Notification = {
          NotificationType: step.alert.type,
          ComparisonOperator: 'GREATER_THAN',
          Threshold: step.alert.percent,
          ThresholdType: 'PERCENTAGE',
        };
        if (step.state === 'changed') {
          await call(`replace an alert of budget ${step.budget}`, () =>
            deps.budgets.send(new DeleteNotificationCommand({ AccountId: accountId, BudgetName: step.budget, Notification: notification })),
          );
        }
        await call(`add an alert to budget ${step.budget}`, () =>
          deps.budgets.send(
            new CreateNotificationCommand({
              AccountId: accountId,
              BudgetName: step.budget,
              Notification: notification,
              Subscribers: step.emails.map((Address) => ({ SubscriptionType: 'EMAIL', Address })),
            }),
          ),
        );
        applied.push({ key: step.key, done: `${step.state === 'changed' ? 'replaced' : 'added'} ${step.label.toLowerCase()} on ${step.budget}` });
        break;
      }
      case 'owner-tag': {
        const out = await call(`activate cost allocation tag ${step.tag}`, () =>
          deps.costExplorer.send(new UpdateCostAllocationTagsStatusCommand({ CostAllocationTagsStatus: [{ TagKey: step.tag, Status: 'Active' }] })),
        );
        const refused = (out.Errors ?? []).find((e) => e.TagKey === step.tag);
        if (refused) {
          notes.push(
            `${step.tag} could not be activated yet (${refused.Code ?? 'refused'}): AWS lists a tag only once billing has seen it on a resource, ` +
              'about a day after ScopeCloud first launches an instance. Run the set-up again then; per-person budgets stay at $0 until it is active.',
          );
        } else {
          applied.push({ key: step.key, done: `activated cost allocation tag ${step.tag} (per-person spend shows within 24 hours)` });
        }
        break;
      }
      case 'deny-policy':
        await call(`create IAM policy ${step.name}`, () =>
          deps.iam.send(
            new CreatePolicyCommand({
              PolicyName: step.name,
              PolicyDocument: JSON.stringify(denyEc2StartPolicy()),
              Description: 'ScopeCloud budget action: blocks new EC2 starts once the lab budget is spent',
              Tags: tags,
            }),
          ),
        );
        applied.push({ key: step.key, done: `created IAM policy ${step.name}` });
        break;
      case 'action-role':
        if (step.state === 'missing') {
          await call(`create IAM role ${step.name}`, () =>
            deps.iam.send(
              new CreateRoleCommand({
                RoleName: step.name,
                AssumeRolePolicyDocument: JSON.stringify(budgetsTrustPolicy(accountId)),
                Description: 'AWS Budgets attaches the ScopeCloud block policy with this role; nothing else',
                Tags: tags,
              }),
            ),
          );
        }
        await call(`set the permissions of IAM role ${step.name}`, () =>
          deps.iam.send(
            new PutRolePolicyCommand({
              RoleName: step.name,
              PolicyName: ROLE_POLICY_NAME,
              PolicyDocument: JSON.stringify(actionRolePolicy(accountId, policyArn, step.users, step.roles)),
            }),
          ),
        );
        applied.push({ key: step.key, done: `${step.state === 'missing' ? 'created' : 'updated'} IAM role ${step.name}` });
        break;
      case 'budget-action': {
        if (step.replaces) {
          await call(`replace the action of budget ${step.budget}`, () =>
            deps.budgets.send(new DeleteBudgetActionCommand({ AccountId: accountId, BudgetName: step.budget, ActionId: step.replaces! })),
          );
        }
        const create = () =>
          deps.budgets.send(
            new CreateBudgetActionCommand({
              AccountId: accountId,
              BudgetName: step.budget,
              NotificationType: 'ACTUAL',
              ActionType: 'APPLY_IAM_POLICY',
              ActionThreshold: { ActionThresholdValue: 100, ActionThresholdType: 'PERCENTAGE' },
              Definition: {
                IamActionDefinition: {
                  PolicyArn: policyArn,
                  ...(step.users.length ? { Users: [...step.users] } : {}),
                  ...(step.roles.length ? { Roles: [...step.roles] } : {}),
                },
              },
              ExecutionRoleArn: roleArn,
              ApprovalModel: step.approval,
              Subscribers: step.emails.map((Address) => ({ SubscriptionType: 'EMAIL', Address })),
            }),
          );
        await call(`add the block action to budget ${step.budget}`, async () => {
          // A role created seconds ago may not be assumable yet (IAM is eventually consistent).
          for (let attempt = 1; ; attempt++) {
            try {
              return await create();
            } catch (e) {
              if (errName(e) !== 'InvalidParameterException' || !/role/i.test((e as Error).message) || attempt >= 6) throw e;
              await sleep(timers, 5_000);
            }
          }
        });
        applied.push({ key: step.key, done: `added the action that blocks new EC2 starts at 100% of ${step.budget} (${step.approval.toLowerCase()})` });
        break;
      }
    }
  }
  return { applied, notes };
}

/** Removes everything ScopeCloud created for `lab`; returns what was removed, in order. */
export async function removeSetup(deps: BudgetSetupDeps, lab: string, consent: { consent: boolean }): Promise<string[]> {
  if (consent?.consent !== true) throw new ConsentRequiredError('Removing the budget set-up');
  const accountId = await deps.accountId();
  const removed: string[] = [];
  const policyArn = `arn:aws:iam::${accountId}:policy/${names.denyPolicy(lab)}`;
  const policy = await call(`read IAM policy ${names.denyPolicy(lab)}`, () => optional(() => deps.iam.send(new GetPolicyCommand({ PolicyArn: policyArn }))));
  if (policy) {
    const entities = await call(`list who has policy ${names.denyPolicy(lab)}`, () =>
      deps.iam.send(new ListEntitiesForPolicyCommand({ PolicyArn: policyArn })),
    );
    for (const u of entities.PolicyUsers ?? []) {
      await call(`detach the block from user ${u.UserName}`, () => deps.iam.send(new DetachUserPolicyCommand({ UserName: u.UserName!, PolicyArn: policyArn })));
      removed.push(`lifted the block on user ${u.UserName}`);
    }
    for (const r of entities.PolicyRoles ?? []) {
      await call(`detach the block from role ${r.RoleName}`, () => deps.iam.send(new DetachRolePolicyCommand({ RoleName: r.RoleName!, PolicyArn: policyArn })));
      removed.push(`lifted the block on role ${r.RoleName}`);
    }
    for (const g of entities.PolicyGroups ?? []) {
      await call(`detach the block from group ${g.GroupName}`, () =>
        deps.iam.send(new DetachGroupPolicyCommand({ GroupName: g.GroupName!, PolicyArn: policyArn })),
      );
      removed.push(`lifted the block on group ${g.GroupName}`);
    }
  }
  for (const b of await ourBudgets(deps, accountId, lab)) {
    const actions = await call(`read the actions of budget ${b.BudgetName}`, () =>
      deps.budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: accountId, BudgetName: b.BudgetName! })),
    );
    for (const a of actions.Actions ?? []) {
      await call(`delete the action of budget ${b.BudgetName}`, () =>
        deps.budgets.send(new DeleteBudgetActionCommand({ AccountId: accountId, BudgetName: b.BudgetName!, ActionId: a.ActionId! })),
      );
      removed.push(`deleted the block action of budget ${b.BudgetName}`);
    }
    await call(`delete budget ${b.BudgetName}`, () => deps.budgets.send(new DeleteBudgetCommand({ AccountId: accountId, BudgetName: b.BudgetName! })));
    removed.push(`deleted budget ${b.BudgetName} and its alerts`);
  }
  if (policy) {
    const versions = await call(`list versions of policy ${names.denyPolicy(lab)}`, () =>
      deps.iam.send(new ListPolicyVersionsCommand({ PolicyArn: policyArn })),
    );
    for (const v of versions.Versions ?? []) {
      if (!v.IsDefaultVersion)
        await call('delete an old policy version', () => deps.iam.send(new DeletePolicyVersionCommand({ PolicyArn: policyArn, VersionId: v.VersionId! })));
    }
    await call(`delete IAM policy ${names.denyPolicy(lab)}`, () => deps.iam.send(new DeletePolicyCommand({ PolicyArn: policyArn })));
    removed.push(`deleted IAM policy ${names.denyPolicy(lab)}`);
  }
  const roleName = names.actionRole(lab);
  const role = await call(`read IAM role ${roleName}`, () => optional(() => deps.iam.send(new GetRoleCommand({ RoleName: roleName }))));
  if (role) {
    await call(`delete the permissions of role ${roleName}`, () =>
      optional(() => deps.iam.send(new DeleteRolePolicyCommand({ RoleName: roleName, PolicyName: ROLE_POLICY_NAME }))),
    );
    await call(`delete IAM role ${roleName}`, () => deps.iam.send(new DeleteRoleCommand({ RoleName: roleName })));
    removed.push(`deleted IAM role ${roleName}`);
  }
  return removed;
}

export interface BudgetSetup {
  /** What exists, what is missing and what it costs, for `request`. */
  plan(request: BudgetSetupRequest): Promise<SetupPlan>;
  /** Plans again from a fresh read, applies the missing steps, and returns the plan afterwards. */
  apply(request: BudgetSetupRequest, consent: { consent: boolean }): Promise<{ applied: AppliedStep[]; notes: string[]; after: SetupPlan }>;
  remove(lab: string, consent: { consent: boolean }): Promise<string[]>;
  /** Owner names found on the region's instances. */
  owners(): Promise<string[]>;
}

export function budgetSetup(deps: BudgetSetupDeps): BudgetSetup {
  const plan = async (request: BudgetSetupRequest) => {
    validateSetupRequest(request);
    return planBudgetSetup(request, await readExisting(deps, request.lab));
  };
  return {
    plan,
    async apply(request, consent) {
      if (consent?.consent !== true) throw new ConsentRequiredError('Creating the budget set-up');
      const { applied, notes } = await applyPlan(deps, await plan(request), consent);
      return { applied, notes, after: await plan(request) };
    },
    remove: (lab, consent) => {
      validateLab(lab);
      return removeSetup(deps, lab, consent);
    },
    owners: () => ownersFromInstances(deps),
  };
}

/** The set-up over the process's AWS clients (the account id asked once from STS). */
export function budgetSetupOf(clients: Pick<AwsClients, 'budgets' | 'iam' | 'costExplorer' | 'ec2' | 'sts'>): BudgetSetup {
  return budgetSetup({ ...clients, accountId: accountIdFromSts(clients.sts) });
}
