/**
 * The bucket lifecycle rule that makes S3 itself abort multipart uploads still unfinished 7 days
 * after they began, under the destination's prefix: the cleanup for uploads nobody will finish
 * (another rig's after a crash, an analysis instance's that died), since a queue aborts only its own.
 *
 * Contract:
 * - `read` reports whether an enabled rule with AbortIncompleteMultipartUpload covers the prefix
 *   (a rule for a shorter prefix, or the whole bucket, counts), and how many rules the bucket has.
 *   A store without the lifecycle API (501 NotImplemented) reads as `supported: false`.
 * - `apply` needs explicit consent (`{ consent: true }`). It reads the configuration and puts it
 *   back with one rule added (id `ruleId(prefix)`, prefix filter, 7 days): every existing rule is kept as
 *   it was, and so is the configuration's transition size default. Nothing is written when a rule
 *   already covers the prefix. S3 replaces a lifecycle configuration whole, so a change someone
 *   makes between the read and the write is lost (there is no conditional put for it).
 */
import {
  GetBucketLifecycleConfigurationCommand,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type S3Client,
  type TransitionDefaultMinimumObjectSize,
} from '@aws-sdk/client-s3';
import { normalizePrefix } from './s3-target.ts';

export const ABORT_INCOMPLETE_DAYS = 7;
/** The id of the rule added for a prefix (one rule per destination prefix, so changing the prefix adds, never moves). */
export function ruleId(prefix: string): string {
  return `scopecloud-abort-incomplete-uploads/${normalizePrefix(prefix)}`.slice(0, 255);
}

export interface LifecycleStatus {
  bucket: string;
  /** The destination's key prefix ('' for the whole bucket), with a trailing `/`. */
  prefix: string;
  /** False when the store does not offer lifecycle configuration (some S3-compatible servers). */
  supported: boolean;
  /** The enabled rule that aborts unfinished uploads under the prefix, when there is one. */
  covering: { id: string; prefix: string; days: number } | null;
  /** How many rules the bucket's lifecycle configuration holds (ours included). */
  rules: number;
}

export class LifecycleConsentError extends Error {
  readonly code = 'LifecycleConsentRequired';
  constructor() {
    super('adding the lifecycle rule needs explicit consent');
    this.name = 'LifecycleConsentError';
  }
}

/** What the rule does, in words for the person asked to consent. */
export function lifecycleExplanation(bucket: string, prefix: string): string[] {
  const where = normalizePrefix(prefix) ? `s3://${bucket}/${normalizePrefix(prefix)}` : `the whole bucket s3://${bucket}`;
  return [
    'An upload cut off part-way (a crash, a lost connection) leaves its parts in the bucket: they are',
    'not shown as files, but they are stored and billed until the upload is aborted.',
    "ScopeCloud cleans up only the uploads its own queue started, so another workstation's or an",
    "analysis instance's unfinished upload would stay. This rule asks S3 to abort every upload under",
    `${where} that is still unfinished ${ABORT_INCOMPLETE_DAYS} days after it began; uploads take minutes to hours.`,
    "It adds one rule to the bucket's lifecycle configuration and keeps the rules already there.",
    'It never deletes a finished file.',
  ];
}

function status(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
}

function errName(err: unknown): string | undefined {
  return (err as { Code?: string })?.Code ?? (err as { name?: string })?.name;
}

/** The key prefix a rule applies to; undefined when it filters on more than a prefix (tags, sizes). */
function rulePrefix(r: LifecycleRule): string | undefined {
  const f = r.Filter;
  if (!f) return r.Prefix ?? '';
  if (f.Tag || f.ObjectSizeGreaterThan !== undefined || f.ObjectSizeLessThan !== undefined) return undefined;
  if (f.And) {
    const a = f.And;
    if ((a.Tags && a.Tags.length > 0) || a.ObjectSizeGreaterThan !== undefined || a.ObjectSizeLessThan !== undefined) return undefined;
    return a.Prefix ?? '';
  }
  return f.Prefix ?? '';
}

export interface Configuration {
  rules: LifecycleRule[];
  transitionDefault?: TransitionDefaultMinimumObjectSize;
}

/** The bucket's lifecycle rules; 'unsupported' when the store has no lifecycle API (501). */
export async function getConfiguration(client: S3Client, bucket: string, signal?: AbortSignal): Promise<Configuration | 'unsupported'> {
  try {
    const r = await client.send(new GetBucketLifecycleConfigurationCommand({ Bucket: bucket }), { abortSignal: signal });
    return { rules: r.Rules ?? [], transitionDefault: r.TransitionDefaultMinimumObjectSize };
  } catch (err) {
    if (errName(err) === 'NoSuchLifecycleConfiguration') return { rules: [] };
    if (status(err) === 501 || errName(err) === 'NotImplemented') return 'unsupported';
    throw err;
  }
}

function describe(bucket: string, prefix: string, config: Configuration | 'unsupported'): LifecycleStatus {
  if (config === 'unsupported') return { bucket, prefix, supported: false, covering: null, rules: 0 };
  for (const r of config.rules) {
    const days = r.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    const p = rulePrefix(r);
    if (r.Status === 'Enabled' && days !== undefined && p !== undefined && prefix.startsWith(p))
      return { bucket, prefix, supported: true, covering: { id: r.ID ?? '', prefix: p, days }, rules: config.rules.length };
  }
  return { bucket, prefix, supported: true, covering: null, rules: config.rules.length };
}

export interface UploadLifecycle {
  readonly bucket: string;
  readonly prefix: string;
  explanation(): string[];
  read(signal?: AbortSignal): Promise<LifecycleStatus>;
  apply(consent: { consent: boolean }, signal?: AbortSignal): Promise<LifecycleStatus>;
}

export function uploadLifecycle(client: S3Client, bucket: string, destinationPrefix: string): UploadLifecycle {
  const prefix = normalizePrefix(destinationPrefix);
  return {
    bucket,
    prefix,
    explanation: () => lifecycleExplanation(bucket, prefix),
    async read(signal) {
      return describe(bucket, prefix, await getConfiguration(client, bucket, signal));
    },
    async apply(consent, signal) {
      if (consent?.consent !== true) throw new LifecycleConsentError();
      const config = await getConfiguration(client, bucket, signal);
      const now = describe(bucket, prefix, config);
      if (config === 'unsupported' || now.covering) return now;
      const rule: LifecycleRule = {
        ID: ruleId(prefix),
        Status: 'Enabled',
        Filter: { Prefix: prefix },
        AbortIncompleteMultipartUpload: { DaysAfterInitiation: ABORT_INCOMPLETE_DAYS },
      };
      // A disabled or changed rule of ours is replaced; every other rule is kept as it was.
      const rules = [...config.rules.filter((r) => r.ID !== rule.ID), rule];
      await client.send(
        new PutBucketLifecycleConfigurationCommand({
          Bucket: bucket,
          LifecycleConfiguration: { Rules: rules },
          ...(config.transitionDefault ? { TransitionDefaultMinimumObjectSize: config.transitionDefault } : {}),
        }),
        { abortSignal: signal },
      );
      return describe(bucket, prefix, await getConfiguration(client, bucket, signal));
    },
  };
}
