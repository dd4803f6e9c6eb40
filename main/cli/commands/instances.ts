/** `scopecloud instances`: list, start, stop, reboot, terminate, launch; images and snapshots. */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliCommand, type CliIo } from '../command.ts';
import { toCliError } from '../errors.ts';
import { table } from '../format.ts';
import type { ComputeServices } from '../../instances/compute-services.ts';
import type { Explanation } from '../../instances/explain.ts';
import { PRESETS, SPOT_PRICE_NOTE } from '../../instances/presets.ts';
import type { InstanceInfo } from '../../aws/ec2-instance.ts';
import { duration, round4, usd } from '../../cost/money.ts';
import { hourlyPriceOrNull } from '../../cost/price-table.ts';

const HELP = `Usage:
  scopecloud instances [list] [--all] [--json]     ScopeCloud's instances (--all: every instance in the region)
  scopecloud instances presets [--json]            the launch presets with their prices
  scopecloud instances launch --preset <name> [--name <n>] [--purpose <text>] [--max-runtime <min>] [--spot]
                       [--image <ami-id>] [--user-data-file <script.sh>] [--client-token <t>] --yes
  scopecloud instances start <id> [--override-budget <reason>]
  scopecloud instances stop <id> --yes
  scopecloud instances reboot <id> --yes
  scopecloud instances terminate <id> --yes --confirm <id or Name>
  scopecloud instances image <id> --name <image name> [--no-reboot] --yes   save as an image (AMI)
  scopecloud instances images [--json]             saved images with their storage cost
  scopecloud instances snapshots [--json]          their snapshots
  scopecloud instances delete-image <ami-id> [--keep-snapshots] --yes

Every action first prints what it does to billing and data. Actions that cost money or lose
data run only with --yes; terminate also needs --confirm naming the instance.
Launches and starts are checked against the budget; an administrator may pass
--override-budget "<reason>" (recorded). With no limit at all (no AWS Budget, no
config budget.monthlyLimitUsd) they are refused, override or not (exit 3).
An instance stops itself after --max-runtime minutes
(default the preset's), never later than the lab's limit (config budget.maxRuntimeHours).
Exit codes: 0 ok, 1 refused or failed, 2 usage or not confirmed, 3 no spending limit, 4 AWS error.`;

const OPTIONS = {
  json: { type: 'boolean', default: false },
  all: { type: 'boolean', default: false },
  yes: { type: 'boolean', default: false },
  confirm: { type: 'string' },
  preset: { type: 'string' },
  name: { type: 'string' },
  purpose: { type: 'string' },
  'max-runtime': { type: 'string' },
  image: { type: 'string' },
  'user-data-file': { type: 'string' },
  'client-token': { type: 'string' },
  spot: { type: 'boolean' },
  'override-budget': { type: 'string' },
  'no-reboot': { type: 'boolean', default: false },
  'keep-snapshots': { type: 'boolean', default: false },
} as const;

export const instancesCommand: CliCommand = {
  name: 'instances',
  summary: 'list, launch, stop and terminate EC2 instances; saved images',
  help: HELP,
  async run(argv, io, services) {
    return runInstances(argv, io, async () => (await services()).compute());
  },
};

