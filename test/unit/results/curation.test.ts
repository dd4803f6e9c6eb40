import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import {
  CURATION_FILE,
  CurationError,
  curationRecords,
  effectiveIscell,
  loadCuration,
  parseCuration,
  saveCuration,
  undoRecords,
  type CurationRecord,
} from '../../../main/results/curation.ts';

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 12, 0, s));
const rec = (roi: number, iscell: boolean, s: number, who = 'ana'): CurationRecord => ({ roi, iscell, source: 'app', who, when: at(s).toISOString() });

test('effectiveIscell: the worker label unless a record names the ROI; the last record wins, in time order', () => {
  const original = [true, false, true, false];
  assert.deepEqual(effectiveIscell(original, []), original);
  // Listed out of order: the later record (s=5) wins for ROI 1.
  assert.deepEqual(effectiveIscell(original, [rec(1, false, 5), rec(1, true, 2), rec(2, false, 3)]), [true, false, false, false]);
  assert.deepEqual(original, [true, false, true, false], 'the original is not modified');
  assert.throws(
    () => effectiveIscell(original, [rec(4, true, 1)]),
    (e: unknown) => e instanceof CurationError && e.code === 'BAD_ROI' && /ROI 4/.test(e.message),
  );
});

test('curationRecords refuses unknown or no ROIs and de-duplicates', () => {
  const by = { who: 'ana', when: at(1), source: 'cli' as const };
  assert.deepEqual(
    curationRecords(5, [3, 1, 3], true, by).map((r) => r.roi),
    [1, 3],
  );
  assert.throws(
    () => curationRecords(5, [5], true, by),
    (e: unknown) => e instanceof CurationError && e.code === 'BAD_ROI' && /0–4/.test(e.message),
  );
  assert.throws(
    () => curationRecords(5, [-1], true, by),
    (e: unknown) => e instanceof CurationError && e.code === 'BAD_ROI',
  );
  assert.throws(
    () => curationRecords(5, [], true, by),
    (e: unknown) => e instanceof CurationError && e.code === 'BAD_ROI',
  );
});

test('undo appends records restoring the labels before the last action; history stays; repeated undos walk back', () => {
  const original = [true, true, false];
  const by = (s: number, who = 'ana') => ({ who, when: at(s), source: 'app' as const });
  let records: CurationRecord[] = [...curationRecords(3, [0, 2], false, by(1))];
  records.push(...curationRecords(3, [0, 1], true, by(2)));
  records.push(...curationRecords(3, [1], false, by(3, 'bo'))); // someone else's action
  assert.deepEqual(effectiveIscell(original, records), [true, false, false]);

  const undo1 = undoRecords(original, records, by(4));
  assert.deepEqual(
    undo1.map((r) => [r.roi, r.iscell, r.undoes]),
    [
      [0, false, at(2).toISOString()],
      [1, true, at(2).toISOString()],
    ],
  );
  records = [...records, ...undo1];
  assert.equal(records.length, 7, 'the undone records are kept');
  // ROI 1: ana's undo is later than bo's record, so it restores what ana's action had replaced.
  assert.deepEqual(effectiveIscell(original, records), [false, true, false]);

  records.push(...undoRecords(original, records, by(5)));
  assert.deepEqual(effectiveIscell(original, records), [true, true, false], 'second undo reverts the first action');
  assert.throws(
    () => undoRecords(original, records, by(6)),
    (e: unknown) => e instanceof CurationError && e.code === 'NOTHING_TO_UNDO',
  );
  assert.equal(undoRecords(original, records, by(6, 'bo')).length, 1, "bo's own action is still undoable");
});

test('undo sorts after what it undoes even when the clock is behind', () => {
  const records = [rec(0, false, 30)];
  const [u] = undoRecords([true], records, { who: 'ana', when: at(10), source: 'app' });
  assert.ok(u.when > records[0].when);
  assert.deepEqual(effectiveIscell([true], [...records, u]), [true]);
});

test('parseCuration: a bad document is a clear error naming the file and the record', () => {
  const bad = (text: string, pattern: RegExp) =>
    assert.throws(
      () => parseCuration(text, 'x/curation.json'),
      (e: unknown) => e instanceof CurationError && e.code === 'BAD_CURATION' && e.message.includes('x/curation.json') && pattern.test(e.message),
    );
  bad('{', /not JSON/);
  bad('[]', /not a curation document/);
  bad('{"schema":2,"records":[]}', /schema 2/);
  bad('{"schema":1}', /no records list/);
  const r = { roi: 1, iscell: true, source: 'app', who: 'ana', when: at(1).toISOString() };
  bad(JSON.stringify({ schema: 1, records: [r, { ...r, roi: 1.5 }] }), /record 1 has roi 1.5/);
  bad(JSON.stringify({ schema: 1, records: [{ ...r, iscell: 1 }] }), /record 0 has iscell 1/);
  bad(JSON.stringify({ schema: 1, records: [{ ...r, source: 'gui' }] }), /source "gui"/);
  bad(JSON.stringify({ schema: 1, records: [{ ...r, who: '' }] }), /no who/);
  bad(JSON.stringify({ schema: 1, records: [{ ...r, when: 'yesterday' }] }), /when "yesterday"/);
  assert.deepEqual(parseCuration(JSON.stringify({ schema: 1, records: [r] }), 'x').records, [r]);
});

