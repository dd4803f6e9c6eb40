import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ItemSnapshot } from '../../../main/upload/engine.ts';
import {
  ChangeClock,
  fileState,
  folderRows,
  rootOf,
  sessionDirOf,
  sessionId,
  sessionsFrom,
  targetLabel,
  toFileItem,
  totalsOf,
} from '../../../main/app/acquisition-mapping.ts';

let n = 0;
const item = (path: string, over: Partial<ItemSnapshot> = {}): ItemSnapshot => ({
  id: String(++n),
  path,
  key: `/arch/${path}`,
  version: 1,
  state: 'queued',
  size: 100,
  bytesDone: 0,
  final: true,
  ...over,
});

test('engine states become the five UI states', () => {
  assert.equal(fileState(item('/a', { state: 'queued' })), 'waiting');
  assert.equal(fileState(item('/a', { state: 'growing', bytesDone: 0, final: false })), 'waiting');
  assert.equal(fileState(item('/a', { state: 'growing', bytesDone: 10, final: false })), 'uploading', 'a growing file with parts sent is uploading');
  assert.equal(fileState(item('/a', { state: 'uploading', bytesDone: 50 })), 'uploading');
  assert.equal(fileState(item('/a', { state: 'uploading', bytesDone: 100 })), 'verifying', 'all bytes sent, waiting for the checksum');
  assert.equal(fileState(item('/a', { state: 'verified', bytesDone: 100 })), 'verified');
  assert.equal(fileState(item('/a', { state: 'failed', error: { code: 'x', message: 'y' } })), 'failed');
});

test('sessions are first-level subfolders of the deepest watched folder', () => {
  const roots = ['/data', '/data/rig-A'];
  assert.equal(rootOf(roots, '/data/rig-A/s1/f.tif'), '/data/rig-A');
  assert.equal(rootOf(roots, '/data/other/f.tif'), '/data');
  assert.equal(rootOf(roots, '/database/f.tif'), null, 'a sibling with a common prefix is not inside');
  assert.equal(sessionDirOf('/data/rig-A', '/data/rig-A/s1/deep/f.tif'), '/data/rig-A/s1');
  assert.equal(sessionDirOf('/data/rig-A', '/data/rig-A/loose.tif'), '/data/rig-A');
  const f = toFileItem(
    item('/data/rig-A/s1/f.tif', { state: 'failed', bytesDone: 30, error: { code: 'file-unreadable', message: 'Permission denied' } }),
    roots,
    5,
  );
  assert.deepEqual([f.session, f.sentBytes, f.state, f.error?.code, f.updatedAt], ['/data/rig-A/s1', 30, 'failed', 'file-unreadable', 5]);
});

test('a session is closed once its manifest is queued, and uploaded when every file is verified', () => {
  const roots = ['/rig'];
  const staging = '/state/staging';
  const items = [
    item('/rig/s1/a.tif', { state: 'verified', bytesDone: 100 }),
    item('/rig/s1/b.tif', { state: 'verified', bytesDone: 100, size: 50 }),
    item(`${staging}/${sessionId('/rig/s1')}.g1.manifest.json`, { state: 'verified' }),
    item('/rig/s2/a.tif', { state: 'uploading', bytesDone: 10 }),
    item('/elsewhere/x.tif'),
  ];
  const sessions = sessionsFrom(items, roots, staging, []);
  assert.deepEqual(
    sessions.map((s) => [s.folder, s.files, s.bytes, s.closed, s.uploaded]),
    [
      ['/rig/s1', 2, 150, true, true],
      ['/rig/s2', 1, 100, false, false],
    ],
  );
  assert.equal(sessions[0].id, sessionId('/rig/s1'));
  const live = sessionsFrom(items, roots, staging, [{ dir: '/rig/s1', closed: false }]);
  assert.equal(live[0].closed, false, 'the tracker knows a session reopened since its manifest');

  const rows = folderRows(
    ['/rig', '/gone', '/new'],
    items,
    {
      running: true,
      mode: 'events',
      roots: [
        { root: '/rig', state: 'watching', reason: null, since: 10, seen: 3, pending: 1, complete: 2 },
        { root: '/gone', state: 'missing', reason: 'the folder is not there', since: 20, seen: 0, pending: 0, complete: 0 },
      ],
    },
    sessions,
    new Map([['/rig', 'EACCES: /rig/s2/a.tif']]),
  );
  assert.deepEqual(rows, [
    { path: '/rig', state: 'watching', reason: null, since: 10, sessions: 2, files: 3, error: 'EACCES: /rig/s2/a.tif' },
    { path: '/gone', state: 'missing', reason: 'the folder is not there', since: 20, sessions: 0, files: 0, error: null },
    { path: '/new', state: 'stopped', reason: null, since: null, sessions: 0, files: 0, error: null },
  ]);
  assert.deepEqual(
    folderRows(['/rig'], [], undefined, [], new Map()).map((r) => [r.state, r.since]),
    [['stopped', null]],
    'not watching at all: stopped',
  );
  const probeFailed = folderRows(
    ['/rig', '/gone'],
    [],
    {
      running: true,
      mode: 'events',
      roots: [
        { root: '/rig', state: 'watching', reason: null, since: 10, seen: 0, pending: 0, complete: 0 },
        { root: '/gone', state: 'missing', reason: 'the folder is not there', since: 20, seen: 0, pending: 0, complete: 0 },
      ],
      writerProbe: { failures: 3, reason: 'cannot list /proc: EACCES', firstAt: 5, lastAt: 9 },
    },
    [],
    new Map(),
  );
  assert.match(
    probeFailed[0].error ?? '',
    /^Cannot tell whether files are still being written \(cannot list \/proc: EACCES; 3 failed checks\).*stability window/,
  );
  assert.equal(probeFailed[1].error, null, 'a folder not watched says why, not this');
});

test('change times stay put until an item changes; totals add up', () => {
  const clock = new ChangeClock();
  const a = item('/r/a', { state: 'uploading', bytesDone: 10 });
  assert.equal(clock.touch(a, 1000), 1000);
  assert.equal(clock.touch(a, 2000), 1000, 'unchanged item keeps its time');
  assert.equal(clock.touch({ ...a, bytesDone: 20 }, 3000), 3000);
  assert.equal(clock.touch(item('/r/b', { state: 'verified', verifiedAt: 42 }), 5000), 42, 'first sight of a verified file uses its verification time');
  const files = [a, item('/r/c', { state: 'verified', bytesDone: 100 }), item('/r/d', { state: 'failed', bytesDone: 5 })].map((i) => toFileItem(i, ['/r'], 0));
  assert.deepEqual(totalsOf(files), { files: 3, verified: 1, failed: 1, bytes: 300, sentBytes: 115 });
  assert.equal(targetLabel({ kind: 's3', bucket: 'b', prefix: 'p' }), 's3://b/p');
});
