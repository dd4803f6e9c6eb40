/**
 * The S3 side of restoring an analysis's inputs (jobs/restore-plan.ts): HeadObject each input for
 * its storage class and `x-amz-restore` state, and RestoreObject for each one that needs it, with
 * consent.
 *
 * Contract: `inspect` never changes anything. `restore` needs `{ consent: true }` and asks only
 * for the objects in `plan.toRestore`; S3's RestoreAlreadyInProgress (409) counts as asked. It
 * returns the keys asked for; a refusal stops at that object and names it (the ones before it
 * were asked, and asking again is harmless).
 */
import { HeadObjectCommand, RestoreObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { RESTORE_DAYS, type ObjectColdState, type RestorePlan, type RestoreTier } from './restore-plan.ts';

export class RestoreConsentError extends Error {
  readonly code = 'CONSENT_REQUIRED';
  constructor() {
    super('restoring the inputs from cold storage needs explicit consent (it is billed)');
    this.name = 'RestoreConsentError';
  }
}

export async function inspectColdInputs(s3: Pick<S3Client, 'send'>, bucket: string, keys: readonly string[], signal?: AbortSignal): Promise<ObjectColdState[]> {
  const out: ObjectColdState[] = [];
  for (const key of keys) {
    const h = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
    out.push({ key, size: h.ContentLength ?? 0, ...(h.StorageClass ? { storageClass: h.StorageClass } : {}), ...(h.Restore ? { restore: h.Restore } : {}) });
  }
  return out;
}

export async function requestRestores(
  s3: Pick<S3Client, 'send'>,
  bucket: string,
  plan: Pick<RestorePlan, 'toRestore'>,
  o: { tier: RestoreTier; consent: boolean; days?: number },
  signal?: AbortSignal,
): Promise<string[]> {
  if (o?.consent !== true) throw new RestoreConsentError();
  const asked: string[] = [];
  for (const obj of plan.toRestore) {
    try {
      await s3.send(
        new RestoreObjectCommand({ Bucket: bucket, Key: obj.key, RestoreRequest: { Days: o.days ?? RESTORE_DAYS, GlacierJobParameters: { Tier: o.tier } } }),
        { abortSignal: signal },
      );
    } catch (e) {
      const name = (e as { name?: string })?.name;
      if (name !== 'RestoreAlreadyInProgress') throw new Error(`S3 refused to restore s3://${bucket}/${obj.key}: ${(e as Error).message}`, { cause: e });
    }
    asked.push(obj.key);
  }
  return asked;
}
