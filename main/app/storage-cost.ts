/**
 * The storage bill for the current destination, as `scopecloud cost`, the Budget view and the
 * tray show it: the bytes under the lab's prefix per storage class (cost/storage-usage.ts, cached
 * on disk, listed at most every 6 hours unless asked), priced from the compute services' price
 * table, with the month's projection at the upload queue's recent verified rate.
 *
 * `read()` never throws for a failed listing: `error` says why, and `bill` is null unless an
 * earlier good listing is kept (then `usage.listedAt` says how old it is).
 *
 * Per person: the same listing's folders, attributed through the session manifests and job
 * records it found (cost/storage-attribution.ts, storage-owners.ts: each record read once per
 * version, cached); `bill.byOwner` is null for a listing cached before folders were kept.
 * Sessions whose manifests name no one can be assigned to a person (`assign`; stored in the
 * destination, session-attribution.ts); `unattributedSessions` lists the ones that are not.
 */
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Settings } from '../config/schema.ts';
import type { KeyValueStore } from '../cost/cache-store.ts';
import type { PriceTable } from '../cost/price-table.ts';
import { priceTableLabel } from '../cost/price-refresh.ts';
import { storageBill, type StorageBill } from '../cost/storage-bill.ts';
import { createStorageUsageReader, STORAGE_USAGE_MAX_AGE_MS, type StorageTarget, type StorageUsage } from '../cost/storage-usage.ts';
import { bucketMetrics, type BucketMetrics } from '../cost/bucket-metrics.ts';
import { RATE_WINDOW_DAYS, type AcquisitionRate } from '../acquisition/acquisition-rate.ts';
import { type Clock } from '../common/time.ts';
import { attributeBytes, sessionBytes, type FolderBytes, type OwnerBytes, type OwnerRecordKey, type SessionBytes } from '../cost/storage-attribution.ts';
import { ASSIGNMENTS_KEY, AssignmentError, checkPerson, type VersionedStore } from '../cost/session-assignments.ts';
import { fsObjectStore, s3ObjectStore } from '../jobs/object-store.ts';
import { resolveFolderOwners } from './storage-owners.ts';
import { chooseSessions, readAssignments, withAssignments, writeAssignments, type AssignScope } from './session-attribution.ts';

/** How the bytes were attributed to people, in the words the UI and CLI show. */
export const ATTRIBUTION_TEXT =
  "Object keys carry no owner, so storage is attributed by the records beside the data: each session manifest's recordedBy (who recorded the session) and each analysis job's owner. Bytes with no such record (sessions recorded before manifests named anyone, sessions still open, worker binaries, budget records) are unattributed.";

export interface StorageCost {
  usage: StorageUsage | null;
  fromCache: boolean;
  error: string | null;
  bill: StorageBill | null;
  rate: AcquisitionRate;
  region: string;
  /** "shipped table of <date>" or "AWS Pricing API, fetched <date>". */
  pricesLabel: string;
  /** When a plain read lists again (the cache's age limit); null without a listing. */
  nextListingAt: number | null;
  /**
   * Only when the prefix is the whole bucket: S3's daily BucketSizeBytes from CloudWatch, read
   * with each fresh listing and kept beside it, as a cross-check of the listing (not the bill).
   */
  crossCheck?: BucketMetrics | null;
  /** How storage was split per person, and why some of it could not be (null when all was read). */
  attribution: { text: string; error: string | null };
  /** Sessions whose manifests name no one and that nobody assigned, largest first ([] when unknown). */
  unattributedSessions: SessionBytes[];
}

export interface AssignRequest {
  /** `session`: one session folder; `prefix`: every unattributed session at or below a folder. */
  scope: AssignScope;
  /** The folder, relative to the destination's prefix, as `unattributedSessions` names it. */
  key: string;
  /** The person the sessions are assigned to. */
  owner: string;
  /** Who assigns (this process's owner name). */
  by: string;
}

export interface StorageCostService {
  read(options?: { refresh?: boolean }): Promise<StorageCost>;
  /**
   * Assigns sessions of the last listing to a person (never lists; the cached listing must have
   * been split per person). Throws AssignmentError: BAD_PERSON, BAD_SESSION (not in the listing,
   * or a manifest names someone), BAD_ASSIGNMENTS (the stored document is invalid), ASSIGNMENT_CONFLICT.
   */
  assign(req: AssignRequest): Promise<{ assigned: string[] }>;
}

