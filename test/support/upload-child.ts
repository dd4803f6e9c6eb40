/**
 * Child process for the kill -9 test: uploads every file under SRC (and writes + offers one growing
 * file) with the upload engine, then prints DONE. It may be SIGKILLed at any moment and started
 * again with the same arguments; it continues the growing file from its current size (the content
 * is a deterministic function of the offset) and relies on the engine's journal for the rest.
 *
 * Arguments: a JSON object (argv[2]) with endpoint, region, credentials, bucket, stateDir, src,
 * growing: { path, size, seed }, and optionally crashAt: { phase, nth, key }.
 *
 * With crashAt, the `nth` target response of that phase in this run (for `key` only, when given)
 * is the crash point: the child writes `AT <json>` (phase, key, uploadId, part number, the growing
 * file's size on disk) to stdout and freezes its thread, so the engine takes no step after the
 * server acknowledged that request and before the parent's SIGKILL. Phases: `put` (PutObject
 * stored, not yet verified or journaled), `create` (CreateMultipartUpload answered, its uploadId
 * not yet journaled), `part` (UploadPart stored, not yet journaled), `complete`
 * (CompleteMultipartUpload done, the object not yet verified or journaled).
 *
 * The writer of the growing file pauses at GROWING_HOLD bytes until one of its parts reached the
 * server, so a crash at that file's first part lands while it is still growing.
 */
import { statSync, writeSync } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createUploadEngine } from '../../main/upload/engine.ts';
import { MiB } from '../../main/upload/part-layout.ts';
import { S3Target } from '../../main/upload/s3-target.ts';
import { gate, hookTarget } from './target-hooks.ts';
import { patternBytes } from './upload-fixtures.ts';

export type CrashPhase = 'put' | 'create' | 'part' | 'complete';
export interface CrashPoint {
  phase: CrashPhase;
  nth: number;
  key?: string;
}
export interface CrashReport {
  phase: CrashPhase;
  key: string;
  uploadId?: string;
  n?: number;
  growingSizeOnDisk: number;
}
const GROWING_HOLD = 12 * MiB;

interface Args {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  stateDir: string;
  src: string;
  growing: { path: string; size: number; seed: number };
  crashAt?: CrashPoint;
}

const args = JSON.parse(process.argv[2]) as Args;

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await walk(p)));
    else out.push(p);
  }
  return out;
}

const client = new S3Client({
  region: args.region,
  endpoint: args.endpoint,
  forcePathStyle: true,
  credentials: args.credentials,
  maxAttempts: 1,
  requestHandler: new NodeHttpHandler({ connectionTimeout: 2000, requestTimeout: 20_000 }),
});
const seen: Record<CrashPhase, number> = { put: 0, create: 0, part: 0, complete: 0 };
const growingKey = basename(args.growing.path);
const growingPartStored = gate();

/** Called once the server answered a request of `phase`; freezes the process at the crash point. */
function reached(phase: CrashPhase, key: string, detail: { uploadId?: string; n?: number } = {}): void {
  if (phase === 'part' && key === growingKey) growingPartStored.open();
  const at = args.crashAt;
  if (!at || at.phase !== phase || (at.key !== undefined && at.key !== key)) return;
  if (++seen[phase] !== at.nth) return;
  const report: CrashReport = { phase, key, ...detail, growingSizeOnDisk: statSync(args.growing.path).size };
  writeSync(1, `AT ${JSON.stringify(report)}\n`);
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0);
}

const s3 = new S3Target({ kind: 's3', client, bucket: args.bucket, prefix: 'kill' });
const target = hookTarget(s3, {
  async putSingle(key, body, crc, io) {
    const r = await s3.putSingle(key, body, crc, io);
    reached('put', key);
    return r;
  },
  async createUpload(key, signal, owner) {
    const uploadId = await s3.createUpload(key, signal, owner);
    reached('create', key, { uploadId });
    return uploadId;
  },
  async uploadPart(key, uploadId, part, body, crc, io) {
    const r = await s3.uploadPart(key, uploadId, part, body, crc, io);
    reached('part', key, { uploadId, n: part.n });
    return r;
  },
  async complete(key, uploadId, parts, signal) {
    const r = await s3.complete(key, uploadId, parts, signal);
    reached('complete', key, { uploadId });
    return r;
  },
});

const engine = createUploadEngine({
  target: { kind: 'custom', target },
  stateDir: args.stateDir,
  baseDir: args.src,
  minPartSize: 5 * MiB,
  bandwidthLimit: 30 * MiB,
  concurrency: { files: 6, requests: 6 },
  backoff: { baseMs: 20, capMs: 300 },
});
await engine.start();

const grow = async () => {
  const { path, size, seed } = args.growing;
  const full = patternBytes(seed, size);
  full.write('II*\0HEADER-FINAL', 0, 'latin1');
  await (await open(path, 'a')).close();
  const fh = await open(path, 'r+'); // not 'a': O_APPEND would ignore the positions below
  let have = (await stat(path)).size;
  const hold = have < GROWING_HOLD;
  const chunk = 2 * MiB;
  while (have < size) {
    if (hold && have >= GROWING_HOLD) await growingPartStored.promise;
    // the header placeholder is written first and rewritten when the file closes
    const slice = Buffer.from(full.subarray(have, Math.min(size, have + chunk)));
    if (have === 0) slice.write('II*\0HEADER-DRAFT', 0, 'latin1');
    await fh.write(slice, 0, slice.length, have);
    have += slice.length;
    await engine.offer(path, have, false);
    await new Promise((r) => setTimeout(r, 30));
  }
  await fh.write(full.subarray(0, 16), 0, 16, 0);
  await fh.close();
  await engine.offer(path, size, true);
};

const growing = grow();
for (const f of await walk(args.src)) await engine.add(f);
await growing;
await engine.drain();
const notDone = engine.list().filter((i) => i.state !== 'verified');
await engine.stop();
if (notDone.length) {
  console.log(`NOT DONE ${JSON.stringify(notDone.map((i) => [i.path, i.state, i.error?.message]))}`);
  process.exit(2);
}
console.log('DONE');
