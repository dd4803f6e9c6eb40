/**
 * The lab's AWS Budgets set-up as a plan: given what the lab manager wants (a monthly limit,
 * e-mail addresses, optionally one budget per person, optionally a budget action that blocks new
 * EC2 starts) and what ScopeCloud already created in the account, `planBudgetSetup` lists every
 * part with its state (present, missing, changed), a plain explanation and its monthly cost.
 * Pure: no AWS calls, no clock. `budget-setup-aws.ts` reads what exists and applies the steps.
 *
 * Contract:
 * - Everything ScopeCloud creates is named from the lab: budgets `scopecloud-<lab>` and
 *   `scopecloud-<lab>-person-<owner>`, the IAM policy `scopecloud-<lab>-deny-ec2-start`, the
 *   execution role `scopecloud-<lab>-budget-action`. Only those names are read, changed or removed.
 * - A present part is never re-created; a lab or person budget whose limit differs is updated.
 * - The plan never removes a part the request leaves out (removal is its own operation).
 */
import { ComputeError } from '../aws/errors.ts';
import { TAG } from '../aws/ec2-instance.ts';

/**
 * AWS Budgets prices, from the AWS Price List (offer AWSBudgets, effective 2020-10-01, read
 * 2026-12-07): budgets and their alerts cost nothing; action-enabled budgets get 62 free
 * budget-days a month per account (two budgets all month), then $0.10 per action-enabled
 * budget-day.
 */
export const BUDGETS_PRICING = {
  source: 'AWS Price List, offer AWSBudgets (effective 2020-10-01), read 2026-12-07',
  actionBudgetDayUsd: 0.1,
  freeActionBudgets: 2,
  /** Days in an average month, for a monthly figure from a daily price. */
  daysPerMonth: 30.4,
  /** Cost Explorer API: $0.01 per request (UpdateCostAllocationTagsStatus is one request). */
  costExplorerRequestUsd: 0.01,
} as const;

/** Alerts every ScopeCloud budget gets: 50/80/100 % of actual spend, 100 % of the forecast. */
export const ALERTS: ReadonlyArray<Alert> = [
  { type: 'ACTUAL', percent: 50 },
  { type: 'ACTUAL', percent: 80 },
  { type: 'ACTUAL', percent: 100 },
  { type: 'FORECASTED', percent: 100 },
];

export interface Alert {
  type: 'ACTUAL' | 'FORECASTED';
  percent: number;
}

export type ApprovalMode = 'automatic' | 'approval';

export interface BudgetSetupRequest {
  /** Lowercase letters, digits and single dashes; names every part. */
  lab: string;
  monthlyUsd: number;
  /** Who gets the alerts (1 to 10 addresses: Budgets' limit per alert). */
  emails: ReadonlyArray<string>;
  /** One budget per person, filtered on the owner tag ScopeCloud puts on what it launches. */
  perPerson: { owners: ReadonlyArray<string>; monthlyUsd: number } | null;
  /** The budget action on the lab budget that blocks new EC2 starts at 100 %. */
  action: { mode: ApprovalMode; users: ReadonlyArray<string>; roles: ReadonlyArray<string> } | null;
}

/** What ScopeCloud created that exists now (budget-setup-aws.ts `readExisting`). */
export interface ExistingSetup {
  /** An alert's or action's `emails`: its e-mail subscribers; undefined when they were not read (not compared). */
  budgets: ReadonlyArray<{ name: string; limitUsd: number; alerts: ReadonlyArray<Alert & { emails?: ReadonlyArray<string> }> }>;
  actions: ReadonlyArray<{
    budgetName: string;
    actionId: string;
    approval: 'AUTOMATIC' | 'MANUAL';
    users: ReadonlyArray<string>;
    roles: ReadonlyArray<string>;
    emails?: ReadonlyArray<string>;
  }>;
  policyArn: string | null;
  roleArn: string | null;
  /** Whether the owner tag is an active cost allocation tag; null when Cost Explorer would not say. */
  ownerTagActive: boolean | null;
  /** Budgets with actions that ScopeCloud did not create (they use the free allowance first). */
  otherActionBudgets: number;
}

