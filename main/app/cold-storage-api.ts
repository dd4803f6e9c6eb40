/**
 * The Settings view's cold storage (upload/cold-storage-rule.ts) in the UI's terms: whether raw
 * files move to a colder class, the saving per month for the class and days asked about, and
 * adding or removing the rules only with consent.
 */
import type { ColdStorage as UiColdStorage } from '../../preload/api.ts';
import { COLD_CLASS_FACTS, ColdStorageInputError, type ColdClass } from '../upload/cold-storage-plan.ts';
import type { ColdStorage, ColdStorageView } from '../upload/cold-storage-rule.ts';
import { AppError } from './app-errors.ts';

export interface ColdStorageApi {
  view(ask: { days: number; storageClass: ColdClass }): Promise<UiColdStorage>;
  apply(req: { days: number; storageClass: ColdClass; consent: boolean }): Promise<UiColdStorage>;
  remove(req: { days: number; storageClass: ColdClass; consent: boolean }): Promise<UiColdStorage>;
}

function toUi(v: ColdStorageView): UiColdStorage {
  const s = v.saving;
  return {
    state: v.supported ? v.status.state : 'unsupported',
    rawPrefixes: v.rawPrefixes,
    rules: v.status.rules.map((r) => ({ prefix: `s3://${v.bucket}/${r.prefix}`, days: r.days, storageClass: r.storageClass, enabled: r.enabled })),
    saving: {
      storageClass: s.storageClass,
      days: s.days,
      eligibleBytes: s.eligible.bytes,
      eligibleFiles: s.eligible.objects,
      perMonthUsd: s.perMonth,
      minStorageDays: s.minStorageDays,
      retrievalPerGbUsd: COLD_CLASS_FACTS[s.storageClass].retrievalPerGb,
      needsRestore: COLD_CLASS_FACTS[s.storageClass].needsRestore,
    },
    explanation: v.explanation,
  };
}

function refusal(what: string) {
  return (e: unknown): never => {
    if (e instanceof AppError) throw e;
    if (e instanceof ColdStorageInputError) throw new AppError('INVALID_INPUT', e.message);
    const message = ((e as Error)?.message ?? String(e)).split('\n')[0];
    throw new AppError('AWS_ERROR', `Could not ${what} the bucket's cold-storage rules: ${message}`);
  };
}

const LOCAL: UiColdStorage = { state: 'local', rawPrefixes: [], rules: [], saving: null, explanation: [] };

/** `current` gives the destination's cold storage for the settings now (null for a local archive). */
export function createColdStorageApi(current: () => ColdStorage | null): ColdStorageApi {
  return {
    async view(ask) {
      const cs = current();
      return cs ? toUi(await cs.read(ask).catch(refusal('read'))) : LOCAL;
    },
    async apply(req) {
      const cs = current();
      if (!cs) return LOCAL;
      if (req.consent !== true) throw new AppError('CONSENT_REQUIRED', 'Adding the cold-storage rule needs your consent.');
      return toUi(await cs.apply({ ...req, consent: true }).catch(refusal('add')));
    },
    async remove(req) {
      const cs = current();
      if (!cs) return LOCAL;
      if (req.consent !== true) throw new AppError('CONSENT_REQUIRED', 'Removing the cold-storage rule needs your consent.');
      return toUi(await cs.remove({ ...req, consent: true }).catch(refusal('remove')));
    },
  };
}