test('saveCuration appends, keeps a bad stored file untouched, and merges after a lost race', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'curation-'));
  try {
    const store = fsObjectStore(dir);
    const key = `jobs/j1/results/${CURATION_FILE}`;
    assert.deepEqual((await loadCuration(store, key)).records, []);
    await saveCuration(store, key, [rec(0, false, 1)]);
    const doc = await saveCuration(store, key, [rec(1, true, 2, 'bo')]);
    assert.deepEqual(
      doc.records.map((r) => [r.roi, r.who]),
      [
        [0, 'ana'],
        [1, 'bo'],
      ],
    );
    // Saving the same record again adds nothing.
    assert.equal((await saveCuration(store, key, [rec(0, false, 1)])).records.length, 2);

    // Another writer slips in between our read and our write: the conditional write fails once,
    // and the second attempt merges both.
    let raced = false;
    const racing: ObjectStore = {
      ...store,
      async putIfVersion(k, body, version) {
        if (!raced) {
          raced = true;
          await saveCuration(store, key, [rec(2, true, 3, 'cy')]);
        }
        return store.putIfVersion(k, body, version);
      },
    };
    const merged = await saveCuration(racing, key, [rec(3, false, 4)]);
    assert.deepEqual(
      merged.records.map((r) => r.roi),
      [0, 1, 2, 3],
    );
    assert.deepEqual((await loadCuration(store, key)).records, merged.records);

    const path = join(dir, 'jobs', 'j1', 'results', CURATION_FILE);
    await writeFile(path, '{"schema":1,"records":[{"roi":"x"}]}');
    await assert.rejects(saveCuration(store, key, [rec(4, true, 5)]), (e: unknown) => e instanceof CurationError && e.code === 'BAD_CURATION');
    assert.equal(await readFile(path, 'utf8'), '{"schema":1,"records":[{"roi":"x"}]}', 'a bad file is never overwritten');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('two actions by one writer in the same millisecond both count: the second moves 1 ms later', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-curation-ms-'));
  try {
    const store = fsObjectStore(dir);
    const key = `jobs/j1/results/${CURATION_FILE}`;
    const by = { who: 'ana', when: at(1), source: 'app' as const };
    await saveCuration(store, key, curationRecords(4, [2], true, by));
    const doc = await saveCuration(store, key, curationRecords(4, [2], false, by));
    assert.deepEqual(
      doc.records.map((r) => [r.roi, r.iscell, r.when]),
      [
        [2, true, at(1).toISOString()],
        [2, false, new Date(at(1).getTime() + 1).toISOString()],
      ],
    );
    assert.deepEqual(effectiveIscell([false, false, false, false], doc.records), [false, false, false, false], 'the later action wins');
    // The very same records saved again add nothing.
    assert.equal((await saveCuration(store, key, doc.records.slice(1))).records.length, 2);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('records carry the AWS identity or the OS user beside the owner name, and they read back', () => {
  const s3 = curationRecords(3, [1], true, { who: 'ana', when: at(1), source: 'app', awsArn: 'arn:aws:iam::123456789012:user/ana' });
  const local = undoRecords([true, false, true], s3, { who: 'ana', when: at(2), source: 'cli', osUser: 'labuser' });
  assert.deepEqual([s3[0].awsArn, s3[0].osUser, local[0].awsArn, local[0].osUser], ['arn:aws:iam::123456789012:user/ana', undefined, undefined, 'labuser']);
  const back = parseCuration(JSON.stringify({ schema: 1, records: [...s3, ...local] }), 'c.json');
  assert.deepEqual(back.records, [...s3, ...local]);
  assert.throws(
    () => parseCuration(JSON.stringify({ schema: 1, records: [{ ...s3[0], awsArn: 7 }] }), 'c.json'),
    (e: unknown) => e instanceof CurationError && /record 0 has a non-string awsArn/.test(e.message),
  );
});

test('a writer that keeps losing the race is refused with a clear message and writes nothing', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'sc-curation-lost-'));
  try {
    const store = fsObjectStore(dir);
    const key = `jobs/j1/results/${CURATION_FILE}`;
    await saveCuration(store, key, [rec(0, false, 1)]);
    const stored = await readFile(join(dir, 'jobs', 'j1', 'results', CURATION_FILE), 'utf8');
    const alwaysLosing: ObjectStore = { ...store, putIfVersion: async () => false };
    await assert.rejects(
      saveCuration(alwaysLosing, key, [rec(1, true, 2)], async () => {}),
      (e: unknown) =>
        e instanceof CurationError && e.code === 'CURATION_CONFLICT' && /other writers kept changing it .*nothing was recorded, try again/.test(e.message),
    );
    assert.equal(await readFile(join(dir, 'jobs', 'j1', 'results', CURATION_FILE), 'utf8'), stored);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
