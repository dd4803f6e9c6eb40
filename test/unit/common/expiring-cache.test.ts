/**
 * The expiring cache keeps an answer for its lifetime on the injected clock, shares one answer in
 * flight, forgets failures and dropped keys, and does not trust an answer from the clock's future.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createExpiringCache } from '../../../main/common/expiring-cache.ts';
import { FakeTime } from '../../support/fake-timers.ts';

function counter() {
  let made = 0;
  return {
    make:
      (value = 'v') =>
      () =>
        Promise.resolve(`${value}${++made}`),
    get made() {
      return made;
    },
  };
}

test('an answer is kept for its lifetime and made again after it', async () => {
  const time = new FakeTime();
  const cache = createExpiringCache<string>(time, 1000);
  const c = counter();
  assert.equal(await cache.get('a', c.make()), 'v1');
  await time.advance(999);
  assert.equal(await cache.get('a', c.make()), 'v1', 'within the lifetime: the kept answer');
  assert.equal(c.made, 1);
  await time.advance(1);
  assert.equal(await cache.get('a', c.make()), 'v2', 'at the end of the lifetime: made again');
  assert.equal(await cache.get('b', c.make()), 'v3', 'keys are separate');
  assert.equal(c.made, 3);
});

test('concurrent callers share one answer in flight', async () => {
  const cache = createExpiringCache<string>(new FakeTime(), 1000);
  let release!: (v: string) => void;
  let made = 0;
  const make = () => {
    made++;
    return new Promise<string>((r) => (release = r));
  };
  const all = Promise.all([cache.get('a', make), cache.get('a', make), cache.get('a', make)]);
  release('x');
  assert.deepEqual(await all, ['x', 'x', 'x']);
  assert.equal(made, 1);
});

test('a failed answer is not kept', async () => {
  const cache = createExpiringCache<string>(new FakeTime(), 1000);
  await assert.rejects(
    cache.get('a', () => Promise.reject(new Error('HEAD failed'))),
    /HEAD failed/,
  );
  assert.equal(await cache.get('a', () => Promise.resolve('ok')), 'ok');
});

test('a dropped key is made again at once; an answer in flight when dropped is not kept', async () => {
  const cache = createExpiringCache<string>(new FakeTime(), 1000);
  const c = counter();
  assert.equal(await cache.get('a', c.make()), 'v1');
  cache.drop('a');
  assert.equal(await cache.get('a', c.make()), 'v2');

  let release!: (v: string) => void;
  const stale = cache.get('a-late', () => new Promise<string>((r) => (release = r)));
  cache.drop('a-late');
  release('old');
  assert.equal(await stale, 'old', 'the caller already waiting gets it');
  assert.equal(await cache.get('a-late', () => Promise.resolve('new')), 'new', 'the next caller does not');
});

test('an answer made at a later time than the clock now shows is not trusted', async () => {
  let now = 5000;
  const cache = createExpiringCache<string>({ now: () => now }, 1000);
  assert.equal(await cache.get('a', () => Promise.resolve('first')), 'first');
  now = 4000; // the clock went back
  assert.equal(await cache.get('a', () => Promise.resolve('second')), 'second');
});
