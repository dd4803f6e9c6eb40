/**
 * `scopecloud budget setup`: the lab's AWS Budgets set-up (main/budget/budget-setup-plan.ts).
 * Without --yes it only prints the plan (what exists, what is missing, what it costs) and creates
 * nothing; with --yes it creates what is missing. `--remove` deletes what ScopeCloud created.
 */
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliIo } from '../command.ts';
import { toCliError } from '../errors.ts';
import { usd } from '../../cost/money.ts';
import type { BudgetSetup } from '../../budget/budget-setup-aws.ts';
import type { BudgetSetupRequest, SetupPlan } from '../../budget/budget-setup-plan.ts';

export const SETUP_HELP = `  scopecloud budget setup --email <a@x,b@y> [--monthly <usd>] [--lab <name>]
        [--per-person [--person-monthly <usd>] [--owners <a,b>]]
        [--block automatic|approval --users <u1,u2> | --roles <role>] [--yes] [--json]
                                                 set up AWS Budgets for the lab: a monthly budget, alerts at
                                                 50/80/100% and at 100% of the forecast, optionally one budget
                                                 per person (owner tag) and an action that blocks new EC2
                                                 starts at 100%. Prints the plan and its cost; creates
                                                 it only with --yes
  scopecloud budget setup --remove [--lab <name>] [--yes]
                                                 delete what the set-up created (and lift a block it applied)`;

export interface SetupContext {
  setup: BudgetSetup;
  /** The local monthly limit from settings (the default for --monthly), when one is set. */
  monthlyUsd: number | null;
}

const list = (v: string | undefined) =>
  (v ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

function amount(flag: string, v: string | undefined, fallback: number | null): number {
  if (v === undefined) {
    if (fallback === null) throw new CliError(`--${flag} <usd> is required (no monthly limit in settings)`, ExitCode.usage);
    return fallback;
  }
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new CliError(`--${flag} ${v}: give a positive amount in US dollars`, ExitCode.usage);
  return n;
}

function printPlan(io: CliIo, plan: SetupPlan): void {
  io.out(`AWS Budgets set-up for lab "${plan.lab}":`);
  for (const p of plan.parts) {
    io.out(`  [${p.state.padEnd(7)}] ${p.label}${p.monthlyCostUsd > 0 ? `  (${usd(p.monthlyCostUsd)} a month)` : ''}`);
    if (p.state !== 'present') io.out(`            ${p.explanation}`);
  }
  io.out(`Budgets' own charge for this set-up: ${usd(plan.monthlyCostUsd)} a month.`);
  for (const n of plan.notes) io.out(`Note: ${n}`);
}

export async function runBudgetSetup(argv: string[], io: CliIo, context: () => Promise<SetupContext>): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        lab: { type: 'string', default: 'lab' },
        monthly: { type: 'string' },
        email: { type: 'string' },
        'per-person': { type: 'boolean', default: false },
        'person-monthly': { type: 'string' },
        owners: { type: 'string' },
        block: { type: 'string' },
        users: { type: 'string' },
        roles: { type: 'string' },
        remove: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    }));
  } catch (e) {
    throw new CliError((e as Error).message, ExitCode.usage);
  }
  try {
    const { setup: s, monthlyUsd: localLimit } = await context();
    if (values.remove) {
      if (!values.yes) {
        io.out(`This deletes the budgets, alerts, budget action, IAM policy and role ScopeCloud created for lab "${values.lab}",`);
        io.out('and lifts the block on anyone the action blocked. Nothing else in the account is touched. Run again with --yes to remove.');
        return ExitCode.ok;
      }
      const removed = await s.remove(values.lab, { consent: true });
      if (values.json) io.out(JSON.stringify({ removed }, null, 2));
      else io.out(removed.length ? removed.map((r) => `- ${r}`).join('\n') : `Nothing of lab "${values.lab}" to remove.`);
      return ExitCode.ok;
    }
    if (values.block !== undefined && values.block !== 'automatic' && values.block !== 'approval') {
      throw new CliError(`--block ${values.block}: use automatic or approval`, ExitCode.usage);
    }
    const monthlyUsd = amount('monthly', values.monthly, localLimit);
    let perPerson: BudgetSetupRequest['perPerson'] = null;
    if (values['per-person']) {
      const owners = values.owners !== undefined ? list(values.owners) : await s.owners();
      perPerson = { owners, monthlyUsd: amount('person-monthly', values['person-monthly'], monthlyUsd) };
    }
    const request: BudgetSetupRequest = {
      lab: values.lab,
      monthlyUsd,
      emails: list(values.email),
      perPerson,
      action: values.block ? { mode: values.block, users: list(values.users), roles: list(values.roles) } : null,
    };
    const plan = await s.plan(request);
    if (!values.yes) {
      if (values.json) io.out(JSON.stringify({ plan, created: false }, null, 2));
      else {
        printPlan(io, plan);
        io.out(
          plan.steps.length
            ? `Nothing was created. To create the ${plan.steps.length} missing or changed part(s) above, run the same command with --yes.`
            : 'Everything is in place.',
        );
      }
      return ExitCode.ok;
    }
    const { applied, notes, after } = await s.apply(request, { consent: true });
    if (values.json) {
      io.out(JSON.stringify({ applied, notes, plan: after, created: true }, null, 2));
      return ExitCode.ok;
    }
    for (const a of applied) io.out(`- ${a.done}`);
    for (const n of notes) io.out(`Note: ${n}`);
    io.out(after.steps.length ? `Still missing: ${after.steps.map((p) => p.label).join('; ')}` : `Lab "${plan.lab}" is set up.`);
    return ExitCode.ok;
  } catch (e) {
    throw toCliError(e);
  }
}
