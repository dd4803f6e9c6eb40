import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { ExitCode, type CliIo } from '../../../main/cli/command.ts';
import { runInstances } from '../../../main/cli/commands/instances.ts';
import { liveCost } from '../../../main/cost/live-cost.ts';
import { awsQueryOperation, startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from './fixture.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

describe('spot launches (moto, RunInstances captured by the fault proxy)', { skip }, () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  const runBodies: URLSearchParams[] = [];
  before(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
    // a rule that never fires, only records what RunInstances carried
    proxy.setRules([
      {
        match: (op, req) => {
          if (op === 'RunInstances') runBodies.push(new URLSearchParams(req.body?.toString('utf8')));
          return false;
        },
        fault: { kind: 'drop-request' },
      },
    ]);
  });
  after(async () => {
    await proxy?.stop();
    await moto?.stop();
  });

  const launchVia = async (spot: boolean | undefined, preset: string) => {
    const { services } = computeOn(moto, { clock: fakeClock(), ...awsClients(moto, { endpoint: proxy.endpoint }) });
    const before = runBodies.length;
    const r = await services.instances.launch({ preset, ...(spot === undefined ? {} : { spot }) });
    assert.equal(runBodies.length, before + 1);
    const out = await awsClients(moto).ec2.send(new DescribeInstancesCommand({ InstanceIds: [r.instance.id] }));
    return { result: r, body: runBodies.at(-1)!, described: out.Reservations?.[0]?.Instances?.[0] };
  };

  it('--spot on a stop preset: one-time spot request, terminate on interruption and at expiry', async () => {
    await moto.reset();
    const { result, body, described } = await launchVia(true, 'small-analysis');
    assert.equal(body.get('InstanceMarketOptions.MarketType'), 'spot');
    assert.equal(body.get('InstanceMarketOptions.SpotOptions.SpotInstanceType'), 'one-time');
    assert.equal(body.get('InstanceMarketOptions.SpotOptions.InstanceInterruptionBehavior'), 'terminate');
    assert.equal(body.get('InstanceInitiatedShutdownBehavior'), 'terminate', 'one-time spot cannot stop');
    assert.equal(result.instance.expiryAction, 'terminate');
    assert.equal(result.instance.tags['scopecloud:market'], 'spot');
    assert.equal(result.instance.spot, true);
    const live = liveCost([result.instance], Date.now());
    assert.deepEqual(live.spotUpperBound, [`${result.instance.id} (c7i.2xlarge)`], 'live cost says the figure is an upper bound');
    assert.equal(live.hourlyRate, result.instance.hourlyPrice, 'the on-demand price is used');
    if (described?.InstanceLifecycle !== undefined) assert.equal(described.InstanceLifecycle, 'spot');
  });

  it("on-demand by default: no market options, the preset's own expiry action", async () => {
    await moto.reset();
    const { result, body, described } = await launchVia(undefined, 'small-analysis');
    assert.equal(body.get('InstanceMarketOptions.MarketType'), null);
    assert.equal(body.get('InstanceInitiatedShutdownBehavior'), 'stop');
    assert.equal(result.instance.expiryAction, 'stop');
    assert.equal(result.instance.tags['scopecloud:market'], undefined);
    assert.equal(result.instance.spot, false);
    assert.deepEqual(liveCost([result.instance], Date.now()).spotUpperBound, []);
    assert.notEqual(described?.InstanceLifecycle, 'spot');
  });

  it('`scopecloud instances launch --spot` sends a one-time spot request', async () => {
    await moto.reset();
    const { services } = computeOn(moto, { clock: fakeClock(), ...awsClients(moto, { endpoint: proxy.endpoint }) });
    const lines: string[] = [];
    const io: CliIo = { out: (l) => lines.push(l), err: (l) => lines.push(l), stopSignal: new AbortController().signal };
    const before = runBodies.length;
    assert.equal(await runInstances(['launch', '--preset', 'large-memory', '--spot', '--yes', '--json'], io, async () => services), ExitCode.ok);
    assert.equal(runBodies.length, before + 1);
    assert.equal(runBodies.at(-1)!.get('InstanceMarketOptions.MarketType'), 'spot');
    const out = JSON.parse(lines.join('\n')) as { instance: { spot: boolean; expiryAction: string } };
    assert.equal(out.instance.spot, true);
    assert.equal(out.instance.expiryAction, 'terminate', 'large-memory stops on-demand, but spot can only terminate');
  });

  it('the launch plan says spot prices vary and on-demand is the upper bound', () => {
    const { services } = computeOn(moto, { clock: fakeClock() });
    const plan = services.instances.planLaunch({ preset: 'large-memory', spot: true });
    assert.equal(plan.spot, true);
    assert.equal(plan.preset.expiryAction, 'terminate');
    assert.match(plan.explanation.cost, /Spot prices vary.*on-demand price as an upper bound/);
    assert.equal(services.instances.planLaunch({ preset: 'large-memory' }).preset.expiryAction, 'stop');
  });
});
