import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createDailySummaryScheduler, dailySummary, DAY_MS } from '../../../main/tray/daily-summary.ts';
import { createUptimeRecorder } from '../../../main/instances/uptime-records.ts';
import { createNotificationLimiter } from '../../../main/tray/notification-limiter.ts';
import type { AppNotification } from '../../../main/tray/notifications.ts';
import { FakeTime } from '../../support/fake-timers.ts';
import { makeInstance } from '../instances/make-instance.ts';
import { stoppedDisks } from '../../../main/instances/stopped-disks.ts';

const HOUR = 3_600_000;
const DAY1 = Date.UTC(2026, 2, 10);

describe('uptime records and the daily summary', () => {
  it("records start/stop observations and sums each instance's run time and cost within the day", () => {
    const store = createMemoryStore();
    const rec = createUptimeRecorder(store);
    const a = (state: 'running' | 'stopped', launch: number) =>
      makeInstance({ id: 'i-a', name: 'alpha', state, hourlyPrice: 2, launchTime: new Date(launch).toISOString() });
    // alpha launched the evening before, seen at 23:00, stopped at 03:00, started again 10:00-12:00
    rec.observe([a('running', DAY1 - 2 * HOUR)], DAY1 - HOUR);
    rec.observe([a('stopped', DAY1 - 2 * HOUR)], DAY1 + 3 * HOUR);
    rec.observe([a('running', DAY1 + 10 * HOUR)], DAY1 + 10 * HOUR + 60_000);
    // beta, no price, runs 20:00 until terminated (drops out of the list) the next day at 01:00
    rec.observe([a('stopped', DAY1 + 10 * HOUR)], DAY1 + 12 * HOUR);
    rec.observe(
      [a('stopped', DAY1 + 10 * HOUR), makeInstance({ id: 'i-b', name: 'beta', hourlyPrice: null, launchTime: new Date(DAY1 + 20 * HOUR).toISOString() })],
      DAY1 + 20 * HOUR + 5_000,
    );
    rec.observe([], DAY1 + DAY_MS + HOUR);

    const s = dailySummary(rec.records(), '2026-03-10', DAY1 + DAY_MS + 2 * HOUR, 'UTC');
    assert.equal(s.day, '2026-03-10');
    const alpha = s.items.find((i) => i.id === 'i-a')!;
    assert.equal(alpha.runMs, 5 * HOUR, '00:00-03:00 and 10:00-12:00');
    assert.equal(alpha.cost, 10);
    const beta = s.items.find((i) => i.id === 'i-b')!;
    assert.equal(beta.runMs, 4 * HOUR, '20:00 to midnight');
    assert.equal(beta.cost, null);
    assert.equal(s.totalCost, 10);
    assert.equal(s.unpriced, 1);
    assert.equal(dailySummary(rec.records(), '2026-03-11', DAY1 + DAY_MS + 2 * HOUR, 'UTC').items[0]!.runMs, HOUR, 'beta ran one hour the next day');
  });

  it('the scheduler notifies once per day through the rate limiter, never twice for the same day', async () => {
    const time = new FakeTime();
    await time.advance(DAY1 + 9 * HOUR); // 2026-03-10 09:00
    const store = createMemoryStore();
    const rec = createUptimeRecorder(store);
    rec.observe([makeInstance({ id: 'i-a', name: 'alpha', hourlyPrice: 1.5, launchTime: new Date(DAY1 + 8 * HOUR).toISOString() })], time.now());
    const sent: AppNotification[] = [];
    const make = () =>
      createDailySummaryScheduler({
        clock: time,
        timers: time,
        records: () => rec.records(),
        store,
        limiter: createNotificationLimiter({ clock: time, store, intervalMs: HOUR }),
        notify: (n) => sent.push(n),
        checkEveryMs: 15 * 60_000,
        timeZone: 'UTC',
      });
    const scheduler = make();
    scheduler.start();
    await time.advance(HOUR);
    assert.equal(sent.length, 0, 'nothing ran the day before');
    rec.observe([makeInstance({ id: 'i-a', name: 'alpha', state: 'stopped', hourlyPrice: 1.5 })], DAY1 + 12 * HOUR);
    await time.advance(DAY_MS); // into 2026-03-11
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.eventId, 'daily-summary:2026-03-10');
    assert.match(sent[0]!.title, /2026-03-10: 1 instance ran, \$6\.00/);
    assert.match(sent[0]!.body, /alpha 4 ?h/);
    scheduler.stop();
    assert.equal(time.pending, 0);
    const again = make(); // a restart the same day: the store remembers
    again.start();
    await time.advance(HOUR);
    assert.equal(sent.length, 1);
    again.stop();
  });

  it('stopped instances whose disks still bill are named, and a day with nothing run is summarised once one is stopped for days', async () => {
    const disk = { id: 'vol-1', sizeGb: 250, type: 'gp3', deleteOnTermination: true };
    const run = async (stoppedAt: number) => {
      const time = new FakeTime();
      await time.advance(DAY1 + 9 * HOUR); // 2026-03-10 09:00
      const store = createMemoryStore();
      const parked = makeInstance({
        id: 'i-p',
        name: 'parked',
        state: 'stopped',
        stateSince: new Date(stoppedAt).toISOString(),
        volumes: [disk],
        storageMonthly: 20,
      });
      const sent: AppNotification[] = [];
      const scheduler = createDailySummaryScheduler({
        clock: time,
        timers: time,
        records: () => ({}),
        stopped: () => stoppedDisks([parked], time.now()),
        store,
        limiter: createNotificationLimiter({ clock: time, store, intervalMs: HOUR }),
        notify: (n) => sent.push(n),
        checkEveryMs: 15 * 60_000,
        timeZone: 'UTC',
      });
      scheduler.start();
      await time.advance(HOUR);
      scheduler.stop();
      return sent;
    };
    assert.deepEqual(await run(DAY1 - DAY_MS), [], 'nothing ran and stopped one day only: no summary');
    const sent = await run(DAY1 - 3 * DAY_MS + 6 * HOUR); // 2026-03-07 06:00: 3 days at the check
    assert.equal(sent.length, 1, 'stopped for 3 days: reminded, though nothing ran');
    assert.match(sent[0]!.title, /2026-03-09: no instances ran/);
    assert.match(sent[0]!.body, /1 stopped instance keeps 250 GB of disk: \$20\.00\/month; stopped for days: parked \(3 days\), terminate what is done\./);
  });
});
