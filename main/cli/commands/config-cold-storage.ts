/**
 * `scopecloud config cold-storage [--days N --class C] [--apply --yes] [--remove --yes]`: shows
 * whether raw acquisitions move to a colder S3 class after N days and what that saves per month;
 * `--apply` explains the rule, `--apply --yes` adds it (other rules kept), `--remove --yes` removes
 * only ScopeCloud's cold-storage rules.
 */
import { CliError, ExitCode, type CliIo } from '../command.ts';
import type { ServiceContainer } from '../../app/container.ts';
import { coldStorage, type ColdStorageView } from '../../upload/cold-storage-rule.ts';
import {
  COLD_CLASS_FACTS,
  ColdStorageInputError,
  DEFAULT_COLD_CLASS,
  DEFAULT_COLD_DAYS,
  parseColdClass,
  parseColdDays,
  type ColdClass,
} from '../../upload/cold-storage-plan.ts';
import { gbText } from '../../cost/storage-bill.ts';

export interface ColdStorageOptions {
  days?: string;
  class?: string;
  apply?: boolean;
  remove?: boolean;
  yes?: boolean;
  json?: boolean;
}

function statusLines(v: ColdStorageView): string[] {
  if (!v.supported) return [`cold storage:    unknown: this S3 store does not offer lifecycle rules (s3://${v.bucket}/${v.prefix})`];
  const s = v.status;
  const lines: string[] = [];
  if (s.state === 'absent') lines.push(`cold storage:    absent: raw files under ${v.rawPrefixes.join(', ') || '(no watched folders)'} stay in STANDARD`);
  else
    for (const r of s.rules)
      lines.push(
        `cold storage:    ${r.enabled ? 'present' : 'disabled'}: raw files over 16 MiB under s3://${v.bucket}/${r.prefix} move to ${r.storageClass} after ${r.days} days (rule "${r.id}")`,
      );
  for (const m of s.state === 'absent' ? [] : s.missing) lines.push(`cold storage:    missing for s3://${v.bucket}/${m} (a watched folder added since)`);
  const sv = v.saving;
  const facts = COLD_CLASS_FACTS[sv.storageClass];
  lines.push(
    sv.perMonth === null
      ? `saving:          unknown (no ${sv.storageClass} price for this region)`
      : `saving:          $${sv.perMonth.toFixed(2)}/month in ${sv.storageClass} for ${gbText(sv.eligible.bytes)} (${sv.eligible.objects} raw files older than ${sv.days} days, still in STANDARD)`,
  );
  lines.push(
    `                 ${facts.name}: minimum ${facts.minStorageDays} days, reading costs $${facts.retrievalPerGb}/GB${facts.needsRestore ? ', needs a restore (hours) before an analysis' : ', no restore needed'}`,
  );
  return lines;
}

export async function coldStorageCommand(io: CliIo, container: ServiceContainer, o: ColdStorageOptions): Promise<number> {
  const settings = container.settings.get();
  const t = settings.target;
  if (t.kind !== 's3')
    throw new CliError('cold storage is for an S3 destination; this one is a local archive (scopecloud config target s3 ...)', ExitCode.config);
  let days: number;
  let storageClass: ColdClass;
  try {
    days = o.days === undefined ? DEFAULT_COLD_DAYS : parseColdDays(o.days);
    storageClass = o.class === undefined ? DEFAULT_COLD_CLASS : parseColdClass(o.class);
  } catch (e) {
    throw new CliError((e as Error).message, ExitCode.config);
  }
  if (o.apply && o.remove) throw new CliError('--apply and --remove together: choose one', ExitCode.usage);
  const ctx = container.awsContext(settings);
  if (!ctx) throw new CliError('no AWS context for the S3 destination', ExitCode.config);
  const cs = coldStorage({
    s3: ctx.clients.s3,
    bucket: t.bucket,
    destinationPrefix: t.prefix,
    watchFolders: settings.watch.folders,
    prices: ctx.compute.prices,
    region: ctx.compute.region,
    now: () => Date.now(),
  });
  const aws = (what: string) => (err: unknown) => {
    if (err instanceof ColdStorageInputError) throw new CliError(err.message, ExitCode.config);
    throw new CliError(
      `could not ${what} the lifecycle configuration of bucket ${t.bucket}: ${err instanceof Error ? err.message : String(err)}`,
      ExitCode.aws,
    );
  };
  const print = (v: ColdStorageView, done: boolean, withExplanation: boolean) => {
    if (o.json) io.out(JSON.stringify({ ...v, done }, null, 2));
    else {
      if (withExplanation) for (const line of v.explanation) io.out(line);
      for (const line of statusLines(v)) io.out(line);
    }
  };
  const now = await cs.read({ days, storageClass }).catch(aws('read'));
  if (!now.supported || (!o.apply && !o.remove)) {
    print(now, false, false);
    if (!o.json && now.supported && now.status.state !== 'present')
      io.out(`add it: scopecloud config cold-storage --days ${days} --class ${storageClass} --apply (explains it first)`);
    return ExitCode.ok;
  }
  if (o.remove) {
    if (!o.yes) {
      print(now, false, false);
      throw new CliError('not done: add --yes to remove the cold-storage rules (files already moved stay where they are)', ExitCode.usage);
    }
    print(await cs.remove({ consent: true, days, storageClass }).catch(aws('change')), true, false);
    return ExitCode.ok;
  }
  if (!o.yes) {
    print(now, false, true);
    throw new CliError('not done: add --yes to add the rule', ExitCode.usage);
  }
  print(await cs.apply({ consent: true, days, storageClass }).catch(aws('change')), true, true);
  return ExitCode.ok;
}