export function createStorageCost(deps: {
  settings: () => Settings;
  /** The S3 destination's client, price table and region; null for a local archive. */
  aws: (settings: Settings) => { s3: Pick<S3Client, 'send'>; prices: PriceTable; region: string; cloudwatch?: Pick<CloudWatchClient, 'send'> } | null;
  /** Prices for a local archive's view (no bill is computed from them). */
  localPrices: () => PriceTable;
  /** The upload queue's recent verified bytes per day (queue status); undefined when unknown. */
  rate: () => Promise<AcquisitionRate | undefined>;
  store: KeyValueStore;
  clock: Clock;
  maxAgeMs?: number;
}): StorageCostService {
  const maxAge = deps.maxAgeMs ?? STORAGE_USAGE_MAX_AGE_MS;
  const destination = () => {
    const settings = deps.settings();
    const aws = settings.target.kind === 's3' ? deps.aws(settings) : null;
    const target: StorageTarget =
      settings.target.kind === 's3' && aws
        ? { kind: 's3', s3: aws.s3, bucket: settings.target.bucket, prefix: settings.target.prefix }
        : { kind: 'local', dir: settings.target.kind === 'local' ? settings.target.path : '' };
    const versioned: VersionedStore = target.kind === 's3' ? s3ObjectStore(target.s3 as S3Client, target.bucket, target.prefix) : fsObjectStore(target.dir);
    const reader = createStorageUsageReader({ target, store: deps.store, clock: deps.clock, maxAgeMs: maxAge });
    return { settings, aws, target, versioned, reader };
  };

  /** Owners per folder from the listing's records and the assignments. */
  async function attribution(d: ReturnType<typeof destination>, u: StorageUsage & { byFolder: FolderBytes[]; ownerRecords: OwnerRecordKey[] }) {
    const { target } = d;
    const read =
      target.kind === 's3'
        ? async (key: string) => {
            const out = await target.s3.send(new GetObjectCommand({ Bucket: target.bucket, Key: `${keyPrefixOf(target.prefix)}${key}` }));
            return (await out.Body?.transformToString('utf8')) ?? '';
          }
        : (key: string) => readFile(join(target.dir, key), 'utf8');
    const listed = u.ownerRecords.find((r) => r.key === ASSIGNMENTS_KEY)?.etag ?? null;
    const resolved = await resolveFolderOwners({
      records: u.ownerRecords.filter((r) => r.key !== ASSIGNMENTS_KEY),
      listedAt: u.listedAt,
      read,
      store: deps.store,
      cacheKey: `storage/owners/${u.location}`,
    });
    const assignmentsKey = { store: d.versioned, listed, cache: deps.store, cacheKey: `storage/assignments/${u.location}` };
    const assignments = await readAssignments(assignmentsKey);
    const applied = withAssignments(resolved.owners, resolved.unnamedSessions, assignments.doc);
    return { resolved, assignments, applied, assignmentsKey };
  }

  return {
    async assign(req) {
      const owner = checkPerson(req.owner);
      const d = destination();
      const { usage: u, error } = await d.reader.read({});
      if (!u) throw new AssignmentError('BAD_SESSION', `Nothing listed yet${error ? ` (${error})` : ''}: list the destination first.`);
      if (!u.byFolder || !u.ownerRecords)
        throw new AssignmentError('BAD_SESSION', 'This listing was cached before storage was split per person; "List again" first.');
      const a = await attribution(d, { ...u, byFolder: u.byFolder, ownerRecords: u.ownerRecords });
      const sessions = chooseSessions({
        scope: req.scope,
        key: req.key,
        unnamed: a.resolved.unnamedSessions,
        unattributed: a.applied.unattributed,
        named: a.resolved.owners,
        location: u.location,
      });
      const at = new Date(deps.clock.now()).toISOString();
      await writeAssignments({ ...a.assignmentsKey, records: sessions.map((session) => ({ session, owner, by: req.by, at })) });
      return { assigned: sessions };
    },
    async read(options = {}) {
      const d = destination();
      const { settings, aws, target, reader } = d;
      const [answer, rate] = await Promise.all([
        reader.read(options),
        deps.rate().then(
          (r) => r ?? { bytesPerDay: 0, verifiedBytes: 0, windowDays: RATE_WINDOW_DAYS },
          () => ({ bytesPerDay: 0, verifiedBytes: 0, windowDays: RATE_WINDOW_DAYS }),
        ),
      ]);
      let crossCheck: BucketMetrics | null = null;
      if (settings.target.kind === 's3' && aws?.cloudwatch && !settings.target.prefix.replace(/\//g, '')) {
        const key = `storage/metrics/${settings.target.bucket}`;
        if (answer.usage && !answer.fromCache) {
          crossCheck = await bucketMetrics(aws.cloudwatch, settings.target.bucket, deps.clock.now());
          deps.store.set(key, crossCheck);
        } else crossCheck = (deps.store.get(key) as BucketMetrics | undefined) ?? null;
      }
      let owners: OwnerBytes[] | undefined;
      let attributionError: string | null = null;
      let unattributedSessions: SessionBytes[] = [];
      let assignedText = '';
      const u = answer.usage;
      if (u?.byFolder && u.ownerRecords) {
        const a = await attribution(d, { ...u, byFolder: u.byFolder, ownerRecords: u.ownerRecords });
        owners = attributeBytes(u.byFolder, a.applied.owners);
        unattributedSessions = sessionBytes(u.byFolder, a.applied.owners, a.applied.unattributed);
        attributionError = [a.resolved.error, a.assignments.error].filter((e) => e !== null).join(' ') || null;
        const n = a.applied.applied;
        if (n)
          assignedText = ` ${n} session${n === 1 ? '' : 's'} whose manifest${n === 1 ? '' : 's'} named no one ${n === 1 ? 'was' : 'were'} assigned to a person by hand (${ASSIGNMENTS_KEY} in the destination).`;
      } else if (u) attributionError = 'This listing was cached before storage was split per person; "List again" splits it.';
      const prices = aws?.prices ?? deps.localPrices();
      const region = aws?.region ?? '';
      const bill = answer.usage
        ? storageBill({
            usage: answer.usage,
            prices,
            region,
            bytesPerDay: rate.bytesPerDay,
            rateWindowDays: rate.windowDays,
            now: deps.clock.now(),
            ...(owners ? { owners } : {}),
          })
        : null;
      return {
        ...answer,
        bill,
        rate,
        region,
        pricesLabel: priceTableLabel(prices),
        nextListingAt: answer.usage ? answer.usage.listedAt + maxAge : null,
        crossCheck,
        attribution: { text: ATTRIBUTION_TEXT + assignedText, error: attributionError },
        unattributedSessions,
      };
    },
  };
}

/** `raw/` for `raw`, `raw/`, `/raw/`; '' for the whole bucket (as the listing's prefix). */
function keyPrefixOf(prefix: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return p ? `${p}/` : '';
}
