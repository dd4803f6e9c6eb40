/**
 * `offer(..., final, { mtimeMs })`: the caller's fresh stat stands in for the engine's own, so a
 * restart re-reporting 100,000 verified files costs no second stat each; a file that did change
 * is still uploaded as a new version from its bytes as they are.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploadEngine, type UploadFs } from '../../../main/upload/engine.ts';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'scopecloud-observed-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test("a final offer with the caller's mtime does not stat a verified, unchanged file; a changed one becomes v2", { timeout: 30_000 }, async () => {
  const path = join(dir, 'a.tif');
  await fs.writeFile(path, 'first bytes');
  const stats: string[] = [];
  const counting: UploadFs = {
    open: (p, f) => fs.open(p, f),
    stat: (p) => {
      stats.push(p);
      return fs.stat(p);
    },
    unlink: (p) => fs.unlink(p),
  };
  await fs.mkdir(join(dir, 'archive'));
  const engine = createUploadEngine({
    target: { kind: 'folder', root: join(dir, 'archive') },
    stateDir: join(dir, 'queue'),
    fs: counting,
    journal: { durable: false },
  });
  await engine.start();
  try {
    await engine.add(path);
    await engine.drain();
    const st = await fs.stat(path);
    stats.length = 0;
    const again = await engine.offer(path, st.size, true, { mtimeMs: st.mtimeMs });
    assert.deepEqual([again.state, again.version], ['verified', 1]);
    assert.deepEqual(stats, []);

    await fs.writeFile(path, 'other bytes, longer');
    const changed = await fs.stat(path);
    await engine.offer(path, changed.size, true, { mtimeMs: changed.mtimeMs });
    await engine.drain();
    const latest = engine
      .list()
      .filter((i) => i.path === path)
      .sort((a, b) => b.version - a.version)[0];
    assert.deepEqual([latest.state, latest.version], ['verified', 2]);
    assert.equal(await fs.readFile(join(dir, 'archive', 'a.v2.tif'), 'utf8'), 'other bytes, longer');
  } finally {
    await engine.stop();
  }
});
