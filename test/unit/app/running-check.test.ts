import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance, Status } from '../../../preload/api.ts';
import { checkRunning, runningSummary } from '../../../main/app/running-check.ts';
import { stopWords } from '../../../main/cli/commands/serve.ts';

const instance = (id: string, state: Instance['state'], hourlyPrice: number | null): Instance => ({
  id,
  name: id,
  type: 'c7i.large',
  state,
  launchTime: state === 'running' ? 1 : null,
  owner: 'maria',
  hourlyPrice,
  accruedCost: 0,
  costAsOf: 1,
  launchedByApp: true,
  diskGb: 100,
  diskMonthly: 8,
  stoppedSince: state === 'stopped' ? 1 : null,
});

function services(mode: 'aws' | 'local', list: () => Promise<Instance[]>, cachedRunning = 0) {
  let asked = 0;
  return {
    get asked() {
      return asked;
    },
    getStatus: async () => ({ mode, currency: 'USD', instances: { running: cachedRunning, hourlyBurn: 0 } }) as unknown as Status,
    listInstances: async () => {
      asked++;
      return { currency: 'USD', asOf: 1, instances: await list() };
    },
  };
}

test('running and starting instances count, with their prices; stopped ones and unpriced ones add nothing', () => {
  const s = runningSummary([instance('a', 'running', 0.5), instance('b', 'pending', 0.25), instance('c', 'stopped', 9), instance('d', 'running', null)], 'USD');
  assert.deepEqual(s, { running: 3, hourlyBurn: 0.75, currency: 'USD' });
});

test('in AWS mode EC2 is asked every time, whatever the status line cached', async () => {
  const svc = services('aws', async () => [instance('a', 'running', 0.1)], 0);
  assert.deepEqual(await checkRunning(svc), { kind: 'instances', summary: { running: 1, hourlyBurn: 0.1, currency: 'USD' } });
  await checkRunning(svc);
  assert.equal(svc.asked, 2);
});

test('an EC2 error is reported with its reason, not as zero instances', async () => {
  const svc = services('aws', async () => {
    throw new Error('The security token included in the request is expired');
  });
  assert.deepEqual(await checkRunning(svc), { kind: 'unknown', reason: 'The security token included in the request is expired' });
});

test('local mode asks nothing of AWS', async () => {
  const svc = services('local', async () => {
    throw new Error('must not be called');
  });
  assert.deepEqual(await checkRunning(svc), { kind: 'instances', summary: { running: 0, hourlyBurn: 0, currency: 'USD' } });
  assert.equal(svc.asked, 0);
});

test('serve says on stopping what keeps billing, or that it could not ask', () => {
  assert.deepEqual(stopWords({ kind: 'instances', summary: { running: 0, hourlyBurn: 0, currency: 'USD' } }), []);
  const one = stopWords({ kind: 'instances', summary: { running: 1, hourlyBurn: 0.0416, currency: 'USD' } });
  assert.equal(one[0], 'scopecloud serve: stopped. 1 instance is still running, costing $0.04 per hour: they keep billing until stopped.');
  assert.match(one[1], /scopecloud instances stop <id> --yes/);
  assert.match(
    stopWords({ kind: 'instances', summary: { running: 3, hourlyBurn: 2, currency: 'EUR' } })[0],
    /3 instances are still running, costing EUR 2\.00 per hour/,
  );
  assert.match(stopWords({ kind: 'unknown', reason: 'getaddrinfo ENOTFOUND ec2' })[0], /could not ask EC2 .*\(getaddrinfo ENOTFOUND ec2\)/);
});
