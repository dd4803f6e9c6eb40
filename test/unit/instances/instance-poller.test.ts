import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createInstancePoller } from '../../../main/instances/instance-poller.ts';
import type { InstanceInfo, InstanceState } from '../../../main/aws/ec2-instance.ts';
import { FakeTime } from '../../support/fake-timers.ts';
import { makeInstance } from './make-instance.ts';

const inst = (id: string, state: InstanceState): InstanceInfo => makeInstance({ id, state });

describe('instance poller (fake timers, scripted lists)', () => {
  it('polls fast while an instance is transitional, slow once settled, and reports only changes', async () => {
    const time = new FakeTime();
    const script: InstanceInfo[][] = [[inst('i-1', 'pending')], [inst('i-1', 'pending')], [inst('i-1', 'running')], [inst('i-1', 'running')]];
    const polledAt: number[] = [];
    const changes: string[][] = [];
    const poller = createInstancePoller({
      list: async () => {
        polledAt.push(time.now());
        return script[Math.min(polledAt.length - 1, script.length - 1)]!;
      },
      timers: time,
      onChange: (l) => changes.push(l.map((i) => `${i.id}:${i.state}`)),
      fastMs: 2_000,
      slowMs: 60_000,
    });
    poller.start();
    await time.advance(0);
    assert.equal(poller.lastDelayMs(), 2_000);
    await time.advance(2_000);
    await time.advance(2_000);
    assert.deepEqual(polledAt, [0, 2_000, 4_000]);
    assert.equal(poller.lastDelayMs(), 60_000, 'settled: slow');
    await time.advance(59_000);
    assert.equal(polledAt.length, 3, 'no poll before the slow delay');
    await time.advance(1_000);
    assert.deepEqual(polledAt, [0, 2_000, 4_000, 64_000]);
    assert.deepEqual(changes, [['i-1:pending'], ['i-1:running']]);
    poller.stop();
    assert.equal(time.pending, 0);
    await time.advance(600_000);
    assert.equal(polledAt.length, 4, 'stopped: no more polls');
  });

  it('backs off on errors (doubling from fast up to the cap) and recovers', async () => {
    const time = new FakeTime();
    let fail = 4;
    const retries: number[] = [];
    const poller = createInstancePoller({
      list: async () => {
        if (fail-- > 0) throw new Error('throttled');
        return [];
      },
      timers: time,
      onChange: () => undefined,
      onError: (_e, ms) => retries.push(ms),
      fastMs: 2_000,
      slowMs: 60_000,
      maxErrorMs: 10_000,
    });
    poller.start();
    await time.advance(0);
    for (const ms of [2_000, 4_000, 8_000]) await time.advance(ms);
    assert.deepEqual(retries, [2_000, 4_000, 8_000, 10_000]);
    await time.advance(10_000);
    assert.deepEqual(poller.latest(), []);
    assert.equal(poller.lastDelayMs(), 60_000);
    poller.stop();
  });

  it('poke polls at once and restarts the schedule', async () => {
    const time = new FakeTime();
    let n = 0;
    const poller = createInstancePoller({
      list: async () => {
        n++;
        return [];
      },
      timers: time,
      onChange: () => undefined,
      slowMs: 60_000,
    });
    poller.start();
    await time.advance(30_000);
    await poller.poke();
    assert.equal(n, 2);
    await time.advance(59_000);
    assert.equal(n, 2, 'the schedule restarted at the poke');
    await time.advance(1_000);
    assert.equal(n, 3);
    poller.stop();
  });
});
