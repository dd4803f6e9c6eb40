import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createDailySummaryScheduler, dailySummary } from '../../../main/tray/daily-summary.ts';
import { localDay, localDayRange, localDayStart } from '../../../main/instances/local-day.ts';
import { createUptimeRecorder } from '../../../main/instances/uptime-records.ts';
import { createNotificationLimiter } from '../../../main/tray/notification-limiter.ts';
import type { AppNotification } from '../../../main/tray/notifications.ts';
import { FakeTime } from '../../support/fake-timers.ts';
import { makeInstance } from './make-instance.ts';

const HOUR = 3_600_000;
const iso = (ms: number) => new Date(ms).toISOString();

describe('local days', () => {
  it('starts a Paris day at the UTC instant of its local midnight and knows which local day an instant is in', () => {
    assert.equal(localDayStart('2026-03-10', 'Europe/Paris'), Date.UTC(2026, 2, 9, 23));
    assert.equal(localDayStart('2026-07-10', 'Europe/Paris'), Date.UTC(2026, 6, 9, 22));
    assert.equal(localDay(Date.UTC(2026, 2, 9, 23, 30), 'Europe/Paris'), '2026-03-10');
    assert.equal(localDay(Date.UTC(2026, 2, 9, 23, 30), 'UTC'), '2026-03-09');
    assert.equal(localDayStart('2026-03-10', 'America/New_York'), Date.UTC(2026, 2, 10, 4));
  });

  it('gives days across a daylight-saving change 23 and 25 hours', () => {
    const spring = localDayRange('2026-03-29', 'Europe/Paris');
    assert.equal((spring.end - spring.start) / HOUR, 23);
    const autumn = localDayRange('2026-10-25', 'Europe/Paris');
    assert.equal((autumn.end - autumn.start) / HOUR, 25);
    const ny = localDayRange('2026-03-08', 'America/New_York');
    assert.equal((ny.end - ny.start) / HOUR, 23);
    assert.equal((localDayRange('2026-03-10', 'Europe/Paris').end - localDayRange('2026-03-10', 'Europe/Paris').start) / HOUR, 24);
  });
});

describe('the daily summary in local days', () => {
  it('counts a run after local midnight in the local day, not the UTC one', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    // 23:30-01:00 UTC = 00:30-02:00 in Paris (winter, UTC+1)
    const launch = Date.UTC(2026, 2, 10, 23, 30);
    rec.observe([makeInstance({ id: 'i-a', hourlyPrice: 2, launchTime: iso(launch) })], launch + 60_000);
    rec.observe(
      [makeInstance({ id: 'i-a', state: 'stopped', hourlyPrice: 2, launchTime: iso(launch), stateSince: iso(launch + 1.5 * HOUR) })],
      launch + 2 * HOUR,
    );
    const now = Date.UTC(2026, 2, 12);
    const paris11 = dailySummary(rec.records(), '2026-03-11', now, 'Europe/Paris');
    assert.equal(paris11.items[0]!.runMs, 1.5 * HOUR);
    assert.equal(paris11.totalCost, 3);
    assert.equal(paris11.timeZone, 'Europe/Paris');
    assert.equal(dailySummary(rec.records(), '2026-03-10', now, 'Europe/Paris').items.length, 0);
    assert.equal(dailySummary(rec.records(), '2026-03-10', now, 'UTC').items[0]!.runMs, 0.5 * HOUR, 'in UTC half an hour falls on the 10th');
  });

  it('bills 23 hours on the spring-forward day and 25 on the autumn one for an instance running throughout', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    const launch = Date.UTC(2026, 2, 27);
    rec.observe([makeInstance({ id: 'i-a', hourlyPrice: 1, launchTime: iso(launch) })], launch + 60_000);
    const spring = dailySummary(rec.records(), '2026-03-29', Date.UTC(2026, 2, 31), 'Europe/Paris');
    assert.equal(spring.items[0]!.runMs, 23 * HOUR);
    assert.equal(spring.totalCost, 23);
    const rec2 = createUptimeRecorder(createMemoryStore());
    const launch2 = Date.UTC(2026, 9, 23);
    rec2.observe([makeInstance({ id: 'i-b', hourlyPrice: 1, launchTime: iso(launch2) })], launch2 + 60_000);
    assert.equal(dailySummary(rec2.records(), '2026-10-25', Date.UTC(2026, 9, 27), 'Europe/Paris').items[0]!.runMs, 25 * HOUR);
  });

  it('the scheduler summarises yesterday once the local day (New York) has ended, not the UTC one', async () => {
    const time = new FakeTime();
    // 2026-03-10 20:00 in New York (EDT, UTC-4) = 2026-03-11 00:00 UTC
    await time.advance(Date.UTC(2026, 2, 11, 0));
    const store = createMemoryStore();
    const rec = createUptimeRecorder(store);
    const launch = Date.UTC(2026, 2, 10, 14); // 10:00 New York
    rec.observe([makeInstance({ id: 'i-a', name: 'alpha', hourlyPrice: 1, launchTime: iso(launch), stateSince: null })], launch + 60_000);
    rec.observe(
      [makeInstance({ id: 'i-a', name: 'alpha', state: 'stopped', hourlyPrice: 1, launchTime: iso(launch), stateSince: iso(launch + 3 * HOUR) })],
      time.now(),
    );
    const sent: AppNotification[] = [];
    const scheduler = createDailySummaryScheduler({
      clock: time,
      timers: time,
      records: () => rec.records(),
      store,
      timeZone: 'America/New_York',
      limiter: createNotificationLimiter({ clock: time, store, intervalMs: HOUR }),
      notify: (n) => sent.push(n),
      checkEveryMs: 15 * 60_000,
    });
    scheduler.start();
    await time.advance(3 * HOUR); // 23:00 in New York: the 10th has not ended
    assert.deepEqual(
      sent.map((n) => n.eventId),
      [],
    );
    await time.advance(HOUR + 15 * 60_000); // past midnight in New York
    assert.deepEqual(
      sent.map((n) => n.eventId),
      ['daily-summary:2026-03-10'],
    );
    assert.match(sent[0]!.title, /1 instance ran, \$3\.00/);
    scheduler.stop();
  });
});

