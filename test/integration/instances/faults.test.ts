import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { CreateBudgetCommand } from '@aws-sdk/client-budgets';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { startMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsQueryOperation, faults, startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { awsClients, computeOn, fakeClock } from './fixture.ts';
import { ComputeError } from '../../../main/aws/errors.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

describe('faults between the app and AWS (fault proxy in front of moto)', { skip }, () => {
  let moto: MotoServer;
  let proxy: FaultProxy;
  before(async () => {
    moto = await startMoto();
    proxy = await startFaultProxy({ target: moto.endpoint, operationOf: awsQueryOperation, bufferBody: true });
  });
  after(async () => {
    await proxy?.stop();
    await moto?.stop();
  });
  beforeEach(async () => {
    proxy.clearRules();
    await moto.reset();
  });

  const injected = (operation: string) => proxy.stats().injected[operation] ?? 0;

  async function instanceCount(): Promise<number> {
    const out = await awsClients(moto).ec2.send(new DescribeInstancesCommand({}));
    return (out.Reservations ?? []).flatMap((r) => r.Instances ?? []).length;
  }

  it('a launch whose response is lost after EC2 ran it is not launched twice', async () => {
    // SDK retries off: the service's own retry, which first looks for the launch token, is tested.
    const clients = awsClients(moto, { endpoint: proxy.endpoint, maxAttempts: 1 });
    const { services } = computeOn(moto, { clock: fakeClock(), ...clients });
    proxy.setRules([{ match: 'RunInstances', fault: faults.dropResponse(), times: 1 }]);
    const before = injected('RunInstances');
    const result = await services.instances.launch({ preset: 'small-analysis' });
    assert.equal(injected('RunInstances') - before, 1);
    assert.equal(result.reused, true, 'found the instance the lost request created');
    assert.equal(await instanceCount(), 1);
    assert.equal(result.instance.tags['scopecloud:launch-token'], result.clientToken);
  });

  it('5xx before EC2 sees the launch: retried, exactly one instance', async () => {
    const clients = awsClients(moto, { endpoint: proxy.endpoint, maxAttempts: 1 });
    const { services } = computeOn(moto, { clock: fakeClock(), ...clients });
    proxy.setRules([{ match: 'RunInstances', fault: faults.internalError(), times: 2 }]);
    const before = injected('RunInstances');
    const result = await services.instances.launch({ preset: 'small-analysis' });
    assert.equal(injected('RunInstances') - before, 2);
    assert.equal(result.reused, false);
    assert.equal(await instanceCount(), 1);
  });

  it('persistent 5xx: the launch fails with a clear error and nothing runs', async () => {
    const clients = awsClients(moto, { endpoint: proxy.endpoint, maxAttempts: 1 });
    const { services } = computeOn(moto, { clock: fakeClock(), ...clients });
    proxy.setRules([{ match: 'RunInstances', fault: faults.slowDown() }]);
    await assert.rejects(
      services.instances.launch({ preset: 'small-analysis' }),
      (e: ComputeError) => e instanceof ComputeError && /launch small-analysis/.test(e.message),
    );
    assert.equal(await instanceCount(), 0);
  });

  it('Cost Explorer failing: cost summary still shows live cost and says why actual spend is missing', async () => {
    const clients = awsClients(moto, { endpoint: proxy.endpoint, maxAttempts: 1 });
    // the launch's limit is an AWS Budget: a local one would read (and cache) Cost Explorer first
    await clients.budgets.send(
      new CreateBudgetCommand({
        AccountId: '123456789012',
        Budget: { BudgetName: 'lab', BudgetLimit: { Amount: '1000', Unit: 'USD' }, TimeUnit: 'MONTHLY', BudgetType: 'COST' },
      }),
    );
    const { services } = computeOn(moto, { clock: fakeClock(), ...clients, localMonthlyLimitUsd: null });
    await services.instances.launch({ preset: 'small-analysis' });
    proxy.setRules([{ match: 'GetCostAndUsage', fault: faults.internalError() }]);
    const sum = await services.cost.summary();
    assert.equal(sum.live.running, 1);
    assert.equal(sum.actual, null);
    assert.match(sum.actualError ?? '', /Cost Explorer/);
    assert.ok(injected('GetCostAndUsage') >= 1);

    proxy.clearRules();
    const ok = await services.cost.summary();
    assert.equal(ok.actualError, null);
    assert.equal(ok.actual?.fromCache, false, 'a failed read is not cached');
  });

  it('dropped connections to Budgets: SDK retries recover transparently', async () => {
    const clients = awsClients(moto, { endpoint: proxy.endpoint });
    const { services } = computeOn(moto, { clock: fakeClock(), ...clients });
    proxy.setRules([{ match: 'DescribeBudgets', fault: faults.dropRequest(), times: 1 }]);
    const before = injected('DescribeBudgets');
    assert.deepEqual(await services.budgets.list(), []);
    assert.equal(injected('DescribeBudgets') - before, 1);
  });
});
