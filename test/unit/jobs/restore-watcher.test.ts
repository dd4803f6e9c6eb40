import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createRestoreWatcher, RESTORE_CHECK_MS, type WatchedRestore } from '../../../main/jobs/restore-watcher.ts';
import type { ObjectColdState } from '../../../main/jobs/restore-plan.ts';
import { FakeTime } from '../../support/fake-timers.ts';

const MIN = 60_000;

/** S3 as HEAD sees it: each key's class and x-amz-restore, changed by the test; every round recorded. */
function fakeS3(initial: Record<string, string | undefined>) {
  const restore = new Map(Object.entries(initial));
  const rounds: Array<{ at: number; keys: string[] }> = [];
  let failing = false;
  return {
    restore,
    rounds,
    fail(v: boolean) {
      failing = v;
    },
    inspect:
      (time: FakeTime) =>
      async (keys: readonly string[]): Promise<ObjectColdState[]> => {
        rounds.push({ at: time.now(), keys: [...keys] });
        if (failing) throw new Error('connect ECONNREFUSED');
        return keys.map((key) => ({ key, size: 1000, storageClass: 'GLACIER', ...(restore.get(key) ? { restore: restore.get(key) } : {}) }));
      },
  };
}

const ONGOING = 'ongoing-request="true"';
const done = (expiry: number) => `ongoing-request="false", expiry-date="${new Date(expiry).toUTCString()}"`;

function watched(id: string, keys: string[], askedAt: number): WatchedRestore {
  return { id, label: `results of ${id}`, keys, tier: 'Standard', waiting: '3-5 hours', askedAt, days: 3 };
}

function setUp(s3: ReturnType<typeof fakeS3>, store = createMemoryStore()) {
  const time = new FakeTime();
  const events: string[] = [];
  const errors: unknown[] = [];
  const watcher = createRestoreWatcher({
    inspect: () => s3.inspect(time),
    store,
    clock: time,
    timers: time,
    onDone: (r) => events.push(`done ${r.id}`),
    onFailed: (r, m) => events.push(`failed ${r.id}: ${m}`),
    onError: (e) => errors.push(e),
  });
  return { time, events, errors, watcher, store };
}

test('nothing is HEADed while nothing is asked, and no timer is left armed', async () => {
  const s3 = fakeS3({});
  const { time, watcher } = setUp(s3);
  watcher.start();
  await time.advance(60 * MIN);
  assert.deepEqual(s3.rounds, []);
  assert.equal(time.pending, 0);
});

test('one HEAD round per interval while the restore is underway; done once every key reads restored, then the timer stops', async () => {
  const s3 = fakeS3({ 'jobs/a/results/F.npy': ONGOING, 'jobs/a/results/rois.json': ONGOING });
  const { time, events, watcher } = setUp(s3);
  watcher.start();
  watcher.add(watched('results:a', ['jobs/a/results/F.npy', 'jobs/a/results/rois.json'], 0));
  await time.advance(RESTORE_CHECK_MS - 1);
  assert.equal(s3.rounds.length, 0, 'not before the interval');
  await time.advance(1);
  assert.deepEqual(s3.rounds, [{ at: RESTORE_CHECK_MS, keys: ['jobs/a/results/F.npy', 'jobs/a/results/rois.json'] }]);
  // one key back, the other still underway: still waiting
  s3.restore.set('jobs/a/results/F.npy', done(3 * 86_400_000));
  await time.advance(RESTORE_CHECK_MS);
  assert.deepEqual(events, []);
  assert.equal(watcher.pending().length, 1);
  s3.restore.set('jobs/a/results/rois.json', done(3 * 86_400_000));
  await time.advance(RESTORE_CHECK_MS);
  assert.deepEqual(events, ['done results:a']);
  assert.deepEqual(watcher.pending(), []);
  assert.deepEqual(
    s3.rounds.map((r) => r.at),
    [1, 2, 3].map((n) => n * RESTORE_CHECK_MS),
    'exactly one round per interval, never more',
  );
  await time.advance(60 * MIN);
  assert.equal(s3.rounds.length, 3, 'no HEAD after the last restore ended');
  assert.equal(time.pending, 0);
});

test('a restore whose copy expired before it was seen fails, naming the key; the others go on', async () => {
  const s3 = fakeS3({ 'jobs/a/movie.tif': done(RESTORE_CHECK_MS / 2), 'jobs/b/movie.tif': ONGOING });
  const { time, events, watcher } = setUp(s3);
  watcher.start();
  watcher.add(watched('analysis:a', ['jobs/a/movie.tif'], 0));
  watcher.add(watched('analysis:b', ['jobs/b/movie.tif'], 1));
  await time.advance(RESTORE_CHECK_MS);
  assert.equal(events.length, 1);
  assert.match(events[0], /^failed analysis:a: the restored copy of jobs\/a\/movie\.tif expired/);
  assert.deepEqual(
    watcher.pending().map((r) => r.id),
    ['analysis:b'],
  );
});

test('a round that cannot HEAD keeps every restore and tries again next interval', async () => {
  const s3 = fakeS3({ k: ONGOING });
  const { time, events, errors, watcher } = setUp(s3);
  watcher.start();
  watcher.add(watched('results:a', ['k'], 0));
  s3.fail(true);
  await time.advance(RESTORE_CHECK_MS);
  assert.equal(errors.length, 1);
  assert.equal(watcher.pending().length, 1);
  s3.fail(false);
  s3.restore.set('k', done(10 * 86_400_000));
  await time.advance(RESTORE_CHECK_MS);
  assert.deepEqual(events, ['done results:a']);
});

test('the watch survives a restart: a new watcher over the same store checks what was asked before', async () => {
  const store = createMemoryStore();
  const s3 = fakeS3({ k: ONGOING });
  const first = setUp(s3, store);
  first.watcher.start();
  first.watcher.add(watched('results:a', ['k'], 0));
  first.watcher.stop();
  assert.equal(first.time.pending, 0, 'stop disarms the timer');
  s3.restore.set('k', done(10 * 86_400_000));
  const second = setUp(s3, store);
  assert.deepEqual(
    second.watcher.pending().map((r) => r.id),
    ['results:a'],
  );
  second.watcher.start();
  await second.time.advance(RESTORE_CHECK_MS);
  assert.deepEqual(second.events, ['done results:a']);
});
