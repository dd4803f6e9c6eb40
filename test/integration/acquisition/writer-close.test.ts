/**
 * Completion by the writer's close on the real watcher (real /proc probe, fs events) and the real
 * upload engine against versitygw, with a writer in its own process (test/support/writer-child.ts).
 * The stability window is set to ten minutes, so a completion within the test can only come from
 * the close rule. Checked by order of events, not by time: no completion while the writer holds
 * the file (after the probe has found it held three times since the last write), a completion
 * after the close was asked for, with the final size, and the stored bytes; a file reopened after
 * it completed goes up again as a new version (`name.v2.tif`).
 */
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

import { startAcquisition, type Acquisition } from '../../../main/acquisition/acquisition-service.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { createProcFdProbe, type OpenWriterProbe } from '../../../main/watch/open-writer-probe.ts';
import { requires } from '../../support/requirements.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { patternByte, startWriter, type Writer } from '../../support/writer-child.ts';

const skip = requires(versitygwMissing(), process.platform === 'linux' ? false : 'the open-writer probe reads /proc (Linux only)');

type Entry = { type: 'growing' | 'complete' | 'verified' | 'asked'; what?: string; size?: number; reason?: string; key?: string };

async function until(what: string, ok: () => boolean, ms = 30_000): Promise<void> {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('completion by the writer close, watcher + upload to versitygw', { skip, timeout: 120_000 }, () => {
  let gw: Versitygw;
  let s3: S3Client;
  let bucket: string;
  let work: string;
  before(async () => {
    gw = await startVersitygw();
    s3 = gw.client();
    bucket = await gw.createBucket();
    work = await mkdtemp(join(tmpdir(), 'scopecloud-writer-close-'));
  });
  after(async () => {
    await gw?.stop();
    if (work) await rm(work, { recursive: true, force: true });
  });

  /** An acquisition over `rig` whose probe counts, per file, the probes that found it held. */
  async function acquire(name: string) {
    const rig = join(work, name);
    await mkdir(join(rig, 's1'), { recursive: true });
    const base = defaultSettings(join(work, 'unused'));
    const settings = {
      ...base,
      target: { kind: 's3' as const, bucket, prefix: 'lab', region: gw.region, profile: '', endpoint: gw.endpoint },
      watch: { ...base.watch, folders: [rig], stableMs: 600_000 },
    };
    const real = createProcFdProbe();
    const held = new Map<string, number>();
    const probe: OpenWriterProbe = {
      writersVisible: (paths) => real.writersVisible!(paths),
      async openForWriting(paths) {
        const open = await real.openForWriting(paths);
        for (const path of open) held.set(path, (held.get(path) ?? 0) + 1);
        return open;
      },
    };
    const acq: Acquisition = await startAcquisition({
      settings,
      s3,
      queueDir: join(work, `${name}-queue`),
      stagingDir: join(work, `${name}-manifests`),
      watch: true,
      sessionIdleMs: 600_000,
      snapshotMs: 0,
      watchDeps: { probe },
    });
    const log: Entry[] = [];
    acq.watcher!.on('growing', (e) => log.push({ type: 'growing', size: e.size }));
    acq.watcher!.on('complete', (e) => log.push({ type: 'complete', size: e.size, reason: e.reason }));
    acq.engine.subscribe((e) => {
      if (e.type === 'item' && e.item.state === 'verified') log.push({ type: 'verified', size: e.item.size, key: e.item.key });
    });
    const ask = (what: string) => log.push({ type: 'asked', what });
    const of = (type: Entry['type']) => log.filter((e) => e.type === type);
    const index = (entry: Entry | undefined) => (entry ? log.indexOf(entry) : -1);
    /** Waits until the probe found `path` held `times` more times than now. */
    const heldAgain = async (path: string, times: number) => {
      const from = held.get(path) ?? 0;
      await until(`the probe to find the file held ${times} times`, () => (held.get(path) ?? 0) >= from + times);
    };
    return { rig, acq, log, ask, of, index, heldAgain };
  }

  /** The bytes stored under an item's key (`s3://<bucket>/<key>`). */
  async function stored(itemKey: string): Promise<Buffer> {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: itemKey.slice(`s3://${bucket}/`.length) }));
    return Buffer.from(await got.Body!.transformToByteArray());
  }

  function pattern(size: number): Buffer {
    const bytes = Buffer.alloc(size);
    for (let i = 0; i < size; i++) bytes[i] = patternByte(i);
    return bytes;
  }

  it('a file written in chunks completes only after its writer closes it, and is uploaded whole', async () => {
    const { rig, acq, log, ask, of, index, heldAgain } = await acquire('rig-chunks');
    const path = join(rig, 's1', 'movie.tif');
    const writer: Writer = startWriter(path);
    try {
      await writer.do('open');
      let size = 0;
      for (let chunk = 0; chunk < 4; chunk++) {
        size = await writer.do('write 65536');
        await until(`growth to ${size}`, () => of('growing').some((e) => e.size === size));
      }
      await heldAgain(path, 3);
      assert.deepEqual(of('complete'), [], 'not complete while the writer holds it open');
      assert.deepEqual(of('verified'), []);

      ask('close');
      await writer.do('close');
      await until('the completion', () => of('complete').length > 0);
      await until('the object verified', () => of('verified').length > 0);
      const [complete] = of('complete');
      assert.deepEqual([complete.reason, complete.size], ['closed', size]);
      assert.ok(index(complete) > index(log.find((e) => e.type === 'asked')), `completed before the close was asked: ${JSON.stringify(log)}`);
      const [verified] = of('verified');
      assert.ok(index(verified) > index(complete));
      assert.equal(verified.key, `s3://${bucket}/lab/rig-chunks/s1/movie.tif`);
      const local = await readFile(path);
      assert.ok(local.equals(pattern(size)));
      assert.ok((await stored(verified.key!)).equals(local), 'the stored object holds the closed file');
      assert.equal(of('complete').length, 1);
    } finally {
      await writer.do('exit').catch(() => undefined);
      writer.kill();
      await acq.stop();
    }
  });

  it('a writer that closes and reopens: each close completes a version, none while it is open', async () => {
    const { rig, acq, log, ask, of, index, heldAgain } = await acquire('rig-rounds');
    const path = join(rig, 's1', 'rounds.tif');
    const writer: Writer = startWriter(path);
    try {
      await writer.do('open');
      const first = await writer.do('write 40000');
      await until(`growth to ${first}`, () => of('growing').some((e) => e.size === first));
      // a writer the probe never found is not seen to close (the stability window applies)
      await heldAgain(path, 1);
      ask('close 1');
      await writer.do('close');
      await until('the first completion and upload', () => of('verified').length === 1);
      assert.deepEqual(
        of('complete').map((e) => [e.reason, e.size]),
        [['closed', first]],
      );

      ask('reopen');
      await writer.do('open');
      const second = await writer.do('write 30000');
      await until('growth after the reopen', () => of('growing').some((e) => e.size === second));
      await heldAgain(path, 3);
      assert.equal(of('complete').length, 1, 'the reopened file is not complete while held');
      ask('close 2');
      await writer.do('close');
      await until('the second completion and upload', () => of('verified').length === 2);

      const completes = of('complete');
      assert.deepEqual(
        completes.map((e) => [e.reason, e.size]),
        [
          ['closed', first],
          ['closed', second],
        ],
      );
      const asked = (what: string) => index(log.find((e) => e.type === 'asked' && e.what === what));
      assert.ok(index(completes[0]) > asked('close 1') && index(completes[0]) < asked('reopen'), JSON.stringify(log));
      assert.ok(index(completes[1]) > asked('close 2'), JSON.stringify(log));
      const keys = of('verified').map((e) => e.key);
      assert.deepEqual(keys, [`s3://${bucket}/lab/rig-rounds/s1/rounds.tif`, `s3://${bucket}/lab/rig-rounds/s1/rounds.v2.tif`]);
      assert.ok((await stored(keys[0]!)).equals(pattern(first)), 'version 1 holds the first round');
      assert.ok((await stored(keys[1]!)).equals(pattern(second)), 'version 2 holds both rounds');
    } finally {
      await writer.do('exit').catch(() => undefined);
      writer.kill();
      await acq.stop();
    }
  });
});