/** The command body against any ComputeServices (tests pass services built on moto). */
export async function runInstances(argv: string[], io: CliIo, compute: () => Promise<ComputeServices>): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const [action = 'list', target, ...extra] = positionals;
  if (extra.length) throw new CliError(`unexpected argument "${extra[0]}"`, ExitCode.usage);
  const json = values.json;
  const emit = (value: unknown, lines: () => string[]) => {
    if (json) io.out(JSON.stringify(value, null, 2));
    else for (const l of lines()) io.out(l);
  };
  const needId = (what: string) => {
    if (!target) throw new CliError(`instances ${what} needs an instance id`, ExitCode.usage);
    return target;
  };
  try {
    const s = await compute();
    const override = values['override-budget'] !== undefined ? { reason: values['override-budget'], by: s.owner } : undefined;
    switch (action) {
      case 'list': {
        const list = await s.instances.list({ all: values.all });
        emit(list.map(jsonInstance), () => listLines(list, values.all));
        return ExitCode.ok;
      }
      case 'presets': {
        const rows = PRESETS.map((p) => {
          const spec = s.prices.instanceTypes[p.instanceType];
          return {
            ...p,
            vcpu: spec?.vcpu ?? null,
            memoryGiB: spec?.memoryGiB ?? null,
            gpu: spec?.gpu ?? null,
            hourlyPrice: hourlyPriceOrNull(s.prices, regionOf(s), p.instanceType),
          };
        });
        emit(rows, () =>
          table(
            ['PRESET', 'TYPE', 'VCPU', 'MEMORY', 'GPU', '$/H', 'DISK', 'STOPS AFTER', 'THEN'],
            rows.map((r) => [
              r.name,
              r.instanceType,
              String(r.vcpu ?? '?'),
              r.memoryGiB !== null ? `${r.memoryGiB} GiB` : '?',
              r.gpu ?? '-',
              r.hourlyPrice !== null ? usd(r.hourlyPrice) : '?',
              `${r.diskGb} GB`,
              duration(r.maxRuntimeMinutes * 60_000),
              r.expiryAction,
            ]),
          ).concat([`$/H is the on-demand price. --spot launches a one-time Spot instance (always terminates). ${SPOT_PRICE_NOTE}`]),
        );
        return ExitCode.ok;
      }
      case 'launch': {
        if (!values.preset) throw new CliError(`instances launch needs --preset (${PRESETS.map((p) => p.name).join(', ')})`, ExitCode.usage);
        const maxRuntimeMinutes = values['max-runtime'] !== undefined ? positiveInt(values['max-runtime'], '--max-runtime') : undefined;
        const spot = values.spot === true ? true : undefined;
        const plan = s.instances.planLaunch({ preset: values.preset, maxRuntimeMinutes, spot });
        if (!values.yes) return notConfirmed(io, json, plan.explanation, 'add --yes to launch');
        if (!json) printExplanation(io, plan.explanation);
        const script = values['user-data-file'] !== undefined ? readScript(values['user-data-file']) : undefined;
        const result = await s.instances.launch({
          preset: values.preset,
          maxRuntimeMinutes,
          spot,
          name: values.name,
          purpose: values.purpose,
          imageId: values.image,
          script,
          clientToken: values['client-token'],
          override,
        });
        emit({ ...result, instance: jsonInstance(result.instance) }, () => [
          `${result.reused ? 'Already launched' : 'Launched'} ${result.instance.id} (${result.instance.type}), ${result.instance.state}.`,
          ...(result.guard?.overridden ? [`Budget override recorded: projected ${usd(result.guard.projected)} > ${usd(result.guard.limit ?? 0)}.`] : []),
          `Retry safely with --client-token ${result.clientToken}`,
        ]);
        return ExitCode.ok;
      }
      case 'start':
      case 'stop':
      case 'reboot':
      case 'terminate': {
        const id = needId(action);
        const { explanation } = await s.instances.explain(action, id);
        if (explanation.confirmation !== 'none' && !values.yes) return notConfirmed(io, json, explanation, `add --yes to ${action}`);
        if (action === 'terminate' && !values.confirm) {
          return notConfirmed(io, json, explanation, `add --confirm ${id} (or its Name) to terminate`);
        }
        if (!json) printExplanation(io, explanation);
        const result =
          action === 'start'
            ? await s.instances.start(id, { override })
            : action === 'stop'
              ? await s.instances.stop(id)
              : action === 'reboot'
                ? await s.instances.reboot(id)
                : await s.instances.terminate(id, { confirm: values.confirm ?? '' });
        emit({ ...result, instance: jsonInstance(result.instance) }, () => [`${id}: ${result.previousState} -> ${result.currentState}`]);
        return ExitCode.ok;
      }
      case 'image': {
        const id = needId('image');
        if (!values.name) throw new CliError('instances image needs --name', ExitCode.usage);
        const explanation: Explanation = {
          action: 'stop',
          subject: id,
          what: `Saves ${id} as the image "${values.name}"${values['no-reboot'] ? '' : ' (the instance reboots briefly for a consistent disk)'}.`,
          cost: `Its snapshots are billed per GB-month (${usd(s.prices.regions[regionOf(s)]?.snapshotPerGbMonth ?? 0)}/GB-month) until you delete the image.`,
          lost: values['no-reboot'] ? [] : ['memory of the running instance (it reboots)'],
          confirmation: 'yes',
        };
        if (!values.yes) return notConfirmed(io, json, explanation, 'add --yes to save the image');
        const image = await s.images.createImage(id, { name: values.name, noReboot: values['no-reboot'], owner: s.owner });
        emit(image, () => [`Saved ${image.id} "${image.name}" (${image.state}).`]);
        return ExitCode.ok;
      }
      case 'images': {
        const images = await s.images.listImages();
        emit(images, () => [
          ...table(
            ['IMAGE', 'NAME', 'STATE', 'SIZE', '$/MONTH', 'FROM'],
            images.map((i) => [i.id, i.name, i.state, `${i.sizeGb} GB`, usd(i.monthlyCost), i.sourceInstance ?? '-']),
          ),
          `Total: ${usd(images.reduce((t, i) => t + i.monthlyCost, 0))}/month at most (snapshots are incremental).`,
        ]);
        return ExitCode.ok;
      }
      case 'snapshots': {
        const snaps = await s.images.listSnapshots();
        emit(snaps, () =>
          table(
            ['SNAPSHOT', 'SIZE', 'STATE', 'IMAGE', '$/MONTH'],
            snaps.map((x) => [x.id, `${x.sizeGb} GB`, x.state, x.imageId ?? '-', usd(x.monthlyCost)]),
          ),
        );
        return ExitCode.ok;
      }
      case 'delete-image': {
        if (!target) throw new CliError('instances delete-image needs an image id', ExitCode.usage);
        const explanation: Explanation = {
          action: 'terminate',
          subject: target,
          what: `Deregisters image ${target}${values['keep-snapshots'] ? '' : ' and deletes its snapshots'}; instances can no longer be launched from it.`,
          cost: values['keep-snapshots'] ? 'Its snapshots stay and are still billed.' : 'Its snapshot storage stops being billed.',
          lost: values['keep-snapshots'] ? [] : ['the saved environment, permanently'],
          confirmation: 'yes',
        };
        if (!values.yes) return notConfirmed(io, json, explanation, 'add --yes to delete the image');
        const out = await s.images.deleteImage(target, { keepSnapshots: values['keep-snapshots'] });
        emit(out, () => [`Deleted ${out.imageId}${out.deletedSnapshots.length ? ` and ${out.deletedSnapshots.join(', ')}` : ''}.`]);
        return ExitCode.ok;
      }
      default:
        throw new CliError(`unknown instances action "${action}" (see scopecloud instances --help)`, ExitCode.usage);
    }
  } catch (e) {
    throw toCliError(e);
  }
}

