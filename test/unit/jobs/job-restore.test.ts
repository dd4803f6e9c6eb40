/**
 * Where a `restoring` job stands (main/jobs/job-restore.ts checkRestore), from HeadObject's class
 * and `x-amz-restore` of each key, and the words of a refused restore.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkRestore, restoreRefusal } from '../../../main/jobs/job-restore.ts';
import type { JobRestore } from '../../../main/jobs/job-types.ts';

const NOW = Date.parse('2026-12-07T12:00:00Z');
const restore: JobRestore = { keys: ['s/a.tif', 's/b.tif'], tier: 'Standard', askedAt: NOW - 3_600_000, days: 3, waiting: '3-5 hours' };
const done = (expiry: string) => `ongoing-request="false", expiry-date="${expiry}"`;

test('waiting while any restore is underway; ready once all are restored and unexpired', () => {
  const a = { key: 's/a.tif', size: 10, storageClass: 'GLACIER' };
  const b = { key: 's/b.tif', size: 10, storageClass: 'DEEP_ARCHIVE' };
  assert.deepEqual(
    checkRestore(
      restore,
      [
        { ...a, restore: 'ongoing-request="true"' },
        { ...b, restore: done('Fri, 11 Dec 2026 00:00:00 GMT') },
      ],
      NOW,
    ),
    {
      kind: 'waiting',
      ongoing: 1,
    },
  );
  assert.deepEqual(
    checkRestore(
      restore,
      [
        { ...a, restore: done('Fri, 11 Dec 2026 00:00:00 GMT') },
        { ...b, restore: done('Fri, 11 Dec 2026 00:00:00 GMT') },
      ],
      NOW,
    ),
    { kind: 'ready' },
  );
  // moved back to STANDARD (or never cold after all): nothing to wait for
  assert.deepEqual(
    checkRestore(
      restore,
      [
        { key: 's/a.tif', size: 10 },
        { ...b, restore: done('Fri, 11 Dec 2026 00:00:00 GMT') },
      ],
      NOW,
    ),
    { kind: 'ready' },
  );
});

test('an expired copy, or a restore gone from a still cold object, fails naming the key and what to do', () => {
  const expired = checkRestore(restore, [{ key: 's/a.tif', size: 10, storageClass: 'GLACIER', restore: done('Sun, 06 Dec 2026 00:00:00 GMT') }], NOW);
  assert.equal(expired.kind, 'failed');
  assert.match(
    (expired as { message: string }).message,
    /^the restored copy of s\/a\.tif expired on 2026-12-06T00:00:00\.000Z \(kept 3 days\) before the analysis could start; launch the analysis again/,
  );
  const gone = checkRestore(restore, [{ key: 's/b.tif', size: 10, storageClass: 'DEEP_ARCHIVE' }], NOW);
  assert.equal(gone.kind, 'failed');
  assert.match(
    (gone as { message: string }).message,
    /^the restore of s\/b\.tif from DEEP_ARCHIVE is gone .*launch the analysis again to ask for a new restore/,
  );
});

test('a refusal says whom to ask when access was denied', () => {
  const denied = new Error('S3 refused to restore s3://b/k: Access Denied', { cause: Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }) });
  assert.match(restoreRefusal(denied), /^S3 refused to restore s3:\/\/b\/k: Access Denied; ask your AWS administrator for s3:RestoreObject/);
  const wrongClass = new Error('S3 refused to restore s3://b/k: not allowed', {
    cause: Object.assign(new Error('x'), { name: 'InvalidObjectState', $metadata: { httpStatusCode: 403 } }),
  });
  assert.match(restoreRefusal(wrongClass), /check the object in the S3 console/);
});