export type PartState = 'present' | 'missing' | 'changed';

interface PartBase {
  /** Stable key: the UI's list key and the CLI's line. */
  key: string;
  label: string;
  state: PartState;
  explanation: string;
  monthlyCostUsd: number;
}

export type SetupPart =
  | (PartBase & { kind: 'budget'; name: string; monthlyUsd: number; owner: string | null })
  | (PartBase & { kind: 'alert'; budget: string; alert: Alert; emails: ReadonlyArray<string> })
  | (PartBase & { kind: 'owner-tag'; tag: string })
  | (PartBase & { kind: 'deny-policy'; name: string })
  | (PartBase & { kind: 'action-role'; name: string; users: ReadonlyArray<string>; roles: ReadonlyArray<string> })
  | (PartBase & {
      kind: 'budget-action';
      budget: string;
      approval: 'AUTOMATIC' | 'MANUAL';
      users: ReadonlyArray<string>;
      roles: ReadonlyArray<string>;
      emails: ReadonlyArray<string>;
      /** An existing action of ours that no longer matches (replaced: deleted, then created). */
      replaces: string | null;
    });

export interface SetupPlan {
  lab: string;
  parts: SetupPart[];
  /** What applying creates or changes, in order: the parts that are not present. */
  steps: SetupPart[];
  /** Budgets' own monthly charge for the whole set-up once applied. */
  monthlyCostUsd: number;
  notes: string[];
}

export const names = {
  labBudget: (lab: string) => `scopecloud-${lab}`,
  personBudget: (lab: string, owner: string) => `scopecloud-${lab}-person-${owner}`,
  denyPolicy: (lab: string) => `scopecloud-${lab}-deny-ec2-start`,
  actionRole: (lab: string) => `scopecloud-${lab}-budget-action`,
};

/** Whether a budget name is one ScopeCloud created for `lab`. */
export function isOurBudget(lab: string, name: string): boolean {
  return name === names.labBudget(lab) || name.startsWith(`${names.labBudget(lab)}-person-`);
}

const LAB = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const OWNER = /^[A-Za-z0-9._@+=-]{1,64}$/;
const EMAIL = /^[^\s@,]+@[^\s@,]+\.[^\s@,]+$/;
const IAM_NAME = /^[\w+=,.@-]{1,64}$/;

const invalid = (message: string) => new ComputeError('INVALID_INPUT', message);

/** Checks a lab name (it names every part). */
export function validateLab(lab: string): void {
  if (!LAB.test(lab) || lab.length > 40 || lab.includes('-person-')) {
    throw invalid(`lab name "${lab}": use 1-40 lowercase letters, digits and single dashes (e.g. "smith-lab")`);
  }
}

/** Checks a request; every problem is a clear INVALID_INPUT error before anything is planned. */
export function validateSetupRequest(r: BudgetSetupRequest): void {
  validateLab(r.lab);
  if (!(Number.isFinite(r.monthlyUsd) && r.monthlyUsd > 0 && r.monthlyUsd <= 1_000_000)) {
    throw invalid(`monthly limit ${r.monthlyUsd}: give a positive amount in US dollars`);
  }
  if (r.emails.length < 1 || r.emails.length > 10) throw invalid('give 1 to 10 e-mail addresses for the alerts');
  for (const e of r.emails) if (!EMAIL.test(e)) throw invalid(`"${e}" is not an e-mail address`);
  if (r.perPerson) {
    if (!(Number.isFinite(r.perPerson.monthlyUsd) && r.perPerson.monthlyUsd > 0)) throw invalid('per-person limit: give a positive amount in US dollars');
    if (r.perPerson.owners.length === 0) throw invalid('per-person budgets: no owners given and none found on instances (give --owners alice,bob)');
    for (const o of r.perPerson.owners) if (!OWNER.test(o)) throw invalid(`owner "${o}": use letters, digits and . _ @ + = - only`);
  }
  if (r.action) {
    if (r.action.users.length + r.action.roles.length === 0) {
      throw invalid('the budget action needs the IAM users or role the lab works as (--users, --roles)');
    }
    for (const n of [...r.action.users, ...r.action.roles]) if (!IAM_NAME.test(n)) throw invalid(`"${n}" is not an IAM user or role name`);
  }
}

