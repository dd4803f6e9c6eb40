/**
 * Restoring an analysis's inputs from cold storage (issue #21 point 3, second part, S3 side):
 * HeadObject reports each input's class and restore state, the plan names what must be restored
 * with the cost and wait per tier, RestoreObject is asked only with consent, and the inputs read
 * as ready once S3 has restored them.
 *
 * versitygw has no archive classes, no RestoreObject and no `x-amz-restore` header, so the bucket
 * is versitygw behind test/support/glacier-proxy.ts, which adds them (objects marked archived by
 * the test; restores complete when the test says so). Everything else reaches versitygw.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { inspectColdInputs, requestRestores, RestoreConsentError } from '../../../main/jobs/restore-objects.ts';
import { RESTORE_DAYS, restorePlan } from '../../../main/jobs/restore-plan.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { startGlacierProxy, type GlacierProxy } from '../../support/glacier-proxy.ts';
import { requires } from '../../support/requirements.ts';

const skip = requires(versitygwMissing());
let gw: Versitygw;
let proxy: GlacierProxy;

before(async () => {
  if (skip) return;
  gw = await startVersitygw();
  proxy = await startGlacierProxy({ target: gw.endpoint, restoreMs: 3_600_000 });
});
after(async () => {
  await proxy?.stop();
  await gw?.stop();
});

test('cold inputs: planned with cost and wait per tier, restored only with consent, then ready', { skip }, async () => {
  const bucket = await gw.createBucket();
  const s3 = new S3Client({ region: gw.region, endpoint: proxy.endpoint, forcePathStyle: true, credentials: gw.credentials });
  const keys = ['lab/rig/s1/a.tif', 'lab/rig/s1/b.tif', 'lab/rig/s1/c.tif'];
  for (const [i, key] of keys.entries()) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: Buffer.alloc(1000 * (i + 1), i) }));
  proxy.archive(bucket, keys[0], 'GLACIER');
  proxy.archive(bucket, keys[1], 'DEEP_ARCHIVE');

  const first = restorePlan(await inspectColdInputs(s3, bucket, keys), 0.023, Date.now());
  assert.deepEqual(
    first.toRestore.map((o) => [o.key, o.storageClass, o.size]),
    [
      [keys[0], 'GLACIER', 1000],
      [keys[1], 'DEEP_ARCHIVE', 2000],
    ],
  );
  assert.equal(first.ready, 1, 'the STANDARD input is ready');
  assert.deepEqual(
    first.tiers.map((t) => t.tier),
    ['Bulk', 'Standard'],
    'no Expedited with a DEEP_ARCHIVE input',
  );
  await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] })), /InvalidObjectState|not valid/);

  await assert.rejects(requestRestores(s3, bucket, first, { tier: 'Standard', consent: false }), RestoreConsentError);
  assert.equal(proxy.restoreRequests.length, 0, 'nothing asked without consent');
  assert.deepEqual(await requestRestores(s3, bucket, first, { tier: 'Standard', consent: true }), [keys[0], keys[1]]);
  assert.deepEqual(
    proxy.restoreRequests.map((r) => [r.key, r.tier, r.days]),
    [
      [keys[0], 'Standard', RESTORE_DAYS],
      [keys[1], 'Standard', RESTORE_DAYS],
    ],
  );

  const waiting = restorePlan(await inspectColdInputs(s3, bucket, keys), 0.023, Date.now());
  assert.deepEqual([waiting.toRestore.length, waiting.ongoing.length, waiting.ready], [0, 2, 1]);
  // asking again while S3 restores (409 RestoreAlreadyInProgress) counts as asked
  assert.deepEqual(await requestRestores(s3, bucket, { toRestore: waiting.ongoing }, { tier: 'Standard', consent: true }), [keys[0], keys[1]]);

  proxy.completeRestores();
  const done = restorePlan(await inspectColdInputs(s3, bucket, keys), 0.023, Date.now());
  assert.deepEqual([done.toRestore.length, done.ongoing.length, done.ready], [0, 0, 3]);
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: keys[0] }))).Body!.transformToByteArray();
  assert.equal(body.length, 1000, 'a restored object reads');
});

test('a refused restore names the object', { skip }, async () => {
  const bucket = await gw.createBucket();
  const s3 = new S3Client({ region: gw.region, endpoint: proxy.endpoint, forcePathStyle: true, credentials: gw.credentials });
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: 'x.tif', Body: 'x' }));
  // not archived: S3 answers InvalidObjectState to a restore of it
  await assert.rejects(
    requestRestores(s3, bucket, { toRestore: [{ key: 'x.tif', size: 1, storageClass: 'GLACIER' }] }, { tier: 'Bulk', consent: true }),
    new RegExp(`S3 refused to restore s3://${bucket}/x.tif`),
  );
});
