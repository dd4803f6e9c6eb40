import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32c } from '@node-rs/crc32';
import { checksumMatches, compositeChecksum, crc32cBase64, crc32cToBase64 } from '../../../main/upload/checksum.ts';
import { versionedKey } from '../../../main/upload/item.ts';
import { backoffDelay } from '../../../main/upload/backoff.ts';
import { classifyError } from '../../../main/upload/errors.ts';

test('composite checksum is the CRC32C of the concatenated part CRCs, suffixed with the part count', () => {
  const a = Buffer.from('hello '),
    b = Buffer.from('world');
  const parts = [crc32cBase64(a), crc32cBase64(b)];
  const raw = Buffer.concat(parts.map((p) => Buffer.from(p, 'base64')));
  assert.equal(compositeChecksum(parts), `${crc32cToBase64(crc32c(raw))}-2`);
  assert.notEqual(compositeChecksum(parts).split('-')[0], crc32cBase64(Buffer.concat([a, b])), 'composite differs from full-object');
  assert.equal(crc32cBase64(Buffer.alloc(0)), 'AAAAAA==');
  assert.ok(checksumMatches('abc=-2', 'abc=-2'));
  assert.ok(checksumMatches('abc=', 'abc=-2'), 'a store that omits the -N suffix still matches');
  assert.ok(!checksumMatches('abc=-3', 'abc=-2'));
  assert.ok(!checksumMatches(undefined, 'abc='));
});

test('versioned keys insert .vN before the full extension', () => {
  assert.equal(versionedKey('run1/img.tif', 1), 'run1/img.tif');
  assert.equal(versionedKey('run1/img.tif', 2), 'run1/img.v2.tif');
  assert.equal(versionedKey('a.ome.tif', 3), 'a.v3.ome.tif');
  assert.equal(versionedKey('dir.x/notes', 2), 'dir.x/notes.v2');
  assert.equal(versionedKey('.hidden', 2), '.hidden.v2');
});

test('full-jitter backoff stays within [0, min(cap, base·2^n))', () => {
  const p = { baseMs: 100, capMs: 1000 };
  assert.equal(
    backoffDelay(0, p, () => 0.999999),
    99,
  );
  assert.equal(
    backoffDelay(3, p, () => 0.5),
    400,
  );
  assert.equal(
    backoffDelay(10, p, () => 0.999999),
    999,
  );
  assert.equal(
    backoffDelay(10, p, () => 0),
    0,
  );
});

test('errors are classified by what retrying can fix', () => {
  const s3 = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
  const ctx = { op: 'PutObject', where: 's3://b/k', bucket: 'b' };
  assert.equal(classifyError(s3('SlowDown', 503), ctx).kind, 'retryable');
  assert.equal(classifyError(s3('InternalError', 500), ctx).kind, 'retryable');
  assert.equal(classifyError(s3('AccessDenied', 403), ctx).kind, 'permanent');
  // a HEAD answered 403 has no body, hence no error code
  const head = classifyError(s3('Unknown', 403), { ...ctx, op: 'HeadObject' });
  assert.deepEqual([head.code, head.kind], ['AccessDenied', 'permanent']);
  assert.match(head.message, /^access denied by S3 for HeadObject on s3:\/\/b\/k /);
  assert.equal(classifyError(s3('Unknown', 400), ctx).code, 'Unknown', 'only a 403 means denied');
  assert.equal(classifyError(s3('NoSuchBucket', 404), ctx).message, 'bucket "b" does not exist (NoSuchBucket)');
  assert.equal(classifyError(s3('PermanentRedirect', 301), ctx).code, 'WrongRegion');
  assert.equal(classifyError(s3('ExpiredToken', 400), ctx).code, 'ExpiredToken');
  assert.equal(classifyError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }), ctx).kind, 'network');
  assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ENOENT' }), { op: 'open', where: '/f' }).code, 'FileDeleted');
  assert.equal(classifyError(Object.assign(new Error('x'), { code: 'EACCES' }), { op: 'open', where: '/f' }).code, 'FileUnreadable');
  assert.equal(classifyError(Object.assign(new Error('x'), { name: 'CredentialsProviderError' }), ctx).kind, 'credentials');
});
