import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker } from '../../../main/upload/circuit-breaker.ts';
import { UploadError } from '../../../main/upload/errors.ts';
import { RateMeter } from '../../../main/upload/rate-meter.ts';
import { TokenBucket } from '../../../main/upload/token-bucket.ts';
import { FakeTime, flush } from '../../support/fake-timers.ts';

test('token bucket: shared rate across concurrent takers, runtime changes, unlimited', async () => {
  const t = new FakeTime();
  const bucket = new TokenBucket({ bytesPerSecond: 1000, clock: t, timers: t });
  let granted = 0;
  const takers = Array.from({ length: 4 }, async () => {
    for (let i = 0; i < 5; i++) {
      await bucket.take(100);
      granted += 100;
    }
  });
  await flush();
  const initial = granted; // the initial burst (64 KiB ≥ everything here) is free
  assert.equal(initial, 2000);
  await Promise.all(takers);

  const slow = new TokenBucket({ bytesPerSecond: 100_000, clock: t, timers: t });
  let done = 0;
  const many = Array.from({ length: 10 }, async () => {
    await slow.take(64 * 1024);
    done++;
  });
  await flush();
  const afterBurst = done;
  await t.advance(1000);
  const afterOneSecond = done;
  assert.ok(afterOneSecond - afterBurst >= 1 && afterOneSecond - afterBurst <= 2, `≈100 kB in one second (${afterBurst}→${afterOneSecond})`);
  slow.setRate(0);
  await flush();
  await Promise.all(many);
  assert.equal(done, 10, 'setting the rate to unlimited releases every waiter');
});

test('token bucket: abort rejects a waiter', async () => {
  const t = new FakeTime();
  const bucket = new TokenBucket({ bytesPerSecond: 10, clock: t, timers: t });
  await bucket.take(64 * 1024);
  const ctl = new AbortController();
  const p = bucket.take(1000, ctl.signal);
  ctl.abort();
  await assert.rejects(p, { code: 'INTERRUPTED' });
});

test('circuit breaker opens after consecutive network failures, probes with backoff, closes by itself', async () => {
  const t = new FakeTime();
  let up = false;
  let probes = 0;
  const changes: string[] = [];
  const cb = new CircuitBreaker({
    failureThreshold: 3,
    probeIntervalMs: 100,
    maxProbeIntervalMs: 400,
    timers: t,
    probe: async () => {
      probes++;
      if (!up) throw new Error('down');
    },
    onChange: (s) => changes.push(s),
  });
  const err = new UploadError('NetworkError', 'network', 'down');
  cb.recordFailure(err);
  cb.recordSuccess();
  cb.recordFailure(err);
  cb.recordFailure(err);
  assert.equal(cb.state, 'closed', 'a success in between resets the count');
  cb.recordFailure(err);
  assert.equal(cb.state, 'open');
  let resumed = false;
  const waiting = cb.waitUntilClosed().then(() => {
    resumed = true;
  });
  await t.advance(100);
  assert.equal(probes, 1);
  await t.advance(150);
  assert.equal(probes, 1, 'second probe after a doubled interval (200 ms)');
  await t.advance(50);
  assert.equal(probes, 2);
  up = true;
  await t.advance(400);
  await waiting;
  assert.ok(resumed);
  assert.equal(cb.state, 'closed');
  assert.deepEqual(changes, ['open', 'closed']);
});

test('rate meter: moving average over the window', async () => {
  const t = new FakeTime();
  const m = new RateMeter(t, 1000);
  for (let i = 0; i < 10; i++) {
    await t.advance(100);
    m.record(1000);
  }
  assert.ok(Math.abs(m.bytesPerSecond() - 10_000) < 1500, String(m.bytesPerSecond()));
  await t.advance(2000);
  assert.equal(m.bytesPerSecond(), 0, 'old traffic leaves the window');
});
