import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createNotificationLimiter } from '../../../main/tray/notification-limiter.ts';
import { budgetNotification, guardrailNotification } from '../../../main/tray/notifications.ts';

const MIN = 60_000;

function clock() {
  let t = 1_700_000_000_000;
  return {
    now: () => t,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

describe('notification limiter', () => {
  it('the same key at most once per interval', () => {
    const c = clock();
    const limiter = createNotificationLimiter({ clock: c, store: createMemoryStore(), intervalMs: 30 * MIN });
    assert.equal(limiter.allow('idle:i-1'), true);
    assert.equal(limiter.allow('idle:i-1'), false);
    assert.equal(limiter.allow('idle:i-2'), true, 'other keys are independent');
    c.advance(30 * MIN - 1);
    assert.equal(limiter.allow('idle:i-1'), false);
    c.advance(1);
    assert.equal(limiter.allow('idle:i-1'), true);
  });

  it('an event id never repeats, even after the interval and a restart', () => {
    const c = clock();
    const store = createMemoryStore();
    const first = createNotificationLimiter({ clock: c, store, intervalMs: MIN });
    assert.equal(first.allow('budget:lab', 'budget:lab:2026-11:80'), true);
    c.advance(10 * MIN);
    const restarted = createNotificationLimiter({ clock: c, store, intervalMs: MIN });
    assert.equal(restarted.allow('budget:lab', 'budget:lab:2026-11:80'), false);
    assert.equal(restarted.allow('budget:lab', 'budget:lab:2026-11:100'), true, 'the next threshold is a new event');
  });

  it('refused notifications do not extend the window', () => {
    const c = clock();
    const limiter = createNotificationLimiter({ clock: c, store: createMemoryStore(), intervalMs: 10 * MIN });
    assert.equal(limiter.allow('k'), true);
    c.advance(9 * MIN);
    assert.equal(limiter.allow('k'), false);
    c.advance(MIN);
    assert.equal(limiter.allow('k'), true);
  });
});

describe('notification texts', () => {
  it('budget thresholds are one event per budget, month and level', () => {
    const now = Date.UTC(2026, 10, 15);
    const n = budgetNotification('lab', 80, 85, 100, now)!;
    assert.equal(n.eventId, 'budget:lab:2026-11:80');
    assert.match(n.body, /\$85\.00 of \$100\.00/);
    assert.equal(budgetNotification('lab', 0, 10, 100, now), null);
    assert.equal(budgetNotification('lab', 100, 120, 100, now)!.urgency, 'critical');
  });

  it('idle warnings repeat at most daily per instance', () => {
    const e = { kind: 'idle-warning' as const, instanceId: 'i-1', name: 'box', averageCpu: 1.234, windowMinutes: 30 };
    const a = guardrailNotification(e, Date.UTC(2026, 10, 15, 9))!;
    const b = guardrailNotification(e, Date.UTC(2026, 10, 15, 17))!;
    const c = guardrailNotification(e, Date.UTC(2026, 10, 16, 9))!;
    assert.equal(a.eventId, b.eventId);
    assert.notEqual(a.eventId, c.eventId);
    assert.match(a.body, /1\.2% over 30 min/);
  });
});
