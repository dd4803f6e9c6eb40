/** Typed budget errors; messages carry the numbers the user needs to decide. */

export type BudgetErrorCode =
  | 'BUDGET_NOT_FOUND'
  | 'BUDGET_EXCEEDED'
  | 'OVERRIDE_REASON_REQUIRED'
  | 'OVERRIDE_NOT_RECORDED'
  /** No limit is known (no AWS Budget found or readable, no local limit): launches are refused; the message says how to set one. */
  | 'NO_SPEND_LIMIT';

export class BudgetError extends Error {
  readonly code: BudgetErrorCode;
  constructor(code: BudgetErrorCode, message: string) {
    super(message);
    this.name = 'BudgetError';
    this.code = code;
  }
}
