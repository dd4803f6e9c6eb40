/** `scopecloud analyze`: run the worker on sessions, locally (default) or on EC2, and follow it. */
import { parseArgs } from 'node:util';
import { CliError, ExitCode, type CliCommand } from '../command.ts';
import { shardsFor } from '../../jobs/job-wiring.ts';
import { isTerminal, type WorkerParams } from '../../jobs/job-types.ts';
import { DEFAULT_PROFILE_NAME } from '../../iam/instance-profile.ts';
import { DEFAULT_LAUNCH_ATTEMPTS } from '../../app/analysis-plan.ts';
import { jobDetail, progressPrinter } from './job-output.ts';
import { cliErrors } from '../errors.ts';
import { AppError } from '../../app/app-errors.ts';
import { RESTORE_TIERS, type RestoreTier } from '../../jobs/restore-plan.ts';

const HELP = `Usage: scopecloud analyze <session|prefix|path>... [options]

Runs scopecloud-worker on the given inputs and follows the job until it ends.
A source is a local file or folder (local runs only) or a session / key prefix in the
configured target (S3 or the local archive).

Where:
  --local                    run on this workstation (default)
  --instance-type <type>     run on EC2 (needs an S3 target), e.g. c7i.4xlarge
  --spot                     use spot capacity (a shard lost to an interruption is retried)
  --fan-out                  one shard (one instance) per source, and per plane with --planes N>1; results are merged
  --attempts <n>             launch attempts per shard on EC2 (default ${DEFAULT_LAUNCH_ATTEMPTS}; the budget check counts them all)
  --instance-profile <name>  instance profile for the instances (default ${DEFAULT_PROFILE_NAME})
  --create-profile           agree to create that profile (least-privilege, this bucket/prefix only)
  --max-runtime <minutes>    stop the job after this long (default: settings, budget.maxRuntimeHours)
  --override-budget <reason> launch on EC2 even past the budget guard (administrators; recorded)
  --restore-tier <tier>      inputs in a cold storage class (GLACIER, DEEP_ARCHIVE): agree to S3 restoring
                             them with this tier (Bulk, Standard or Expedited; billed); the job waits as
                             restoring and launches by itself once they are back. Without it such a launch
                             prints each tier's cost and wait and exits 3

EC2 runs need a spending limit (an AWS Budget, or: scopecloud config set budget.monthlyLimitUsd <USD>);
without one they are refused (exit 3). Local runs cost nothing and need none.

Worker:
  --k <n>  --planes <n>  --fs <hz>  --seed <n>  --threads <n>

Output:
  --name <text>   a name for the job
  --detach        submit and return at once (follow later: scopecloud jobs follow <id>)
  --json          print the final job as JSON

Ctrl-C cancels a local job; for an EC2 job it only stops following (the job goes on).
Exit codes: 0 done, 1 failed or cancelled, 2 usage, 3 configuration, 4 AWS, 130 interrupted.`;

function tierOf(v: string | undefined): RestoreTier | undefined {
  if (v === undefined) return undefined;
  const t = RESTORE_TIERS.find((x) => x.toLowerCase() === v.trim().toLowerCase());
  if (!t) throw new CliError(`--restore-tier is one of ${RESTORE_TIERS.join(', ')} (got "${v}")`, ExitCode.usage);
  return t;
}

/** A launch refused for want of a restore tier: the tiers (in the message) and the flag that agrees. */
async function restoreRefusal<T>(op: () => Promise<T>): Promise<T> {
  try {
    return await op();
  } catch (e) {
    if (e instanceof AppError && e.code === 'CONSENT_REQUIRED' && e.field === 'restoreTier')
      throw new CliError(
        `${e.message} To agree, run again with --restore-tier <${RESTORE_TIERS.join('|')}>; nothing was restored or launched.`,
        ExitCode.config,
      );
    throw e;
  }
}

function num(v: string | undefined, flag: string, int = true): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || (int && !Number.isInteger(n))) throw new CliError(`${flag} needs a ${int ? 'whole ' : ''}number (got "${v}")`, ExitCode.usage);
  return n;
}

