import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CreateBudgetCommand } from '@aws-sdk/client-budgets';
import { startMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from './fixture.ts';
import { CliError, ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { instancesCommand, runInstances } from '../../../main/cli/commands/instances.ts';
import { budgetCommand, runBudget } from '../../../main/cli/commands/budget.ts';
import { costCommand, runCost } from '../../../main/cli/commands/cost.ts';
import { configCommand } from '../../../main/cli/commands/config.ts';
import { createServiceContainer } from '../../../main/services.ts';
import type { ComputeServices } from '../../../main/instances/compute-services.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

function capture(): CliIo & { lines: string[]; text(): string } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(`ERR ${l}`), stopSignal: new AbortController().signal, text: () => lines.join('\n') };
}

async function expectCliError(p: Promise<number>, exitCode: number, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (e: CliError) => {
    assert.ok(e instanceof CliError, `expected CliError, got ${(e as Error).name}: ${(e as Error).message}`);
    assert.equal(e.exitCode, exitCode, e.message);
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes('\n'), 'one-line message');
    return true;
  });
}

describe('instances, budget and cost commands against moto', { skip }, () => {
  let moto: MotoServer;
  let s: ComputeServices;
  const compute = async () => s;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto.reset();
    s = computeOn(moto, { clock: fakeClock() }).services;
  });

  it('launch needs --yes; then list, stop, terminate with confirmation', async () => {
    const io = capture();
    await expectCliError(runInstances(['launch', '--preset', 'small-analysis'], io, compute), ExitCode.usage, /--yes/);
    assert.match(io.text(), /c7i\.2xlarge/);
    assert.match(io.text(), /stops itself after 4 h/);
    assert.equal((await s.instances.list()).length, 0, 'nothing launched without --yes');

    const launchIo = capture();
    assert.equal(await runInstances(['launch', '--preset', 'small-analysis', '--name', 'cli-box', '--yes', '--json'], launchIo, compute), ExitCode.ok);
    const launched = JSON.parse(launchIo.text()) as { instance: { id: string; name: string }; clientToken: string };
    assert.equal(launched.instance.name, 'cli-box');

    const again = capture();
    await runInstances(['launch', '--preset', 'small-analysis', '--yes', '--json', '--client-token', launched.clientToken], again, compute);
    assert.equal((JSON.parse(again.text()) as { reused: boolean }).reused, true);

    const listIo = capture();
    assert.equal(await runInstances(['list', '--json'], listIo, compute), ExitCode.ok);
    const list = JSON.parse(listIo.text()) as { id: string; state: string }[];
    assert.deepEqual(
      list.map((i) => i.id),
      [launched.instance.id],
    );
    const human = capture();
    await runInstances([], human, compute);
    assert.match(human.text(), new RegExp(launched.instance.id));
    assert.match(human.text(), /1 running/);

    const id = launched.instance.id;
    const stopIo = capture();
    await expectCliError(runInstances(['stop', id], stopIo, compute), ExitCode.usage, /--yes/);
    assert.match(stopIo.text(), /still billed/);
    assert.equal(await runInstances(['stop', id, '--yes'], capture(), compute), ExitCode.ok);
    await expectCliError(runInstances(['stop', id, '--yes'], capture(), compute), ExitCode.failure, /stopp/);

    await expectCliError(runInstances(['terminate', id, '--yes'], capture(), compute), ExitCode.usage, /--confirm/);
    await expectCliError(runInstances(['terminate', id, '--yes', '--confirm', 'other'], capture(), compute), ExitCode.usage, /confirm by naming it/);
    const termIo = capture();
    assert.equal(await runInstances(['terminate', id, '--yes', '--confirm', 'cli-box'], termIo, compute), ExitCode.ok);
    assert.match(termIo.text(), /Destroys/);
  });

  it('bad inputs give one-line errors with usage exit codes', async () => {
    await expectCliError(runInstances(['stop', 'i-0123456789abcdef0', '--yes'], capture(), compute), ExitCode.usage, /no instance|no such instance/);
    await expectCliError(runInstances(['launch', '--preset', 'tiny', '--yes'], capture(), compute), ExitCode.usage, /unknown preset "tiny"/);
    await expectCliError(runInstances(['launch', '--preset', 'gpu', '--max-runtime', 'soon', '--yes'], capture(), compute), ExitCode.usage, /--max-runtime/);
    await expectCliError(runInstances(['fly'], capture(), compute), ExitCode.usage, /unknown instances action/);
    await expectCliError(
      runInstances(['launch', '--preset', 'gpu', '--user-data-file', '/nonexistent/x.sh', '--yes'], capture(), compute),
      ExitCode.usage,
      /user-data-file/,
    );
    await expectCliError(runBudget(['--name', 'missing'], capture(), compute), ExitCode.usage, /no AWS Budget named "missing"/);
  });

  it("the lab's limit per instance cuts a preset's longer default and refuses a longer request", async () => {
    s = computeOn(moto, { clock: fakeClock(), maxRuntimeLimitMinutes: 120 }).services;
    await expectCliError(
      runInstances(['launch', '--preset', 'gpu', '--max-runtime', '121', '--yes'], capture(), compute),
      ExitCode.usage,
      /longer than the lab's limit of 120 min/,
    );
    assert.equal((await s.instances.list()).length, 0, 'nothing launched');
    const io = capture();
    assert.equal(await runInstances(['launch', '--preset', 'gpu', '--yes', '--json'], io, compute), ExitCode.ok);
    const id = (JSON.parse(io.text()) as { instance: { id: string } }).instance.id;
    const launched = (await s.instances.list()).find((i) => i.id === id);
    assert.equal(launched?.maxRuntimeMinutes, 120, "the preset's 8 h became the lab's 2 h");
  });

  it('with no AWS Budget and no monthly limit, launch and start are refused with exit 3 and how to set a limit, override or not', async () => {
    const { instance } = await s.instances.launch({ preset: 'small-analysis' });
    await s.instances.stop(instance.id);
    const unlimited = computeOn(moto, { clock: fakeClock(), localMonthlyLimitUsd: null }).services;
    const noLimit = /refused: no spending limit is known .*`scopecloud config set budget\.monthlyLimitUsd <USD>` or in Settings .*AWS Budgets/;
    const io = capture();
    await expectCliError(
      runInstances(['launch', '--preset', 'small-analysis', '--yes'], io, async () => unlimited),
      ExitCode.config,
      noLimit,
    );
    await expectCliError(
      runInstances(['launch', '--preset', 'small-analysis', '--yes', '--override-budget', 'deadline'], capture(), async () => unlimited),
      ExitCode.config,
      noLimit,
    );
    await expectCliError(
      runInstances(['start', instance.id, '--override-budget', 'deadline'], capture(), async () => unlimited),
      ExitCode.config,
      noLimit,
    );
    assert.deepEqual(
      (await unlimited.instances.list()).map((i) => [i.id, i.state]),
      [[instance.id, 'stopped']],
      'nothing launched or started',
    );
    assert.deepEqual(unlimited.guard.overrides(), [], 'no override recorded');
  });

  it('budget shows thresholds; a launch past the budget is refused, then overridden', async () => {
    await awsClients(moto).budgets.send(
      new CreateBudgetCommand({
        AccountId: '123456789012',
        Budget: {
          BudgetName: 'lab',
          BudgetLimit: { Amount: '10', Unit: 'USD' },
          TimeUnit: 'MONTHLY',
          BudgetType: 'COST',
          CalculatedSpend: { ActualSpend: { Amount: '8.5', Unit: 'USD' } },
        },
      }),
    );
    const io = capture();
    assert.equal(await runBudget([], io, compute), ExitCode.ok);
    assert.match(io.text(), /lab .*\$10\.00 .*\$8\.50 .*85%.*80% crossed/);
    const json = capture();
    await runBudget(['--json'], json, compute);
    assert.equal((JSON.parse(json.text()) as { level: number }[])[0].level, 80);

    await expectCliError(
      runInstances(['launch', '--preset', 'gpu', '--yes'], capture(), compute),
      ExitCode.failure,
      /refused: projected .* exceeds the budget "lab"/,
    );
    assert.equal(await runInstances(['launch', '--preset', 'gpu', '--yes', '--override-budget', 'grant deadline'], capture(), compute), ExitCode.ok);
    const overrides = capture();
    await runBudget(['overrides'], overrides, compute);
    assert.match(overrides.text(), /launch gpu .*grant deadline/);
  });

  it('cost prints live cost and the cached month-to-date', async () => {
    await moto.post('/moto-api/static/ce/cost-and-usage-results', {
      results: [
        {
          ResultsByTime: [
            {
              TimePeriod: { Start: '2026-11-01', End: '2026-11-28' },
              Total: {},
              Groups: [{ Keys: ['Amazon Elastic Compute Cloud - Compute'], Metrics: { UnblendedCost: { Amount: '12.34', Unit: 'USD' } } }],
            },
          ],
        },
      ],
    });
    await s.instances.launch({ preset: 'small-analysis' });
    const io = capture();
    assert.equal(await runCost(['--json'], io, compute), ExitCode.ok);
    const out = JSON.parse(io.text()) as { live: { running: number; hourlyRate: number }; actual: { total: number; fromCache: boolean }; running: unknown[] };
    assert.equal(out.live.running, 1);
    assert.equal(out.actual.total, 12.34);
    assert.equal(out.running.length, 1);
    const human = capture();
    await runCost([], human, compute);
    assert.match(human.text(), /Month to date .*\$12\.34; cached/);
    assert.match(human.text(), /1 running at \$0\.36\/h/);
  });

  it('the registered commands build their services from the real service container', async () => {
    const home = mkdtempSync(join(tmpdir(), 'scopecloud-cli-'));
    const saved = { ...process.env };
    Object.assign(process.env, { AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' });
    delete process.env.AWS_PROFILE;
    const env = { ...process.env, SCOPECLOUD_HOME: home, AWS_ENDPOINT_URL: moto.endpoint, AWS_REGION: 'us-east-1' };
    const container = createServiceContainer({ env });
    try {
      const io = capture();
      // computeServicesOf reads the region from settings/env passed here; endpoints from env.
      const services = async () => container;
      assert.equal(await configCommand.run(['set', 'budget.monthlyLimitUsd', '1000'], capture(), services), ExitCode.ok);
      const launchIo = capture();
      assert.equal(await instancesCommand.run(['launch', '--preset', 'small-analysis', '--yes', '--json'], launchIo, services), ExitCode.ok);
      const id = (JSON.parse(launchIo.text()) as { instance: { id: string } }).instance.id;
      assert.equal(await costCommand.run(['--json', '--live-only'], io, services), ExitCode.ok);
      assert.equal((JSON.parse(io.text()) as { running: { id: string }[] }).running[0].id, id);
      assert.equal(await budgetCommand.run(['--json'], capture(), services), ExitCode.ok);
    } finally {
      await (await container).dispose();
      process.env = saved;
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('bin/scopecloud.js runs the commands end to end', () => {
    const home = mkdtempSync(join(tmpdir(), 'scopecloud-cli-'));
    try {
      const env = {
        ...process.env,
        SCOPECLOUD_HOME: home,
        AWS_ENDPOINT_URL: moto.endpoint,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        AWS_REGION: 'us-east-1',
        AWS_PROFILE: '',
      };
      const run = (...args: string[]) => spawnSync(process.execPath, ['bin/scopecloud.js', ...args], { env, encoding: 'utf8', timeout: 60_000 });
      const refused = run('instances', 'launch', '--preset', 'small-analysis', '--yes', '--json');
      assert.equal(refused.status, ExitCode.config, 'no AWS Budget, no monthly limit: a configuration error');
      assert.match(
        refused.stderr.trim(),
        /^scopecloud instances: launch small-analysis refused: no spending limit is known \(the AWS account has no monthly cost budget and no local monthly limit is set\)\. .*`scopecloud config set budget\.monthlyLimitUsd <USD>`/,
      );
      assert.equal(run('config', 'set', 'budget.monthlyLimitUsd', '1000').status, 0);
      const launch = run('instances', 'launch', '--preset', 'small-analysis', '--yes', '--json');
      assert.equal(launch.status, 0, launch.stderr);
      const id = (JSON.parse(launch.stdout) as { instance: { id: string } }).instance.id;
      const stop = run('instances', 'stop', id);
      assert.equal(stop.status, ExitCode.usage);
      assert.match(stop.stderr.trim(), /^scopecloud instances: not done: add --yes/);
      const cost = run('cost', '--live-only', '--json');
      assert.equal(cost.status, 0, cost.stderr);
      assert.equal((JSON.parse(cost.stdout) as { live: { running: number } }).live.running, 1);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
