/**
 * Settings validation. Every problem is reported as `<field.path>: <what is wrong> (got <value>)`
 * so a user (or the first-run form) can point at the exact field.
 */
import { RESTORE_DAYS_RANGE, THEMES, type Settings, type Target } from './schema.ts';

export interface FieldError {
  field: string;
  message: string;
}

export class SettingsError extends Error {
  readonly code = 'INVALID_SETTINGS';
  readonly errors: FieldError[];
  constructor(errors: FieldError[]) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.name = 'SettingsError';
    this.errors = errors;
  }
}

const BUCKET_RE = /^(?!xn--)(?!.*-s3alias$)[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$/;

function show(v: unknown): string {
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 60 ? s.slice(0, 57) + '...' : s;
}

class Checker {
  readonly errors: FieldError[] = [];

  fail(field: string, message: string, got: unknown): void {
    this.errors.push({ field, message: `${message} (got ${show(got)})` });
  }

  object(field: string, v: unknown): v is Record<string, unknown> {
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) return true;
    this.fail(field, 'must be an object', v);
    return false;
  }

  string(field: string, v: unknown, opts: { nonEmpty?: boolean; pattern?: RegExp; hint?: string } = {}): void {
    if (typeof v !== 'string') return this.fail(field, 'must be a string', v);
    if (opts.nonEmpty && v.trim() === '') return this.fail(field, 'must not be empty', v);
    if (opts.pattern && v !== '' && !opts.pattern.test(v)) this.fail(field, opts.hint ?? 'has an invalid format', v);
  }

  int(field: string, v: unknown, min: number, max: number): void {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
      this.fail(field, `must be an integer from ${min} to ${max}`, v);
    }
  }

  number(field: string, v: unknown, min: number, max: number): void {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
      this.fail(field, `must be a number from ${min} to ${max}`, v);
    }
  }

  bool(field: string, v: unknown): void {
    if (typeof v !== 'boolean') this.fail(field, 'must be true or false', v);
  }

  stringList(field: string, v: unknown, nonEmptyItems = true): void {
    if (!Array.isArray(v)) return this.fail(field, 'must be a list of strings', v);
    v.forEach((item, i) => this.string(`${field}[${i}]`, item, { nonEmpty: nonEmptyItems }));
  }
}

function checkTarget(c: Checker, t: unknown): void {
  if (!c.object('target', t)) return;
  const kind = (t as Partial<Target>).kind;
  if (kind === 'local') {
    c.string('target.path', t.path, { nonEmpty: true });
    if (typeof t.path === 'string' && t.path.trim() !== '' && !t.path.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(t.path)) {
      c.fail('target.path', 'must be an absolute path', t.path);
    }
  } else if (kind === 's3') {
    c.string('target.bucket', t.bucket, {
      nonEmpty: true,
      pattern: BUCKET_RE,
      hint: 'must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)',
    });
    c.string('target.prefix', t.prefix);
    if (typeof t.prefix === 'string' && (t.prefix.startsWith('/') || t.prefix.includes('//') || t.prefix.includes('..'))) {
      c.fail('target.prefix', 'must not start with "/" or contain "//" or ".."', t.prefix);
    }
    c.string('target.region', t.region, { nonEmpty: true, pattern: REGION_RE, hint: 'must be an AWS region such as eu-west-1' });
    c.string('target.profile', t.profile);
    c.string('target.endpoint', t.endpoint);
    if (typeof t.endpoint === 'string' && t.endpoint !== '') {
      try {
        const u = new URL(t.endpoint);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error();
      } catch {
        c.fail('target.endpoint', 'must be an http(s) URL', t.endpoint);
      }
    }
  } else {
    c.fail('target.kind', 'must be "local" or "s3"', kind);
  }
}

/** Returns the field errors; empty means valid. */
export function settingsErrors(s: unknown): FieldError[] {
  const c = new Checker();
  if (!c.object('settings', s)) return c.errors;
  if (s.schema !== 1) c.fail('schema', 'must be 1', s.schema);
  checkTarget(c, s.target);
  const w = s.watch;
  if (c.object('watch', w)) {
    c.stringList('watch.folders', w.folders);
    if (Array.isArray(w.folders)) {
      w.folders.forEach((f, i) => {
        if (typeof f === 'string' && f !== '' && !f.startsWith('/') && !/^[A-Za-z]:[\\/]/.test(f)) {
          c.fail(`watch.folders[${i}]`, 'must be an absolute path', f);
        }
      });
    }
    c.stringList('watch.include', w.include);
    c.stringList('watch.exclude', w.exclude);
    c.int('watch.stableMs', w.stableMs, 100, 3_600_000);
    c.string('watch.markerFile', w.markerFile, { nonEmpty: true, pattern: /^[^/\\]+$/, hint: 'must be a file name without a folder' });
    c.bool('watch.polling', w.polling);
    c.int('watch.pollIntervalMs', w.pollIntervalMs, 100, 3_600_000);
    c.int('watch.reconcileIntervalMs', w.reconcileIntervalMs, 1000, 86_400_000);
  }
  const u = s.upload;
  if (c.object('upload', u)) {
    c.int('upload.concurrency', u.concurrency, 1, 64);
    c.int('upload.partConcurrency', u.partConcurrency, 1, 64);
    c.int('upload.bandwidthLimit', u.bandwidthLimit, 0, 100_000_000_000);
    if (u.freeSpaceAfterDays !== null) c.int('upload.freeSpaceAfterDays', u.freeSpaceAfterDays, 0, 3650);
  }
  const b = s.budget;
  if (c.object('budget', b)) {
    if (b.monthlyLimitUsd !== null) c.number('budget.monthlyLimitUsd', b.monthlyLimitUsd, 0, 10_000_000);
    c.number('budget.maxRuntimeHours', b.maxRuntimeHours, 0.1, 24 * 31);
  }
  const r = s.restore;
  if (c.object('restore', r)) c.int('restore.days', r.days, RESTORE_DAYS_RANGE.min, RESTORE_DAYS_RANGE.max);
  const ui = s.ui;
  if (c.object('ui', ui)) {
    c.bool('ui.firstRunComplete', ui.firstRunComplete);
    if (!(THEMES as readonly unknown[]).includes(ui.theme)) c.fail('ui.theme', `must be one of ${THEMES.join(', ')}`, ui.theme);
  }
  return c.errors;
}

/** Throws `SettingsError` naming every bad field; returns the value typed on success. */
export function validateSettings(s: unknown): Settings {
  const errors = settingsErrors(s);
  if (errors.length > 0) throw new SettingsError(errors);
  return s as Settings;
}
