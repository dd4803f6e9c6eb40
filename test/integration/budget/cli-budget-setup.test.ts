/**
 * `scopecloud budget setup` as a user runs it (bin/scopecloud.js in a child process) against moto,
 * extended by test/support/moto_extended.py with the budget-action and cost-allocation-tag APIs
 * moto 5.2 lacks: the plan alone creates nothing, --yes creates it, --remove deletes it.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BudgetsClient, DescribeBudgetActionsForBudgetCommand, DescribeBudgetsCommand } from '@aws-sdk/client-budgets';
import { GetRoleCommand, IAMClient } from '@aws-sdk/client-iam';
import { motoExtendedMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { requires } from '../../support/requirements.ts';
import { runCli } from '../../support/cli.ts';

const skip = requires(motoExtendedMissing());
const ACCOUNT = '123456789012';

describe('scopecloud budget setup', { skip }, () => {
  let moto: MotoServer;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let budgets: BudgetsClient;
  let iam: IAMClient;

  before(async () => {
    moto = await startMoto({ extended: true });
    home = await mkdtemp(join(tmpdir(), 'sc-budget-setup-'));
    env = {
      ...process.env,
      SCOPECLOUD_HOME: join(home, 'state'),
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: moto.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: moto.credentials.secretAccessKey,
      AWS_REGION: moto.region,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(home, 'no-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(home, 'no-credentials'),
    };
    delete env.AWS_PROFILE;
    const config = { region: 'us-east-1', endpoint: moto.endpoint, credentials: moto.credentials };
    budgets = new BudgetsClient(config);
    iam = new IAMClient(config);
  });
  after(async () => {
    await moto?.stop();
    if (home) await rm(home, { recursive: true, force: true });
  });

  const ours = async () => ((await budgets.send(new DescribeBudgetsCommand({ AccountId: ACCOUNT }))).Budgets ?? []).map((b) => b.BudgetName).sort();
  const setupArgs = [
    'budget',
    'setup',
    '--lab',
    'smith-lab',
    '--monthly',
    '400',
    '--email',
    'pi@lab.org',
    '--per-person',
    '--owners',
    'alice,bob',
    '--person-monthly',
    '100',
    '--block',
    'approval',
    '--users',
    'alice,bob',
  ];

  it('without --yes prints the plan with its cost and creates nothing', async () => {
    const r = await runCli(setupArgs, env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /\[missing\] Lab budget: \$400\.00 a month/);
    assert.match(r.stdout, /\[missing\] Budget for alice: \$100\.00 a month/);
    assert.match(r.stdout, /\[missing\] Block new EC2 starts at 100% \(after your approval\)/);
    assert.match(r.stdout, /up to 24 hours/);
    assert.match(r.stdout, /Budgets' own charge for this set-up: \$0\.00 a month/);
    assert.match(r.stdout, /Nothing was created\. .*--yes/);
    assert.deepEqual(await ours(), []);
  });

  it('refuses bad input plainly, with the usage exit code', async () => {
    const r = await runCli(['budget', 'setup', '--monthly', '400', '--email', 'not-an-address'], env);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /"not-an-address" is not an e-mail address/);
    const noLimit = await runCli(['budget', 'setup', '--email', 'pi@lab.org'], env);
    assert.equal(noLimit.code, 2);
    assert.match(noLimit.stderr, /--monthly <usd> is required/);
  });

  it('with --yes creates the set-up; a second run finds it in place', async () => {
    const r = await runCli([...setupArgs, '--yes'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /created budget scopecloud-smith-lab /);
    assert.match(r.stdout, /added the action that blocks new EC2 starts at 100% of scopecloud-smith-lab \(manual\)/);
    // No instance carries the owner tag yet, so AWS cannot activate it: said, not fatal.
    assert.match(r.stdout, /could not be activated yet/);
    assert.deepEqual(await ours(), ['scopecloud-smith-lab', 'scopecloud-smith-lab-person-alice', 'scopecloud-smith-lab-person-bob']);
    const actions = await budgets.send(new DescribeBudgetActionsForBudgetCommand({ AccountId: ACCOUNT, BudgetName: 'scopecloud-smith-lab' }));
    assert.equal(actions.Actions?.[0]?.ApprovalModel, 'MANUAL');

    const again = await runCli([...setupArgs, '--json'], env);
    assert.equal(again.code, 0, again.stderr);
    const { plan, created } = JSON.parse(again.stdout) as { plan: { steps: { kind: string }[] }; created: boolean };
    assert.equal(created, false);
    assert.deepEqual(
      plan.steps.map((s) => s.kind),
      ['owner-tag'],
    );
  });

  it('--remove without --yes removes nothing; with --yes removes what it created', async () => {
    const ask = await runCli(['budget', 'setup', '--remove', '--lab', 'smith-lab'], env);
    assert.equal(ask.code, 0, ask.stderr);
    assert.match(ask.stdout, /Run again with --yes to remove/);
    assert.equal((await ours()).length, 3);

    const r = await runCli(['budget', 'setup', '--remove', '--lab', 'smith-lab', '--yes'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /deleted budget scopecloud-smith-lab and its alerts/);
    assert.match(r.stdout, /deleted IAM role scopecloud-smith-lab-budget-action/);
    assert.deepEqual(await ours(), []);
    await assert.rejects(
      iam.send(new GetRoleCommand({ RoleName: 'scopecloud-smith-lab-budget-action' })),
      (e: Error) => e.name === 'NoSuchEntity' || e.name === 'NoSuchEntityException',
    );
  });
});
