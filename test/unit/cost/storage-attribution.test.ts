import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { attributeBytes, FolderTally, folderOwners, recordFolder, UNATTRIBUTED } from '../../../main/cost/storage-attribution.ts';
import { ownerOfRecord, resolveFolderOwners } from '../../../main/app/storage-owners.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { MANIFEST_NAME } from '../../../main/session/manifest.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { GB, storageBill } from '../../../main/cost/storage-bill.ts';

const MiB = 2 ** 20;

describe('storage attribution: whose bytes are whose', () => {
  it('recognises the keys the session manifests and job records are written under', () => {
    assert.deepEqual(recordFolder(`rig1/mouse12/2026-12-01/${MANIFEST_NAME}`), { folder: 'rig1/mouse12/2026-12-01', kind: 'manifest', rank: 1 });
    assert.deepEqual(recordFolder('rig1/mouse12/2026-12-01/manifest.v12.json'), { folder: 'rig1/mouse12/2026-12-01', kind: 'manifest', rank: 12 });
    assert.deepEqual(recordFolder(jobKeys('j-20261201-101500-abcd').manifest), { folder: 'jobs/j-20261201-101500-abcd', kind: 'job', rank: 0 });
    assert.deepEqual(recordFolder(MANIFEST_NAME), { folder: '', kind: 'manifest', rank: 1 });
    for (const other of ['rig1/a.tif', 'rig1/manifest.json.tif', 'rig1/my-manifest.json', 'jobs/j-1/status.json', 'jobs/j-1/results/job.json'])
      assert.equal(recordFolder(other), null, other);
  });

  it('sums a listing per folder and keeps the records with their ETags', () => {
    const t = new FolderTally();
    t.add('rig1/s1/a.tif', 'STANDARD', 5, '"e1"');
    t.add('rig1/s1/b.tif', 'GLACIER', 7, '"e2"');
    t.add('rig1/s1/a2.tif', 'STANDARD', 1, '"e3"');
    t.add('rig1/s1/manifest.json', 'STANDARD', 2, '"m1"');
    t.add('top.txt', 'STANDARD', 3, '"e4"');
    assert.deepEqual(t.folders(), [
      {
        folder: 'rig1/s1',
        byClass: [
          { storageClass: 'STANDARD', bytes: 8, objects: 3 },
          { storageClass: 'GLACIER', bytes: 7, objects: 1 },
        ],
      },
      { folder: '', byClass: [{ storageClass: 'STANDARD', bytes: 3, objects: 1 }] },
    ]);
    assert.deepEqual(t.records(), [{ key: 'rig1/s1/manifest.json', etag: '"m1"' }]);
  });

  it('gives each folder the owner of the deepest record above it, the newest manifest naming someone winning, the rest unattributed', () => {
    const owners = folderOwners(
      new Map<string, string | null>([
        ['rig1/s1/manifest.json', 'maria'],
        ['rig1/s1/manifest.v2.json', 'lee'],
        ['rig1/s1/manifest.v10.json', null],
        ['rig1/s1/sub/manifest.json', 'ana'],
        ['rig1/s2/manifest.json', null],
        ['jobs/j-1/job.json', 'maria'],
      ]),
    );
    assert.deepEqual(
      [...owners].sort(),
      [
        ['jobs/j-1', 'maria'],
        ['rig1/s1', 'lee'],
        ['rig1/s1/sub', 'ana'],
      ].sort(),
    );
    const result = attributeBytes(
      [
        { folder: 'rig1/s1', byClass: [{ storageClass: 'STANDARD', bytes: 10 * MiB, objects: 2 }] },
        { folder: 'rig1/s1/deeper/still', byClass: [{ storageClass: 'DEEP_ARCHIVE', bytes: 5 * MiB, objects: 1 }] },
        { folder: 'rig1/s1/sub', byClass: [{ storageClass: 'STANDARD', bytes: 1 * MiB, objects: 1 }] },
        { folder: 'rig1/s2', byClass: [{ storageClass: 'STANDARD', bytes: 100 * MiB, objects: 9 }] },
        { folder: 'jobs/j-1/results', byClass: [{ storageClass: 'STANDARD', bytes: 3 * MiB, objects: 4 }] },
        { folder: 'workers/abc', byClass: [{ storageClass: 'STANDARD', bytes: 2 * MiB, objects: 1 }] },
        { folder: 'rig1/s10', byClass: [{ storageClass: 'STANDARD', bytes: 1, objects: 1 }] },
      ],
      owners,
    );
    assert.deepEqual(
      result.map((o) => [o.owner, o.bytes, o.objects]),
      [
        ['lee', 15 * MiB, 3],
        ['maria', 3 * MiB, 4],
        ['ana', 1 * MiB, 1],
        [UNATTRIBUTED, 102 * MiB + 1, 11],
      ],
    );
    assert.deepEqual(result[0].byClass, [
      { storageClass: 'STANDARD', bytes: 10 * MiB, objects: 2 },
      { storageClass: 'DEEP_ARCHIVE', bytes: 5 * MiB, objects: 1 },
    ]);
  });

  it('prices each person per class, leaving unpriced classes out and naming them; a local archive has no price', () => {
    const owners = [
      {
        owner: 'maria',
        bytes: 300 * GB,
        objects: 3,
        byClass: [
          { storageClass: 'STANDARD', bytes: 100 * GB, objects: 1 },
          { storageClass: 'DEEP_ARCHIVE', bytes: 100 * GB, objects: 1 },
          { storageClass: 'EXPRESS_ONEZONE', bytes: 100 * GB, objects: 1 },
        ],
      },
    ];
    const usage = { byClass: owners[0].byClass, totalBytes: 300 * GB };
    const common = { prices: loadPriceTable(), region: 'us-east-1', bytesPerDay: 0, rateWindowDays: 7, now: Date.UTC(2026, 11, 7), owners };
    const s3 = storageBill({ ...common, usage: { ...usage, kind: 's3' } });
    assert.equal(s3.byOwner?.length, 1);
    assert.ok(Math.abs(s3.byOwner![0].monthly! - (100 * 0.023 + 100 * 0.00099)) < 1e-9, String(s3.byOwner![0].monthly));
    assert.deepEqual(s3.byOwner![0].unpriced, ['EXPRESS_ONEZONE']);
    const local = storageBill({ ...common, usage: { ...usage, kind: 'local' } });
    assert.deepEqual(local.byOwner, [{ owner: 'maria', bytes: 300 * GB, objects: 3, monthly: null, unpriced: [] }]);
    assert.equal(storageBill({ ...common, owners: undefined, usage: { ...usage, kind: 's3' } }).byOwner, null);
  });
});

