import { test } from 'node:test';
import assert from 'node:assert/strict';
import { trayModel } from '../../../main/tray/tray-model.ts';
import { withRestores } from '../../../main/tray/tray-restores.ts';
import { restoreNotification } from '../../../main/tray/notifications.ts';

const base = () => trayModel({ instances: [], budgetPercent: null, idleIds: [], longRunningMs: 7_200_000, nowMs: Date.parse('2026-12-07T15:00:00Z') });

test('restores waited for: a tooltip line with their count and one line each above the menu actions', () => {
  const m = withRestores(base(), [
    { id: 'results:a', label: 'results of 2026-12-01_cold', tier: 'Standard', waiting: '3-5 hours', askedAt: Date.parse('2026-12-07T14:05:00Z') },
    { id: 'analysis:b', label: 'rig-B', tier: 'Bulk', waiting: '5-12 hours', askedAt: Date.parse('2026-12-07T14:30:00Z') },
  ]);
  assert.match(m.tooltip, /\nRestoring from cold storage: 2 \(ready in 3-5 hours \/ 5-12 hours\)$/);
  const labels = m.menu.map((i) => (i.type === 'item' ? i.label : '---'));
  assert.deepEqual(labels.slice(0, 3), [
    'No instances running',
    'Restoring results of 2026-12-01_cold (Standard, 3-5 hours) since 2026-12-07 14:05 UTC',
    'Restoring rig-B (Bulk, 5-12 hours) since 2026-12-07 14:30 UTC',
  ]);
  assert.equal(labels[3], '---');
  assert.equal(m.icon, 'idle', 'a restore is no compute spend: the icon stays as it was');
  assert.equal(m.runningCount, 0);
});

test('no restore: the model is unchanged', () => {
  assert.deepEqual(withRestores(base(), []), base());
});

test('a finished restore notifies once per request: its own key and an event id that never repeats', () => {
  const r = { id: 'results:a', label: 'results of s1', askedAt: 5, days: 3 };
  const ok = restoreNotification(r, true, 'readable for 3 days');
  assert.equal(ok.title, 'Restored from cold storage: results of s1');
  assert.equal(ok.eventId, 'restore:results:a:5:done');
  assert.equal(ok.urgency, 'normal');
  const again = restoreNotification({ ...r, askedAt: 9 }, true, 'x');
  assert.notEqual(again.eventId, ok.eventId, 'a later restore of the same results notifies again');
  assert.equal(restoreNotification(r, false, 'expired').urgency, 'critical');
});
