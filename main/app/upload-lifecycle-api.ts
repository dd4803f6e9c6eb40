/**
 * The Settings view's lifecycle rule (upload/lifecycle-rule.ts) in the UI's terms: whether S3
 * aborts uploads left unfinished under the destination, the plain explanation to consent to, and
 * adding the rule only with that consent.
 */
import type { UploadLifecycle as UiUploadLifecycle } from '../../preload/api.ts';
import type { LifecycleStatus, UploadLifecycle } from '../upload/lifecycle-rule.ts';
import { AppError } from './app-errors.ts';

export interface UploadLifecycleApi {
  view(): Promise<UiUploadLifecycle>;
  add(consent: boolean): Promise<UiUploadLifecycle>;
}

function toUi(lc: UploadLifecycle, s: LifecycleStatus): UiUploadLifecycle {
  return {
    state: !s.supported ? 'unsupported' : s.covering ? 'present' : 'absent',
    where: `s3://${s.bucket}/${s.prefix}`,
    days: s.covering?.days ?? null,
    rule: s.covering?.id ?? null,
    explanation: lc.explanation(),
  };
}

/** S3 refusing (no such bucket, access denied, unreachable) is the user's to see, not an internal error. */
function awsRefusal(what: 'read' | 'add') {
  return (e: unknown): never => {
    if (e instanceof AppError) throw e;
    const message = ((e as Error)?.message ?? String(e)).split('\n')[0];
    throw new AppError('AWS_ERROR', `Could not ${what} the bucket's lifecycle rules: ${message}`);
  };
}

const LOCAL: UiUploadLifecycle = { state: 'local', where: null, days: null, rule: null, explanation: [] };

/** `current` gives the destination's lifecycle rule for the settings now (null for a local archive). */
export function createUploadLifecycleApi(current: () => UploadLifecycle | null): UploadLifecycleApi {
  return {
    async view() {
      const lc = current();
      return lc ? toUi(lc, await lc.read().catch(awsRefusal('read'))) : LOCAL;
    },
    async add(consent) {
      const lc = current();
      if (!lc) return LOCAL;
      if (consent !== true) throw new AppError('CONSENT_REQUIRED', 'Adding the lifecycle rule needs your consent.');
      return toUi(lc, await lc.apply({ consent: true }).catch(awsRefusal('add')));
    },
  };
}
