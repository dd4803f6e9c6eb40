/**
 * Curation: cell / not-cell decisions made after the worker, kept as an append-only list of
 * records in `curation.json` beside the results (the worker's own `iscell` files are never
 * changed). The label of an ROI is its last record's, else the worker's (`effectiveIscell`); an
 * undo is one more record restoring the earlier labels, so the history stays whole.
 *
 * `saveCuration` appends through an injected `ObjectStore` under the results key (an S3 store for
 * EC2 jobs, the archive folder for local ones) by read-merge-conditional-write: a writer that
 * lost the race reads again and merges, so two workstations curating the same results both keep
 * their records. Records are identified by (who, when, roi) and ordered by when, then who, then roi.
 */
import { fsObjectStore, type ObjectStore } from '../jobs/object-store.ts';

/** `curation.json` beside a results folder's files (not a worker file, not in checksums.sha256). */
export const CURATION_FILE = 'curation.json';
export const CURATION_SCHEMA = 1;
export const CURATION_SOURCES = ['app', 'suite2p', 'cli'] as const;
export type CurationSource = (typeof CURATION_SOURCES)[number];

export class CurationError extends Error {
  readonly code: 'NOT_RESULTS' | 'NOT_SUITE2P' | 'NOT_THESE_RESULTS' | 'BAD_ISCELL' | 'BAD_CURATION' | 'BAD_ROI' | 'NOTHING_TO_UNDO' | 'CURATION_CONFLICT';
  constructor(code: CurationError['code'], message: string) {
    super(message);
    this.name = 'CurationError';
    this.code = code;
  }
}

/** One curated label. Records written at once (one action) share `who`, `when` and `source`. */
export interface CurationRecord {
  roi: number;
  iscell: boolean;
  source: CurationSource;
  who: string;
  /** ISO 8601. */
  when: string;
  /** Set on the records of an undo: the `when` of the action they undo. */
  undoes?: string;
  /** The AWS caller identity (STS ARN) that wrote results kept in S3, when it could be read. */
  awsArn?: string;
  /** The operating-system user that wrote results kept in a local folder. */
  osUser?: string;
}

/** Who acts besides the owner name `who`: the AWS identity (S3 results) or the OS user (local ones). */
export interface CuratorIdentity {
  awsArn?: string;
  osUser?: string;
}

const identityOf = (by: CuratorIdentity): CuratorIdentity => ({
  ...(by.awsArn ? { awsArn: by.awsArn } : {}),
  ...(by.osUser ? { osUser: by.osUser } : {}),
});

export interface CurationDoc {
  schema: typeof CURATION_SCHEMA;
  records: CurationRecord[];
}

export const emptyCuration = (): CurationDoc => ({ schema: CURATION_SCHEMA, records: [] });

const recordKey = (r: CurationRecord) => `${r.who}\u0000${r.when}\u0000${r.roi}`;

/** The order records apply in: by when, then who, then roi. */
export function compareRecords(a: CurationRecord, b: CurationRecord): number {
  return a.when < b.when ? -1 : a.when > b.when ? 1 : a.who < b.who ? -1 : a.who > b.who ? 1 : a.roi - b.roi;
}

/** Validates a curation document; `where` names it in errors. Throws CurationError('BAD_CURATION'). */
export function parseCuration(text: string, where: string): CurationDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new CurationError('BAD_CURATION', `${where} is not JSON: ${(e as Error).message}`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new CurationError('BAD_CURATION', `${where} is not a curation document (an object)`);
  const { schema, records } = doc as { schema?: unknown; records?: unknown };
  if (schema !== CURATION_SCHEMA)
    throw new CurationError('BAD_CURATION', `${where} has schema ${JSON.stringify(schema)}; this version reads schema ${CURATION_SCHEMA}`);
  if (!Array.isArray(records)) throw new CurationError('BAD_CURATION', `${where} has no records list`);
  const out: CurationRecord[] = records.map((r: unknown, i) => {
    const bad = (why: string) => new CurationError('BAD_CURATION', `${where}: record ${i} ${why}`);
    if (typeof r !== 'object' || r === null) throw bad('is not an object');
    const { roi, iscell, source, who, when, undoes, awsArn, osUser } = r as Record<string, unknown>;
    if (typeof roi !== 'number' || !Number.isInteger(roi) || roi < 0) throw bad(`has roi ${JSON.stringify(roi)} (a row number ≥ 0 expected)`);
    if (typeof iscell !== 'boolean') throw bad(`has iscell ${JSON.stringify(iscell)} (true or false expected)`);
    if (!CURATION_SOURCES.includes(source as CurationSource))
      throw bad(`has source ${JSON.stringify(source)} (one of ${CURATION_SOURCES.join(', ')} expected)`);
    if (typeof who !== 'string' || !who) throw bad('has no who');
    if (typeof when !== 'string' || Number.isNaN(Date.parse(when))) throw bad(`has when ${JSON.stringify(when)} (an ISO 8601 time expected)`);
    if (undoes !== undefined && typeof undoes !== 'string') throw bad('has a non-string undoes');
    if (awsArn !== undefined && typeof awsArn !== 'string') throw bad('has a non-string awsArn');
    if (osUser !== undefined && typeof osUser !== 'string') throw bad('has a non-string osUser');
    return {
      roi,
      iscell,
      source: source as CurationSource,
      who,
      when,
      ...(undoes === undefined ? {} : { undoes }),
      ...identityOf({ awsArn, osUser } as CuratorIdentity),
    };
  });
  return { schema: CURATION_SCHEMA, records: out };
}

