import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { useMoto, motoMissing, type MotoServer } from '../../support/moto.ts';
import { awsClients, computeOn, fakeClock, manualTimers, type FakeClock } from './fixture.ts';
import type { GuardrailEvent } from '../../../main/instances/guardrails.ts';
import { runningInstancesSummary } from '../../../main/instances/quit-summary.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(motoMissing());
const MIN = 60_000;

async function putCpu(moto: MotoServer, instanceId: string, clock: FakeClock, values: number[]): Promise<void> {
  // One 5-minute datapoint per value, newest last, ending just before the clock's now.
  const now = clock.now();
  await awsClients(moto).cloudwatch.send(
    new PutMetricDataCommand({
      Namespace: 'AWS/EC2',
      MetricData: values.map((v, k) => ({
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
        Timestamp: new Date(now - (values.length - k) * 5 * MIN + 30_000),
        Value: v,
        Unit: 'Percent',
      })),
    }),
  );
}

describe('guardrails against moto', { skip }, () => {
  let moto: MotoServer;
  useMoto((m) => {
    moto = m;
  });

  it('stops or terminates instances past their max runtime, leaves the others', async () => {
    const clock = fakeClock();
    const events: GuardrailEvent[] = [];
    const { services } = computeOn(moto, { clock, onGuardrailEvent: (e) => events.push(e) });
    const small = (await services.instances.launch({ preset: 'small-analysis' })).instance; // 240 min, stop
    const big = (await services.instances.launch({ preset: 'large-compute', maxRuntimeMinutes: 60 })).instance; // terminate
    const long = (await services.instances.launch({ preset: 'large-memory' })).instance; // 480 min

    clock.advance(30 * MIN);
    assert.deepEqual(
      (await services.guardrails.tick()).filter((e) => e.kind === 'max-runtime'),
      [],
    );

    clock.advance(215 * MIN); // 245 min: past small (240 + 2 grace) and big (60)
    const fired = (await services.guardrails.tick()).filter((e) => e.kind === 'max-runtime');
    assert.deepEqual(
      fired.map((e) => [e.instanceId, e.kind === 'max-runtime' ? e.action : null]).sort(),
      [
        [small.id, 'stop'],
        [big.id, 'terminate'],
      ].sort(),
    );
    assert.ok(fired.every((e) => e.kind === 'max-runtime' && e.error === null));
    assert.deepEqual(events.filter((e) => e.kind === 'max-runtime').length, 2, 'events also go to onEvent');

    const states = Object.fromEntries((await services.instances.list({ all: true })).map((i) => [i.id, i.state]));
    assert.ok(['stopping', 'stopped'].includes(states[small.id]));
    assert.ok(states[big.id] === undefined || ['shutting-down', 'terminated'].includes(states[big.id]));
    assert.equal(states[long.id], 'running');
  });

  it('warns about an idle instance once, then stops it after the grace period', async () => {
    const clock = fakeClock();
    const { services } = computeOn(moto, {
      clock,
      guardrails: { idleAction: 'stop', idleWindowMinutes: 30, idleThresholdPercent: 5, stopAfterWarningMinutes: 15 },
    });
    const idle = (await services.instances.launch({ preset: 'small-analysis', name: 'idle' })).instance;
    const busy = (await services.instances.launch({ preset: 'small-analysis', name: 'busy' })).instance;
    const silent = (await services.instances.launch({ preset: 'small-analysis', name: 'no-metrics' })).instance;

    clock.advance(40 * MIN);
    await putCpu(moto, idle.id, clock, [1.5, 0.8, 2.0, 1.1, 0.5, 0.9]);
    await putCpu(moto, busy.id, clock, [1.0, 2.0, 85, 90, 70, 60]);
    const first = await services.guardrails.tick();
    assert.deepEqual(
      first.map((e) => [e.kind, 'instanceId' in e ? e.instanceId : null]),
      [['idle-warning', idle.id]],
    );
    const warn = first[0];
    assert.ok(warn.kind === 'idle-warning' && warn.averageCpu !== null && warn.averageCpu < 5);

    assert.deepEqual(await services.guardrails.tick(), [], 'no repeated warning, not stopped before the grace period');

    clock.advance(16 * MIN);
    await putCpu(moto, idle.id, clock, [0.5, 0.7, 0.6, 0.4, 0.6, 0.5]);
    const second = await services.guardrails.tick();
    assert.deepEqual(
      second.map((e) => [e.kind, 'instanceId' in e ? e.instanceId : null]),
      [['idle-stopped', idle.id]],
    );
    const states = Object.fromEntries((await services.instances.list()).map((i) => [i.id, i.state]));
    assert.ok(['stopping', 'stopped'].includes(states[idle.id]));
    assert.equal(states[busy.id], 'running');
    assert.equal(states[silent.id], 'running', 'missing metrics never count as idle');
  });

  it('start() schedules ticks on the injected timers; stop() cancels them', async () => {
    const clock = fakeClock();
    const events: GuardrailEvent[] = [];
    const { services } = computeOn(moto, { clock, onGuardrailEvent: (e) => events.push(e) });
    await services.instances.launch({ preset: 'large-compute', maxRuntimeMinutes: 10 });
    clock.advance(20 * MIN);
    services.guardrails.start();
    manualTimers.fire();
    await services.guardrails.tick(); // joins the tick the timer started
    assert.equal(events.filter((e) => e.kind === 'max-runtime').length, 1);
    services.guardrails.stop();
    const before = events.length;
    manualTimers.fire();
    assert.equal(events.length, before);
  });

  it('quit summary lists what is still running and billing', async () => {
    const clock = fakeClock();
    const { services } = computeOn(moto, { clock });
    await services.instances.launch({ preset: 'gpu', name: 'cellpose' });
    clock.advance(60 * MIN);
    const list = await services.instances.list();
    const summary = runningInstancesSummary(list);
    assert.equal(summary.count, 1);
    assert.equal(summary.instances[0].name, 'cellpose');
    assert.match(summary.message ?? '', /does not stop it/);
    assert.ok(list[0].uptimeMs >= 59 * MIN && list[0].uptimeMs <= 61 * MIN);
    assert.ok(Math.abs(summary.accrued - (summary.hourlyRate * list[0].uptimeMs) / (60 * MIN)) < 1e-9, 'uptime at the hourly rate');
    assert.deepEqual(summary.choices, ['stop-all', 'keep-running', 'cancel']);
  });
});