function regionOf(s: ComputeServices): string {
  return s.region;
}

function positiveInt(raw: string, flag: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`${flag} must be a whole number of minutes >= 1 (got "${raw}")`, ExitCode.usage);
  return n;
}

function readScript(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`cannot read --user-data-file ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, ExitCode.usage);
  }
}

function printExplanation(io: CliIo, e: Explanation): void {
  io.out(e.what);
  io.out(e.cost);
  if (e.lost.length) io.out(`Lost: ${e.lost.join('; ')}.`);
}

function notConfirmed(io: CliIo, json: boolean, e: Explanation, hint: string): number {
  if (json) io.out(JSON.stringify({ done: false, explanation: e, hint }, null, 2));
  else printExplanation(io, e);
  throw new CliError(`not done: ${hint}`, ExitCode.usage);
}

function jsonInstance(i: InstanceInfo) {
  return { ...i, accruedCost: i.accruedCost === null ? null : round4(i.accruedCost), storageMonthly: round4(i.storageMonthly) };
}

function listLines(list: InstanceInfo[], all: boolean): string[] {
  if (list.length === 0) return [all ? 'No instances in this region.' : 'No ScopeCloud instances (use --all to see every instance).'];
  const rows = list.map((i) => [
    i.id,
    i.name,
    i.type,
    i.state,
    i.state === 'running' || i.state === 'pending' ? duration(i.uptimeMs) : '-',
    i.hourlyPrice !== null ? usd(i.hourlyPrice) : '?',
    i.accruedCost !== null ? usd(i.accruedCost) : '?',
    i.maxRuntimeMinutes !== null ? `${duration(i.maxRuntimeMinutes * 60_000)} ${i.expiryAction}` : 'none',
    i.owner ?? '-',
  ]);
  const running = list.filter((i) => i.state === 'running' || i.state === 'pending');
  return [
    ...table(['ID', 'NAME', 'TYPE', 'STATE', 'UPTIME', '$/H', 'ACCRUED', 'MAX RUNTIME', 'OWNER'], rows),
    `${running.length} running, ${usd(running.reduce((t, i) => t + (i.hourlyPrice ?? 0), 0))}/h, ${usd(running.reduce((t, i) => t + (i.accruedCost ?? 0), 0))} since their latest start.`,
  ];
}
