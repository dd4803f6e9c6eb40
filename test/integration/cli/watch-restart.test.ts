/**
 * Restarting `scopecloud watch` over a finished session sends nothing again and reads none of its
 * files; a file changed later goes up as `name.v2.ext` with a second manifest naming the change.
 * Real CLI processes, against the local archive and against versitygw. Reads are told by access
 * times (test/support/file-reads.ts).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { randomBytes } from 'node:crypto';
import { GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { runCli } from '../../support/cli.ts';
import { requires } from '../../support/requirements.ts';
import { atimeMissing, forgetReads, readSince } from '../../support/file-reads.ts';

const noAtime = await atimeMissing(tmpdir());
const skipAll = requires(noAtime);
const skipS3 = requires(noAtime, versitygwMissing());
let gw: Versitygw | undefined;
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-restart-'));
  if (!skipS3) gw = await startVersitygw();
});
after(async () => {
  await gw?.stop();
  await rm(work, { recursive: true, force: true });
});

interface Store {
  /** Every object key, sorted (without the target prefix). */
  keys(): Promise<string[]>;
  read(key: string): Promise<Buffer>;
}

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** A watched root `scope` holding one finished session `mouse1` (two TIFFs and its marker). */
async function finishedSession(name: string): Promise<{ root: string; files: string[] }> {
  const root = join(work, name, 'scope');
  await mkdir(join(root, 'mouse1'), { recursive: true });
  await writeFile(join(root, 'mouse1', 't0.tif'), randomBytes(2_000_000));
  await writeFile(join(root, 'mouse1', 't1.tif'), randomBytes(3000));
  await writeFile(join(root, 'mouse1', 'acquisition.done'), '');
  return { root, files: ['t0.tif', 't1.tif', 'acquisition.done'].map((f) => join(root, 'mouse1', f)) };
}

async function restartsSendNothing(env: NodeJS.ProcessEnv, root: string, files: string[], store: Store): Promise<void> {
  assert.equal((await runCli(['config', 'set', 'watch.stableMs', '300'], env)).code, 0);
  const first = await runCli(['watch', root, '--once'], env);
  assert.equal(first.code, 0, first.stderr);
  const afterFirst = await store.keys();
  assert.deepEqual(afterFirst, ['scope/mouse1/manifest.json', 'scope/mouse1/t0.tif', 'scope/mouse1/t1.tif']);

  for (const run of [2, 3]) {
    await forgetReads(files);
    const again = await runCli(['watch', root, '--once'], env);
    assert.equal(again.code, 0, again.stderr);
    assert.deepEqual(await store.keys(), afterFirst, `run ${run} sent nothing new`);
    assert.deepEqual(await readSince(files), [], `run ${run} read none of the session's files`);
  }

  // A file changed after its session closed: the new bytes as t1.v2.tif, a second manifest naming it.
  await appendFile(files[1], randomBytes(100));
  await forgetReads(files);
  const changed = await runCli(['watch', root, '--once'], env);
  assert.equal(changed.code, 0, changed.stderr);
  assert.deepEqual(await store.keys(), [
    'scope/mouse1/manifest.json',
    'scope/mouse1/manifest.v2.json',
    'scope/mouse1/t0.tif',
    'scope/mouse1/t1.tif',
    'scope/mouse1/t1.v2.tif',
  ]);
  assert.deepEqual(await readSince(files), [files[1]], 'only the changed file was read');
  const manifest = JSON.parse((await store.read('scope/mouse1/manifest.v2.json')).toString()) as {
    generation: number;
    changes?: unknown;
    files: Array<{ path: string; size: number }>;
  };
  assert.equal(manifest.generation, 2);
  assert.deepEqual(manifest.changes, { since: 1, added: [], changed: ['t1.tif'], removed: [] });
  assert.deepEqual(
    manifest.files.map((f) => [f.path, f.size]),
    [
      ['t0.tif', 2_000_000],
      ['t1.tif', 3100],
    ],
  );
}

test('local archive: three runs over a closed session leave one manifest and read no file again', { skip: skipAll }, async () => {
  const home = join(work, 'home-local');
  const { root, files } = await finishedSession('local');
  const archive = join(home, 'archive');
  await restartsSendNothing({ SCOPECLOUD_HOME: home }, root, files, {
    keys: () => filesUnder(archive),
    read: (key) => readFile(join(archive, key)),
  });
});

test('S3 (versitygw): three runs over a closed session leave one manifest and read no file again', { skip: skipS3 }, async () => {
  const g = gw!;
  const bucket = await g.createBucket();
  const home = join(work, 'home-s3');
  const env: NodeJS.ProcessEnv = {
    SCOPECLOUD_HOME: home,
    AWS_ACCESS_KEY_ID: g.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: g.credentials.secretAccessKey,
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
  };
  assert.equal((await runCli(['config', 'target', 's3', '--bucket', bucket, '--region', g.region, '--prefix', 'rig1', '--endpoint', g.endpoint], env)).code, 0);
  const { root, files } = await finishedSession('s3');
  const s3 = g.client();
  await restartsSendNothing(env, root, files, {
    keys: async () => ((await s3.send(new ListObjectsV2Command({ Bucket: bucket }))).Contents ?? []).map((o) => o.Key!.replace(/^rig1\//, '')).sort(),
    read: async (key) => Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `rig1/${key}` }))).Body!.transformToByteArray()),
  });
});