describe('uptime while the app was off, from EC2 facts', () => {
  const L = Date.UTC(2026, 10, 27, 8);

  it('ends a run at the stop time EC2 states, not when the app next looks', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L) })], L + HOUR);
    // the app quits; the instance is stopped at 10:00; the app starts again at 18:00
    rec.observe([makeInstance({ id: 'i-a', state: 'stopped', launchTime: iso(L), stateSince: iso(L + 2 * HOUR) })], L + 10 * HOUR);
    assert.deepEqual(rec.records()['i-a']!.intervals, [{ start: L, end: L + 2 * HOUR }]);
  });

  it('adds a whole run the app never saw, once', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L) })], L + HOUR);
    rec.observe([makeInstance({ id: 'i-a', state: 'stopped', launchTime: iso(L), stateSince: iso(L + 2 * HOUR) })], L + 3 * HOUR);
    // started 12:00 and stopped 15:00 while the app was off
    const later = makeInstance({ id: 'i-a', state: 'stopped', launchTime: iso(L + 4 * HOUR), stateSince: iso(L + 7 * HOUR) });
    rec.observe([later], L + 20 * HOUR);
    rec.observe([later], L + 21 * HOUR);
    assert.deepEqual(rec.records()['i-a']!.intervals, [
      { start: L, end: L + 2 * HOUR },
      { start: L + 4 * HOUR, end: L + 7 * HOUR },
    ]);
  });

  it('closes a run that was stopped and started again unseen at the restart (or its max runtime) and opens the new one', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L), maxRuntimeMinutes: 120 })], L + HOUR);
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L + 6 * HOUR), maxRuntimeMinutes: 120 })], L + 7 * HOUR);
    assert.deepEqual(rec.records()['i-a']!.intervals, [
      { start: L, end: L + 2 * HOUR },
      { start: L + 6 * HOUR, end: null },
    ]);
    const day = dailySummary(rec.records(), '2026-11-27', L + 7 * HOUR, 'UTC');
    assert.equal(day.items[0]!.runMs, 3 * HOUR, '2 h before, 1 h since the restart');
  });

  it('opens the new run at the restart time when the restart happened the moment the app saw the run end', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L) })], L + HOUR);
    // stopped and started again at 11:00 while the app was off; still running at 15:00
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L + 3 * HOUR) })], L + 7 * HOUR);
    assert.deepEqual(rec.records()['i-a']!.intervals, [
      { start: L, end: L + 3 * HOUR },
      { start: L + 3 * HOUR, end: null },
    ]);
  });

  it('keeps a second run started and stopped while the app was off', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe([makeInstance({ id: 'i-a', launchTime: iso(L) })], L + HOUR);
    // stopped at some point, started 11:00, stopped 12:00; the app looks again at 18:00
    rec.observe([makeInstance({ id: 'i-a', state: 'stopped', launchTime: iso(L + 3 * HOUR), stateSince: iso(L + 4 * HOUR) })], L + 10 * HOUR);
    assert.deepEqual(rec.records()['i-a']!.intervals, [
      { start: L, end: L + 3 * HOUR },
      { start: L + 3 * HOUR, end: L + 4 * HOUR },
    ]);
  });

  it('ends a vanished (terminated) instance at its max runtime, a listed terminated one at its termination time', () => {
    const rec = createUptimeRecorder(createMemoryStore());
    rec.observe(
      [
        makeInstance({ id: 'i-a', launchTime: iso(L), maxRuntimeMinutes: 240 }),
        makeInstance({ id: 'i-b', launchTime: iso(L), maxRuntimeMinutes: 240 }),
        makeInstance({ id: 'i-c', launchTime: iso(L) }),
      ],
      L + HOUR,
    );
    rec.observe([makeInstance({ id: 'i-b', state: 'terminated', launchTime: iso(L), stateSince: iso(L + 90 * 60_000) })], L + 20 * HOUR);
    const r = rec.records();
    assert.deepEqual(r['i-a']!.intervals, [{ start: L, end: L + 4 * HOUR }]);
    assert.deepEqual(r['i-b']!.intervals, [{ start: L, end: L + 90 * 60_000 }]);
    assert.deepEqual(r['i-c']!.intervals, [{ start: L, end: L + 20 * HOUR }], 'no time known: the high estimate');
  });
});
