/**
 * The UI's Settings (preload/api.ts) as a view of the stored settings (main/config/schema.ts),
 * and a UI patch applied back onto them. Pure: no store, no fs.
 *
 *   mode / archiveDir / aws   <->  target (local: path; s3: bucket, prefix, region, profile, endpoint)
 *   watchedFolders            <->  watch.folders
 *   bandwidthLimitBytesPerSec <->  upload.bandwidthLimit (0 = no limit = null)
 *   firstRunComplete, theme   <->  ui.*
 *   budget                    <->  budget (monthlyLimitUsd, maxRuntimeHours)
 *   watch                     <->  watch.markerFile, stableMs, polling, pollIntervalMs
 *   restoreDays               <->  restore.days
 *
 * While the target is S3 the stored settings hold no local archive folder, so `archiveDir` shows
 * the default archive (what choosing "local" again would use unless another folder is typed).
 */
import type { Settings as UiSettings, SettingsPatch } from '../../preload/api.ts';
import type { Settings, Target } from '../config/schema.ts';
import { settingsErrors, type FieldError } from '../config/validate.ts';
import { AppError } from './app-errors.ts';

export function toUiSettings(s: Settings, defaultArchiveDir: string): UiSettings {
  const t = s.target;
  return {
    mode: t.kind === 's3' ? 'aws' : 'local',
    archiveDir: t.kind === 'local' ? t.path : defaultArchiveDir,
    aws: t.kind === 's3' ? { profile: t.profile, region: t.region, bucket: t.bucket, prefix: t.prefix, endpoint: t.endpoint } : null,
    watchedFolders: [...s.watch.folders],
    bandwidthLimitBytesPerSec: s.upload.bandwidthLimit > 0 ? s.upload.bandwidthLimit : null,
    firstRunComplete: s.ui.firstRunComplete,
    theme: s.ui.theme,
    budget: { monthlyLimitUsd: s.budget.monthlyLimitUsd, maxRuntimeHours: s.budget.maxRuntimeHours },
    watch: { markerFile: s.watch.markerFile, stableMs: s.watch.stableMs, polling: s.watch.polling, pollIntervalMs: s.watch.pollIntervalMs },
    restoreDays: s.restore.days,
  };
}

/** Stored field → UI field, for error messages the UI shows next to its own fields. */
const UI_FIELD: ReadonlyArray<[RegExp, string]> = [
  [/^target\.path$/, 'archiveDir'],
  [/^target\.(bucket|region|prefix|profile|endpoint)$/, 'aws.$1'],
  [/^target(\.kind)?$/, 'mode'],
  [/^watch\.folders(\[\d+\])?$/, 'watchedFolders'],
  [/^upload\.bandwidthLimit$/, 'bandwidthLimitBytesPerSec'],
  [/^ui\.(firstRunComplete|theme)$/, '$1'],
  [/^restore\.days$/, 'restoreDays'],
];

export function uiField(stored: string): string {
  for (const [re, ui] of UI_FIELD) if (re.test(stored)) return stored.replace(re, ui);
  return stored;
}

/** Field errors of stored settings as one AppError naming the first UI field. */
export function settingsProblem(errors: ReadonlyArray<FieldError>): AppError {
  const first = errors[0];
  const more =
    errors.length > 1
      ? ` (and ${errors.length - 1} more: ${errors
          .slice(1)
          .map((e) => uiField(e.field))
          .join(', ')})`
      : '';
  return new AppError('INVALID_SETTINGS', `${first.message}${more}`, uiField(first.field));
}

/**
 * The stored settings after `patch`; throws AppError (INVALID_SETTINGS, naming the UI field)
 * when the result would not validate. Fields absent from the patch keep their value.
 */
export function applySettingsPatch(current: Settings, patch: SettingsPatch, defaultArchiveDir: string): Settings {
  const next: Settings = structuredClone(current);
  const mode = patch.mode ?? (current.target.kind === 's3' ? 'aws' : 'local');
  let target: Target = next.target;
  if (mode === 'local') {
    const path = patch.archiveDir ?? (current.target.kind === 'local' ? current.target.path : defaultArchiveDir);
    target = { kind: 'local', path: path.trim() };
  } else {
    const aws = patch.aws === undefined ? (current.target.kind === 's3' ? current.target : null) : patch.aws;
    if (!aws) throw new AppError('INVALID_SETTINGS', 'choose a profile, region and bucket before switching to Amazon S3', 'aws');
    target = {
      kind: 's3',
      bucket: aws.bucket.trim(),
      prefix: normalisePrefix(aws.prefix),
      region: aws.region.trim(),
      profile: aws.profile.trim(),
      endpoint: aws.endpoint.trim(),
    };
  }
  next.target = target;
  if (patch.watchedFolders !== undefined) next.watch.folders = dedupe(patch.watchedFolders.map((f) => stripSlash(f.trim())));
  if (patch.bandwidthLimitBytesPerSec !== undefined) next.upload.bandwidthLimit = Math.round(patch.bandwidthLimitBytesPerSec ?? 0);
  if (patch.firstRunComplete !== undefined) next.ui.firstRunComplete = patch.firstRunComplete;
  if (patch.theme !== undefined) next.ui.theme = patch.theme;
  if (patch.budget !== undefined) next.budget = { ...next.budget, ...patch.budget };
  if (patch.watch !== undefined) next.watch = { ...next.watch, ...patch.watch, markerFile: patch.watch.markerFile.trim() };
  if (patch.restoreDays !== undefined) next.restore = { ...next.restore, days: patch.restoreDays };
  const errors = settingsErrors(next);
  if (errors.length > 0) throw settingsProblem(errors);
  return next;
}

/** `scopecloud/` and `/scopecloud` both mean the key prefix `scopecloud`. */
export function normalisePrefix(prefix: string): string {
  return prefix.trim().replace(/^\/+|\/+$/g, '');
}

function stripSlash(p: string): string {
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

function dedupe(list: string[]): string[] {
  return [...new Set(list)];
}

/** Did the change touch what the running acquisition was started with? */
export function acquisitionChanged(before: Settings, after: Settings): boolean {
  return JSON.stringify([before.target, before.watch]) !== JSON.stringify([after.target, after.watch]);
}
