/**
 * Typed errors of the application layer as CLI exit codes: bad input is a usage error (2), a
 * missing set-up a configuration error (3), AWS refusing or unreachable an AWS error (4),
 * anything else a failure (1). Errors without a known type pass through unchanged.
 */
import { CliError, ExitCode } from './command.ts';
import { AppError } from '../app/app-errors.ts';
import { BudgetError } from '../budget/errors.ts';
import { PriceMissingError } from '../cost/price-table.ts';
import { ComputeError } from '../aws/errors.ts';
import { IamSetupError } from '../iam/instance-profile.ts';

const USAGE_CODES = new Set(['UNKNOWN_PRESET', 'INVALID_INPUT', 'CONFIRMATION_REQUIRED', 'UNKNOWN_INSTANCE', 'UNKNOWN_IMAGE', 'USER_DATA_TOO_LARGE']);
const AWS_CODES = new Set(['CREDENTIALS', 'ACCESS_DENIED', 'THROTTLED', 'AWS_ERROR', 'AMI_NOT_FOUND', 'UNSUPPORTED_INSTANCE_TYPE']);

export function toCliError(e: unknown): unknown {
  if (e instanceof ComputeError) {
    return new CliError(e.message, USAGE_CODES.has(e.code) ? ExitCode.usage : AWS_CODES.has(e.code) ? ExitCode.aws : ExitCode.failure);
  }
  if (e instanceof BudgetError) {
    const exit =
      e.code === 'BUDGET_NOT_FOUND'
        ? ExitCode.usage
        : e.code === 'NO_SPEND_LIMIT'
          ? ExitCode.config
          : e.code === 'OVERRIDE_NOT_RECORDED'
            ? ExitCode.aws
            : ExitCode.failure;
    return new CliError(e.message, exit);
  }
  if (e instanceof PriceMissingError) return new CliError(e.message, ExitCode.failure);
  if (e instanceof AppError) {
    const code =
      e.code === 'INVALID_INPUT'
        ? ExitCode.usage
        : e.code === 'NOT_CONFIGURED' || e.code === 'CONSENT_REQUIRED'
          ? ExitCode.config
          : e.code === 'AWS_ERROR'
            ? ExitCode.aws
            : ExitCode.failure;
    return new CliError(e.message, code);
  }
  if (e instanceof IamSetupError) return new CliError(e.message, e.code === 'IAM_ERROR' ? ExitCode.aws : ExitCode.config);
  return e;
}

/** Runs `op`, rethrowing typed errors as CLI errors. */
export async function cliErrors<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    throw toCliError(e);
  }
}
