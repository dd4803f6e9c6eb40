/**
 * A real AccessDenied: versitygw with its internal IAM, a bucket owned by the root account and an
 * upload with a plain `user` account that has no access to it. The item stops with a clear
 * message naming the bucket, the circuit stays closed (no probing, no retry loop) and the item is
 * kept until the user retries it, which succeeds once access is granted.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createUploadEngine, type UploadEngine } from '../../../main/upload/engine.ts';
import { MiB } from '../../../main/upload/part-layout.ts';
import { sameBytes, writePatternFile } from '../../support/upload-fixtures.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { requires } from '../../support/requirements.ts';
import { FakeTime } from '../../support/fake-timers.ts';

const skip = requires(versitygwMissing());

describe('AccessDenied from a store with IAM', { skip, timeout: 120_000 }, () => {
  let gw: Versitygw;
  let dir: string;
  before(async () => {
    gw = await startVersitygw({ iam: true });
    dir = await mkdtemp(join(tmpdir(), 'scopecloud-denied-'));
  });
  after(async () => {
    await gw?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('an account without access to the bucket: the item fails with AccessDenied naming the bucket, kept for retry', async () => {
    const bucket = await gw.createBucket();
    const user = await gw.createUser('user');
    const src = join(dir, 'src');
    const small = join(src, 'small.tif');
    const big = join(src, 'big.tif');
    await writePatternFile(small, 1, 3000);
    await writePatternFile(big, 2, 12 * MiB + 3);
    const client = gw.client({ credentials: user });
    let requests = 0;
    client.middlewareStack.add(
      (next) => (args) => {
        requests++;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const events: string[] = [];
    // the engine's retries, backoff and circuit probes all run on this clock
    const time = new FakeTime();
    const engine: UploadEngine = createUploadEngine({
      target: { kind: 's3', client, bucket, prefix: 'rig' },
      stateDir: join(dir, 'state'),
      baseDir: src,
      minPartSize: 5 * MiB,
      backoff: { baseMs: 10, capMs: 50 },
      circuit: { failureThreshold: 2, probeIntervalMs: 20, maxProbeIntervalMs: 50 },
      clock: time,
      timers: time,
    });
    engine.subscribe((e) => {
      if (e.type === 'circuit') events.push(e.state);
    });
    await engine.start();
    try {
      const items = [await engine.add(small), await engine.add(big)];
      await engine.drain();
      for (const item of items) {
        const got = engine.get(item.id)!;
        assert.equal(got.state, 'failed', JSON.stringify(got));
        assert.equal(got.error?.code, 'AccessDenied', JSON.stringify(got.error));
        assert.match(got.error!.message, new RegExp(`^access denied by S3 for \\w+ on s3://${bucket}/rig/`));
        assert.ok(!got.error!.message.includes('\n'));
      }
      // no spinning: the circuit never opened and nothing is sent while the items wait for the user
      assert.deepEqual(events, []);
      assert.equal(engine.status().circuit.state, 'closed');
      const settled = requests;
      await time.advance(60 * 60_000);
      await engine.drain(); // any run a timer started has ended
      assert.equal(time.pending, 0, 'no retry, backoff or probe is scheduled for the failed items');
      assert.equal(requests, settled, 'no requests in an hour of engine time while the failed items wait');
      assert.ok(settled <= 12, `a handful of requests, not a retry loop (${settled})`);
      assert.deepEqual(
        engine
          .list({ state: 'failed' })
          .map((i) => i.id)
          .sort(),
        items.map((i) => i.id).sort(),
      );

      // access granted, the user retries: both upload and verify
      await gw.changeBucketOwner(bucket, user.accessKeyId);
      assert.equal(await engine.retryAll(), 2);
      await engine.drain();
      for (const item of items) assert.equal(engine.get(item.id)?.state, 'verified');
      assert.ok(await sameBytes(gw.client(), bucket, 'rig/big.tif', big));
      assert.ok(await sameBytes(gw.client(), bucket, 'rig/small.tif', small));
    } finally {
      await engine.stop();
    }
  });
});
