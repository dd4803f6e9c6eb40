/**
 * The storage bill's acquisition rate as queue status reports it: from the journal when no
 * process runs the queue, from the live snapshot when one does.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readQueueStatus } from '../../../main/acquisition/queue-status.ts';
import { writeSnapshot } from '../../../main/acquisition/status-file.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { UploadJournal } from '../../../main/upload/journal.ts';
import type { UploadItem } from '../../../main/upload/item.ts';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 7, 12);

function item(id: string, size: number, state: UploadItem['state'], verifiedAt?: number): UploadItem {
  return {
    id,
    path: `/data/${id}.tif`,
    baseKey: `${id}.tif`,
    version: 1,
    size,
    mtimeMs: 1,
    final: true,
    state,
    addedAt: 0,
    parts: {},
    ...(verifiedAt ? { verifiedAt } : {}),
  };
}

test('queue status: verified bytes per day over the last 7 days, from the journal or the live snapshot', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'scopecloud-rate-'));
  try {
    const journal = await UploadJournal.open(dir);
    await journal.append({ op: 'put', item: item('1', 7_000, 'verified', NOW - 2 * DAY) });
    await journal.append({ op: 'put', item: item('2', 14_000, 'verified', NOW - 6 * DAY) });
    await journal.append({ op: 'put', item: item('3', 50_000, 'verified', NOW - 9 * DAY) });
    await journal.append({ op: 'put', item: item('4', 80_000, 'uploading') });
    await journal.close();
    const settings = defaultSettings(join(dir, 'archive'));
    const fromJournal = await readQueueStatus(dir, settings, NOW);
    assert.equal(fromJournal.live, false);
    assert.deepEqual(fromJournal.rate, { bytesPerDay: 3_000, verifiedBytes: 21_000, windowDays: 7 });

    const rate = { bytesPerDay: 123, verifiedBytes: 861, windowDays: 7 };
    const engine = {
      counts: { queued: 0, growing: 0, uploading: 0, verified: 3, failed: 0 },
      bytesRemaining: 0,
      bytesSent: 0,
      throughput: 0,
      paused: false,
      bandwidthLimit: 0,
      circuit: { state: 'closed' as const },
      target: 'x',
    };
    await writeSnapshot(dir, { pid: process.pid, writtenAt: NOW, target: 'x', engine, active: [], failed: [], recent: [], rate });
    const live = await readQueueStatus(dir, settings, NOW);
    assert.deepEqual([live.live, live.rate], [true, rate]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
