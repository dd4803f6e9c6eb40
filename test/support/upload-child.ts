/**
 * Child process for the kill -9 test: uploads every file under SRC (and writes + offers one growing
 * file) with the upload engine, then prints DONE. It may be SIGKILLed at any moment and started
 * again with the same arguments; it continues the growing file from its current size (the content
 * is a deterministic function of the offset) and relies on the engine's journal for the rest.
 *
 * Arguments: a JSON object (argv[2]) with endpoint, region, credentials, bucket, stateDir, src,
 * growing: { path, size, seed }.
 */
import { open, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createUploadEngine } from '../../main/upload/engine.ts';
import { MiB } from '../../main/upload/part-layout.ts';
import { patternBytes } from './upload-fixtures.ts';

interface Args {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  stateDir: string;
  src: string;
  growing: { path: string; size: number; seed: number };
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
const engine = createUploadEngine({
  target: { kind: 's3', client, bucket: args.bucket, prefix: 'kill' },
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
  const chunk = 2 * MiB;
  while (have < size) {
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
