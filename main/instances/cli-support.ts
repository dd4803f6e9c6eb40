/**
 * Glue between the CLI and the compute services: builds them once per service container (real
 * clock and timers, a JSON cache file in the state dir) and turns typed errors into CLI exit
 * codes. Kept beside the services so the three commands stay thin.
 */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { awsConnection, type ServiceContainer } from '../services.ts';
import { CliError, ExitCode } from '../cli/command.ts';
import { BudgetError } from '../budget/errors.ts';
import { createJsonFileStore } from '../cost/cache-store.ts';
import { systemClock, systemTimers } from '../cost/clock.ts';
import { PriceMissingError } from '../cost/price-table.ts';
import { createComputeServices, type ComputeServices } from './compute-services.ts';
import { ComputeError } from './errors.ts';

const built = new WeakMap<ServiceContainer, ComputeServices>();

export function computeServicesOf(container: ServiceContainer, env: NodeJS.ProcessEnv = process.env): ComputeServices {
  let s = built.get(container);
  if (!s) {
    const settings = container.settings.get();
    const aws = container.aws();
    const conn = awsConnection(settings, env);
    s = createComputeServices({
      ...aws,
      clock: systemClock,
      timers: systemTimers,
      store: createJsonFileStore(join(container.paths.cache, 'compute.json')),
      region: conn.region,
      owner: env.SCOPECLOUD_OWNER || safeUser(),
      localMonthlyLimitUsd: settings.budget.monthlyLimitUsd,
      maxRuntimeLimitMinutes: Math.round(settings.budget.maxRuntimeHours * 60),
      budgetName: env.SCOPECLOUD_BUDGET || null,
    });
    built.set(container, s);
  }
  return s;
}

function safeUser(): string {
  try {
    return userInfo().username || 'unknown';
  } catch {
    return 'unknown';
  }
}

const USAGE_CODES = new Set(['UNKNOWN_PRESET', 'INVALID_INPUT', 'CONFIRMATION_REQUIRED', 'UNKNOWN_INSTANCE', 'UNKNOWN_IMAGE', 'USER_DATA_TOO_LARGE']);
const AWS_CODES = new Set(['CREDENTIALS', 'ACCESS_DENIED', 'THROTTLED', 'AWS_ERROR', 'AMI_NOT_FOUND', 'UNSUPPORTED_INSTANCE_TYPE']);

/** Maps compute/budget/price errors onto CliError exit codes; anything else passes through. */
export function toCliError(e: unknown): unknown {
  if (e instanceof ComputeError) {
    return new CliError(e.message, USAGE_CODES.has(e.code) ? ExitCode.usage : AWS_CODES.has(e.code) ? ExitCode.aws : ExitCode.failure);
  }
  if (e instanceof BudgetError) return new CliError(e.message, e.code === 'BUDGET_NOT_FOUND' ? ExitCode.usage : ExitCode.failure);
  if (e instanceof PriceMissingError) return new CliError(e.message, ExitCode.failure);
  return e;
}

/** Left-aligned text table; numbers are pre-formatted by the caller. */
export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, c) => Math.max(h.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((cell, c) => (cell ?? '').padEnd(widths[c])).join('  ').trimEnd();
  return [line(header), ...rows.map(line)];
}
