/**
 * The cold-storage lifecycle rules (upload/cold-storage-plan.ts) on the bucket: read what is there
 * with the saving for a chosen class and age, add them with consent, remove them with consent.
 *
 * Contract:
 * - `read` lists the raw prefixes (ListObjectsV2, every page) to count the STANDARD raw files the
 *   rule would move now; a store without the lifecycle API (501) reads as `supported: false`.
 * - `apply` and `remove` need `{ consent: true }`. Both read the configuration and put it back with
 *   only ScopeCloud's cold-storage rules for this prefix changed; every other rule and the
 *   transition size default are kept. When removing leaves no rule, the configuration is deleted
 *   (S3 refuses an empty one). As with the abort rule, a change made by someone else between the
 *   read and the write is lost: S3 has no conditional put for lifecycle configuration.
 * - Removing the rules moves nothing back: files already moved stay in their class.
 */
import {
  DeleteBucketLifecycleCommand,
  ListObjectsV2Command,
  PutBucketLifecycleConfigurationCommand,
  type LifecycleRule,
  type ListObjectsV2CommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import type { PriceTable } from '../cost/price-table.ts';
import { getConfiguration, type Configuration } from './lifecycle-rule.ts';
import { normalizePrefix } from './s3-target.ts';
import {
  coldExplanation,
  coldRules,
  coldSaving,
  coldStatus,
  ColdStorageInputError,
  isEligible,
  mergeColdRules,
  rawPrefixes,
  withoutColdRules,
  type ColdClass,
  type ColdSaving,
  type ColdStatus,
  type EligibleRaw,
} from './cold-storage-plan.ts';

export interface ColdStorageView {
  bucket: string;
  prefix: string;
  supported: boolean;
  /** `s3://bucket/<prefix><label>/` per watched folder. */
  rawPrefixes: string[];
  status: ColdStatus;
  saving: ColdSaving;
  explanation: string[];
}

export class ColdStorageConsentError extends Error {
  readonly code = 'CONSENT_REQUIRED';
  constructor(what: string) {
    super(`${what} the cold-storage rule needs explicit consent`);
    this.name = 'ColdStorageConsentError';
  }
}

export interface ColdStorage {
  read(o: { days: number; storageClass: ColdClass }, signal?: AbortSignal): Promise<ColdStorageView>;
  apply(o: { days: number; storageClass: ColdClass; consent: boolean }, signal?: AbortSignal): Promise<ColdStorageView>;
  remove(o: { consent: boolean; days: number; storageClass: ColdClass }, signal?: AbortSignal): Promise<ColdStorageView>;
}

export interface ColdStorageDeps {
  s3: Pick<S3Client, 'send'>;
  bucket: string;
  destinationPrefix: string;
  watchFolders: readonly string[];
  prices: PriceTable;
  region: string;
  now: () => number;
}

export function coldStorage(d: ColdStorageDeps): ColdStorage {
  const prefix = normalizePrefix(d.destinationPrefix);
  const raw = () => rawPrefixes(prefix, d.watchFolders);

  async function eligible(list: string[], days: number, signal?: AbortSignal): Promise<EligibleRaw> {
    const now = d.now();
    const sum = { bytes: 0, objects: 0 };
    for (const p of list) {
      let token: string | undefined;
      do {
        const page: ListObjectsV2CommandOutput = await d.s3.send(new ListObjectsV2Command({ Bucket: d.bucket, Prefix: p, ContinuationToken: token }), {
          abortSignal: signal,
        });
        for (const o of page.Contents ?? [])
          if (isEligible(o, days, now)) {
            sum.bytes += o.Size ?? 0;
            sum.objects += 1;
          }
        token = page.IsTruncated ? page.NextContinuationToken : undefined;
      } while (token);
    }
    return sum;
  }

  async function view(config: Configuration | 'unsupported', o: { days: number; storageClass: ColdClass }, signal?: AbortSignal): Promise<ColdStorageView> {
    const list = raw();
    const saving = coldSaving({
      eligible: await eligible(list, o.days, signal),
      prices: d.prices,
      region: d.region,
      storageClass: o.storageClass,
      days: o.days,
    });
    return {
      bucket: d.bucket,
      prefix,
      supported: config !== 'unsupported',
      rawPrefixes: list.map((p) => `s3://${d.bucket}/${p}`),
      status: coldStatus(config === 'unsupported' ? [] : config.rules, prefix, list),
      saving,
      explanation: coldExplanation(d.bucket, list, saving),
    };
  }

  async function put(config: Configuration, rules: LifecycleRule[], signal?: AbortSignal): Promise<void> {
    if (rules.length === 0) {
      await d.s3.send(new DeleteBucketLifecycleCommand({ Bucket: d.bucket }), { abortSignal: signal });
      return;
    }
    await d.s3.send(
      new PutBucketLifecycleConfigurationCommand({
        Bucket: d.bucket,
        LifecycleConfiguration: { Rules: rules },
        ...(config.transitionDefault ? { TransitionDefaultMinimumObjectSize: config.transitionDefault } : {}),
      }),
      { abortSignal: signal },
    );
  }

  const client = d.s3 as S3Client;
  return {
    async read(o, signal) {
      return view(await getConfiguration(client, d.bucket, signal), o, signal);
    },
    async apply(o, signal) {
      if (o?.consent !== true) throw new ColdStorageConsentError('Adding');
      const list = raw();
      if (list.length === 0)
        throw new ColdStorageInputError('there are no watched folders, so there are no raw files to move (scopecloud config set watch.folders ...)');
      const config = await getConfiguration(client, d.bucket, signal);
      if (config === 'unsupported') return view(config, o, signal);
      await put(config, mergeColdRules(config.rules, prefix, coldRules(list, o.days, o.storageClass)), signal);
      return view(await getConfiguration(client, d.bucket, signal), o, signal);
    },
    async remove(o, signal) {
      if (o?.consent !== true) throw new ColdStorageConsentError('Removing');
      const config = await getConfiguration(client, d.bucket, signal);
      if (config === 'unsupported') return view(config, o, signal);
      const kept = withoutColdRules(config.rules, prefix);
      if (kept.length !== config.rules.length) await put(config, kept, signal);
      return view(await getConfiguration(client, d.bucket, signal), o, signal);
    },
  };
}
