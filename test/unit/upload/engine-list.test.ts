/**
 * The engine's cheap views of a large queue: `list({ newest })`, `verifiedSince` and `verifiedAs`
 * answer what the status snapshot and the record of archived sessions ask without a snapshot of
 * every item; they agree with the full list.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createUploadEngine } from '../../../main/upload/engine.ts';

let dir: string;
before(async () => {
  dir = await fs.mkdtemp(join(tmpdir(), 'scopecloud-engine-list-'));
});
after(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

test('newest, verifiedSince and verifiedAs agree with the full list', { timeout: 30_000 }, async () => {
  let now = 1_000_000;
  await fs.mkdir(join(dir, 'archive'));
  const engine = createUploadEngine({
    target: { kind: 'folder', root: join(dir, 'archive') },
    stateDir: join(dir, 'queue'),
    clock: { now: () => now },
    journal: { durable: false },
  });
  await engine.start();
  try {
    // verified in a shuffled order of time: item i at time 1_000_000 + order[i] * 1000
    const order = [4, 0, 6, 2, 5, 1, 3];
    for (const [i, t] of order.entries()) {
      const path = join(dir, `f${i}.tif`);
      await fs.writeFile(path, `file ${i}`);
      now = 1_000_000 + t * 1000;
      await engine.add(path);
      await engine.drain();
    }
    const all = engine.list({ state: 'verified' });
    assert.equal(all.length, 7);
    const byTime = [...all].sort((a, b) => (b.verifiedAt ?? 0) - (a.verifiedAt ?? 0));
    assert.deepEqual(
      engine.list({ state: 'verified', newest: 3 }).map((i) => i.path),
      byTime.slice(0, 3).map((i) => i.path),
    );
    assert.deepEqual(
      engine.list({ newest: 20 }).map((i) => i.path),
      byTime.map((i) => i.path),
    );
    assert.deepEqual(engine.list({ newest: 0 }), []);
    const since = 1_000_000 + 4 * 1000;
    assert.deepEqual(
      [...engine.verifiedSince(since)].map((i) => i.verifiedAt).sort(),
      all
        .filter((i) => (i.verifiedAt ?? 0) >= since)
        .map((i) => i.verifiedAt)
        .sort(),
    );

    const path = join(dir, 'f0.tif');
    const st = await fs.stat(path);
    assert.equal(engine.verifiedAs(path, st.size, st.mtimeMs), true);
    assert.equal(engine.verifiedAs(path, st.size + 1, st.mtimeMs), false);
    assert.equal(engine.verifiedAs(path, st.size, st.mtimeMs + 1), false);
    assert.equal(engine.verifiedAs(join(dir, 'nothing.tif'), 0, 0), false);
  } finally {
    await engine.stop();
  }
});
