/**
 * S3's daily storage metrics for a whole bucket: CloudWatch namespace AWS/S3, metric
 * BucketSizeBytes, dimensions BucketName and StorageType, one datapoint a day. They count the
 * whole bucket, so they never price a prefix; the storage bill uses them only as a cross-check of
 * a whole-bucket listing (prefix ''). One GetMetricStatistics per storage class over the last
 * three days; the newest datapoint of each counts. Never throws: a failure is the answer's `error`.
 */
import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import type { S3StorageClass } from './price-table.ts';

/** CloudWatch's StorageType for each storage class (its byte counts, not overheads). */
export const STORAGE_TYPE_OF: Record<S3StorageClass, string> = {
  STANDARD: 'StandardStorage',
  STANDARD_IA: 'StandardIAStorage',
  ONEZONE_IA: 'OneZoneIAStorage',
  INTELLIGENT_TIERING: 'IntelligentTieringFAStorage',
  GLACIER_IR: 'GlacierInstantRetrievalStorage',
  GLACIER: 'GlacierStorage',
  DEEP_ARCHIVE: 'DeepArchiveStorage',
};

export interface BucketMetrics {
  source: 'cloudwatch BucketSizeBytes';
  /** Epoch ms of the newest datapoint; null when S3 has published none (new bucket, or metrics off). */
  at: number | null;
  totalBytes: number;
  byClass: Array<{ storageClass: string; bytes: number }>;
  error: string | null;
}

const DAY_MS = 86_400_000;

export async function bucketMetrics(cw: Pick<CloudWatchClient, 'send'>, bucket: string, now: number): Promise<BucketMetrics> {
  const byClass: BucketMetrics['byClass'] = [];
  let at: number | null = null;
  try {
    for (const [storageClass, storageType] of Object.entries(STORAGE_TYPE_OF)) {
      const out = await cw.send(
        new GetMetricStatisticsCommand({
          Namespace: 'AWS/S3',
          MetricName: 'BucketSizeBytes',
          Dimensions: [
            { Name: 'BucketName', Value: bucket },
            { Name: 'StorageType', Value: storageType },
          ],
          StartTime: new Date(now - 3 * DAY_MS),
          EndTime: new Date(now),
          Period: 86_400,
          Statistics: ['Average'],
        }),
      );
      const newest = [...(out.Datapoints ?? [])]
        .filter((d) => d.Timestamp && d.Average !== undefined)
        .sort((a, b) => b.Timestamp!.getTime() - a.Timestamp!.getTime())[0];
      if (!newest) continue;
      byClass.push({ storageClass, bytes: newest.Average! });
      at = Math.max(at ?? 0, newest.Timestamp!.getTime());
    }
  } catch (e) {
    const name = (e as { name?: string }).name ?? 'Error';
    return {
      source: 'cloudwatch BucketSizeBytes',
      at: null,
      totalBytes: 0,
      byClass: [],
      error: `CloudWatch's S3 metrics could not be read (${name}; it needs cloudwatch:GetMetricStatistics)`,
    };
  }
  return { source: 'cloudwatch BucketSizeBytes', at, totalBytes: byClass.reduce((n, c) => n + c.bytes, 0), byClass, error: null };
}
