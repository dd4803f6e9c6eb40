import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trayModel, type TrayState } from '../../../main/tray/tray-model.ts';
import { makeInstance } from '../instances/make-instance.ts';

const HOUR = 3_600_000;
const NOW = Date.parse('2026-12-07T12:00:00Z');
const base: TrayState = { instances: [], budgetPercent: null, idleIds: [], longRunningMs: 2 * HOUR, nowMs: NOW };

describe('trayModel', () => {
  it('stopped instances: their disks stay in sight, and after three days the icon warns', () => {
    const disk = (sizeGb: number) => ({ id: `vol-${sizeGb}`, sizeGb, type: 'gp3', deleteOnTermination: true });
    // 200 GB + 100 GB gp3 at $0.08/GB-month: $16 + $8
    const recent = makeInstance({
      id: 'i-r',
      name: 'recent',
      state: 'stopped',
      stateSince: '2026-12-06T12:00:00.000Z',
      volumes: [disk(100)],
      storageMonthly: 8,
    });
    const old = makeInstance({ id: 'i-o', name: 'old', state: 'stopped', stateSince: '2026-12-03T11:00:00.000Z', volumes: [disk(200)], storageMonthly: 16 });
    const fresh = trayModel({ ...base, instances: [recent] });
    assert.equal(fresh.icon, 'idle', 'stopped one day: no alarm yet');
    assert.match(fresh.tooltip, /1 stopped instance keeps 100 GB of disk: \$8\.00\/month/);
    const both = trayModel({ ...base, instances: [recent, old] });
    assert.equal(both.icon, 'warning');
    assert.match(both.tooltip, /2 stopped instances keep 300 GB of disk: \$24\.00\/month/);
    const reminders = both.menu.filter((i) => i.type === 'item' && i.id.startsWith('stopped:'));
    assert.deepEqual(
      reminders.map((i) => (i.type === 'item' ? i.label : '')),
      ['old stopped 4 days: its 200 GB disk bills $16.00/month (terminate it if done)'],
    );
  });

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
