/**
 * A job waiting for its inputs to come back from a cold class (job state `restoring`): the S3 side
 * the job service is given (`ColdInputs`, keys relative to the job store's prefix) and the pure
 * reading of where the restore stands.
 *
 * Contract: `checkRestore` says `ready` only when every key of the job's restore reads as restored
 * (or no longer needs one) and no restored copy has expired; a key whose restore is gone (no
 * `x-amz-restore` and still cold) or expired fails the job, naming the key: asking again would be
 * billed again, which only the user may agree to.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { JobRestore } from './job-types.ts';
import { inspectColdInputs, requestRestores } from './restore-objects.ts';
import { needsRestoreClass, parseRestoreHeader, type ObjectColdState, type RestoreTier } from './restore-plan.ts';

export interface ColdInputs {
  /** HeadObject of each store key; never changes anything. */
  inspect(keys: readonly string[]): Promise<ObjectColdState[]>;
  /** RestoreObject for each object (store keys), with the consent the caller holds; returns the keys asked. */
  request(objects: readonly ObjectColdState[], o: { tier: RestoreTier; days: number; consent: boolean }): Promise<string[]>;
}

/** HeadObject requests in flight at once: a session may hold thousands of files. */
const HEAD_CONCURRENCY = 16;

/** ColdInputs over the S3 bucket and prefix of an S3 job store (a missing key reads as not cold). */
export function s3ColdInputs(s3: Pick<S3Client, 'send'>, bucket: string, prefix: string): ColdInputs {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  const full = (key: string) => (p ? `${p}/${key}` : key);
  const strip = (key: string) => (p && key.startsWith(`${p}/`) ? key.slice(p.length + 1) : key);
  return {
    async inspect(keys) {
      const out: ObjectColdState[] = new Array(keys.length);
      let next = 0;
      const one = async (): Promise<void> => {
        for (let i = next++; i < keys.length; i = next++) {
          try {
            const [o] = await inspectColdInputs(s3, bucket, [full(keys[i])]);
            out[i] = { ...o, key: keys[i] };
          } catch (e) {
            // A missing input needs no restore; the launch reports it as it always has.
            if ((e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw e;
            out[i] = { key: keys[i], size: 0 };
          }
        }
      };
      await Promise.all(Array.from({ length: Math.min(HEAD_CONCURRENCY, keys.length) }, one));
      return out;
    },
    async request(objects, o) {
      const asked = await requestRestores(s3, bucket, { toRestore: objects.map((x) => ({ ...x, key: full(x.key) })) }, o);
      return asked.map(strip);
    },
  };
}

export type RestoreCheck = { kind: 'waiting'; ongoing: number } | { kind: 'ready' } | { kind: 'failed'; message: string };

export function checkRestore(restore: JobRestore, objects: readonly ObjectColdState[], now: number): RestoreCheck {
  let ongoing = 0;
  for (const o of objects) {
    if (!needsRestoreClass(o.storageClass)) continue;
    const r = parseRestoreHeader(o.restore);
    if (r.kind === 'ongoing') ongoing += 1;
    else if (r.kind === 'none')
      return {
        kind: 'failed',
        message: `the restore of ${o.key} from ${o.storageClass} is gone (its restored copy expired or was never made) before the analysis could start; launch the analysis again to ask for a new restore`,
      };
    else if (r.expiresAt !== null && r.expiresAt <= now)
      return {
        kind: 'failed',
        message: `the restored copy of ${o.key} expired on ${new Date(r.expiresAt).toISOString()} (kept ${restore.days} days) before the analysis could start; launch the analysis again to restore it again`,
      };
  }
  return ongoing > 0 ? { kind: 'waiting', ongoing } : { kind: 'ready' };
}

/** S3's refusal of a restore (access denied, wrong class) as the job's failure message. */
export function restoreRefusal(e: unknown): string {
  const err = e as { message?: string; cause?: { name?: string; $metadata?: { httpStatusCode?: number } } };
  const status = err.cause?.$metadata?.httpStatusCode;
  const denied = err.cause?.name === 'AccessDenied' || (status === 403 && err.cause?.name !== 'InvalidObjectState');
  const hint = denied
    ? 'ask your AWS administrator for s3:RestoreObject on these keys, then launch the analysis again'
    : 'check the object in the S3 console, then launch the analysis again';
  return `${err.message ?? String(e)}; ${hint}`;
}
