import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadJournal } from '../../../main/upload/journal.ts';
import type { UploadItem } from '../../../main/upload/item.ts';

function item(id: string): UploadItem {
  return { id, path: `/data/${id}.tif`, baseKey: `${id}.tif`, version: 1, size: 10, mtimeMs: 1, final: true, state: 'queued', addedAt: 0, parts: {} };
}

test('records replay after reopen; a torn last line is ignored and cut off', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  try {
    const j = await UploadJournal.open(dir);
    await j.append({ op: 'put', item: item('1') });
    await j.append({ op: 'put', item: item('2') });
    await j.append({ op: 'part', id: '1', part: { n: 1, start: 0, end: 10, crc: 'AAAAAA==' } });
    await j.append({ op: 'set', id: '2', patch: { state: 'verified', checksum: 'x' } });
    await j.append({ op: 'del', id: '1' });
    await j.append({ op: 'put', item: item('3') });
    await j.close();
    const file = join(dir, 'journal.0.jsonl');
    const good = (await stat(file)).size;
    await appendFile(file, '{"op":"set","id":"3","patch":{"state":"ver');
    const k = await UploadJournal.open(dir);
    assert.ok(k.recoveredTornTail);
    assert.deepEqual([...k.items.keys()], ['2', '3']);
    assert.equal(k.items.get('2')?.state, 'verified');
    assert.equal(k.items.get('3')?.state, 'queued');
    assert.equal((await stat(file)).size, good, 'torn bytes removed so later appends start on a clean line');
    assert.equal(k.newId(), '4');
    await k.append({ op: 'set', id: '3', patch: { state: 'failed', error: { code: 'X', message: 'm', at: 1 } } });
    await k.close();
    const again = await UploadJournal.open(dir);
    assert.equal(again.items.get('3')?.state, 'failed');
    await again.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('group commit: concurrent appends share writes; null removes a field', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  try {
    const j = await UploadJournal.open(dir);
    await Promise.all(Array.from({ length: 200 }, (_, i) => j.append({ op: 'put', item: item(String(i + 1)) })));
    await j.append({ op: 'set', id: '5', patch: { uploadId: 'u' } });
    await j.append({ op: 'set', id: '5', patch: { uploadId: null } });
    await j.close();
    const k = await UploadJournal.open(dir);
    assert.equal(k.items.size, 200);
    assert.equal('uploadId' in k.items.get('5')!, false);
    await k.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('compaction keeps state, bounds the journal and holds 100,000 items with O(1) appends', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  try {
    const j = await UploadJournal.open(dir, { compactMinRecords: 1000, durable: false });
    const N = 100_000;
    const batch: Promise<void>[] = [];
    for (let i = 1; i <= N; i++) {
      batch.push(j.append({ op: 'put', item: item(String(i)) }));
      if (batch.length === 5000) await Promise.all(batch.splice(0));
    }
    await Promise.all(batch);
    for (let i = 1; i <= 3000; i++) await j.append({ op: 'set', id: String(i), patch: { state: 'verified' } });
    await j.compact();
    assert.equal(j.recordCount, 0);
    // appends after compaction touch only the new journal file
    await j.append({ op: 'set', id: String(N), patch: { state: 'failed' } });
    const files = (await readdir(dir)).sort();
    assert.equal(files.length, 2, files.join(','));
    assert.equal(files.filter((f) => f.startsWith('snapshot')).length, 1, 'older snapshots are deleted');
    assert.equal(
      (
        await readFile(
          join(
            dir,
            files.find((f) => f.startsWith('journal'))!,
          ),
          'utf8',
        )
      ).split('\n').length,
      2,
    );
    await j.close();
    const k = await UploadJournal.open(dir);
    assert.equal(k.items.size, N);
    assert.equal(k.items.get('1')?.state, 'verified');
    assert.equal(k.items.get(String(N))?.state, 'failed');
    await k.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('an interrupted compaction (temp snapshot left behind) is discarded on open', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-'));
  try {
    const j = await UploadJournal.open(dir);
    await j.append({ op: 'put', item: item('1') });
    await j.close();
    await appendFile(join(dir, 'snapshot.1.jsonl.tmp'), '{"op":"put","item":{"id":"9"');
    const k = await UploadJournal.open(dir);
    assert.deepEqual([...k.items.keys()], ['1']);
    assert.ok(!(await readdir(dir)).includes('snapshot.1.jsonl.tmp'));
    await k.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