export const analyzeCommand: CliCommand = {
  name: 'analyze',
  summary: 'run the analysis worker on sessions (locally or on EC2)',
  help: HELP,
  async run(argv, io, services) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        local: { type: 'boolean', default: false },
        'instance-type': { type: 'string' },
        spot: { type: 'boolean', default: false },
        'fan-out': { type: 'boolean', default: false },
        attempts: { type: 'string' },
        'instance-profile': { type: 'string' },
        'override-budget': { type: 'string' },
        'restore-tier': { type: 'string' },
        'create-profile': { type: 'boolean', default: false },
        'max-runtime': { type: 'string' },
        k: { type: 'string', default: '4' },
        planes: { type: 'string' },
        fs: { type: 'string' },
        seed: { type: 'string' },
        threads: { type: 'string' },
        name: { type: 'string' },
        detach: { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length === 0) throw new CliError('analyze needs at least one session, prefix or path', ExitCode.usage);
    if (values.local && values['instance-type']) throw new CliError('--local and --instance-type exclude each other', ExitCode.usage);
    const params: WorkerParams = {
      k: num(values.k, '--k')!,
      ...(values.planes !== undefined ? { planes: num(values.planes, '--planes') } : {}),
      ...(values.fs !== undefined ? { fs: num(values.fs, '--fs', false) } : {}),
      ...(values.seed !== undefined ? { seed: num(values.seed, '--seed') } : {}),
      ...(values.threads !== undefined ? { threads: num(values.threads, '--threads') } : {}),
    };
    const c = await services();
    const settings = c.settings.get();
    const jobs = c.destinationJobs(settings);
    const where = values['instance-type'] ? 'ec2' : 'local';
    const maxMinutes = num(values['max-runtime'], '--max-runtime') ?? settings.budget.maxRuntimeHours * 60;
    if (maxMinutes < 1) throw new CliError('--max-runtime must be at least 1 minute', ExitCode.usage);
    if (where === 'ec2' && settings.target.kind !== 's3')
      throw new CliError('EC2 jobs need an S3 target: scopecloud config target s3 --bucket .. --region ..', ExitCode.config);
    const shards = await shardsFor(jobs.store, positionals, { fanOut: values['fan-out'], where, planes: params.planes });
    const profile = values['instance-profile'] ?? DEFAULT_PROFILE_NAME;
    const restoreTier = tierOf(values['restore-tier']);
    if (restoreTier && where !== 'ec2') throw new CliError('--restore-tier is for EC2 runs (--instance-type)', ExitCode.usage);
    const request = await cliErrors(() =>
      restoreRefusal(() =>
        c.planAnalysis(
          {
            name: values.name ?? positionals.join(', '),
            sources: positionals,
            shards,
            params,
            maxRuntimeSeconds: maxMinutes * 60,
            ...(where === 'ec2'
              ? {
                  ec2: {
                    instanceType: values['instance-type']!,
                    spot: values.spot,
                    instanceProfile: profile,
                    consentToCreateProfile: values['create-profile'],
                    ...(values.attempts !== undefined ? { attempts: num(values.attempts, '--attempts') } : {}),
                    ...(values['override-budget'] !== undefined ? { overrideReason: values['override-budget'] } : {}),
                    ...(restoreTier ? { restoreTier } : {}),
                  },
                }
              : {}),
          },
          settings,
        ),
      ),
    ).catch((e: unknown) => {
      if (e instanceof CliError && e.exitCode === ExitCode.config && settings.target.kind === 's3' && e.message.includes('instance profile')) {
        throw new CliError(
          `instance profile ${profile} does not exist; add --create-profile to create it (S3 access to ${settings.target.bucket}/${settings.target.prefix} only) or name one with --instance-profile`,
          ExitCode.config,
        );
      }
      throw e;
    });
    const placement = request.placement;
    const m = await jobs.jobs.submit(request);
    if (m.restore)
      io.err(
        `job ${m.id}: restoring ${m.restore.keys.length} input(s) from cold storage (${m.restore.tier}, ${m.restore.waiting}); it launches by itself once S3 has restored them`,
      );
    io.err(
      `job ${m.id}: ${shards.length} shard${shards.length > 1 ? 's' : ''} ${where === 'local' ? 'on this workstation' : `on ${placement.kind === 'ec2' ? placement.instanceType : ''}${placement.kind === 'ec2' && placement.spot ? ' (spot)' : ''}`}; state in ${jobs.store.location}jobs/${m.id}/`,
    );
    if (values.detach) {
      if (where === 'ec2') await jobs.jobs.reconcile(m.id);
      io.out(values.json ? JSON.stringify(await jobs.jobs.show(m.id), null, 2) : m.id);
      return ExitCode.ok;
    }
    const v = await jobs.jobs.follow(m.id, { signal: io.stopSignal, onUpdate: progressPrinter(io, values.json) });
    if (values.json) io.out(JSON.stringify(v, null, 2));
    else for (const line of jobDetail(v)) io.out(line);
    if (io.stopSignal.aborted && where === 'ec2' && !isTerminal(v.state)) {
      io.err(`stopped following; job ${m.id} goes on (scopecloud jobs follow ${m.id})`);
      return ExitCode.interrupted;
    }
    if (v.state === 'done') return ExitCode.ok;
    if (io.stopSignal.aborted) return ExitCode.interrupted;
    return ExitCode.failure;
  },
};
