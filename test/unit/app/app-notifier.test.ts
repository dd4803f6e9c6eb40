import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createAppNotifier } from '../../../main/app/app-notifier.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createNotificationLimiter } from '../../../main/tray/notification-limiter.ts';
import type { ItemSnapshot } from '../../../main/upload/engine.ts';

const MIN = 60_000;

function setup() {
  let t = 1_000_000;
  const clock = { now: () => t };
  const shown: { level: string; title: string; body: string }[] = [];
  const notifier = createAppNotifier({
    limiter: createNotificationLimiter({ clock, store: createMemoryStore(), intervalMs: 10 * MIN }),
    show: (level, title, body) => shown.push({ level, title, body }),
    now: clock.now,
  });
  return {
    notifier,
    shown,
    advance: (ms: number) => {
      t += ms;
    },
  };
}

const item = (id: string, state: 'verified' | 'failed', size = 1e9, message?: string) => ({
  type: 'item' as const,
  item: { id, path: `/data/run/${id}.tif`, size, state, ...(message ? { error: { code: 'X', message } } : {}) } as unknown as ItemSnapshot,
});

describe('app notifier (upload, analysis and guardrail events through the rate limiter)', () => {
  it('one "upload finished" per batch when the queue goes idle, counting verified files', () => {
    const { notifier, shown, advance } = setup();
    notifier.uploadEvent(item('a', 'verified', 1.5e9));
    notifier.uploadEvent(item('b', 'verified', 0.5e9));
    assert.equal(shown.length, 0, 'nothing until the batch is done');
    notifier.uploadEvent({ type: 'idle' });
    notifier.uploadEvent({ type: 'idle' });
    assert.equal(shown.length, 1);
    assert.equal(shown[0]!.title, 'Upload finished: 2 files');
    assert.match(shown[0]!.body, /2\.00 GB/);
    advance(11 * MIN);
    notifier.uploadEvent(item('c', 'verified'));
    notifier.uploadEvent({ type: 'idle' });
    assert.equal(shown.length, 2);
    assert.equal(shown[1]!.title, 'Upload finished: 1 file');
  });

  it('failed uploads notify at once but a burst is rate-limited to one per interval', () => {
    const { notifier, shown, advance } = setup();
    notifier.uploadEvent(item('a', 'failed', 1, 'AccessDenied: no write to bucket.'));
    notifier.uploadEvent(item('b', 'failed', 1, 'AccessDenied: no write to bucket.'));
    assert.equal(shown.length, 1);
    assert.equal(shown[0]!.level, 'error');
    assert.equal(shown[0]!.title, 'Upload failed: a.tif');
    advance(11 * MIN);
    notifier.uploadEvent(item('a', 'failed', 1, 'again'));
    assert.equal(shown.length, 1, 'the same file failing again is the same event');
    notifier.uploadEvent(item('c', 'failed', 1, 'again'));
    assert.equal(shown.length, 2);
  });

  it('analyses finishing or failing are notified once each', () => {
    const { notifier, shown } = setup();
    assert.equal(notifier.analysis('job-1', 'suite2p plane 0', true, 'ready'), true);
    assert.equal(notifier.analysis('job-1', 'suite2p plane 0', true, 'ready'), false);
    assert.equal(notifier.analysis('job-2', 'cellpose', false, 'out of memory'), true);
    assert.deepEqual(
      shown.map((s) => [s.level, s.title]),
      [
        ['info', 'Analysis finished: suite2p plane 0'],
        ['error', 'Analysis failed: cellpose'],
      ],
    );
  });

  it('guardrail events use the tray texts and never repeat', () => {
    const { notifier, shown, advance } = setup();
    const e = { kind: 'long-running', instanceId: 'i-1', name: 'gpu-box', uptimeMs: 5 * 3_600_000 } as const;
    assert.equal(notifier.guardrail(e as never), true);
    advance(60 * MIN);
    assert.equal(notifier.guardrail(e as never), false);
    assert.match(shown[0]!.title, /gpu-box has run for 5 h/);
  });

  it('a restore from cold storage notifies once when readable, through the limiter', () => {
    const { notifier, shown, advance } = setup();
    const r = { id: 'results:a', label: 'results of s1', askedAt: 7, days: 3 };
    assert.equal(notifier.restore(r, true, 'Readable for 3 days.'), true);
    advance(60 * MIN);
    assert.equal(notifier.restore(r, true, 'Readable for 3 days.'), false, 'the same restore never twice');
    assert.deepEqual(shown, [{ level: 'info', title: 'Restored from cold storage: results of s1', body: 'Readable for 3 days.' }]);
  });
});
