import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trayModel, type TrayState } from '../../../main/tray/tray-model.ts';
import { makeInstance } from '../instances/make-instance.ts';

const HOUR = 3_600_000;
const base: TrayState = { instances: [], budgetPercent: null, idleIds: [], longRunningMs: 2 * HOUR };

describe('trayModel', () => {
  it('idle with nothing running, no stop items', () => {
    const m = trayModel({ ...base, instances: [makeInstance({ id: 'i-1', state: 'stopped' })] });
    assert.equal(m.icon, 'idle');
    assert.equal(m.runningCount, 0);
    assert.match(m.tooltip, /no instances running/);
    assert.ok(!m.menu.some((i) => i.type === 'item' && i.action?.kind === 'stop-instance'));
  });

  it('running: one stop item per running instance with uptime and cost', () => {
    const m = trayModel({
      ...base,
      instances: [
        makeInstance({ id: 'i-a', name: 'alpha', uptimeMs: HOUR / 2, hourlyPrice: 0.4, accruedCost: 0.2 }),
        makeInstance({ id: 'i-b', name: 'beta', state: 'pending', hourlyPrice: 1, accruedCost: 0 }),
        makeInstance({ id: 'i-c', state: 'stopped' }),
      ],
    });
    assert.equal(m.icon, 'running');
    assert.equal(m.runningCount, 2);
    assert.match(m.tooltip, /2 running, \$1\.40\/h, \$0\.20 so far/);
    const stops = m.menu.filter((i) => i.type === 'item' && i.action?.kind === 'stop-instance');
    assert.deepEqual(
      stops.map((i) => i.type === 'item' && i.action),
      [
        { kind: 'stop-instance', instanceId: 'i-a' },
        { kind: 'stop-instance', instanceId: 'i-b' },
      ],
    );
    assert.deepEqual(
      stops.map((i) => i.type === 'item' && i.enabled),
      [true, false],
      'a pending instance cannot be stopped from the tray yet',
    );
    assert.ok(m.menu.some((i) => i.type === 'item' && /alpha \(c7i\.2xlarge\) - 30 min, \$0\.20/.test(i.label)));
  });

  it('warning for idle, long-running or unpriced instances and at 80 % of budget', () => {
    const running = makeInstance({ id: 'i-a', uptimeMs: HOUR });
    assert.equal(trayModel({ ...base, instances: [running], idleIds: ['i-a'] }).icon, 'warning');
    assert.equal(trayModel({ ...base, instances: [{ ...running, uptimeMs: 3 * HOUR }] }).icon, 'warning');
    assert.equal(trayModel({ ...base, instances: [{ ...running, hourlyPrice: null, accruedCost: null }] }).icon, 'warning');
    assert.equal(trayModel({ ...base, instances: [running], budgetPercent: 79.9 }).icon, 'running');
    assert.equal(trayModel({ ...base, budgetPercent: 80 }).icon, 'warning');
    assert.match(trayModel({ ...base, instances: [running], idleIds: ['i-a'] }).tooltip, /Needs attention: i-a/);
  });

  it('over-budget wins over everything', () => {
    const m = trayModel({ ...base, instances: [makeInstance({ id: 'i-a' })], idleIds: ['i-a'], budgetPercent: 104 });
    assert.equal(m.icon, 'over-budget');
    assert.match(m.tooltip, /104% used \(over budget\)/);
  });
});
