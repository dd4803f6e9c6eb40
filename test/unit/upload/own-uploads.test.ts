/**
 * Which unfinished uploads a queue may abort (engine-recovery.ts `ownUnreferenced`): only its own.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { INTENT_WINDOW_MS, ownUnreferenced } from '../../../main/upload/engine-recovery.ts';
import type { UploadItem } from '../../../main/upload/item.ts';

const T = Date.UTC(2026, 0, 5, 10);
function item(patch: Partial<UploadItem>): UploadItem {
  return { id: '1', path: '/d/a.tif', baseKey: 'a.tif', version: 1, size: 1, mtimeMs: 0, final: true, state: 'queued', addedAt: 0, parts: {}, ...patch };
}

test('an upload is this queue’s only when its journal or its own marker says so', () => {
  const items = [
    item({ id: '1', creating: { key: 'a.tif', at: T } }),
    item({ id: '2', baseKey: 'c.tif', uploadId: 'live' }),
    item({ id: '3', abandoned: { gaveUp: 'x.tif' } }),
  ];
  const own = (u: { key: string; uploadId: string; initiated?: number; owner?: string }) => ownUnreferenced(u, items, 'q1');
  // a create intent's key, initiated within the window either side of it
  assert.equal(own({ key: 'a.tif', uploadId: 'u1', initiated: T + 2_000 }), true);
  assert.equal(own({ key: 'a.tif', uploadId: 'u2', initiated: T - INTENT_WINDOW_MS }), true);
  // the same key long before or after the intent: another writer's
  assert.equal(own({ key: 'a.tif', uploadId: 'u3', initiated: T - INTENT_WINDOW_MS - 1 }), false);
  assert.equal(own({ key: 'a.tif', uploadId: 'u4', initiated: T + 3_600_000 }), false);
  // no initiation time: cannot be matched to the intent
  assert.equal(own({ key: 'a.tif', uploadId: 'u5' }), false);
  // another key (another rig's file, an instance's results)
  assert.equal(own({ key: 'b.tif', uploadId: 'u6', initiated: T }), false);
  assert.equal(own({ key: 'jobs/j1/results/F.npy', uploadId: 'u7', initiated: T }), false);
  // referenced by an item: live, never aborted, even when it matches an intent or this queue's marker
  assert.equal(own({ key: 'c.tif', uploadId: 'live', initiated: T, owner: 'q1' }), false);
  // abandoned by this queue after a failed abort
  assert.equal(own({ key: 'x.tif', uploadId: 'gaveUp' }), true);
  // the target read back this queue's id, or another queue's
  assert.equal(own({ key: '', uploadId: 'p1', owner: 'q1' }), true);
  assert.equal(own({ key: '', uploadId: 'p2', owner: 'q2' }), false);
  assert.equal(own({ key: '', uploadId: 'p3' }), false);
});