export function serializeCuration(doc: CurationDoc): string {
  return JSON.stringify(doc, null, 2) + '\n';
}

/** Both documents' records, each (who, when, roi) once, ordered. */
export function mergeCuration(a: CurationDoc, b: CurationDoc): CurationDoc {
  const byKey = new Map<string, CurationRecord>();
  for (const r of [...a.records, ...b.records]) if (!byKey.has(recordKey(r))) byKey.set(recordKey(r), r);
  return { schema: CURATION_SCHEMA, records: [...byKey.values()].sort(compareRecords) };
}

/**
 * The curated label of every ROI: `original[id]` (the worker's iscell, indexed by ROI id) unless a
 * record names the ROI, the last one in order winning. Throws CurationError('BAD_ROI') for a record
 * naming an ROI the results do not have.
 */
export function effectiveIscell(original: readonly boolean[], records: readonly CurationRecord[]): boolean[] {
  const out = [...original];
  for (const r of [...records].sort(compareRecords)) {
    if (r.roi >= out.length) throw new CurationError('BAD_ROI', `curation names ROI ${r.roi}, but the results have ${out.length} ROIs`);
    out[r.roi] = r.iscell;
  }
  return out;
}

/** Records labelling `rois` as `iscell`, one action. Throws CurationError('BAD_ROI') for an unknown or empty list. */
export function curationRecords(
  roiCount: number,
  rois: readonly number[],
  iscell: boolean,
  by: { who: string; when: Date; source: CurationSource } & CuratorIdentity,
): CurationRecord[] {
  if (rois.length === 0) throw new CurationError('BAD_ROI', 'no ROI given');
  for (const roi of rois)
    if (!Number.isInteger(roi) || roi < 0 || roi >= roiCount)
      throw new CurationError('BAD_ROI', `ROI ${roi} does not exist (the results have ${roiCount} ROIs, 0–${roiCount - 1})`);
  const when = by.when.toISOString();
  return [...new Set(rois)].sort((a, b) => a - b).map((roi) => ({ roi, iscell, source: by.source, who: by.who, when, ...identityOf(by) }));
}

/**
 * The records undoing `who`'s last action not yet undone (undos are not themselves undone): for
 * each of its ROIs, the label that ROI had just before it. Throws CurationError('NOTHING_TO_UNDO').
 */
export function undoRecords(
  original: readonly boolean[],
  records: readonly CurationRecord[],
  by: { who: string; when: Date; source: CurationSource } & CuratorIdentity,
): CurationRecord[] {
  const sorted = [...records].sort(compareRecords);
  const undone = new Set(sorted.filter((r) => r.undoes !== undefined && r.who === by.who).map((r) => r.undoes));
  const last = [...sorted].reverse().find((r) => r.who === by.who && r.undoes === undefined && !undone.has(r.when));
  if (!last) throw new CurationError('NOTHING_TO_UNDO', `${by.who} has no curation left to undo`);
  const action = sorted.filter((r) => r.who === last.who && r.when === last.when && r.undoes === undefined);
  const before = effectiveIscell(
    original,
    sorted.filter((r) => compareRecords(r, action[0]) < 0),
  );
  let when = by.when.toISOString();
  // An undo must sort after what it undoes, whatever the clocks say.
  if (when <= sorted[sorted.length - 1].when) when = new Date(Date.parse(sorted[sorted.length - 1].when) + 1).toISOString();
  return action.map((r) => ({ roi: r.roi, iscell: before[r.roi], source: by.source, who: by.who, when, undoes: last.when, ...identityOf(by) }));
}

