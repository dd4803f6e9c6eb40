/**
 * S3's daily BucketSizeBytes per StorageType, read from CloudWatch (moto). moto has no S3 metrics
 * publisher, so the test puts the datapoints S3 would publish with PutMetricData (moto accepts the
 * AWS/S3 namespace, which real CloudWatch reserves for AWS) and reads them back as the cross-check.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { bucketMetrics } from '../../../main/cost/bucket-metrics.ts';
import { motoMissing, useMoto, type MotoServer } from '../../support/moto.ts';
import { requires } from '../../support/requirements.ts';

const DAY = 86_400_000;

describe("S3's BucketSizeBytes per storage class from CloudWatch (moto)", { skip: requires(motoMissing()), timeout: 120_000 }, () => {
  let moto: MotoServer;
  useMoto((m) => {
    moto = m;
  });

  it('takes the newest daily datapoint of each storage type of the bucket, and none of another bucket', async () => {
    const cw = new CloudWatchClient({ region: moto.region, endpoint: moto.endpoint, credentials: moto.credentials });
    const now = Date.now();
    const day0 = Math.floor(now / DAY) * DAY;
    const put = (bucket: string, storageType: string, at: number, bytes: number) =>
      cw.send(
        new PutMetricDataCommand({
          Namespace: 'AWS/S3',
          MetricData: [
            {
              MetricName: 'BucketSizeBytes',
              Dimensions: [
                { Name: 'BucketName', Value: bucket },
                { Name: 'StorageType', Value: storageType },
              ],
              Timestamp: new Date(at),
              Value: bytes,
              Unit: 'Bytes',
            },
          ],
        }),
      );
    await put('lab-data', 'StandardStorage', day0 - 2 * DAY, 1_000);
    await put('lab-data', 'StandardStorage', day0 - DAY, 5_000);
    await put('lab-data', 'DeepArchiveStorage', day0 - DAY, 70_000);
    await put('other-lab', 'StandardStorage', day0 - DAY, 999_999);
    const m = await bucketMetrics(cw, 'lab-data', now);
    assert.equal(m.error, null);
    assert.deepEqual(m.byClass, [
      { storageClass: 'STANDARD', bytes: 5_000 },
      { storageClass: 'DEEP_ARCHIVE', bytes: 70_000 },
    ]);
    assert.equal(m.totalBytes, 75_000);
    assert.equal(m.at, day0 - DAY);
    const none = await bucketMetrics(cw, 'no-metrics-yet', now);
    assert.deepEqual([none.at, none.totalBytes, none.error], [null, 0, null]);
  });

  it('an unreachable CloudWatch is an error in the answer, not zero bytes presented as fact', async () => {
    const dead = new CloudWatchClient({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    const m = await bucketMetrics(dead, 'lab-data', Date.now());
    assert.match(m.error ?? '', /^CloudWatch's S3 metrics could not be read \(/);
  });
});
