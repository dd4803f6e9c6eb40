/** Builds InstanceInfo values for unit tests; only the fields a test cares about need passing. */
import type { InstanceInfo } from '../../../main/aws/ec2-instance.ts';

export function makeInstance(over: Partial<InstanceInfo> & { id: string }): InstanceInfo {
  return {
    name: over.id,
    type: 'c7i.2xlarge',
    state: 'running',
    launchTime: '2026-01-01T00:00:00.000Z',
    uptimeMs: 0,
    tags: {},
    owner: null,
    purpose: null,
    preset: null,
    maxRuntimeMinutes: null,
    expiryAction: 'stop',
    managed: true,
    hourlyPrice: 1,
    accruedCost: 0,
    volumes: [],
    storageMonthly: 0,
    ...over,
  };
}
