/**
 * The app's S3 client keeps its connections: parts and files of 2 MB or more (which the SDK sends
 * with `Expect: 100-continue`) go over the connections already open instead of one new connection
 * each, which on a lab's lossy, 40 ms link costs a handshake and a slow start per part (#19).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client, sharedRequestHandler } from '../../../main/aws/s3-client.ts';
import { createUploadEngine } from '../../../main/upload/engine.ts';
import { MiB } from '../../../main/upload/part-layout.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { writePatternFile } from '../../support/upload-fixtures.ts';
import { requires } from '../../support/requirements.ts';

/** A TCP pass-through to `port` that counts the connections it accepted. */
async function countingProxy(port: number): Promise<{ endpoint: string; connections: () => number; stop: () => Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    connections++;
    const upstream = connect({ port, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {});
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connections: () => connections,
    async stop() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe("the app's S3 client reuses connections for large bodies", { skip: requires(versitygwMissing()), timeout: 120_000 }, () => {
  let gw: Versitygw;
  let dir: string;
  let keepAlive: string | undefined;
  before(async () => {
    // versitygw closes each connection after its response unless told to keep it, as S3 does
    keepAlive = process.env.VGW_KEEP_ALIVE;
    process.env.VGW_KEEP_ALIVE = 'true';
    gw = await startVersitygw();
    dir = await mkdtemp(join(tmpdir(), 'scopecloud-reuse-'));
  });
  after(async () => {
    await gw?.stop();
    if (keepAlive === undefined) delete process.env.VGW_KEEP_ALIVE;
    else process.env.VGW_KEEP_ALIVE = keepAlive;
    await rm(dir, { recursive: true, force: true });
  });

  test('eight 3 MiB files and a 20 MiB file, two requests at a time, over at most four connections', async () => {
    const bucket = await gw.createBucket();
    const proxy = await countingProxy(gw.port);
    const src = join(dir, 'src');
    const names = [...Array.from({ length: 8 }, (_, i) => `f${i}.tif`), 'big.tif'];
    for (const [i, n] of names.entries()) await writePatternFile(join(src, n), i + 1, n === 'big.tif' ? 20 * MiB : 3 * MiB);
    const client = createS3Client({ region: gw.region, endpoint: proxy.endpoint, credentials: gw.credentials, requestHandler: sharedRequestHandler(2) });
    const engine = createUploadEngine({
      target: { kind: 's3', client, bucket, prefix: 'reuse' },
      stateDir: join(dir, 'state'),
      baseDir: src,
      concurrency: { files: 2, requests: 2 },
      minPartSize: 5 * MiB,
    });
    try {
      await engine.start();
      for (const n of names) await engine.add(join(src, n));
      await engine.drain();
      assert.deepEqual(
        engine.list().map((i) => i.state),
        names.map(() => 'verified'),
      );
      // 8 PutObjects + CreateMultipartUpload, 4 UploadParts, Complete and the HeadObjects: well over
      // a dozen requests; a connection each would be as many connections
      assert.ok(proxy.connections() <= 4, `connections opened: ${proxy.connections()}`);
    } finally {
      await engine.stop();
      client.destroy();
      await proxy.stop();
    }
  });
});