/** The curation document at `key` of `store`, or an empty one. Throws CurationError('BAD_CURATION'). */
export async function loadCuration(store: ObjectStore, key: string): Promise<CurationDoc> {
  const got = await store.get(key);
  return got ? parseCuration(got.toString('utf8'), `${store.location}${key}`) : emptyCuration();
}

/** A curation document and the store's version of it (null: there is none, the document is empty). */
export interface StoredCuration {
  doc: CurationDoc;
  version: string | null;
}

/** The curation document at `key` of `store` with its version. Throws CurationError('BAD_CURATION'). */
export async function loadCurationVersioned(store: ObjectStore, key: string): Promise<StoredCuration> {
  const got = await store.getVersioned(key);
  return got ? { doc: parseCuration(got.body.toString('utf8'), `${store.location}${key}`), version: got.version } : { doc: emptyCuration(), version: null };
}

/** The curation.json of a local results folder, or an empty one. Throws CurationError('BAD_CURATION'). */
export function readCuration(resultsDir: string): Promise<CurationDoc> {
  return loadCuration(fsObjectStore(resultsDir), CURATION_FILE);
}

const MAX_ATTEMPTS = 10;

const sameRecord = (a: CurationRecord, b: CurationRecord) =>
  a.iscell === b.iscell && a.source === b.source && a.undoes === b.undoes && a.awsArn === b.awsArn && a.osUser === b.osUser;

/**
 * `records` (one action: one who and one when) as they can join `base`: unchanged, unless one
 * has the (who, when, roi) of a different stored record (two actions by one writer in the same
 * millisecond), which the merge would drop; then the action moves to 1 ms after its writer's last
 * record. Saving the very same records again changes nothing.
 */
function clearOf(base: CurationDoc, records: readonly CurationRecord[]): CurationRecord[] {
  const stored = new Map(base.records.map((r) => [recordKey(r), r]));
  if (!records.some((r) => stored.has(recordKey(r)) && !sameRecord(stored.get(recordKey(r))!, r))) return [...records];
  const who = records[0].who;
  const last = Math.max(...base.records.filter((r) => r.who === who).map((r) => Date.parse(r.when)));
  const when = new Date(last + 1).toISOString();
  return records.map((r) => ({ ...r, when }));
}

/**
 * Appends `records` to the curation document at `key` of `store` and returns the document as
 * written. Reads, merges and writes only if nobody wrote in between; on a lost race it starts
 * again, and after writing it reads back to check its records are there (a store without
 * conditional writes). Throws CurationError('CURATION_CONFLICT') after repeated lost races and
 * CurationError('BAD_CURATION') when the stored document is invalid (it is never overwritten).
 */
export async function saveCuration(store: ObjectStore, key: string, records: readonly CurationRecord[], pause?: Pause): Promise<CurationDoc> {
  return (await saveCurationVersioned(store, key, records, pause)).doc;
}

/** Waits before attempt `attempt` (1, 2, ...) after a lost race. */
export type Pause = (attempt: number) => Promise<void>;

/** A random wait up to 4 ms × 2^attempt, so racing writers stop meeting (about 4 s over all attempts). */
export const backoff: Pause = (attempt) => new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * 2 ** attempt));

/** `saveCuration`, also giving the version of the document read back (what a cached copy records). */
export async function saveCurationVersioned(
  store: ObjectStore,
  key: string,
  records: readonly CurationRecord[],
  pause: Pause = backoff,
): Promise<StoredCuration> {
  let ours: CurationDoc = { schema: CURATION_SCHEMA, records: [...records] };
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await pause(attempt);
    const cur = await store.getVersioned(key);
    const base = cur ? parseCuration(cur.body.toString('utf8'), `${store.location}${key}`) : emptyCuration();
    ours = { schema: CURATION_SCHEMA, records: clearOf(base, ours.records) };
    const next = mergeCuration(base, ours);
    if (!(await store.putIfVersion(key, serializeCuration(next), cur?.version ?? null))) continue;
    const back = await loadCurationVersioned(store, key);
    const have = new Set(back.doc.records.map(recordKey));
    if (ours.records.every((r) => have.has(recordKey(r)))) return back;
  }
  throw new CurationError(
    'CURATION_CONFLICT',
    `could not record the curation in ${store.location}${key}: other writers kept changing it (${MAX_ATTEMPTS} attempts); nothing was recorded, try again`,
  );
}
