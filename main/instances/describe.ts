/**
 * Reading instances from EC2 into `InstanceInfo`: paginated DescribeInstances (hundreds of
 * instances are fine), volume sizes from DescribeVolumes in batches, uptime and accrued cost from
 * the injected clock and the price table.
 */
import { DescribeInstancesCommand, DescribeVolumesCommand, type EC2Client, type Filter, type Instance } from '@aws-sdk/client-ec2';
import { accruedCost } from '../cost/live-cost.ts';
import { ebsPerGbMonth, hourlyPriceOrNull, type PriceTable } from '../cost/price-table.ts';
import { fromAwsError } from '../aws/errors.ts';
import { APP_TAG_VALUE, TAG, type ExpiryAction, type InstanceInfo, type InstanceState, type VolumeInfo } from '../aws/ec2-instance.ts';
import { type Clock } from '../common/time.ts';

export type Ec2Api = Pick<EC2Client, 'send'>;

export interface DescribeContext {
  ec2: Ec2Api;
  clock: Clock;
  prices: PriceTable;
  region: string;
}

export const MANAGED_FILTER: Filter = { Name: `tag:${TAG.app}`, Values: [APP_TAG_VALUE] };

/** Every instance matching `filters` (all pages), terminated ones excluded unless asked. */
export async function describeInstances(
  ctx: DescribeContext,
  options: { filters?: Filter[]; instanceIds?: string[]; includeTerminated?: boolean } = {},
): Promise<InstanceInfo[]> {
  const raw: Instance[] = [];
  let token: string | undefined;
  do {
    let out;
    try {
      out = await ctx.ec2.send(
        new DescribeInstancesCommand({
          Filters: options.filters?.length ? options.filters : undefined,
          InstanceIds: options.instanceIds,
          // MaxResults may not be combined with InstanceIds.
          MaxResults: options.instanceIds ? undefined : 200,
          NextToken: token,
        }),
      );
    } catch (e) {
      throw fromAwsError(e, options.instanceIds ? `describe ${options.instanceIds.join(', ')}` : 'list instances');
    }
    for (const r of out.Reservations ?? []) raw.push(...(r.Instances ?? []));
    token = out.NextToken;
  } while (token);
  const kept = raw.filter((i) => options.includeTerminated || i.State?.Name !== 'terminated');
  const volumes = await describeVolumes(ctx, kept.flatMap((i) => (i.BlockDeviceMappings ?? []).map((b) => b.Ebs?.VolumeId ?? '')).filter(Boolean));
  const now = ctx.clock.now();
  return kept.map((i) => toInstanceInfo(i, volumes, ctx, now));
}

async function describeVolumes(ctx: DescribeContext, ids: string[]): Promise<Map<string, { sizeGb: number; type: string }>> {
  const out = new Map<string, { sizeGb: number; type: string }>();
  for (let at = 0; at < ids.length; at += 200) {
    const batch = ids.slice(at, at + 200);
    let token: string | undefined;
    do {
      let page;
      try {
        // A filter (unlike VolumeIds) does not fail when a volume vanished meanwhile.
        page = await ctx.ec2.send(new DescribeVolumesCommand({ Filters: [{ Name: 'volume-id', Values: batch }], NextToken: token }));
      } catch (e) {
        throw fromAwsError(e, 'describe volumes');
      }
      for (const v of page.Volumes ?? []) {
        if (v.VolumeId) out.set(v.VolumeId, { sizeGb: v.Size ?? 0, type: v.VolumeType ?? 'unknown' });
      }
      token = page.NextToken;
    } while (token);
  }
  return out;
}

function toInstanceInfo(i: Instance, volumes: Map<string, { sizeGb: number; type: string }>, ctx: DescribeContext, now: number): InstanceInfo {
  const tags: Record<string, string> = {};
  for (const t of i.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
  const id = i.InstanceId ?? '';
  const state = (i.State?.Name ?? 'pending') as InstanceState;
  const type = i.InstanceType ?? 'unknown';
  const launchMs = i.LaunchTime ? new Date(i.LaunchTime).getTime() : null;
  const uptimeMs = launchMs !== null && (state === 'running' || state === 'pending') ? Math.max(0, now - launchMs) : 0;
  const hourlyPrice = hourlyPriceOrNull(ctx.prices, ctx.region, type);
  const vols: VolumeInfo[] = (i.BlockDeviceMappings ?? [])
    .filter((b) => b.Ebs?.VolumeId)
    .map((b) => {
      const v = volumes.get(b.Ebs!.VolumeId!);
      return { id: b.Ebs!.VolumeId!, sizeGb: v?.sizeGb ?? 0, type: v?.type ?? 'unknown', deleteOnTermination: b.Ebs?.DeleteOnTermination ?? true };
    });
  // gp3 price for every EBS type: an estimate (gp2/io volumes cost somewhat more).
  const perGb = ctx.prices.regions[ctx.region] ? ebsPerGbMonth(ctx.prices, ctx.region) : 0;
  const maxRuntime = Number(tags[TAG.maxRuntime]);
  const expiry: ExpiryAction = tags[TAG.expiryAction] === 'terminate' ? 'terminate' : 'stop';
  return {
    id,
    name: tags[TAG.name] || id,
    type,
    state,
    launchTime: launchMs !== null ? new Date(launchMs).toISOString() : null,
    stateSince: state === 'running' || state === 'pending' ? null : transitionTime(i.StateTransitionReason),
    uptimeMs,
    tags,
    owner: tags[TAG.owner] ?? null,
    purpose: tags[TAG.purpose] ?? null,
    preset: tags[TAG.preset] ?? null,
    maxRuntimeMinutes: Number.isFinite(maxRuntime) && maxRuntime > 0 ? maxRuntime : null,
    expiryAction: expiry,
    managed: tags[TAG.app] === APP_TAG_VALUE,
    spot: i.InstanceLifecycle === 'spot' || tags[TAG.market] === 'spot',
    hourlyPrice,
    accruedCost: hourlyPrice === null ? null : accruedCost(hourlyPrice, uptimeMs),
    volumes: vols,
    storageMonthly: vols.reduce((s, v) => s + v.sizeGb * perGb, 0),
  };
}

/**
 * The time in a StateTransitionReason such as "User initiated (2026-11-27 10:00:00 GMT)" as ISO;
 * null when there is none. EC2 writes GMT, moto UTC: both mean UTC.
 */
export function transitionTime(reason: string | undefined): string | null {
  const m = /\((\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)/.exec(reason ?? '');
  if (!m) return null;
  const ms = Date.parse(`${m[1]}T${m[2]}Z`);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}
