/** `scopecloud config`: show and change settings; every change is validated before it is saved. */
import { parseArgs } from 'node:util';
import { resolve } from 'node:path';
import { CliError, ExitCode, type CliCommand, type CliIo } from '../command.ts';
import type { LifecycleStatus, UploadLifecycle } from '../../upload/lifecycle-rule.ts';
import type { Settings, Target } from '../../config/schema.ts';
import { checkFolder, describeFolderProblem } from '../../watch/folder-health.ts';
import { coldStorageCommand } from './config-cold-storage.ts';

const HELP = `Usage:
  scopecloud config [show] [--json]            print the settings
  scopecloud config set <field> <value>        set one field (dotted path), e.g.
                                               upload.concurrency 8, watch.folders /data/a,/data/b
  scopecloud config target local <folder>      archive into a local folder or NAS path (default)
  scopecloud config target s3 --bucket <name> --region <region>
                       [--prefix <p>] [--profile <name>] [--endpoint <url>]
  scopecloud config lifecycle [--apply --yes]  S3 destination: is there a bucket rule that makes S3
                                               abort uploads left unfinished for 7 days? --apply
                                               explains it; --apply --yes adds it (other rules kept)
  scopecloud config cold-storage [--days N] [--class GLACIER_IR|GLACIER|DEEP_ARCHIVE]
                       [--apply --yes] [--remove --yes]
                                               S3 destination: move raw files over 16 MiB to a
                                               colder class N days (default 30) after upload
                                               (default GLACIER_IR: no restore needed); shows the
                                               saving per month; manifests and results stay
  scopecloud config reset                      back to defaults
  scopecloud config path                       where settings and state live

Choosing a target also completes the app's first-run screen: \`scopecloud serve\` and the app then
open straight to their views (Settings > Change destination changes it there).
Setting watch.folders saves the list and warns on stderr about each folder that is missing or
that this user may not read (it is watched once it is there).
Credentials are never stored: they come from the AWS chain (env, ~/.aws profiles, SSO).
Exit codes: 0 ok, 2 usage or not confirmed, 3 invalid value (the message names the field) or not
an S3 destination, 4 AWS error.`;

function describe(s: Settings): string[] {
  const t = s.target;
  const target =
    t.kind === 'local'
      ? `local archive ${t.path}`
      : `s3://${t.bucket}/${t.prefix} (${t.region}${t.profile ? `, profile ${t.profile}` : ''}${t.endpoint ? `, endpoint ${t.endpoint}` : ''})`;
  return [
    `target:          ${target}`,
    `watch folders:   ${s.watch.folders.length ? s.watch.folders.join(', ') : '(none)'}`,
    `include:         ${s.watch.include.join(' ')}`,
    `exclude:         ${s.watch.exclude.join(' ')}`,
    `stable after:    ${s.watch.stableMs} ms; marker ${s.watch.markerFile}; ${s.watch.polling ? `polling every ${s.watch.pollIntervalMs} ms` : 'fs events'}`,
    `uploads:         ${s.upload.concurrency} files x ${s.upload.partConcurrency} parts, limit ${s.upload.bandwidthLimit ? `${s.upload.bandwidthLimit} B/s` : 'none'}`,
    `free space:      ${s.upload.freeSpaceAfterDays === null ? 'never delete local files' : `delete ${s.upload.freeSpaceAfterDays} days after verified upload`}`,
    `budget:          ${s.budget.monthlyLimitUsd === null ? 'no local limit' : `$${s.budget.monthlyLimitUsd}/month`}; instances stop after ${s.budget.maxRuntimeHours} h`,
  ];
}

function lifecycleLine(s: LifecycleStatus): string {
  const where = `s3://${s.bucket}/${s.prefix}`;
  if (!s.supported) return `lifecycle rule:  unknown: this S3 store does not offer lifecycle rules (${where})`;
  if (s.covering) return `lifecycle rule:  present: S3 aborts uploads under ${where} left unfinished for ${s.covering.days} days (rule "${s.covering.id}")`;
  return `lifecycle rule:  absent: unfinished uploads under ${where} stay (and are billed) until someone aborts them`;
}

