/** The Acquisition view's words for a watched folder's state (renderer/folder-state.ts). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { folderStateView, formatClockTime } from '../../../renderer/folder-state.ts';

const now = new Date(2025, 5, 1, 14, 30, 0).getTime();

test('a folder away says since when, why, and that watching resumes by itself', () => {
  const since = new Date(2025, 5, 1, 14, 2, 31).getTime();
  assert.deepEqual(
    folderStateView({ state: 'missing', reason: 'the folder is not there (was the drive unmounted, or the folder renamed or deleted?)', since }, now),
    {
      label: 'missing',
      tone: 'bad',
      detail:
        'Missing since 14:02:31: the folder is not there (was the drive unmounted, or the folder renamed or deleted?). Watching resumes by itself when it is back, and files written meanwhile are uploaded then.',
    },
  );
  const closed = folderStateView(
    {
      state: 'unreadable',
      reason: 'permission denied: ScopeCloud runs as user nobody (uid 65534), who may not read this folder (give that user read access)',
      since,
    },
    now,
  );
  assert.equal(closed.label, 'not readable');
  assert.match(closed.detail ?? '', /^Not readable since 14:02:31: permission denied: /);
});

test('watching and stopped need no words; another day shows its date', () => {
  assert.deepEqual(folderStateView({ state: 'watching', reason: null, since: now }, now), { label: 'watching', tone: 'ok', detail: null });
  assert.deepEqual(folderStateView({ state: 'stopped', reason: null, since: null }, now), { label: 'stopped', tone: 'idle', detail: null });
  assert.equal(formatClockTime(new Date(2025, 4, 31, 9, 5, 0).getTime(), now), '2025-05-31 09:05');
});
