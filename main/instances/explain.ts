/**
 * Plain-words explanations shown before every instance action: what happens, what it does to
 * the bill, what is lost. The CLI prints them and the UI shows them in its confirm dialog;
 * `confirmation` says what the user must give before the action may run.
 */
import { duration, usd } from '../cost/money.ts';
import type { LaunchPreset } from './presets.ts';
import { DEADLINE_EVERY_BOOT, TAG, type InstanceInfo } from '../aws/ec2-instance.ts';

export type InstanceAction = 'start' | 'stop' | 'reboot' | 'terminate';

export interface Explanation {
  action: InstanceAction | 'launch';
  /** The instance id, or the preset name for a launch. */
  subject: string;
  /** One sentence: what will happen. */
  what: string;
  /** What it does to billing, with numbers where known. */
  cost: string;
  /** What data or state is lost; empty when nothing is. */
  lost: string[];
  /** 'none': runs at once; 'yes': needs an explicit yes; 'name': the user must type the instance id or name. */
  confirmation: 'none' | 'yes' | 'name';
}

function hourly(i: InstanceInfo): string {
  return i.hourlyPrice === null ? 'its hourly price (not in the price table)' : `${usd(i.hourlyPrice)}/h`;
}

function disks(i: InstanceInfo): string {
  const gb = i.volumes.reduce((s, v) => s + v.sizeGb, 0);
  return gb > 0 ? `its ${gb} GB of disks (${usd(i.storageMonthly)}/month)` : 'its disks';
}

export function explainAction(action: InstanceAction, i: InstanceInfo): Explanation {
  const label = i.name === i.id ? i.id : `${i.name} (${i.id})`;
  switch (action) {
    case 'start': {
      const ends = i.expiryAction === 'terminate' ? 'terminates' : 'stops';
      const limit =
        i.maxRuntimeMinutes === null
          ? ' It has no maximum runtime: it runs until you stop it.'
          : rearmsEveryBoot(i)
            ? ` It ${ends} itself after ${duration(i.maxRuntimeMinutes * 60_000)}, counted from this start (the limit is re-armed at every boot)` +
              (i.hourlyPrice !== null ? `, so this start costs at most ${usd((i.hourlyPrice * i.maxRuntimeMinutes) / 60)}.` : '.')
            : ` Its maximum runtime (${duration(i.maxRuntimeMinutes * 60_000)}) was armed on the instance only at its first boot, so nothing on the instance ends this start;` +
              ` ScopeCloud ${i.expiryAction === 'terminate' ? 'terminates' : 'stops'} it after ${duration(i.maxRuntimeMinutes * 60_000)} only while the app is running.`;
      return {
        action,
        subject: i.id,
        what: `Starts ${label}, a ${i.type}.`,
        cost: `Compute billing resumes at ${hourly(i)}, per second, whether or not you are connected.${limit}`,
        lost: [],
        confirmation: 'none',
      };
    }
    case 'stop':
      return {
        action,
        subject: i.id,
        what: `Shuts down ${label}; it can be started again later.`,
        cost: `Compute billing (${hourly(i)}) stops. ${disks(i)[0].toUpperCase()}${disks(i).slice(1)} are kept and still billed while it is stopped.`,
        lost: [
          'everything in memory (unsaved work, running jobs)',
          'data on instance-store (ephemeral) disks',
          'its public IP address (a new one is assigned on start)',
        ],
        confirmation: 'yes',
      };
    case 'reboot':
      return {
        action,
        subject: i.id,
        what: `Restarts the operating system of ${label}.`,
        cost: `Billing continues unchanged at ${hourly(i)}; disks and the public IP are kept.` + rebootLimit(i),
        lost: ['everything in memory (running jobs, unsaved work)'],
        confirmation: 'yes',
      };
    case 'terminate': {
      const kept = i.volumes.filter((v) => !v.deleteOnTermination);
      const deleted = i.volumes.filter((v) => v.deleteOnTermination);
      return {
        action,
        subject: i.id,
        what: `Destroys ${label} permanently. It cannot be started again.`,
        cost:
          `All billing for the instance stops.` +
          (kept.length
            ? ` ${kept.length} volume(s) (${kept.map((v) => v.id).join(', ')}) are set to survive termination and stay billed until you delete them.`
            : ''),
        lost: [
          deleted.length ? `its disks and all data on them: ${deleted.map((v) => `${v.id} (${v.sizeGb} GB)`).join(', ')}` : 'its root disk and all data on it',
          'everything in memory and on instance-store disks',
          'copy results to S3 or save an image (scopecloud instances image) first',
        ],
        confirmation: 'name',
      };
    }
  }
}

/** The instance re-arms its maximum runtime at every boot (launched with launch-spec.ts). */
function rearmsEveryBoot(i: InstanceInfo): boolean {
  return i.tags[TAG.deadline] === DEADLINE_EVERY_BOOT;
}

function rebootLimit(i: InstanceInfo): string {
  if (i.maxRuntimeMinutes === null) return '';
  const d = duration(i.maxRuntimeMinutes * 60_000);
  const ends = i.expiryAction === 'terminate' ? 'terminates' : 'stops';
  return rearmsEveryBoot(i)
    ? ` Its maximum runtime starts again: it ${ends} itself ${d} after it is back up.`
    : ` Its maximum runtime (${d}) was armed only at its first boot and does not survive the reboot; ScopeCloud ${ends} it only while the app is running.`;
}

export interface LaunchFacts {
  preset: LaunchPreset;
  hourlyPrice: number;
  diskMonthly: number;
  vcpu: number | null;
  memoryGiB: number | null;
  gpu: string | null;
}

export function explainLaunch(f: LaunchFacts): Explanation {
  const p = f.preset;
  const spec = [f.vcpu !== null ? `${f.vcpu} vCPU` : null, f.memoryGiB !== null ? `${f.memoryGiB} GiB memory` : null, f.gpu].filter(Boolean).join(', ');
  const maxCost = (f.hourlyPrice * p.maxRuntimeMinutes) / 60;
  return {
    action: 'launch',
    subject: p.name,
    what: `Starts a new ${p.instanceType}${spec ? ` (${spec})` : ''} with a ${p.diskGb} GB disk, Amazon Linux 2023, no SSH (shell via SSM Session Manager).`,
    cost:
      `${usd(f.hourlyPrice)}/h while it runs, per second. It ${p.expiryAction === 'terminate' ? 'terminates' : 'stops'} itself after ` +
      `${duration(p.maxRuntimeMinutes * 60_000)}, counted from each boot (a start or reboot re-arms it), so at most ${usd(maxCost)} of compute per boot. The disk costs ${usd(f.diskMonthly)}/month while it exists` +
      (p.expiryAction === 'stop' ? ' (also while stopped).' : '.'),
    lost: p.expiryAction === 'terminate' ? ['the disk is deleted when the instance terminates: keep results in S3'] : [],
    confirmation: 'yes',
  };
}
