/**
 * The tray's top spenders (main/tray/tray-people.ts through trayModel): the Budget view's By person
 * table cut to the top three and unattributed, from the cached Cost Explorer answer and storage split.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { trayModel, type TrayMenuItem } from '../../../main/tray/tray-model.ts';
import { trayPeople } from '../../../main/tray/tray-people.ts';

const GB = 2 ** 30;
const base = { instances: [], budgetPercent: null, idleIds: [], longRunningMs: 7_200_000, nowMs: Date.UTC(2026, 11, 7) };
const labels = (menu: TrayMenuItem[]) => menu.map((m) => (m.type === 'item' ? m.label : '---'));

describe("the tray names this month's top spenders", () => {
  const compute = [
    { name: 'maria', amount: 12.5 },
    { name: 'ana', amount: 6 },
    { name: 'bo', amount: 1 },
    { name: 'cy', amount: 0.5 },
    { name: '(untagged)', amount: 3 },
  ];
  const storage = [
    { owner: 'lee', bytes: 100 * GB, monthly: 2.3 },
    { owner: 'maria', bytes: 10 * GB, monthly: 0.23 },
    { owner: 'unattributed', bytes: 50 * GB, monthly: 1.15 },
  ];

  it('top three by compute this month + storage per month, the others counted, unattributed last; the menu opens the Budget view', () => {
    const m = trayModel({ ...base, people: { compute, storage, billed: true } });
    assert.equal(m.tooltip, 'ScopeCloud: no instances running\nThis month by person: maria $12.73, ana $6.00, lee $2.30 (+2 more); unattributed $4.15');
    const items = labels(m.menu);
    const at = items.indexOf('Top spenders this month');
    assert.ok(at > 0, items.join('\n'));
    assert.deepEqual(items.slice(at + 1, at + 5), [
      '    maria: $12.73 ($12.50 compute, $0.23/month storage)',
      '    ana: $6.00 ($6.00 compute)',
      '    lee: $2.30 ($2.30/month storage)',
      '    unattributed: $4.15 ($3.00 compute, $1.15/month storage)',
    ]);
    const row = m.menu.find((i) => i.type === 'item' && i.id === 'person:maria');
    assert.deepEqual(row && row.type === 'item' ? row.action : null, { kind: 'open-window', view: 'cost' });
    assert.equal(items[at + 5], '---', 'then the usual entries');
  });

  it('before Cost Explorer has figures: storage only, said as such', () => {
    const p = trayPeople({ compute: null, storage, billed: true })!;
    assert.equal(p.line, 'This month by person (storage only; compute comes with Cost Explorer): lee $2.30, maria $0.23; unattributed $1.15');
  });

  it('a local archive: sizes on local disk, no money', () => {
    const p = trayPeople({ compute: null, storage: storage.map((s) => ({ ...s, monthly: null })), billed: false })!;
    assert.equal(p.line, 'This month by person (storage): lee 100 GB, maria 10.0 GB; unattributed 50.0 GB');
    assert.deepEqual(
      p.items.map((i) => i.label),
      ['lee: 100 GB (on local disk)', 'maria: 10.0 GB (on local disk)', 'unattributed: 50.0 GB (on local disk)'],
    );
  });

  it('no unattributed line when everything is attributed; nothing at all without figures or spend', () => {
    const p = trayPeople({ compute: [{ name: 'maria', amount: 2 }], storage: [{ owner: 'maria', bytes: GB, monthly: 0.023 }], billed: true })!;
    assert.equal(p.line, 'This month by person: maria $2.02');
    assert.equal(trayPeople({ compute: null, storage: null, billed: true }), null);
    assert.equal(trayPeople({ compute: [], storage: [{ owner: 'maria', bytes: 0, monthly: 0 }], billed: true }), null);
    const m = trayModel({ ...base, people: { compute: null, storage: null, billed: true } });
    assert.equal(m.tooltip, 'ScopeCloud: no instances running');
    assert.ok(!labels(m.menu).includes('Top spenders this month'));
  });
});
