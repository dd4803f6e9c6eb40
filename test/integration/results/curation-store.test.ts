/**
 * curation.json in a real S3 gateway (versitygw): two workstations appending at the same time both
 * keep their records (conditional writes with If-Match / If-None-Match), and a pull brings the
 * curation home beside the checksummed worker files without listing it in checksums.sha256.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { CHECKSUMS_FILE, jobKeys } from '../../../main/jobs/job-layout.ts';
import { putJson, s3ObjectStore } from '../../../main/jobs/object-store.ts';
import { CURATION_FILE, CurationError, curationRecords, loadCuration, saveCuration } from '../../../main/results/curation.ts';
import { pullResults } from '../../../main/results/pull.ts';
import { requires } from '../../support/requirements.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';

const skip = requires(versitygwMissing());
let gw: Versitygw;
let bucket: string;

before(async () => {
  if (skip) return;
  gw = await startVersitygw();
  bucket = await gw.createBucket();
});
after(async () => {
  await gw?.stop();
});

test('two writers appending concurrently to curation.json in S3 both keep every record', { skip }, async () => {
  const a = s3ObjectStore(gw.client(), bucket, 'lab');
  const b = s3ObjectStore(gw.client(), bucket, 'lab');
  const key = jobKeys('j-20261207-000000-aaaa').results + CURATION_FILE;
  const rounds = 12;
  const writer = async (store: typeof a, who: string, iscell: boolean) => {
    for (let i = 0; i < rounds; i++)
      await saveCuration(store, key, curationRecords(100, [i, 50 + i], iscell, { who, when: new Date(Date.UTC(2026, 11, 7, 12, 0, i)), source: 'app' }));
  };
  await Promise.all([writer(a, 'ana', false), writer(b, 'bo', true)]);
  const doc = await loadCuration(a, key);
  assert.equal(doc.records.length, rounds * 2 * 2, 'no record was lost');
  assert.equal(doc.records.filter((r) => r.who === 'ana').length, rounds * 2);
  assert.equal(doc.records.filter((r) => r.who === 'bo').length, rounds * 2);
});

test('a pull brings curation.json beside the verified files; a bad one in the store fails the pull', { skip }, async () => {
  const store = s3ObjectStore(gw.client(), bucket, 'lab');
  const id = 'j-20261207-000000-bbbb';
  const dir = await mkdtemp(join(tmpdir(), 'sc-curation-pull-'));
  try {
    await putJson(store, jobKeys(id).manifest, { id, name: 'x', sources: ['sessions/s1'] });
    const body = '[]\n';
    await store.put(`${jobKeys(id).results}rois.json`, body);
    await store.put(jobKeys(id).results + CHECKSUMS_FILE, `${createHash('sha256').update(body).digest('hex')}  rois.json\n`);
    const key = jobKeys(id).results + CURATION_FILE;
    await saveCuration(store, key, curationRecords(3, [1], false, { who: 'ana', when: new Date(), source: 'cli' }));

    const r = await pullResults(store, id, dir);
    assert.equal(r.files, 1, 'curation.json is not counted as a worker file');
    assert.equal(r.curation, 1);
    const local = JSON.parse(await readFile(join(r.dir, CURATION_FILE), 'utf8')) as { records: Array<{ roi: number; who: string }> };
    assert.deepEqual(
      local.records.map((x) => [x.roi, x.who]),
      [[1, 'ana']],
    );
    assert.ok(!(await readFile(join(r.dir, CHECKSUMS_FILE), 'utf8')).includes(CURATION_FILE));

    // Curated elsewhere afterwards: the next pull syncs it.
    await saveCuration(store, key, curationRecords(3, [2], true, { who: 'bo', when: new Date(), source: 'app' }));
    assert.equal((await pullResults(store, id, dir)).curation, 2);
    assert.equal((JSON.parse(await readFile(join(r.dir, CURATION_FILE), 'utf8')) as { records: unknown[] }).records.length, 2);

    await store.put(key, 'not json');
    await assert.rejects(
      pullResults(store, id, dir),
      (e: unknown) => e instanceof CurationError && e.code === 'BAD_CURATION' && e.message.includes(CURATION_FILE),
    );
    assert.equal((JSON.parse(await readFile(join(r.dir, CURATION_FILE), 'utf8')) as { records: unknown[] }).records.length, 2, 'the cached copy is kept');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
