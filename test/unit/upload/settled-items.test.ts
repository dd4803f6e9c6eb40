/**
 * The compact store of settled (verified) items and the journal's index over it: every field the
 * engine's API exposes comes back exactly as stored, journal order and the latest item per path
 * hold across both stores, and an item moves between them as its state changes.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { UploadItem } from '../../../main/upload/item.ts';
import { JournalItems } from '../../../main/upload/journal-items.ts';
import { UploadJournal } from '../../../main/upload/journal.ts';
import { isSettled, SettledItems } from '../../../main/upload/settled-items.ts';

function verified(id: string, over: Partial<UploadItem> = {}): UploadItem {
  return {
    id,
    path: `/data/run1/${id}.tif`,
    baseKey: `run1/${id}.tif`,
    version: 1,
    size: 1000 + Number(id),
    mtimeMs: 1_700_000_000_123.25,
    final: true,
    state: 'verified',
    addedAt: 1_700_000_000_000,
    parts: {},
    checksum: 'AAAAAA==',
    verifiedAt: 1_700_000_100_000 + Number(id),
    ...over,
  };
}

const varied: UploadItem[] = [
  verified('1'),
  verified('2', { baseKey: 'other/name.ome.tif', version: 3, layout: { kind: 'uniform', base: 8 * 1024 * 1024 }, checksum: 'q83vEg==-12' }),
  verified('3', { path: '/data/é ü/日本.tif', baseKey: 'é ü/日本.tif', localDeletedAt: 1_800_000_000_000 }),
  verified('4', { checksum: undefined, verifiedAt: undefined }),
  verified('a-7', { path: 'relative-name', baseKey: 'key-without-dir', size: 0, mtimeMs: 0, addedAt: -5, verifiedAt: 1 }),
  verified('5', { path: 'C:\\scope\\run\\x.tif', baseKey: 'run/x.tif', final: false, layout: { kind: 'banded', base: 5 * 1024 * 1024 }, checksum: '' }),
  verified('6', { size: 5 * 1024 ** 4, version: 0, mtimeMs: -0.5 }),
];
for (const item of varied) for (const k of Object.keys(item) as (keyof UploadItem)[]) if (item[k] === undefined) delete item[k];

test('every field round-trips through the packed store; copies are independent', () => {
  const s = new SettledItems();
  varied.forEach((item, i) => assert.equal(s.add(i, structuredClone(item)), true, item.id));
  assert.equal(s.size, varied.length);
  for (const item of varied) assert.deepStrictEqual(s.get(item.id), item);
  const copy = s.get('2')!;
  copy.layout!.base = 1;
  copy.path = 'changed';
  assert.deepStrictEqual(s.get('2'), varied[1], 'changing a copy changes nothing stored');
  assert.equal(s.get('nope'), undefined);
  assert.deepEqual(
    s.rowsOfPath('/data/é ü/日本.tif').map((r) => s.idAt(r)),
    ['3'],
  );
  assert.deepEqual(s.rowsOfPath('/data/é ü/other.tif'), []);
  assert.equal(s.delete('3'), true);
  assert.equal(s.get('3'), undefined);
  assert.deepEqual(s.rowsOfPath('/data/é ü/日本.tif'), []);
  assert.equal(s.size, varied.length - 1);
});

test('only verified items with nothing in progress settle', () => {
  assert.equal(isSettled(verified('1')), true);
  const unsettled: UploadItem[] = [
    verified('1', { state: 'queued' }),
    verified('1', { state: 'failed' }),
    verified('1', { uploadId: 'u' }),
    verified('1', { parts: { 1: { n: 1, start: 0, end: 5, crc: 'x' } } }),
    verified('1', { error: { code: 'X', message: 'm', at: 1 } }),
    verified('1', { creating: { key: 'k', at: 1 } }),
    verified('1', { abandoned: { u: 'k' } }),
    verified('1', { expected: 'x' }),
    verified('1', { single: { crc: 'x' } }),
    { ...verified('1'), unknownField: 1 } as UploadItem,
    verified('1', { size: Number.NaN }),
    verified('1', { version: 1.5 }),
  ];
  const s = new SettledItems();
  for (const item of unsettled) {
    assert.equal(isSettled(item), false, JSON.stringify(item));
    assert.equal(s.add(0, item), false);
  }
  assert.equal(s.add(0, verified('1', { path: `/d/${'n'.repeat(70_000)}` })), false, 'a name longer than its column stays an object');
  assert.equal(s.size, 0);
});

test('the index keeps Map order and the latest item per path across both stores', () => {
  const items = new JournalItems();
  items.set('1', verified('1'));
  items.set('2', { ...verified('2'), state: 'queued' });
  items.set('3', verified('3'));
  items.set('4', { ...verified('4'), path: '/data/run1/1.tif', state: 'uploading' });
  assert.equal(items.settledCount, 2);
  assert.deepEqual([...items.keys()], ['1', '2', '3', '4']);
  assert.equal(items.latestId('/data/run1/1.tif'), '4', 'the newer item of the path, still uploading');
  assert.equal(items.latestVerifiedAs('/data/run1/1.tif', 1004, verified('4').mtimeMs), false);
  // '4' settles: the latest item of its path is verified, the older one too
  const running = items.get('4')!;
  items.patch('4', { state: 'verified', verifiedAt: 5 });
  assert.equal(items.settledCount, 3);
  assert.equal(items.holds(running), false, 'the running object was stored; a settled item is packed');
  assert.equal(items.latestId('/data/run1/1.tif'), '4');
  assert.equal(items.latestVerifiedAs('/data/run1/1.tif', 1004, verified('4').mtimeMs), true);
  assert.equal(items.latestVerifiedAs('/data/run1/1.tif', 1001, verified('1').mtimeMs), false, 'the older item of the path does not answer');
  // a put of an existing id keeps its position; a deleted one put anew goes to the end
  items.set('1', verified('1', { size: 7 }));
  items.delete('2');
  items.set('2', verified('2'));
  assert.deepEqual([...items.keys()], ['1', '3', '4', '2']);
  assert.equal(items.get('1')?.size, 7);
  // a settled item patched out of the settled state becomes an object again, in place
  items.patch('3', { state: 'queued' });
  assert.equal(items.settledCount, 3);
  assert.deepEqual(
    items.unsettled().map((i) => i.id),
    ['3'],
  );
  assert.equal(items.holds(items.get('3')!), true);
  assert.deepEqual([...items.keys()], ['1', '3', '4', '2']);
  // numbers change in place; a part thaws
  items.patch('1', { localDeletedAt: 99, mtimeMs: 12 });
  assert.deepEqual(items.get('1'), verified('1', { size: 7, localDeletedAt: 99, mtimeMs: 12 }));
  items.patch('1', { localDeletedAt: null });
  assert.equal('localDeletedAt' in items.get('1')!, false);
  items.addPart('2', { n: 1, start: 0, end: 1, crc: 'x' });
  assert.deepEqual(items.get('2')?.parts, { 1: { n: 1, start: 0, end: 1, crc: 'x' } });
  assert.equal(items.settledCount, 2);
  assert.equal(items.size, 4);
  // settled again after newer items settled (a retried file): its position holds
  items.patch('3', { state: 'verified' });
  items.patch('2', { parts: {} });
  assert.equal(items.settledCount, 4);
  assert.deepEqual([...items.keys()], ['1', '3', '4', '2']);
  assert.deepEqual(
    [...items.values()].map((i) => i.id),
    ['1', '3', '4', '2'],
  );
  items.patch('3', { state: 'queued' });
  // newest first by verification time, whichever store holds the item (3 is queued again, 2 has a part, 4 was verified at 5)
  assert.deepEqual(
    items.newest(3).map((i) => i.id),
    ['3', '2', '1'],
  );
  assert.deepEqual(
    items.newest(3, 'verified').map((i) => i.id),
    ['2', '1', '4'],
  );
});

test('a walk lists the items there were when it began, whatever changes meanwhile', () => {
  const items = new JournalItems();
  for (let i = 1; i <= 5; i++) items.set(String(i), verified(String(i)));
  const walk = items.values();
  assert.equal(walk.next().value?.id, '1');
  items.patch('4', { state: 'queued' }); // leaves the packed store mid-walk
  items.delete('2');
  const rest = [...walk].map((i) => i.id);
  assert.deepEqual(rest, ['2', '3', '4', '5'], 'a compaction walking meanwhile still writes item 4 (its journal records follow)');
  assert.deepEqual([...items.keys()], ['1', '3', '4', '5']);
});

test('journal: settled items survive reopen and compaction byte-compatibly, deletions are vacuumed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'settled-'));
  try {
    const j = await UploadJournal.open(dir, { durable: false });
    for (const item of varied) await j.append({ op: 'put', item: structuredClone(item) });
    await j.append({ op: 'put', item: { ...verified('8'), state: 'queued' } });
    await j.append({ op: 'set', id: '8', patch: { state: 'verified' } });
    await j.compact();
    await j.close();
    const snapshot = (await readdir(dir)).find((f) => f.startsWith('snapshot'))!;
    const lines = (await readFile(join(dir, snapshot), 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { op: string; item: UploadItem });
    assert.deepStrictEqual(
      lines.map((l) => l.item),
      [...varied, { ...verified('8') }],
      'the snapshot holds whole items, as before the packed store',
    );
    assert.ok(lines.every((l) => l.op === 'put'));
    const k = await UploadJournal.open(dir, { durable: false });
    assert.equal(k.items.settledCount, varied.length + 1);
    for (const item of varied) assert.deepStrictEqual(k.items.get(item.id), item);
    // many deletions, then a compaction vacuums the dead rows
    for (let i = 100; i < 3100; i++) await k.append({ op: 'put', item: verified(String(i)) });
    for (let i = 100; i < 3000; i++) await k.append({ op: 'del', id: String(i) });
    await k.compact();
    assert.equal(k.items.size, varied.length + 1 + 100);
    assert.deepStrictEqual(k.items.get('3050'), verified('3050'));
    assert.deepStrictEqual(k.items.get('a-7'), varied[4]);
    assert.equal(k.items.latestId('/data/run1/3099.tif'), '3099');
    await k.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('random puts, patches, parts and deletions: the index agrees with a plain Map', () => {
  let seed = 42;
  const rand = (n: number) => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const items = new JournalItems();
  const model = new Map<string, UploadItem>();
  const apply = (id: string, patch: Record<string, unknown>) => {
    const m = model.get(id);
    if (!m) return;
    for (const [k, v] of Object.entries(patch)) {
      if (v === null) delete (m as unknown as Record<string, unknown>)[k];
      else (m as unknown as Record<string, unknown>)[k] = v;
    }
  };
  for (let step = 0; step < 4000; step++) {
    const id = String(1 + rand(300));
    const op = rand(10);
    if (op < 3) {
      const item = verified(id, { path: `/data/p${rand(50)}.tif`, state: rand(3) === 0 ? 'queued' : 'verified' });
      items.set(id, structuredClone(item));
      model.set(id, item);
    } else if (op < 7) {
      const patches: Record<string, unknown>[] = [
        { state: 'verified' },
        { state: 'failed', error: { code: 'X', message: 'm', at: step } },
        { error: null },
        { localDeletedAt: step },
        { mtimeMs: step + 0.5, size: step },
        { uploadId: 'u' },
        { uploadId: null, parts: {} },
        { checksum: `c${step}` },
      ];
      const patch = patches[rand(patches.length)];
      items.patch(id, structuredClone(patch) as never);
      apply(id, structuredClone(patch));
    } else if (op < 8) {
      const part = { n: 1 + rand(3), start: 0, end: 1, crc: 'x' };
      items.addPart(id, { ...part });
      const m = model.get(id);
      if (m) m.parts[String(part.n)] = { ...part };
    } else {
      assert.equal(items.delete(id), model.delete(id));
    }
    if (step % 500 === 499) items.vacuum();
  }
  assert.equal(items.size, model.size);
  assert.deepEqual([...items.keys()], [...model.keys()]);
  assert.deepStrictEqual([...items.values()], [...model.values()]);
  for (const [id, item] of model) assert.deepStrictEqual(items.get(id), item);
  for (let p = 0; p < 50; p++) {
    const path = `/data/p${p}.tif`;
    const ids = [...model.values()].filter((i) => i.path === path).map((i) => Number(i.id));
    assert.equal(items.latestId(path), ids.length ? String(Math.max(...ids)) : undefined, path);
  }
  assert.ok(items.settledCount > 0 && items.settledCount < items.size, 'both stores in use');
});
