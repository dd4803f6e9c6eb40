/**
 * Replay of journal files larger than one read chunk (4 MiB): lines split across chunks, non-ASCII
 * paths, and a torn tail far into the file, cut off at the exact byte.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UploadJournal } from '../../../main/upload/journal.ts';
import type { UploadItem } from '../../../main/upload/item.ts';

function item(id: string): UploadItem {
  return {
    id,
    path: `/data/séance-${id}/${'x'.repeat(Number(id) % 97)}.tif`,
    baseKey: `${id}.tif`,
    version: 1,
    size: Number(id),
    mtimeMs: 1,
    final: true,
    state: 'verified',
    addedAt: 0,
    parts: {},
  };
}

test('a snapshot and journal of several MB replay whole; a torn tail after several chunks is cut at its first byte', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'journal-replay-'));
  try {
    const n = 20_000;
    const lines = Array.from({ length: n }, (_, i) => `${JSON.stringify({ op: 'put', item: item(String(i + 1)) })}\n`);
    await writeFile(join(dir, 'snapshot.1.jsonl'), lines.join(''));
    const sets = Array.from(
      { length: n },
      (_, i) =>
        `${JSON.stringify({ op: 'set', id: String(i + 1), patch: { checksum: `c${i + 1}`, error: { code: 'none', message: 'ü'.repeat(100), at: i } } })}\n`,
    ).join('');
    await writeFile(join(dir, 'journal.1.jsonl'), sets);
    const good = (await stat(join(dir, 'journal.1.jsonl'))).size;
    assert.ok(good > 4 * 1024 * 1024 && (await stat(join(dir, 'snapshot.1.jsonl'))).size > 4 * 1024 * 1024, 'both span more than one read chunk');
    await appendFile(join(dir, 'journal.1.jsonl'), '{"op":"set","id":"7","patch":{"checksum":"torn');
    const j = await UploadJournal.open(dir);
    assert.equal(j.items.size, n);
    assert.equal(j.recordCount, n);
    assert.ok(j.recoveredTornTail);
    assert.deepEqual(j.items.get(String(n)), { ...item(String(n)), checksum: `c${n}`, error: { code: 'none', message: 'ü'.repeat(100), at: n - 1 } });
    assert.equal(j.items.get('7')?.checksum, 'c7');
    await j.close();
    assert.equal((await stat(join(dir, 'journal.1.jsonl'))).size, good);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
