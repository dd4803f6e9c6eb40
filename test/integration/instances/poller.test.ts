import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createInstancePoller } from '../../../main/instances/instance-poller.ts';
import type { InstanceInfo } from '../../../main/aws/ec2-instance.ts';
import { FakeTime } from '../../support/fake-timers.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { computeOn, fakeClock } from './fixture.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());

describe('instance poller against moto (injected timers)', { skip }, () => {
  let moto: MotoServer;
  before(async () => {
    moto = await startMoto();
  });
  after(async () => {
    await moto?.stop();
  });

  it('reports launches and stops seen in EC2, polls slowly while nothing changes', async () => {
    await moto.reset();
    const { services } = computeOn(moto, { clock: fakeClock() });
    const time = new FakeTime();
    let calls = 0;
    let lastCall: Promise<InstanceInfo[]> = Promise.resolve([]);
    const changes: string[] = [];
    const poller = createInstancePoller({
      list: () => {
        calls++;
        lastCall = services.instances.list();
        return lastCall;
      },
      timers: time,
      onChange: (l) => changes.push(l.map((i) => `${i.id}:${i.state}`).join(',')),
      fastMs: 2_000,
      slowMs: 60_000,
    });
    // a poll against moto is real I/O: wait for it, then let the poller schedule the next one
    const settle = async () => {
      await lastCall.catch(() => undefined);
      await time.advance(0);
    };

    poller.start();
    await settle();
    assert.deepEqual(changes, [''], 'first poll reports the empty list');
    assert.equal(poller.lastDelayMs(), 60_000);

    const launched = await services.instances.launch({ preset: 'small-analysis', name: 'poll-me' });
    await time.advance(60_000);
    await settle();
    assert.equal(calls, 2);
    assert.equal(changes.length, 2);
    assert.match(changes[1]!, new RegExp(`^${launched.instance.id}:(pending|running)$`));

    await time.advance(60_000);
    await settle();
    assert.equal(calls, 3);
    assert.equal(changes.length, 2, 'nothing changed: no event');

    await services.instances.stop(launched.instance.id);
    await poller.poke();
    await settle();
    assert.equal(changes.length, 3);
    assert.match(changes[2]!, /:(stopping|stopped)$/);
    poller.stop();
    assert.equal(time.pending, 0);
  });
});
