import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CircuitBreaker, DEFAULT_CIRCUIT } from '../../../main/upload/circuit-breaker.ts';
import { RequestRunner } from '../../../main/upload/engine-requests.ts';
import { COMPLETE_IDLE_MS } from '../../../main/upload/engine-transfer.ts';
import { Semaphore } from '../../../main/upload/semaphore.ts';
import { TokenBucket } from '../../../main/upload/token-bucket.ts';
import { FakeTime, flush } from '../../support/fake-timers.ts';

function runner(t: FakeTime, idleMs: number): RequestRunner {
  return new RequestRunner({
    target: { describe: (k: string) => `s3://b/${k}`, bucket: 'b' },
    timers: t,
    random: () => 0.5,
    backoff: { baseMs: 10, capMs: 10, maxAttempts: 2 },
    idleMs,
    breaker: new CircuitBreaker({ ...DEFAULT_CIRCUIT, failureThreshold: 100, timers: t, probe: async () => {} }),
    slots: new Semaphore(4),
    bucket: new TokenBucket({ bytesPerSecond: 0, clock: t, timers: t }),
    items: { recordBytes: () => {}, settleBytes: () => {} },
  });
}

/** A call that answers `ms` after it starts unless its signal aborts first; counts its attempts. */
function slowCall(t: FakeTime, ms: number) {
  const calls = { started: 0, aborted: 0 };
  const fn = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      calls.started++;
      const timer = t.setTimeout(() => resolve('done'), ms);
      signal.addEventListener('abort', () => {
        calls.aborted++;
        t.clearTimeout(timer);
        reject(new Error('aborted'));
      });
    });
  return { calls, fn };
}

test('CompleteMultipartUpload may take minutes: a longer idle for one call is not cut at the default', async () => {
  const t = new FakeTime();
  const r = runner(t, 60_000);
  const slow = slowCall(t, 3 * 60_000);
  const answer = r.simple('CompleteMultipartUpload', 'k', new AbortController().signal, slow.fn, { idleMs: COMPLETE_IDLE_MS });
  await flush();
  await t.advance(3 * 60_000 + 1);
  assert.equal(await answer, 'done');
  assert.deepEqual(slow.calls, { started: 1, aborted: 0 }, 'one attempt, never aborted');
});

test('without the option the same call is cut at the default idle and retried, then reported', async () => {
  const t = new FakeTime();
  const r = runner(t, 60_000);
  const slow = slowCall(t, 3 * 60_000);
  const answer = r.simple('HeadObject', 'k', new AbortController().signal, slow.fn);
  const outcome = answer.then(
    () => 'resolved',
    (e: Error) => e.message,
  );
  await flush();
  for (let i = 0; i < 4; i++) await t.advance(60_000);
  const message = await outcome;
  assert.match(message, /gave up after 2 attempts: HeadObject made no progress for 60000 ms/);
  assert.deepEqual(slow.calls, { started: 2, aborted: 2 });
});

test('the option never shortens the watchdog', async () => {
  const t = new FakeTime();
  const r = runner(t, 60_000);
  const slow = slowCall(t, 30_000);
  const answer = r.simple('CompleteMultipartUpload', 'k', new AbortController().signal, slow.fn, { idleMs: 1_000 });
  await flush();
  await t.advance(30_001);
  assert.equal(await answer, 'done');
  assert.equal(slow.calls.aborted, 0);
});
