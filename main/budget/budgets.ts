/**
 * AWS Budgets, read-only: each budget's limit, actual and forecast spend, and which of the
 * 50/80/100 % thresholds it has crossed. Budgets are account-wide, so the account id comes from
 * STS GetCallerIdentity (asked once).
 */
import { DescribeBudgetCommand, DescribeBudgetsCommand, type Budget, type BudgetsClient } from '@aws-sdk/client-budgets';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { fromAwsError } from '../aws/errors.ts';
import { BudgetError } from './errors.ts';

export type BudgetsApi = Pick<BudgetsClient, 'send'>;
export type StsApi = Pick<STSClient, 'send'>;

export const DEFAULT_THRESHOLDS: ReadonlyArray<number> = [50, 80, 100];

export interface BudgetStatus {
  name: string;
  type: string;
  timeUnit: string;
  currency: string;
  limit: number;
  actual: number;
  /** AWS's forecast for the period, when it has one. */
  forecast: number | null;
  /** actual / limit x 100. */
  percentUsed: number;
  thresholds: { percent: number; crossed: boolean }[];
  /** Highest crossed threshold, 0 when none. */
  level: number;
}

export interface BudgetReader {
  list(): Promise<BudgetStatus[]>;
  get(name: string): Promise<BudgetStatus>;
}

/** Account id of the caller, asked once from STS. */
export function accountIdFromSts(sts: StsApi): () => Promise<string> {
  let id: Promise<string> | null = null;
  return () =>
    (id ??= sts.send(new GetCallerIdentityCommand({})).then(
      (out) => {
        if (!out.Account) throw new Error('STS GetCallerIdentity returned no account id');
        return out.Account;
      },
      (e: unknown) => {
        id = null;
        throw fromAwsError(e, 'identify the AWS account');
      },
    ));
}

export function toBudgetStatus(b: Budget, thresholds: ReadonlyArray<number> = DEFAULT_THRESHOLDS): BudgetStatus {
  const limit = Number(b.BudgetLimit?.Amount ?? 0);
  const actual = Number(b.CalculatedSpend?.ActualSpend?.Amount ?? 0);
  const forecastRaw = b.CalculatedSpend?.ForecastedSpend?.Amount;
  const percentUsed = limit > 0 ? (actual / limit) * 100 : 0;
  const marks = thresholds.map((percent) => ({ percent, crossed: limit > 0 && percentUsed >= percent }));
  return {
    name: b.BudgetName ?? '(unnamed)',
    type: b.BudgetType ?? 'COST',
    timeUnit: b.TimeUnit ?? 'MONTHLY',
    currency: b.BudgetLimit?.Unit ?? 'USD',
    limit,
    actual,
    forecast: forecastRaw === undefined ? null : Number(forecastRaw),
    percentUsed,
    thresholds: marks,
    level: marks.filter((m) => m.crossed).reduce((m, t) => Math.max(m, t.percent), 0),
  };
}

export function createBudgetReader(deps: { budgets: BudgetsApi; accountId: () => Promise<string>; thresholds?: ReadonlyArray<number> }): BudgetReader {
  const thresholds = deps.thresholds ?? DEFAULT_THRESHOLDS;
  return {
    async list() {
      const accountId = await deps.accountId();
      const out: BudgetStatus[] = [];
      let token: string | undefined;
      do {
        let page;
        try {
          page = await deps.budgets.send(new DescribeBudgetsCommand({ AccountId: accountId, NextToken: token, MaxResults: 100 }));
        } catch (e) {
          throw fromAwsError(e, 'list AWS Budgets');
        }
        for (const b of page.Budgets ?? []) out.push(toBudgetStatus(b, thresholds));
        token = page.NextToken;
      } while (token);
      return out;
    },
    async get(name) {
      const accountId = await deps.accountId();
      try {
        const out = await deps.budgets.send(new DescribeBudgetCommand({ AccountId: accountId, BudgetName: name }));
        if (!out.Budget) throw Object.assign(new Error('no budget'), { name: 'NotFoundException' });
        return toBudgetStatus(out.Budget, thresholds);
      } catch (e) {
        if ((e as { name?: string }).name === 'NotFoundException') {
          throw new BudgetError('BUDGET_NOT_FOUND', `there is no AWS Budget named "${name}" in account ${accountId} (see: scopecloud budget)`);
        }
        throw fromAwsError(e, `read AWS Budget "${name}"`);
      }
    },
  };
}
