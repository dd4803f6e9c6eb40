import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StopInstancesCommand, TerminateInstancesCommand } from '@aws-sdk/client-ec2';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { dailySummary } from '../../../main/tray/daily-summary.ts';
import { localDay } from '../../../main/instances/local-day.ts';
import { createUptimeRecorder } from '../../../main/instances/uptime-records.ts';
import { useMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock } from './fixture.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());
const HOUR = 3_600_000;

describe('uptime reconciled from EC2 after the app was off (moto)', { skip }, () => {
  let moto: MotoServer;
  useMoto((m) => {
    moto = m;
  });

  it('a stop and a termination done while the app was not polling end the runs at the times EC2 states', async () => {
    const clock = fakeClock(Date.now() + 60_000);
    const { services } = computeOn(moto, { clock });
    const ec2 = awsClients(moto).ec2;
    const a = (await services.instances.launch({ preset: 'small-analysis', name: 'stopped-while-off' })).instance;
    const b = (await services.instances.launch({ preset: 'small-analysis', name: 'terminated-while-off' })).instance;
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe(await services.instances.list(), clock.now());
    assert.deepEqual(
      Object.values(rec.records()).map((r) => r.intervals.length),
      [1, 1],
    );
    assert.equal(rec.records()[a.id]!.intervals[0]!.end, null);

    // the app quits; someone stops one instance and terminates the other in the console
    await ec2.send(new StopInstancesCommand({ InstanceIds: [a.id] }));
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: [b.id] }));

    // the app starts again five hours later and reconciles from EC2, terminated instances included
    clock.advance(5 * HOUR);
    const facts = await services.instances.list({ includeTerminated: true });
    const fa = facts.find((i) => i.id === a.id)!;
    const fb = facts.find((i) => i.id === b.id)!;
    assert.equal(fa.state, 'stopped');
    assert.equal(fb.state, 'terminated');
    assert.ok(fa.stateSince && fb.stateSince, 'EC2 states when they stopped');
    rec.observe(facts, clock.now());

    const ra = rec.records()[a.id]!.intervals;
    const rb = rec.records()[b.id]!.intervals;
    assert.equal(ra.length, 1);
    assert.equal(ra[0]!.end, Date.parse(fa.stateSince!));
    assert.equal(rb[0]!.end, Date.parse(fb.stateSince!));
    assert.ok(ra[0]!.end! - ra[0]!.start < 5 * 60_000, 'minutes, not the five hours the app was off');

    const day = dailySummary(rec.records(), localDay(ra[0]!.start, 'UTC'), clock.now(), 'UTC');
    assert.ok(day.totalRunMs < 10 * 60_000, `the day's run time is what ran (${day.totalRunMs} ms)`);
  });
});
