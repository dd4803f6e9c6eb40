/**
 * The shared budget-override log: one object per override in the destination bucket, under
 * `<prefix>/budget/overrides/<ISO time>-<random>.json`. Append-only (every rig writes new keys,
 * none rewrites another's), so every workstation and the lab manager see every override. Each
 * record carries the caller's AWS identity (STS GetCallerIdentity, asked at the time of the
 * override) and the workstation's host name, besides what the local record holds.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { GetCallerIdentityCommand, type STSClient } from '@aws-sdk/client-sts';
import { fromAwsError } from '../aws/errors.ts';
import type { OverrideRecord } from './budget-guard.ts';

export interface CallerIdentity {
  arn: string;
  account: string;
}

export interface LoggedOverride extends OverrideRecord {
  /** The AWS identity that overrode (STS); null for a record kept only on this machine. */
  identity: CallerIdentity | null;
  /** The workstation's host name; null for an old local record. */
  host: string | null;
}

export interface OverrideLog {
  /** `s3://bucket/prefix/budget/overrides/`. */
  location: string;
  /** Writes one new object; throws when the identity cannot be read or the object cannot be written. */
  record(r: OverrideRecord): Promise<LoggedOverride>;
  /** The newest `limit` (default 200) overrides, newest first. */
  list(limit?: number): Promise<LoggedOverride[]>;
}

export const OVERRIDE_LOG_LIMIT = 200;

/** `<prefix>/budget/overrides/` ('' prefix: the bucket root). */
export function overrideLogPrefix(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return `${p ? `${p}/` : ''}budget/overrides/`;
}

export function createS3OverrideLog(deps: {
  s3: Pick<S3Client, 'send'>;
  sts: Pick<STSClient, 'send'>;
  bucket: string;
  prefix: string;
  host?: string;
  /** Suffix that keeps two rigs' keys apart in the same millisecond. */
  random?: () => string;
  /** Keys per ListObjectsV2 page (default S3's 1000). */
  pageSize?: number;
}): OverrideLog {
  const keyPrefix = overrideLogPrefix(deps.prefix);
  const location = `s3://${deps.bucket}/${keyPrefix}`;
  const host = deps.host ?? hostname();
  const random = deps.random ?? (() => randomBytes(6).toString('hex'));

  async function identity(): Promise<CallerIdentity> {
    try {
      const out = await deps.sts.send(new GetCallerIdentityCommand({}));
      if (!out.Arn || !out.Account) throw new Error('STS GetCallerIdentity returned no ARN or account');
      return { arn: out.Arn, account: out.Account };
    } catch (e) {
      throw fromAwsError(e, 'identify who overrides (STS GetCallerIdentity)');
    }
  }

  async function read(key: string): Promise<LoggedOverride | null> {
    const out = await deps.s3.send(new GetObjectCommand({ Bucket: deps.bucket, Key: key }));
    const text = (await out.Body?.transformToString()) ?? '';
    try {
      const r = JSON.parse(text) as LoggedOverride;
      return typeof r === 'object' && r !== null && typeof r.at === 'string' ? r : null;
    } catch {
      return null; // not one of ours: not shown
    }
  }

  return {
    location,
    async record(r) {
      const logged: LoggedOverride = { ...r, identity: await identity(), host };
      const key = `${keyPrefix}${r.at}-${random()}.json`;
      try {
        await deps.s3.send(
          new PutObjectCommand({ Bucket: deps.bucket, Key: key, Body: `${JSON.stringify(logged, null, 2)}\n`, ContentType: 'application/json' }),
        );
      } catch (e) {
        throw fromAwsError(e, `record the override in ${location}`);
      }
      return logged;
    },
    async list(limit = OVERRIDE_LOG_LIMIT) {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await deps.s3.send(new ListObjectsV2Command({ Bucket: deps.bucket, Prefix: keyPrefix, ContinuationToken: token, MaxKeys: deps.pageSize }));
        for (const o of page.Contents ?? []) if (o.Key?.endsWith('.json')) keys.push(o.Key);
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
      // Keys start with the ISO time, so they sort by time.
      const newest = keys.sort().reverse().slice(0, limit);
      const out: (LoggedOverride | null)[] = new Array<LoggedOverride | null>(newest.length).fill(null);
      let next = 0;
      const worker = async () => {
        while (next < newest.length) {
          const i = next++;
          out[i] = await read(newest[i]);
        }
      };
      await Promise.all(Array.from({ length: Math.min(8, newest.length) }, worker));
      return out.filter((r): r is LoggedOverride => r !== null);
    },
  };
}
