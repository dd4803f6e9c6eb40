import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { AppEvent } from '../../../preload/api.ts';
import { createEventHub } from '../../../main/app/events.ts';
import { createComputeApi } from '../../../main/app/compute-api.ts';
import { createAcquisitionApi } from '../../../main/app/acquisition-api.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { AppError } from '../../../main/app/app-errors.ts';
import type { Acquisition } from '../../../main/acquisition/acquisition-service.ts';
import { trayIconPng, trayIconPixels, TRAY_ICONS } from '../../../main/tray/tray-icons.ts';

function fakeTimers() {
  let t = 0;
  const due: Array<{ at: number; f: () => void }> = [];
  return {
    now: () => t,
    timers: {
      setTimeout: (f: () => void, ms: number) => {
        const h = { at: t + ms, f };
        due.push(h);
        return h;
      },
      clearTimeout: (h: unknown) => {
        due.splice(due.indexOf(h as never), 1);
      },
    },
    advance(ms: number) {
      t += ms;
      for (const h of due.filter((x) => x.at <= t)) {
        due.splice(due.indexOf(h), 1);
        h.f();
      }
    },
  };
}

test('changed events are coalesced per topic; the last change is always delivered', () => {
  const ft = fakeTimers();
  const hub = createEventHub({ minGapMs: 250, timers: ft.timers, now: ft.now });
  const got: AppEvent[] = [];
  hub.subscribe((e) => got.push(e));
  hub.subscribe(() => {
    throw new Error('a broken listener');
  });
  hub.changed('acquisition', 'status');
  hub.changed('acquisition');
  hub.changed('acquisition');
  assert.deepEqual(
    got.map((e) => e.type === 'changed' && e.topic),
    ['acquisition', 'status'],
  );
  ft.advance(249);
  assert.equal(got.length, 2);
  ft.advance(1);
  assert.deepEqual(
    got.map((e) => e.type === 'changed' && e.topic),
    ['acquisition', 'status', 'acquisition'],
  );
  hub.notify('error', 'Upload failed', 'x');
  assert.deepEqual(got.at(-1), { type: 'notification', level: 'error', title: 'Upload failed', body: 'x' });
});

test('in local mode the AWS views fail with NOT_CONFIGURED, while presets and status work', async () => {
  const settings = defaultSettings('/arch');
  settings.budget.monthlyLimitUsd = 200;
  const hub = createEventHub();
  const api = createComputeApi({ settings: () => settings, context: () => null, env: {}, hub });
  for (const call of [
    () => api.listInstances({ all: false }),
    () => api.getBudget(),
    () => api.checkLaunch({ presetId: 'gpu', plannedHours: 2 }),
    () => api.explainAction({ id: 'i-0123456789abcdef0', action: 'stop' }),
  ]) {
    await assert.rejects(
      call(),
      (e: unknown) => e instanceof AppError && e.code === 'NOT_CONFIGURED' && /switch the destination to Amazon S3 in Settings/.test(e.message),
    );
  }
  assert.equal((await api.listPresets()).presets.length, 4);
  assert.deepEqual(api.status(), { running: 0, hourlyBurn: 0, monthToDate: 0, limit: 200, state: 'ok', currency: 'USD' });
  assert.equal((await api.trayModel()).icon, 'idle');
});

test('an acquisition that cannot start reports why, and starts once the queue is free', async () => {
  let t = 0;
  let busy = true;
  const started: string[][] = [];
  const engine = {
    list: () => [],
    status: () => ({
      counts: { queued: 0, growing: 0, uploading: 0, verified: 0, failed: 0 },
      bytesRemaining: 0,
      bytesSent: 0,
      throughput: 0,
      paused: false,
      bandwidthLimit: 0,
      circuit: { state: 'closed' },
      target: '',
    }),
    subscribe: () => () => {},
    pause() {},
    resume() {},
    stop: async () => {},
  };
  const settings = defaultSettings('/arch');
  const api = createAcquisitionApi({
    settings: () => settings,
    stagingDir: '/s',
    hub: createEventHub(),
    now: () => t,
    sampleMs: 0,
    start: async (o) => {
      started.push([...o.settings!.watch.folders]);
      if (busy) throw Object.assign(new Error('another scopecloud process (pid 42) is using the upload queue'), { code: 'QUEUE_BUSY' });
      return { engine, snapshot: () => ({}), stop: async () => {} } as unknown as Acquisition;
    },
  });
  await api.restart();
  await assert.rejects(api.view(), /pid 42/);
  assert.equal(started.length, 1, 'not retried within 5 s');
  busy = false;
  t += 5000;
  const v = await api.view();
  assert.deepEqual([v.target, v.files, v.folders], ['/arch', [], []]);
  settings.watch.folders = ['/rig'];
  await api.restart();
  assert.deepEqual(started.at(-1), ['/rig'], 'a restart uses the saved settings');
  await api.stop();
});

test('tray icons: one transparent PNG per state, each in its own colour', () => {
  const centres = new Set<string>();
  for (const icon of TRAY_ICONS) {
    const png = trayIconPng(icon, 22);
    assert.deepEqual([...png.subarray(1, 4)].map((c) => String.fromCharCode(c)).join(''), 'PNG');
    assert.equal(Buffer.from(png).readUInt32BE(16), 22);
    const px = trayIconPixels(icon, 22);
    assert.equal(px[3], 0, 'corners are transparent');
    const ring = (11 * 22 + 1) * 4;
    centres.add(px.subarray(ring, ring + 3).join(','));
  }
  assert.equal(centres.size, TRAY_ICONS.length);
});