const sameSet = (a: ReadonlyArray<string>, b: ReadonlyArray<string>) => a.length === b.length && [...a].sort().join('\n') === [...b].sort().join('\n');
const money = (n: number) => `$${n.toFixed(2)}`;

/** Monthly charge of our one action-enabled budget, given how many others the account has. */
export function actionBudgetMonthlyUsd(otherActionBudgets: number): number {
  if (otherActionBudgets + 1 <= BUDGETS_PRICING.freeActionBudgets) return 0;
  return Math.round(BUDGETS_PRICING.actionBudgetDayUsd * BUDGETS_PRICING.daysPerMonth * 100) / 100;
}

export function planBudgetSetup(r: BudgetSetupRequest, existing: ExistingSetup): SetupPlan {
  validateSetupRequest(r);
  const parts: SetupPart[] = [];
  const emails = [...r.emails];
  const notes: string[] = [];

  const budget = (name: string, monthlyUsd: number, owner: string | null) => {
    const found = existing.budgets.find((b) => b.name === name);
    const state: PartState = !found ? 'missing' : Math.abs(found.limitUsd - monthlyUsd) > 0.005 ? 'changed' : 'present';
    parts.push({
      kind: 'budget',
      key: `budget:${name}`,
      label: owner ? `Budget for ${owner}: ${money(monthlyUsd)} a month` : `Lab budget: ${money(monthlyUsd)} a month`,
      name,
      monthlyUsd,
      owner,
      state,
      explanation:
        (owner
          ? `A monthly budget "${name}" that counts only what is tagged ${TAG.owner}=${owner} (what ScopeCloud launched for ${owner}).`
          : `A monthly budget "${name}" that counts everything the AWS account spends.`) +
        (state === 'changed' ? ` It exists with a limit of ${money(found!.limitUsd)}; the limit is changed to ${money(monthlyUsd)}.` : '') +
        ' Budgets are free.',
      monthlyCostUsd: 0,
    });
    for (const alert of ALERTS) {
      const has = found?.alerts.find((a) => a.type === alert.type && a.percent === alert.percent);
      const state: PartState = !has ? 'missing' : has.emails && !sameSet(has.emails, emails) ? 'changed' : 'present';
      parts.push({
        kind: 'alert',
        key: `alert:${name}:${alert.type}:${alert.percent}`,
        label: `${alert.type === 'ACTUAL' ? 'Alert' : 'Forecast alert'} at ${alert.percent}%${owner ? ` (${owner})` : ''}`,
        budget: name,
        alert,
        emails,
        state,
        explanation:
          (alert.type === 'ACTUAL'
            ? `An e-mail to ${emails.join(', ')} when actual spend passes ${alert.percent}% of the limit.`
            : `An e-mail to ${emails.join(', ')} when AWS forecasts the month will end above the limit.`) +
          (state === 'changed' ? ` It now goes to ${has!.emails!.join(', ')}; it is replaced.` : ''),
        monthlyCostUsd: 0,
      });
    }
  };

  budget(names.labBudget(r.lab), r.monthlyUsd, null);

  if (r.perPerson) {
    parts.push({
      kind: 'owner-tag',
      key: `owner-tag:${TAG.owner}`,
      label: `Cost allocation tag ${TAG.owner}`,
      tag: TAG.owner,
      state: existing.ownerTagActive === true ? 'present' : 'missing',
      explanation:
        `ScopeCloud tags what it launches with ${TAG.owner}. Billing sees that tag only once it is activated as a cost allocation tag, ` +
        'and AWS takes up to 24 hours after activating it before per-person budgets show any spend (nothing is counted retroactively).' +
        (existing.ownerTagActive === null ? ' Cost Explorer did not say whether it is active, so it is activated again.' : ''),
      monthlyCostUsd: 0,
    });
    for (const owner of r.perPerson.owners) budget(names.personBudget(r.lab, owner), r.perPerson.monthlyUsd, owner);
  }

  if (r.action) {
    const approval = r.action.mode === 'automatic' ? 'AUTOMATIC' : 'MANUAL';
    const users = [...r.action.users];
    const roles = [...r.action.roles];
    const targets = [...users.map((u) => `user ${u}`), ...roles.map((x) => `role ${x}`)].join(', ');
    const policyName = names.denyPolicy(r.lab);
    const roleName = names.actionRole(r.lab);
    parts.push({
      kind: 'deny-policy',
      key: `deny-policy:${policyName}`,
      label: `IAM policy ${policyName}`,
      name: policyName,
      state: existing.policyArn ? 'present' : 'missing',
      explanation:
        'An IAM policy that denies starting EC2 instances (ec2:RunInstances, ec2:StartInstances). It does nothing until the budget action attaches it; ' +
        'running instances keep running and can still be stopped.',
      monthlyCostUsd: 0,
    });
    const ourAction = existing.actions.find((a) => a.budgetName === names.labBudget(r.lab));
    const targetsMatch = ourAction !== undefined && sameSet(ourAction.users, users) && sameSet(ourAction.roles, roles);
    const actionMatches = targetsMatch && ourAction.approval === approval && (!ourAction.emails || sameSet(ourAction.emails, emails));
    parts.push({
      kind: 'action-role',
      key: `action-role:${roleName}`,
      label: `IAM role ${roleName}`,
      name: roleName,
      users,
      roles,
      // The role's permissions name the targets: new targets rewrite them.
      state: !existing.roleArn ? 'missing' : ourAction && !targetsMatch ? 'changed' : 'present',
      explanation: `A role only AWS Budgets can take on, allowed to attach and detach exactly that policy on ${targets}, and nothing else.`,
      monthlyCostUsd: 0,
    });
    const cost = actionBudgetMonthlyUsd(existing.otherActionBudgets);
    parts.push({
      kind: 'budget-action',
      key: `budget-action:${names.labBudget(r.lab)}`,
      label: `Block new EC2 starts at 100% (${approval === 'AUTOMATIC' ? 'automatic' : 'after your approval'})`,
      budget: names.labBudget(r.lab),
      approval,
      users,
      roles,
      emails,
      replaces: ourAction && !actionMatches ? ourAction.actionId : null,
      state: !ourAction ? 'missing' : actionMatches ? 'present' : 'changed',
      explanation:
        (approval === 'AUTOMATIC'
          ? `When actual spend reaches 100% of the lab budget, AWS attaches the policy to ${targets} by itself: nobody can start an instance, from ScopeCloud, the console or any other tool.`
          : `When actual spend reaches 100% of the lab budget, AWS e-mails ${emails.join(', ')} and waits: the policy is attached to ${targets} only when you approve it in the Budgets console.`) +
        ' To lift it, detach the policy (or remove this set-up). ' +
        (cost === 0
          ? `Free: an account's first ${BUDGETS_PRICING.freeActionBudgets} budgets with actions cost nothing.`
          : `This account already has ${existing.otherActionBudgets} budget(s) with actions, so this one costs $${BUDGETS_PRICING.actionBudgetDayUsd.toFixed(2)} a day (about ${money(cost)} a month).`),
      monthlyCostUsd: cost,
    });
    notes.push('Do not list yourself as a target unless you want to be blocked too: the lab manager keeps the right to start instances.');
  }
  if (r.perPerson && existing.ownerTagActive !== true) {
    notes.push(`Per-person budgets count spend from about 24 hours after ${TAG.owner} is activated as a cost allocation tag; until then they show $0.`);
  }
  notes.push(`Prices: ${BUDGETS_PRICING.source}.`);
  const steps = parts.filter((p) => p.state !== 'present');
  return {
    lab: r.lab,
    parts,
    steps,
    monthlyCostUsd: parts.reduce((sum, p) => sum + p.monthlyCostUsd, 0),
    notes,
  };
}
