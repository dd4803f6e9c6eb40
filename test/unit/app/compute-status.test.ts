import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createEventHub } from '../../../main/app/events.ts';
import { createComputeApi } from '../../../main/app/compute-api.ts';
import type { AwsContext } from '../../../main/app/aws-context.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { liveCost } from '../../../main/cost/live-cost.ts';
import type { InstanceInfo } from '../../../main/aws/ec2-instance.ts';

function instance(state: InstanceInfo['state']): InstanceInfo {
  return {
    id: 'i-0123456789abcdef0',
    name: 'analysis',
    type: 'c7i.2xlarge',
    state,
    launchTime: '2025-06-01T10:00:00Z',
    uptimeMs: state === 'running' ? 60_000 : 0,
    tags: {},
    owner: 'maria',
    purpose: null,
    preset: 'cpu',
    maxRuntimeMinutes: 240,
    expiryAction: 'stop',
    managed: true,
    hourlyPrice: 0.357,
    accruedCost: 0,
    volumes: [],
    storageMonthly: 0,
  } as unknown as InstanceInfo;
}

const settle = () => new Promise((r) => setImmediate(r));

test("after a stop the status line does not fall back to the poller's older list", async () => {
  const settings = defaultSettings('/arch');
  settings.target = { kind: 's3', bucket: 'lab', region: 'eu-west-1', prefix: '', profile: '', endpoint: '' };
  let ec2 = [instance('running')];
  const olderPoll = [instance('running')];
  const ctx = {
    owner: 'maria',
    poller: { latest: () => olderPoll, poke: async () => {} },
    compute: {
      instances: {
        list: async () => ec2,
        stop: async () => {
          ec2 = [instance('stopped')];
          return { instance: ec2[0], currentState: 'stopping' };
        },
      },
      cost: { summary: async () => ({ actual: null, actualError: null, live: liveCost(ec2, Date.now()), instances: ec2 }) },
      budgets: { list: async () => [] },
    },
  } as unknown as AwsContext;
  const api = createComputeApi({ settings: () => settings, context: () => ctx, env: {}, hub: createEventHub({ minGapMs: 0 }) });

  assert.equal(api.status().running, 1, "the poller's list is used while nothing fresher exists");
  await settle();
  await api.instanceAction({ id: 'i-0123456789abcdef0', action: 'stop' });
  assert.equal(api.status().running, 0);
  await settle();
  await settle();
  assert.deepEqual([api.status().running, api.status().hourlyBurn], [0, 0]);
});

test("a Budget view read that changes the month's figures tells the status line (it showed $0 beside the view's $66)", async () => {
  const settings = defaultSettings('/arch');
  settings.target = { kind: 's3', bucket: 'lab', region: 'eu-west-1', prefix: '', profile: '', endpoint: '' };
  let total = 66;
  const actual = () => ({ total, byService: [], byOwner: [], start: '2026-12-01', end: '2026-12-07', fetchedAt: Date.now(), fromCache: false, ageMs: 0 });
  const ctx = {
    owner: 'maria',
    poller: { latest: () => null, poke: async () => {} },
    compute: {
      instances: { list: async () => [] },
      cost: { summary: async () => ({ actual: actual(), actualError: null, live: liveCost([], Date.now()), instances: [] }) },
      budgets: { list: async () => [] },
      guard: { listOverrides: async () => ({ shared: false, location: null, overrides: [] }) },
    },
  } as unknown as AwsContext;
  const hub = createEventHub({ minGapMs: 0 });
  const topics: string[] = [];
  hub.subscribe((e) => {
    if (e.type === 'changed') topics.push(e.topic);
  });
  const api = createComputeApi({ settings: () => settings, context: () => ctx, env: {}, hub });
  await api.getBudget();
  await settle();
  assert.ok(topics.includes('status'), 'the first figures reach the status line');
  assert.equal(api.status().monthToDate, 66);
  topics.length = 0;
  await api.getBudget();
  await settle();
  assert.equal(topics.includes('status'), false, 'an unchanged read is not news');
  total = 70;
  await api.getBudget();
  await settle();
  assert.ok(topics.includes('status'));
  assert.equal(api.status().monthToDate, 70);
});
