/**
 * Launch presets: the few instance shapes a microscopy lab needs, named for the job rather than
 * the EC2 type. Every preset carries a maximum runtime and what happens when it is reached
 * (`expiryAction`, also the instance-initiated shutdown behaviour), so nothing runs unbounded.
 *
 *   small-analysis  c7i.2xlarge   8 vCPU,  16 GiB  suite2p on one plane, quick scripts; stops after 4 h
 *   large-compute   c7i.8xlarge  32 vCPU,  64 GiB  many planes in parallel; terminates after 8 h
 *   large-memory    r7i.8xlarge  32 vCPU, 256 GiB  whole-volume registration, big in-memory stacks; stops after 8 h
 *   gpu             g5.xlarge     4 vCPU,  16 GiB, 1 x A10G 24 GB: deep-learning segmentation (Cellpose); terminates after 4 h
 *
 * `stop` keeps the disk (billed while stopped) so work on it survives; `terminate` is for
 * nodes whose results go to S3 and whose disk is disposable.
 */
import { ComputeError } from '../aws/errors.ts';
import type { ExpiryAction } from '../aws/ec2-instance.ts';

export interface LaunchPreset {
  name: string;
  label: string;
  description: string;
  instanceType: string;
  /** Root volume (gp3), GB. */
  diskGb: number;
  maxRuntimeMinutes: number;
  expiryAction: ExpiryAction;
  /**
   * Launch as a one-time Spot instance (cheaper, may be interrupted). One-time Spot instances
   * cannot be stopped, so a spot launch always terminates at its maximum runtime or interruption.
   */
  spot?: boolean;
}

/** The expiry action a launch really gets: one-time Spot instances can only terminate. */
export function effectiveExpiry(preset: LaunchPreset, spot: boolean): ExpiryAction {
  return spot ? 'terminate' : preset.expiryAction;
}

export const SPOT_PRICE_NOTE = 'Spot prices vary by the hour and zone; costs shown use the on-demand price as an upper bound.';

export const PRESETS: ReadonlyArray<LaunchPreset> = [
  {
    name: 'small-analysis',
    label: 'Small analysis',
    description: 'Single-plane suite2p, scripts and notebooks',
    instanceType: 'c7i.2xlarge',
    diskGb: 100,
    maxRuntimeMinutes: 240,
    expiryAction: 'stop',
  },
  {
    name: 'large-compute',
    label: 'Large compute',
    description: 'Many planes or sessions in parallel; results go to S3',
    instanceType: 'c7i.8xlarge',
    diskGb: 200,
    maxRuntimeMinutes: 480,
    expiryAction: 'terminate',
  },
  {
    name: 'large-memory',
    label: 'Large memory',
    description: 'Whole-volume registration and big in-memory stacks',
    instanceType: 'r7i.8xlarge',
    diskGb: 300,
    maxRuntimeMinutes: 480,
    expiryAction: 'stop',
  },
  {
    name: 'gpu',
    label: 'GPU',
    description: 'Deep-learning segmentation (Cellpose, StarDist) on one NVIDIA A10G',
    instanceType: 'g5.xlarge',
    diskGb: 200,
    maxRuntimeMinutes: 240,
    expiryAction: 'terminate',
  },
];

/** The presets an analysis can run on (the worker uses CPUs only), cheapest first. */
export const ANALYSIS_PRESETS: ReadonlyArray<string> = ['small-analysis', 'large-compute', 'large-memory'];

export function presetByName(name: string): LaunchPreset {
  const preset = PRESETS.find((p) => p.name === name);
  if (!preset) {
    throw new ComputeError('UNKNOWN_PRESET', `unknown preset "${name}" (choose one of: ${PRESETS.map((p) => p.name).join(', ')})`);
  }
  return preset;
}
