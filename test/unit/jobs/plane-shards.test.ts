import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';
import { shardsFor } from '../../../main/jobs/job-wiring.ts';

test("fan-out of a volumetric movie: one shard per source and plane, each with the worker's --plane", async () => {
  const dir = await mkdtemp(join(tmpdir(), 'plane-shards-'));
  try {
    const store = fsObjectStore(join(dir, 'archive'));
    await store.put('sessions/a/movie.tif', 'x');
    await store.put('sessions/b/movie.tif', 'x');
    const shards = await shardsFor(store, ['sessions/a', 'sessions/b'], { fanOut: true, where: 'ec2', planes: 2 });
    assert.deepEqual(
      shards.map((s) => [s.label, s.args]),
      [
        ['sessions/a plane 0', ['--plane', '0']],
        ['sessions/a plane 1', ['--plane', '1']],
        ['sessions/b plane 0', ['--plane', '0']],
        ['sessions/b plane 1', ['--plane', '1']],
      ],
    );
    assert.deepEqual(shards[1].input, { kind: 'store', keys: ['sessions/a/movie.tif'] });
    // one plane, or no fan-out: as before
    assert.deepEqual(
      (await shardsFor(store, ['sessions/a', 'sessions/b'], { fanOut: true, where: 'ec2', planes: 1 })).map((s) => s.args),
      [[], []],
    );
    assert.equal((await shardsFor(store, ['sessions/a', 'sessions/b'], { fanOut: false, where: 'ec2', planes: 2 })).length, 1);
    assert.deepEqual((await shardsFor(store, ['sessions/a'], { fanOut: false, where: 'ec2', planes: 2 }))[0].args, []);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
