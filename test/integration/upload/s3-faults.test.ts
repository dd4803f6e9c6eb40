/**
 * Faults during every S3 operation the engine uses (503 SlowDown, 500, dropped connections before
 * and after the server executed the request, stalls longer than the idle timeout, truncated
 * responses), injected by the fault proxy in front of versitygw. Every object must still end up
 * byte-identical, verified, exactly once, with no multipart upload left behind.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AbortMultipartUploadCommand, CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { createUploadEngine, type UploadEngine } from '../../../main/upload/engine.ts';
import { MiB } from '../../../main/upload/part-layout.ts';
import { S3Target, type S3TargetOptions } from '../../../main/upload/s3-target.ts';
import type { UploadTarget } from '../../../main/upload/target.ts';
import { gate, hookTarget, storeParts } from '../../support/target-hooks.ts';
import { faults, startFaultProxy, type Fault, type FaultProxy } from '../../support/fault-proxy.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { listKeys, listUploads, sameBytes, writePatternFile } from '../../support/upload-fixtures.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing());
const WRITE_OPS = ['HeadObject', 'PutObject', 'CreateMultipartUpload', 'UploadPart', 'CompleteMultipartUpload'];
const RESUME_OPS = ['ListMultipartUploads', 'AbortMultipartUpload', 'ListParts', 'HeadBucket'];

describe('upload engine under injected S3 faults', { skip, timeout: 150_000 }, () => {
  let gw: Versitygw;
  let dir: string;
  const proxies: FaultProxy[] = [];
  const engines: UploadEngine[] = [];

  before(async () => {
    gw = await startVersitygw();
    dir = await mkdtemp(join(tmpdir(), 'scopecloud-faults-'));
  });
  after(async () => {
    for (const e of engines) await e.stop().catch(() => {});
    for (const p of proxies) await p.stop();
    await gw?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  function s3Via(endpoint: string, bucket: string): S3TargetOptions {
    return { kind: 's3', client: gw.client({ endpoint, requestTimeoutMs: 30_000 }), bucket, prefix: 'run' };
  }

  function engineVia(endpoint: string, bucket: string, name: string, src: string, extra: { target?: UploadTarget; files?: number } = {}): UploadEngine {
    const e = createUploadEngine({
      target: extra.target ? { kind: 'custom', target: extra.target } : s3Via(endpoint, bucket),
      stateDir: join(dir, `state-${name}`),
      baseDir: src,
      minPartSize: 5 * MiB,
      idleTimeoutMs: 800,
      concurrency: { files: extra.files ?? 3, requests: 4 },
      backoff: { baseMs: 10, capMs: 100, maxAttempts: 12 },
      circuit: { failureThreshold: 3, probeIntervalMs: 50, maxProbeIntervalMs: 200 },
    });
    engines.push(e);
    return e;
  }

  async function makeFiles(src: string, seed: number): Promise<string[]> {
    const files: [string, number][] = [
      ['s1.tif', 1000],
      ['s2.tif', 70_000],
      ['empty.tif', 0],
      ['m1.tif', 11 * MiB + 3],
      ['m2.tif', 5 * MiB + 1],
    ];
    for (const [i, [name, size]] of files.entries()) await writePatternFile(join(src, name), seed + i, size);
    return files.map(([name]) => name);
  }

  async function assertAllThere(bucket: string, src: string, names: string[]): Promise<void> {
    const c = gw.client();
    assert.deepEqual(await listKeys(c, bucket), names.map((n) => `run/${n}`).sort(), 'exactly one object per file');
    for (const n of names) assert.ok(await sameBytes(c, bucket, `run/${n}`, join(src, n)), `${n} byte-identical`);
    assert.deepEqual(await listUploads(c, bucket), [], 'no multipart upload left');
  }

  const kinds: [string, Fault][] = [
    ['503 SlowDown', faults.slowDown()],
    ['500 InternalError', faults.internalError()],
    ['connection dropped before the server sees the request', faults.dropRequest()],
    ['connection dropped after the server executed the request', faults.dropResponse()],
    ['truncated response body', faults.truncate(0.3)],
    ['stall longer than the idle timeout', faults.delay(1_500)],
  ];

  for (const [label, fault] of kinds) {
    test(`${label} on every operation`, async () => {
      const bucket = await gw.createBucket();
      const src = join(dir, `src-${fault.kind}-${label.length}`);
      const names = await makeFiles(src, label.length * 10);
      const proxy = await startFaultProxy({ target: gw.endpoint, seed: label.length });
      proxies.push(proxy);
      // the first two requests of every write-path operation fail
      proxy.setRules(WRITE_OPS.map((op) => ({ match: op, fault, times: 2 })));
      const e = engineVia(proxy.endpoint, bucket, `${fault.kind}-${label.length}`, src);
      await e.start();
      for (const n of names) await e.add(join(src, n));
      await e.drain();
      const failed = e.list().filter((i) => i.state !== 'verified');
      assert.deepEqual(
        failed.map((i) => `${i.path}: ${i.error?.message}`),
        [],
      );
      const injected = proxy.stats().injected;
      for (const op of WRITE_OPS) assert.ok((injected[op] ?? 0) >= 1, `fault injected into ${op}: ${JSON.stringify(injected)}`);
      await assertAllThere(bucket, src, names);
      await e.stop();
    });
  }

  test('faults during resume: ListMultipartUploads, AbortMultipartUpload, ListParts, HeadBucket probes', async () => {
    const bucket = await gw.createBucket();
    const src = join(dir, 'src-resume');
    await writePatternFile(join(src, 'big.tif'), 77, 26 * MiB);
    await writePatternFile(join(src, 'orphan.tif'), 78, 11 * MiB);
    // run 1, direct, stopped once two parts of big.tif are stored (the rest held) and orphan.tif's
    // upload is created but its answer held: an orphan of this queue's for the next start to abort
    const { target: partsHeld, stored, parts } = storeParts(new S3Target(s3Via(gw.endpoint, bucket)), 2);
    const created = gate();
    const target = hookTarget(partsHeld, {
      async createUpload(k, signal, owner) {
        if (k !== 'orphan.tif') return partsHeld.createUpload(k, signal, owner);
        await partsHeld.createUpload(k, signal, owner);
        created.open();
        return new Promise<string>((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
      },
    });
    const e1 = engineVia(gw.endpoint, bucket, 'resume', src, { target });
    await e1.start();
    await e1.add(join(src, 'big.tif'));
    await e1.add(join(src, 'orphan.tif'));
    await Promise.all([stored, created.promise]);
    await e1.stop();
    // and an upload another writer started under the same prefix, which this queue must leave alone
    const foreign = await gw.client().send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: 'run/foreign.tif', ChecksumAlgorithm: 'CRC32C' }));
    assert.equal((await listUploads(gw.client(), bucket)).length, 3);

    const proxy = await startFaultProxy({ target: gw.endpoint, seed: 5 });
    proxies.push(proxy);
    proxy.setRules([
      { match: 'ListMultipartUploads', fault: faults.internalError(), times: 1 },
      { match: 'AbortMultipartUpload', fault: faults.dropResponse(), times: 1 },
      { match: 'ListParts', fault: faults.truncate(0.5), times: 1 },
      { match: 'ListParts', fault: faults.dropRequest(), times: 3 },
      { match: 'HeadBucket', fault: faults.slowDown(), times: 1 },
    ]);
    const resent = new Set<number>();
    const viaProxy = new S3Target(s3Via(proxy.endpoint, bucket));
    // one file at a time, so big.tif's ListParts faults come in a row and open the circuit (HeadBucket probes)
    const e2 = engineVia(proxy.endpoint, bucket, 'resume', src, {
      files: 1,
      target: hookTarget(viaProxy, {
        uploadPart(k, id, part, body, crc, io) {
          if (k === 'big.tif') resent.add(part.n);
          return viaProxy.uploadPart(k, id, part, body, crc, io);
        },
      }),
    });
    await e2.start();
    await e2.drain();
    const injected = proxy.stats().injected;
    for (const op of RESUME_OPS) assert.ok((injected[op] ?? 0) >= 1, `fault injected into ${op}: ${JSON.stringify(injected)}`);
    for (const i of e2.list()) assert.equal(i.state, 'verified', i.error?.message);
    assert.deepEqual(
      [...parts].filter((n) => resent.has(n)),
      [],
      `resumed instead of starting over: parts ${[...parts]} stored by run 1 were not sent again`,
    );
    assert.ok(resent.size > 0);
    assert.deepEqual(await listUploads(gw.client(), bucket), [`run/foreign.tif:${foreign.UploadId}`], "another writer's upload is left alone");
    await gw.client().send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: 'run/foreign.tif', UploadId: foreign.UploadId }));
    await assertAllThere(bucket, src, ['big.tif', 'orphan.tif']);
  });

  test('random faults of every kind (seeded) across a batch', async () => {
    const bucket = await gw.createBucket();
    const src = join(dir, 'src-random');
    const names: string[] = [];
    for (let i = 0; i < 24; i++) {
      const name = `f${String(i).padStart(2, '0')}.tif`;
      await writePatternFile(join(src, name), 500 + i, i % 6 === 0 ? 6 * MiB + i : 3000 * i);
      names.push(name);
    }
    const proxy = await startFaultProxy({ target: gw.endpoint, seed: 1234 });
    proxies.push(proxy);
    const all = [...WRITE_OPS, 'HeadBucket'];
    proxy.setRules([
      { match: all, fault: faults.slowDown(), probability: 0.08 },
      { match: all, fault: faults.internalError(), probability: 0.05 },
      { match: all, fault: faults.dropResponse(), probability: 0.05 },
      { match: all, fault: faults.dropRequest(), probability: 0.04 },
      { match: all, fault: faults.truncate(), probability: 0.04 },
    ]);
    const e = engineVia(proxy.endpoint, bucket, 'random', src);
    await e.start();
    for (const n of names) await e.add(join(src, n));
    await e.drain();
    assert.deepEqual(
      e
        .list()
        .filter((i) => i.state !== 'verified')
        .map((i) => i.error?.message),
      [],
    );
    assert.ok(Object.values(proxy.stats().injected).reduce((a, b) => a + b, 0) >= 5);
    await assertAllThere(bucket, src, names);
  });
});