describe('resolveFolderOwners: reading the records once per version', () => {
  const manifest = (owner?: string) => JSON.stringify({ schema: 2, generation: 1, files: [], ...(owner ? { recordedBy: { owner, host: 'rig-2' } } : {}) });

  it('reads what each record names: recordedBy.owner of a manifest, owner of a job; nothing else', () => {
    assert.equal(ownerOfRecord('s/manifest.json', manifest('maria')), 'maria');
    assert.equal(ownerOfRecord('s/manifest.json', manifest()), null);
    assert.equal(ownerOfRecord('s/manifest.json', JSON.stringify({ owner: 'not-a-manifest-field' })), null);
    assert.equal(ownerOfRecord('jobs/j-1/job.json', JSON.stringify({ owner: 'lee' })), 'lee');
    assert.equal(ownerOfRecord('jobs/j-1/job.json', JSON.stringify({ owner: '' })), null);
    assert.equal(ownerOfRecord('jobs/j-1/job.json', JSON.stringify({ owner: 'x'.repeat(65) })), null);
    assert.throws(() => ownerOfRecord('s/manifest.json', '{ not json'), SyntaxError);
  });

  it('caches by key and ETag, re-reads a changed record, and retries a failed one only with a newer listing', async () => {
    const store = createMemoryStore();
    const texts = new Map([
      ['a/manifest.json', manifest('maria')],
      ['b/manifest.json', manifest('lee')],
      ['jobs/j-1/job.json', JSON.stringify({ owner: 'ana' })],
    ]);
    const reads: string[] = [];
    let refuse = new Set(['b/manifest.json']);
    const read = async (key: string) => {
      reads.push(key);
      if (refuse.has(key)) throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' });
      return texts.get(key)!;
    };
    const records = [
      { key: 'a/manifest.json', etag: '1' },
      { key: 'b/manifest.json', etag: '1' },
      { key: 'jobs/j-1/job.json', etag: '1' },
    ];
    const first = await resolveFolderOwners({ records, listedAt: 100, read, store, cacheKey: 'k' });
    assert.deepEqual([...first.owners].sort(), [
      ['a', 'maria'],
      ['jobs/j-1', 'ana'],
    ]);
    assert.equal(first.read, 3);
    assert.match(first.error ?? '', /^1 owner record could not be read, so its bytes are unattributed: b\/manifest.json: AccessDenied \(Access Denied\)$/);

    reads.length = 0;
    const again = await resolveFolderOwners({ records, listedAt: 100, read, store, cacheKey: 'k' });
    assert.deepEqual(reads, [], 'the same listing reads nothing again, not even the refused record');
    assert.equal(again.error, first.error);

    refuse = new Set();
    texts.set('a/manifest.json', manifest('ana'));
    const newer = await resolveFolderOwners({
      records: [{ key: 'a/manifest.json', etag: '2' }, ...records.slice(1)],
      listedAt: 200,
      read,
      store,
      cacheKey: 'k',
    });
    assert.deepEqual(reads.sort(), ['a/manifest.json', 'b/manifest.json']);
    assert.equal(newer.error, null);
    assert.deepEqual([...newer.owners].sort(), [
      ['a', 'ana'],
      ['b', 'lee'],
      ['jobs/j-1', 'ana'],
    ]);
  });
});
