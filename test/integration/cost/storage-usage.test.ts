/**
 * The storage bill's listing against a real S3 gateway (versitygw): bytes under the lab's prefix
 * only, every page followed, the on-disk cache honoured (requests counted on the client), a refused
 * listing a clear message rather than zero, and a local archive counted from the disk.
 *
 * versitygw accepts `x-amz-storage-class` on PUT but lists every object as STANDARD, so the
 * per-class sums are tested on the aggregation (`sumByClass`) with S3's own class names.
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { createJsonFileStore, createMemoryStore } from '../../../main/cost/cache-store.ts';
import { createStorageUsageReader, STORAGE_USAGE_MAX_AGE_MS, sumByClass } from '../../../main/cost/storage-usage.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';
import { fakeClock } from '../instances/fixture.ts';

function counted(client: S3Client): { client: S3Client; requests: string[] } {
  const requests: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      requests.push(String(context.commandName));
      return next(args);
    },
    { step: 'initialize', name: 'countStorageRequests' },
  );
  return { client, requests };
}

describe('sumByClass: bytes and objects per S3 storage class', () => {
  it('sums by the class S3 lists, a missing class counting as STANDARD, largest first', () => {
    assert.deepEqual(
      sumByClass([
        { Size: 100, StorageClass: 'STANDARD' },
        { Size: 50 },
        { Size: 7_000, StorageClass: 'DEEP_ARCHIVE' },
        { Size: 300, StorageClass: 'STANDARD_IA' },
        { Size: 1, StorageClass: 'GLACIER_IR' },
        { Size: 2_000, StorageClass: 'DEEP_ARCHIVE' },
      ]),
      [
        { storageClass: 'DEEP_ARCHIVE', bytes: 9_000, objects: 2 },
        { storageClass: 'STANDARD_IA', bytes: 300, objects: 1 },
        { storageClass: 'STANDARD', bytes: 150, objects: 2 },
        { storageClass: 'GLACIER_IR', bytes: 1, objects: 1 },
      ],
    );
  });
});

describe('storage usage under the prefix (versitygw)', { skip: requires(versitygwMissing()), timeout: 120_000 }, () => {
  let gw: Versitygw;
  let bucket: string;
  let dir: string;
  const inside = [
    ['lab/rig1/a.tif', 1000],
    ['lab/rig1/b.tif', 2500],
    ['lab/rig2/c.tif', 40],
    ['lab/manifest.json', 7],
    ['lab/big.bin', 3 * 1024 * 1024 + 5],
  ] as const;
  const outside = [
    ['other/x.tif', 9999],
    ['labx/y.tif', 777],
    ['lab.txt', 11],
  ] as const;
  const insideBytes = inside.reduce((n, [, size]) => n + size, 0);

  before(async () => {
    gw = await startVersitygw({ iam: true });
    bucket = await gw.createBucket();
    const s3 = gw.client();
    for (const [Key, size] of [...inside, ...outside]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.alloc(size, 7) }));
    dir = await mkdtemp(join(tmpdir(), 'scopecloud-storage-'));
  });
  after(async () => {
    await gw?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lists only the keys under <prefix>/, following every page, and caches the answer on disk', async () => {
    const { client, requests } = counted(gw.client());
    const clock = fakeClock(Date.UTC(2026, 11, 7, 10));
    const file = join(dir, 'storage.json');
    const reader = createStorageUsageReader({
      target: { kind: 's3', s3: client, bucket, prefix: 'lab/', pageSize: 2 },
      store: createJsonFileStore(file),
      clock,
    });
    const first = await reader.read();
    assert.equal(first.error, null);
    assert.equal(first.fromCache, false);
    const { byFolder, ownerRecords, ...totals } = first.usage!;
    assert.deepEqual(totals, {
      kind: 's3',
      location: `s3://${bucket}/lab/`,
      method: 'list-objects-v2',
      listedAt: clock.now(),
      byClass: [{ storageClass: 'STANDARD', bytes: insideBytes, objects: inside.length }],
      totalBytes: insideBytes,
      totalObjects: inside.length,
    });
    // the same pages, per folder below the prefix (for the split per person), with the manifest found
    assert.deepEqual(byFolder?.map((f) => [f.folder, f.byClass.map((c) => [c.storageClass, c.bytes, c.objects])]).sort(), [
      ['', [['STANDARD', 3 * 1024 * 1024 + 5 + 7, 2]]],
      ['rig1', [['STANDARD', 3500, 2]]],
      ['rig2', [['STANDARD', 40, 1]]],
    ]);
    assert.deepEqual(
      ownerRecords?.map((r) => r.key),
      ['manifest.json'],
    );
    assert.match(ownerRecords![0]!.etag, /^"?[0-9a-f]{32}"?$/);
    assert.deepEqual(requests, ['ListObjectsV2Command', 'ListObjectsV2Command', 'ListObjectsV2Command'], 'five keys, two per page');

    // a second read, and a new process on the same cache file, answer from the cache
    clock.advance(STORAGE_USAGE_MAX_AGE_MS - 60_000);
    const second = await reader.read();
    const reopened = await createStorageUsageReader({
      target: { kind: 's3', s3: client, bucket, prefix: 'lab', pageSize: 2 },
      store: createJsonFileStore(file),
      clock,
    }).read();
    assert.equal(requests.length, 3, 'no listing while the cache is younger than its age limit');
    assert.deepEqual([second.fromCache, reopened.fromCache], [true, true]);
    assert.deepEqual(reopened.usage, first.usage);

    // older than the limit, or asked: listed again
    clock.advance(120_000);
    const stale = await reader.read();
    assert.equal(stale.fromCache, false);
    assert.equal(requests.length, 6);
    const refreshed = await reader.read({ refresh: true });
    assert.equal(refreshed.fromCache, false);
    assert.equal(requests.length, 9);
  });

  it('the whole bucket when the prefix is empty', async () => {
    const reader = createStorageUsageReader({ target: { kind: 's3', s3: gw.client(), bucket, prefix: '' }, store: createMemoryStore(), clock: fakeClock() });
    const all = await reader.read();
    assert.equal(all.usage?.totalBytes, insideBytes + outside.reduce((n, [, size]) => n + size, 0));
    assert.equal(all.usage?.location, `s3://${bucket}/`);
  });

  it('a refused listing is a clear message, not zero bytes; the last good listing is kept beside it', async () => {
    const user = await gw.createUser('user');
    const denied = gw.client({ credentials: user });
    const store = createMemoryStore();
    const clock = fakeClock();
    const { client: deniedCounted, requests } = counted(denied);
    const deniedReader = createStorageUsageReader({ target: { kind: 's3', s3: deniedCounted, bucket, prefix: 'lab' }, store, clock });
    const never = await deniedReader.read();
    assert.equal(never.usage, null);
    const again = await deniedReader.read();
    assert.deepEqual([requests.length, again.error], [1, never.error], 'a refused listing is not retried by every read');
    clock.advance(11 * 60_000);
    await deniedReader.read();
    assert.equal(requests.length, 2, 'after ten minutes a read lists again');
    assert.equal(
      never.error,
      `Could not list s3://${bucket}/lab/: your AWS identity may not list it (AccessDenied; it needs s3:ListBucket on the bucket). The storage bill is unknown (not zero).`,
    );

    const good = await createStorageUsageReader({ target: { kind: 's3', s3: gw.client(), bucket, prefix: 'lab' }, store, clock }).read({ refresh: true });
    assert.equal(good.error, null, 'a good listing clears the remembered failure');
    clock.advance(60_000);
    const kept = await createStorageUsageReader({ target: { kind: 's3', s3: denied, bucket, prefix: 'lab' }, store, clock }).read({ refresh: true });
    assert.match(kept.error ?? '', /AccessDenied/);
    assert.equal(kept.usage?.totalBytes, insideBytes);
    assert.equal(kept.usage?.listedAt, clock.now() - 60_000, 'the kept listing says how old it is');
  });

  it('a local archive: the bytes on disk, as STANDARD-equivalent', async () => {
    const archive = join(dir, 'archive');
    await mkdir(join(archive, 'rig1', 'day'), { recursive: true });
    await writeFile(join(archive, 'rig1', 'day', 'a.tif'), Buffer.alloc(1234));
    await writeFile(join(archive, 'rig1', 'm.json'), Buffer.alloc(66));
    const reader = createStorageUsageReader({ target: { kind: 'local', dir: archive }, store: createMemoryStore(), clock: fakeClock() });
    const u = (await reader.read()).usage;
    assert.deepEqual([u?.kind, u?.method, u?.location, u?.byClass], ['local', 'local-disk', archive, [{ storageClass: 'STANDARD', bytes: 1300, objects: 2 }]]);
    const missing = await createStorageUsageReader({
      target: { kind: 'local', dir: join(dir, 'nothing') },
      store: createMemoryStore(),
      clock: fakeClock(),
    }).read();
    assert.deepEqual([missing.error, missing.usage?.totalBytes], [null, 0], 'an archive not created yet holds nothing');
  });
});