async function lifecycle(io: CliIo, lc: UploadLifecycle | null, o: { apply?: boolean; yes?: boolean; json?: boolean }): Promise<number> {
  if (!lc) throw new CliError('the lifecycle rule is for an S3 destination; this one is a local archive (scopecloud config target s3 ...)', ExitCode.config);
  const aws = (what: string) => (err: unknown) => {
    throw new CliError(
      `could not ${what} the lifecycle configuration of bucket ${lc.bucket}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.aws,
    );
  };
  const now = await lc.read().catch(aws('read'));
  if (!o.apply || now.covering || !now.supported) {
    if (o.json) io.out(JSON.stringify({ ...now, done: false }, null, 2));
    else {
      io.out(lifecycleLine(now));
      if (now.supported && !now.covering) io.out('add it: scopecloud config lifecycle --apply (explains it first)');
    }
    return ExitCode.ok;
  }
  const explanation = lc.explanation();
  if (!o.yes) {
    if (o.json) io.out(JSON.stringify({ ...now, done: false, explanation, hint: 'add --yes to add the rule' }, null, 2));
    else for (const line of explanation) io.out(line);
    throw new CliError('not done: add --yes to add the rule', ExitCode.usage);
  }
  const after = await lc.apply({ consent: true }).catch(aws('change'));
  if (o.json) io.out(JSON.stringify({ ...after, done: true, explanation }, null, 2));
  else {
    for (const line of explanation) io.out(line);
    io.out(lifecycleLine(after));
  }
  return ExitCode.ok;
}

export const configCommand: CliCommand = {
  name: 'config',
  summary: 'show or change settings (target, folders, limits)',
  help: HELP,
  async run(argv, io, services) {
    // `set <field> <value>` takes the value as written: "-5" is a value for the field's own check
    // to judge, not an option for the argument parser to refuse.
    const at = argv.findIndex((a) => !a.startsWith('-'));
    const setArgs = argv[at] === 'set' && argv[at + 1] !== undefined && !argv[at + 1].startsWith('-') ? argv.slice(at + 1, at + 3) : [];
    const { values, positionals } = parseArgs({
      args: setArgs.length ? [...argv.slice(0, at + 1), ...argv.slice(at + 1 + setArgs.length)] : argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        bucket: { type: 'string' },
        region: { type: 'string' },
        prefix: { type: 'string', default: '' },
        profile: { type: 'string', default: '' },
        endpoint: { type: 'string', default: '' },
        apply: { type: 'boolean', default: false },
        yes: { type: 'boolean', default: false },
        days: { type: 'string' },
        class: { type: 'string' },
        remove: { type: 'boolean', default: false },
      },
    });
    const container = await services();
    const { settings, paths } = container;
    const [action = 'show', ...args] = positionals;
    let result: Settings;
    switch (action) {
      case 'show':
        result = settings.get();
        break;
      case 'path':
        if (values.json) io.out(JSON.stringify(paths, null, 2));
        else for (const [k, v] of Object.entries(paths)) io.out(`${k.padEnd(8)} ${v}`);
        return ExitCode.ok;
      case 'set': {
        const [field, value, ...more] = [...setArgs, ...args];
        if (value === undefined || more.length) throw new CliError('config set needs <field> <value>', ExitCode.usage);
        result = settings.setField(field, value);
        if (field === 'watch.folders') {
          for (const folder of result.watch.folders) {
            const check = await checkFolder(folder);
            if (check.state !== 'ok')
              io.err(`warning: ${folder} is ${describeFolderProblem(check)}; scopecloud watch will say so, and watch it once it is there`);
          }
        }
        break;
      }
      case 'target': {
        const kind = args[0];
        let target: Target;
        if (kind === 'local') {
          if (!args[1]) throw new CliError('config target local needs a folder', ExitCode.usage);
          target = { kind: 'local', path: resolve(args[1]) };
        } else if (kind === 's3') {
          target = {
            kind: 's3',
            bucket: values.bucket ?? '',
            region: values.region ?? '',
            prefix: values.prefix ?? '',
            profile: values.profile ?? '',
            endpoint: values.endpoint ?? '',
          };
        } else {
          throw new CliError('config target needs "local <folder>" or "s3 --bucket .. --region .."', ExitCode.usage);
        }
        // Choosing the destination here is what the app's first-run screen asks for: the app opens
        // straight to its views afterwards.
        const current = settings.get();
        result = settings.replace({ ...current, target, ui: { ...current.ui, firstRunComplete: true } });
        break;
      }
      case 'reset':
        result = settings.reset();
        break;
      case 'lifecycle':
        return lifecycle(io, container.uploadLifecycle(), values);
      case 'cold-storage':
        return coldStorageCommand(io, container, values);
      default:
        throw new CliError(`unknown config action "${action}"`, ExitCode.usage);
    }
    if (values.json) io.out(JSON.stringify(result, null, 2));
    else for (const line of describe(result)) io.out(line);
    return ExitCode.ok;
  },
};
