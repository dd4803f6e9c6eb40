/**
 * Idle detection from CloudWatch CPUUtilization (basic monitoring: 5-minute averages).
 * An instance is idle when it has run at least the whole window, CloudWatch has datapoints
 * covering it (one 5-minute gap tolerated for metric lag) and every average is below the
 * threshold. Missing data never counts as idle.
 */
import { GetMetricStatisticsCommand, type CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { fromAwsError } from '../aws/errors.ts';

export type CloudWatchApi = Pick<CloudWatchClient, 'send'>;

export interface IdleVerdict {
  idle: boolean;
  /** Mean of the 5-minute averages in the window; null without data. */
  averageCpu: number | null;
  datapoints: number;
}

const PERIOD_S = 300;

export async function checkIdle(
  cloudwatch: CloudWatchApi,
  instanceId: string,
  options: { nowMs: number; uptimeMs: number; thresholdPercent: number; windowMinutes: number },
): Promise<IdleVerdict> {
  const windowMs = options.windowMinutes * 60_000;
  let out;
  try {
    out = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: 'AWS/EC2',
        MetricName: 'CPUUtilization',
        Dimensions: [{ Name: 'InstanceId', Value: instanceId }],
        StartTime: new Date(options.nowMs - windowMs),
        EndTime: new Date(options.nowMs),
        Period: PERIOD_S,
        Statistics: ['Average'],
      }),
    );
  } catch (e) {
    throw fromAwsError(e, `read CPU metrics of ${instanceId}`);
  }
  const values = (out.Datapoints ?? []).map((d) => d.Average).filter((v): v is number => typeof v === 'number');
  const averageCpu = values.length ? values.reduce((s, v) => s + v, 0) / values.length : null;
  const needed = Math.max(1, Math.floor(windowMs / (PERIOD_S * 1000)) - 1);
  const idle = options.uptimeMs >= windowMs && values.length >= needed && values.every((v) => v < options.thresholdPercent);
  return { idle, averageCpu, datapoints: values.length };
}
