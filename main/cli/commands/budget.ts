/** `scopecloud budget`: AWS Budgets with their 50/80/100 % thresholds, and recorded overrides. */
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliCommand, type CliIo } from '../command.ts';
import { toCliError } from '../errors.ts';
import { table } from '../format.ts';
import type { ComputeServices } from '../../instances/compute-services.ts';
import { usd } from '../../cost/money.ts';
import { budgetSetupOf } from '../../budget/budget-setup-aws.ts';
import { runBudgetSetup, SETUP_HELP } from './budget-setup.ts';

const HELP = `Usage:
  scopecloud budget [--name <budget>] [--json]   AWS Budgets: limit, actual, forecast, thresholds crossed
  scopecloud budget overrides [--json]           budget-guard overrides, newest first: every workstation's
                                                 (the log in the destination bucket), or only this
                                                 machine's when the destination is a local archive
${SETUP_HELP}

Exit codes: 0 ok, 2 usage or no such budget, 4 AWS error (credentials, access).`;

export const budgetCommand: CliCommand = {
  name: 'budget',
  summary: 'AWS Budgets: limits, spend, thresholds; budget overrides; set-up',
  help: HELP,
  async run(argv, io, services) {
    if (argv[0] === 'setup') {
      return runBudgetSetup(argv.slice(1), io, async () => {
        const c = await services();
        return { setup: budgetSetupOf(c.aws()), monthlyUsd: c.settings.get().budget.monthlyLimitUsd };
      });
    }
    return runBudget(argv, io, async () => (await services()).compute());
  },
};

export async function runBudget(argv: string[], io: CliIo, compute: () => Promise<ComputeServices>): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { json: { type: 'boolean', default: false }, name: { type: 'string' } },
  });
  const [action = 'show'] = positionals;
  try {
    const s = await compute();
    if (action === 'overrides') {
      const listing = await s.guard.listOverrides();
      const list = listing.overrides;
      if (values.json) {
        io.out(JSON.stringify(listing, null, 2));
        return ExitCode.ok;
      }
      io.out(
        listing.shared
          ? `Budget overrides recorded in ${listing.location} (every workstation's), newest first:`
          : 'No S3 destination: these are the overrides recorded on this machine only, newest first.',
      );
      if (!list.length) io.out('No budget overrides recorded.');
      for (const o of list) {
        const who = o.identity ? `${o.identity.arn} (${o.by}${o.host ? ` on ${o.host}` : ''})` : o.by;
        io.out(`${o.at}  ${o.action} ${o.subject} by ${who}: projected ${usd(o.projected)} > limit ${usd(o.limit ?? 0)} — ${o.reason}`);
      }
      return ExitCode.ok;
    }
    if (action !== 'show') throw new CliError(`unknown budget action "${action}"`, ExitCode.usage);
    const list = values.name ? [await s.budgets.get(values.name)] : await s.budgets.list();
    if (values.json) {
      io.out(JSON.stringify(list, null, 2));
      return ExitCode.ok;
    }
    if (!list.length) {
      io.out('No AWS Budgets in this account. Create one (AWS console > Billing > Budgets) or set a local limit:');
      io.out('  scopecloud config set budget.monthlyLimitUsd 100');
      return ExitCode.ok;
    }
    for (const l of table(
      ['BUDGET', 'PERIOD', 'LIMIT', 'ACTUAL', 'FORECAST', 'USED', 'THRESHOLDS'],
      list.map((b) => [
        b.name,
        b.timeUnit.toLowerCase(),
        usd(b.limit),
        usd(b.actual),
        b.forecast === null ? '-' : usd(b.forecast),
        `${b.percentUsed.toFixed(0)}%`,
        b.thresholds.map((t) => `${t.percent}%${t.crossed ? ' crossed' : ''}`).join(', '),
      ]),
    ))
      io.out(l);
    return ExitCode.ok;
  } catch (e) {
    throw toCliError(e);
  }
}
