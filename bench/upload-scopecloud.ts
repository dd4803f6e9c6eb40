/**
 * The ScopeCloud side of `npm run bench:upload`, run as its own process so its CPU time and peak
 * RSS are measured alone. Argument: JSON { endpoint, region, credentials, bucket, stateDir,
 * dir | growing: { path, size, rateBytesPerSecond } | watched: { dir, size, probe, readyFile },
 * upload? }. The engine gets the app's settings-to-options mapping applied to the default upload
 * settings (or to `upload` overrides).
 * - `dir`: every file in it is added; `growing`: this process writes the file and tells the engine
 *   its size after each write and at close (the close is seen directly);
 * - `watched`: the app's folder watcher (default stability window, with the open-writer probe or
 *   without it) feeds the engine while another process writes one file of `size` bytes into `dir`;
 *   `readyFile` is created once the watcher runs.
 * Prints one JSON line: { seconds, bytes, closeToCompleteSeconds?, verifiedAtEpochMs?, crc32c }.
 */
import { open, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createS3Client, sharedRequestHandler } from '../main/aws/s3-client.ts';
import { createUploadEngine } from '../main/upload/engine.ts';
import { engineOptionsFromSettings } from '../main/acquisition/engine-options.ts';
import { defaultSettings, type UploadSettings } from '../main/config/schema.ts';
import { MiB } from '../main/upload/part-layout.ts';
import { crc32cImplementation } from '../main/upload/crc32c.ts';
import { FolderWatcher } from '../main/watch/folder-watcher.ts';
import { defaultOpenWriterProbe, noOpenWriterProbe } from '../main/watch/open-writer-probe.ts';

interface Args {
  endpoint: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  bucket: string;
  stateDir: string;
  dir?: string;
  growing?: { path: string; size: number; rateBytesPerSecond: number };
  watched?: { dir: string; size: number; probe: boolean; readyFile: string };
  /** Settings to try instead of the app's defaults (the engine options come from them as in the app). */
  upload?: Partial<UploadSettings>;
}

const args = JSON.parse(process.argv[2]) as Args;
// the app's own S3 client and HTTP handler (keep-alive agents, timeouts, no SDK retries)
const client = createS3Client({ region: args.region, endpoint: args.endpoint, credentials: args.credentials, requestHandler: sharedRequestHandler() });
const engine = createUploadEngine({
  target: { kind: 's3', client, bucket: args.bucket, prefix: 'scopecloud' },
  stateDir: args.stateDir,
  baseDir: args.dir ?? args.watched?.dir ?? (args.growing ? join(args.growing.path, '..') : undefined),
  ...engineOptionsFromSettings({ ...defaultSettings('').upload, ...args.upload }),
});
await engine.start();
const t0 = performance.now();
let bytes = 0;
let closeToComplete: number | undefined;
let verifiedAtEpochMs: number | undefined;
if (args.dir) {
  const names = await readdir(args.dir);
  await Promise.all(names.map((n) => engine.add(join(args.dir!, n))));
  await engine.drain();
  for (const i of engine.list()) bytes += i.size;
} else if (args.growing) {
  const { path, size, rateBytesPerSecond } = args.growing;
  const fh = await open(path, 'w');
  const chunk = Buffer.alloc(8 * MiB);
  for (let i = 0; i < chunk.length; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0, i);
  let written = 0;
  const start = performance.now();
  while (written < size) {
    const n = Math.min(chunk.length, size - written);
    chunk.writeUInt32LE(written / 4, 0);
    await fh.write(chunk, 0, n, written);
    written += n;
    await engine.offer(path, written, false);
    const due = start + (written / rateBytesPerSecond) * 1000;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  }
  await fh.write(Buffer.from('II*\0BENCHHDR'), 0, 12, 0);
  await fh.close();
  const closed = performance.now();
  await engine.offer(path, size, true);
  await engine.drain();
  closeToComplete = (performance.now() - closed) / 1000;
  bytes = size;
} else if (args.watched) {
  const { dir, size, probe, readyFile } = args.watched;
  const settings = defaultSettings('').watch;
  const watcher = new FolderWatcher(
    { roots: [dir], include: settings.include, exclude: settings.exclude, stableMs: settings.stableMs },
    { probe: probe ? defaultOpenWriterProbe() : noOpenWriterProbe },
  );
  const done = new Promise<void>((resolve) => {
    const unsubscribe = engine.subscribe((e) => {
      if (e.type !== 'item' || e.item.state !== 'verified' || e.item.size !== size) return;
      verifiedAtEpochMs = Date.now();
      unsubscribe();
      resolve();
    });
  });
  // offers for one path in the order the watcher reported them, as the acquisition service does
  let chain: Promise<unknown> = Promise.resolve();
  watcher.on('growing', (f) => (chain = chain.then(() => engine.offer(f.path, f.size, false))));
  watcher.on('complete', (f) => (chain = chain.then(() => engine.offer(f.path, f.size, true, { mtimeMs: f.mtimeMs }))));
  await watcher.start();
  await writeFile(readyFile, '');
  await done;
  await watcher.stop();
  bytes = size;
}
const seconds = (performance.now() - t0) / 1000;
const bad = engine.list().filter((i) => i.state !== 'verified');
await engine.stop();
if (bad.length) {
  console.error(`not verified: ${JSON.stringify(bad.slice(0, 3))}`);
  process.exit(1);
}
console.log(JSON.stringify({ seconds, bytes, closeToCompleteSeconds: closeToComplete, verifiedAtEpochMs, crc32c: crc32cImplementation }));
