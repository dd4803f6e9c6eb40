/**
 * Two rigs (two state dirs, two queues) and an analysis instance share one bucket and prefix.
 * Starting rig A's queue must abort only the unfinished multipart uploads rig A started: rig B's
 * half-done upload and an instance's results upload under jobs/<id>/results/ survive it, while the
 * upload rig A created and never journaled (its response lost, then the queue stopped) is aborted.
 * The same for two queues sharing one archive folder (a NAS), whose partial files are uploads.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateMultipartUploadCommand, ListPartsCommand } from '@aws-sdk/client-s3';
import { createUploadEngine, type UploadEngine } from '../../../main/upload/engine.ts';
import { MiB } from '../../../main/upload/part-layout.ts';
import { FolderTarget } from '../../../main/upload/folder-target.ts';
import { S3Target } from '../../../main/upload/s3-target.ts';
import type { UploadTarget } from '../../../main/upload/target.ts';
import { gate, hookTarget, storeParts } from '../../support/target-hooks.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { listUploads, sameBytes, writePatternFile } from '../../support/upload-fixtures.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing());
const PREFIX = 'lab';
let gw: Versitygw;
let dir: string;
const engines: UploadEngine[] = [];

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'scopecloud-shared-'));
  if (skip) return;
  gw = await startVersitygw();
});
after(async () => {
  for (const e of engines) await e.stop().catch(() => {});
  await gw?.stop();
  if (dir && !process.env.KEEP) await rm(dir, { recursive: true, force: true });
});

function rig(name: string, bucket: string, src: string, target?: UploadTarget): UploadEngine {
  const e = createUploadEngine({
    target: target ? { kind: 'custom', target } : { kind: 's3', client: gw.client(), bucket, prefix: PREFIX },
    stateDir: join(dir, `state-${name}`),
    baseDir: src,
    minPartSize: 5 * MiB,
    concurrency: { files: 2, requests: 4 },
  });
  engines.push(e);
  return e;
}

test("a queue's start aborts its own unjournaled upload and leaves other rigs' and instances' uploads alone", { skip, timeout: 120_000 }, async () => {
  const bucket = await gw.createBucket();
  const c = gw.client();
  const s3 = () => new S3Target({ kind: 's3', client: gw.client(), bucket, prefix: PREFIX });
  const srcA = join(dir, 'rig-a');
  const srcB = join(dir, 'rig-b');
  await writePatternFile(join(srcA, 'a.tif'), 1, 12 * MiB);
  await writePatternFile(join(srcB, 'b.tif'), 2, 12 * MiB);

  // Rig B: one part of b.tif stored, then stopped; its journal names the upload.
  const held = storeParts(s3(), 1);
  const b1 = rig('b', bucket, srcB, held.target);
  await b1.start();
  await b1.add(join(srcB, 'b.tif'));
  await held.stored;
  await b1.stop();

  // An analysis instance writing its results.
  const results = await c.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: `${PREFIX}/jobs/j1/results/F.npy`, ChecksumAlgorithm: 'CRC32C' }));

  // Rig A: CreateMultipartUpload reaches S3 but its answer never reaches the queue, which then stops.
  const created = gate();
  let orphan = '';
  const inner = s3();
  const a1 = rig(
    'a',
    bucket,
    srcA,
    hookTarget(inner, {
      async createUpload(k, signal, owner) {
        orphan = await inner.createUpload(k, signal, owner);
        created.open();
        return new Promise<string>((_, reject) => {
          if (signal.aborted) reject(signal.reason);
          signal.addEventListener('abort', () => reject(signal.reason), { once: true });
        });
      },
    }),
  );
  await a1.start();
  await a1.add(join(srcA, 'a.tif'));
  await created.promise;
  await a1.stop();

  const before = await listUploads(c, bucket);
  const bUpload = before.find((u) => u.startsWith(`${PREFIX}/b.tif:`));
  assert.ok(bUpload, `rig B's upload is open: ${before}`);
  assert.ok(before.includes(`${PREFIX}/a.tif:${orphan}`), `rig A's unjournaled upload is open: ${before}`);
  assert.equal(before.length, 3);

  // Rig A starts again: its start-up sweep runs, then a.tif goes up.
  const a2 = rig('a', bucket, srcA);
  await a2.start();
  const afterStart = await listUploads(c, bucket);
  assert.ok(!afterStart.includes(`${PREFIX}/a.tif:${orphan}`), "rig A's own orphan is aborted");
  assert.ok(afterStart.includes(bUpload), "rig B's unfinished upload survives rig A's start");
  assert.ok(afterStart.includes(`${PREFIX}/jobs/j1/results/F.npy:${results.UploadId}`), "the instance's results upload survives rig A's start");
  assert.equal(a2.status().sweepError, undefined);
  await a2.drain();
  assert.equal(a2.list()[0].state, 'verified', a2.list()[0].error?.message);
  assert.ok(await sameBytes(c, bucket, `${PREFIX}/a.tif`, join(srcA, 'a.tif')));

  // Rig B's stored part is still there, and rig B finishes its file by resuming it.
  const bId = bUpload.slice(`${PREFIX}/b.tif:`.length);
  const parts = await c.send(new ListPartsCommand({ Bucket: bucket, Key: `${PREFIX}/b.tif`, UploadId: bId }));
  assert.deepEqual(
    parts.Parts?.map((p) => p.PartNumber),
    [...held.parts],
  );
  const b2 = rig('b', bucket, srcB);
  await b2.start();
  await b2.drain();
  assert.equal(b2.list()[0].state, 'verified', b2.list()[0].error?.message);
  assert.ok(await sameBytes(c, bucket, `${PREFIX}/b.tif`, join(srcB, 'b.tif')));
  assert.deepEqual(await listUploads(c, bucket), [`${PREFIX}/jobs/j1/results/F.npy:${results.UploadId}`], 'only the instance upload is left');
  assert.match(await readFile(join(dir, 'state-a', 'queue-id'), 'utf8'), /^[0-9a-f]{16}\n$/);
  await a2.stop();
  await b2.stop();
});

test("a queue's start removes its own unjournaled partial file in a shared archive folder and leaves the other rig's", { timeout: 60_000 }, async () => {
  const root = join(dir, 'nas');
  await mkdir(root, { recursive: true });
  const srcA = join(dir, 'nas-rig-a');
  const srcB = join(dir, 'nas-rig-b');
  await writePatternFile(join(srcA, 'a.tif'), 3, 11 * MiB);
  await writePatternFile(join(srcB, 'b.tif'), 4, 11 * MiB);
  const folder = (name: string, src: string, target: UploadTarget) => {
    const e = createUploadEngine({ target: { kind: 'custom', target }, stateDir: join(dir, `nas-state-${name}`), baseDir: src, minPartSize: 5 * MiB });
    engines.push(e);
    return e;
  };
  const partials = () => readdir(join(root, '.scopecloud-partial'));

  const held = storeParts(new FolderTarget({ kind: 'folder', root }), 1);
  const b = folder('b', srcB, held.target);
  await b.start();
  await b.add(join(srcB, 'b.tif'));
  await held.stored;
  await b.stop();
  const [bPartial] = await partials();

  const created = gate();
  let orphan = '';
  const inner = new FolderTarget({ kind: 'folder', root });
  const a1 = folder(
    'a',
    srcA,
    hookTarget(inner, {
      async createUpload(k, signal, owner) {
        orphan = await inner.createUpload(k, signal, owner);
        created.open();
        return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      },
    }),
  );
  await a1.start();
  await a1.add(join(srcA, 'a.tif'));
  await created.promise;
  await a1.stop();
  assert.deepEqual((await partials()).sort(), [bPartial, orphan].sort());

  const a2 = folder('a', srcA, new FolderTarget({ kind: 'folder', root }));
  await a2.start();
  assert.deepEqual(await partials(), [bPartial], "rig A's own partial is removed, rig B's kept");
  await a2.drain();
  assert.equal(a2.list()[0].state, 'verified', a2.list()[0].error?.message);
  assert.deepEqual(await partials(), [bPartial]);
  await a2.stop();
});
