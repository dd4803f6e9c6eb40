/**
 * The Budget view's set-up panel (budget/budget-setup-*.ts) in the UI's terms: the plan for what
 * the lab manager asks, creating it only with consent to that plan, and removing what ScopeCloud
 * created. AWS-only: a local-archive destination answers NOT_CONFIGURED. AWS refusals and bad
 * input reach the user as their one-line message (ComputeError's code: ACCESS_DENIED, INVALID_INPUT...).
 */
import type { BudgetSetupPlan as UiPlan, BudgetSetupRequest as UiRequest } from '../../preload/api.ts';
import type { BudgetSetup } from '../budget/budget-setup-aws.ts';
import type { SetupPlan } from '../budget/budget-setup-plan.ts';
import { round4 } from '../cost/money.ts';
import { AppError, notConfigured } from './app-errors.ts';

export interface BudgetSetupApi {
  owners(): Promise<{ owners: string[] }>;
  plan(request: UiRequest): Promise<UiPlan>;
  apply(request: UiRequest, consent: boolean): Promise<{ done: string[]; notes: string[]; plan: UiPlan }>;
  remove(lab: string, consent: boolean): Promise<{ removed: string[] }>;
}

export function toUiPlan(p: SetupPlan): UiPlan {
  return {
    lab: p.lab,
    parts: p.parts.map((x) => ({
      key: x.key,
      kind: x.kind,
      label: x.label,
      state: x.state,
      explanation: x.explanation,
      monthlyCostUsd: round4(x.monthlyCostUsd),
    })),
    monthlyCostUsd: round4(p.monthlyCostUsd),
    notes: p.notes,
  };
}

/** `current` gives the set-up over the current settings' AWS clients (null for a local archive). */
export function createBudgetSetupApi(current: () => BudgetSetup | null): BudgetSetupApi {
  const setup = () => {
    const s = current();
    if (!s) throw notConfigured('setting up AWS Budgets');
    return s;
  };
  return {
    async owners() {
      return { owners: await setup().owners() };
    },
    async plan(request) {
      return toUiPlan(await setup().plan(request));
    },
    async apply(request, consent) {
      if (consent !== true) throw new AppError('CONSENT_REQUIRED', 'Creating the budget set-up needs your consent.');
      const { applied, notes, after } = await setup().apply(request, { consent: true });
      return { done: applied.map((a) => a.done), notes, plan: toUiPlan(after) };
    },
    async remove(lab, consent) {
      if (consent !== true) throw new AppError('CONSENT_REQUIRED', 'Removing the budget set-up needs your consent.');
      return { removed: await setup().remove(lab, { consent: true }) };
    },
  };
}
