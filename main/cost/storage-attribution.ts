/**
 * Whose stored bytes are whose, for the storage bill per person. Pure.
 *
 * Object keys carry no owner (`<prefix>/<watched folder>/<path>`, acquisition/object-keys.ts), so
 * bytes are attributed through the records stored beside them:
 * - a session manifest (`<session>/manifest.json` or `manifest.v<N>.json`, session/manifest.ts)
 *   names who recorded the session (`recordedBy.owner`): its folder and the folders below it are
 *   that person's; of several manifests of a session, the newest that names someone counts;
 * - a job record (`jobs/<id>/job.json`, jobs/job-layout.ts, field `owner`) makes `jobs/<id>/` the
 *   job owner's.
 * The deepest record above a folder wins. Everything else is `UNATTRIBUTED`: manifests written
 * before they named anyone, sessions not closed yet, worker binaries, budget overrides.
 * (test/unit/cost/storage-attribution.test.ts checks these key shapes against the modules that
 * write them.)
 */
import type { StorageClassBytes } from './storage-usage.ts';
import { ASSIGNMENTS_KEY } from './session-assignments.ts';

export const UNATTRIBUTED = 'unattributed';

/** Bytes per storage class of the objects directly in one folder ('' is the prefix itself). */
export interface FolderBytes {
  folder: string;
  byClass: StorageClassBytes[];
}

/** A record that may name a folder's owner; `etag` changes when the object does. */
export interface OwnerRecordKey {
  key: string;
  etag: string;
}

export interface OwnerBytes {
  owner: string;
  /** Largest first. */
  byClass: StorageClassBytes[];
  bytes: number;
  objects: number;
}

const MANIFEST = /^(?:(.*)\/)?manifest(?:\.v(\d+))?\.json$/;
const JOB = /^jobs\/([^/]+)\/job\.json$/;

/** The folder a record speaks for and its rank among that folder's records (higher wins); null for other keys. */
export function recordFolder(key: string): { folder: string; kind: 'manifest' | 'job'; rank: number } | null {
  const job = JOB.exec(key);
  if (job) return { folder: `jobs/${job[1]}`, kind: 'job', rank: 0 };
  const m = MANIFEST.exec(key);
  if (m) return { folder: m[1] ?? '', kind: 'manifest', rank: m[2] ? Number(m[2]) : 1 };
  return null;
}

/** A record the listing keeps with its ETag: an owner record, or the sessions assigned by hand (session-assignments.ts). */
export function isOwnerRecord(key: string): boolean {
  return recordFolder(key) !== null || key === ASSIGNMENTS_KEY;
}

function folderOf(key: string): string {
  const i = key.lastIndexOf('/');
  return i < 0 ? '' : key.slice(0, i);
}

function sorted(list: Iterable<StorageClassBytes>): StorageClassBytes[] {
  return [...list].sort((a, b) => b.bytes - a.bytes || a.storageClass.localeCompare(b.storageClass));
}

/** Sums a listing's objects per folder and keeps its owner records; keys relative to the prefix. */
export class FolderTally {
  readonly #folders = new Map<string, Map<string, StorageClassBytes>>();
  readonly #records: OwnerRecordKey[] = [];

  add(key: string, storageClass: string, size: number, etag: string): void {
    const folder = folderOf(key);
    const classes = this.#folders.get(folder) ?? new Map<string, StorageClassBytes>();
    const entry = classes.get(storageClass) ?? { storageClass, bytes: 0, objects: 0 };
    entry.bytes += size;
    entry.objects += 1;
    classes.set(storageClass, entry);
    this.#folders.set(folder, classes);
    if (isOwnerRecord(key)) this.#records.push({ key, etag });
  }

  folders(): FolderBytes[] {
    return [...this.#folders].map(([folder, classes]) => ({ folder, byClass: sorted(classes.values()) }));
  }

  records(): OwnerRecordKey[] {
    return [...this.#records];
  }
}

/**
 * The owner of each folder that has one, from what each record names (`named`: key → owner, or
 * null when the record names no one). Per folder the record of highest rank naming someone wins.
 */
export function folderOwners(named: ReadonlyMap<string, string | null>): Map<string, string> {
  const best = new Map<string, { rank: number; owner: string }>();
  for (const [key, owner] of named) {
    const r = recordFolder(key);
    if (!r || owner === null) continue;
    const was = best.get(r.folder);
    if (!was || r.rank > was.rank) best.set(r.folder, { rank: r.rank, owner });
  }
  return new Map([...best].map(([folder, b]) => [folder, b.owner]));
}

/** The owner of the deepest folder at or above `folder` that has one. */
function ownerAbove(folder: string, owners: ReadonlyMap<string, string>): string {
  let f = folder;
  for (;;) {
    const o = owners.get(f);
    if (o !== undefined) return o;
    if (f === '') return UNATTRIBUTED;
    f = folderOf(f);
  }
}

/** Bytes per owner (and `UNATTRIBUTED`), largest first with `UNATTRIBUTED` last. */
export function attributeBytes(byFolder: readonly FolderBytes[], owners: ReadonlyMap<string, string>): OwnerBytes[] {
  const by = new Map<string, Map<string, StorageClassBytes>>();
  for (const f of byFolder) {
    const owner = ownerAbove(f.folder, owners);
    const classes = by.get(owner) ?? new Map<string, StorageClassBytes>();
    for (const c of f.byClass) {
      const entry = classes.get(c.storageClass) ?? { storageClass: c.storageClass, bytes: 0, objects: 0 };
      entry.bytes += c.bytes;
      entry.objects += c.objects;
      classes.set(c.storageClass, entry);
    }
    by.set(owner, classes);
  }
  return [...by]
    .map(([owner, classes]) => {
      const byClass = sorted(classes.values());
      return { owner, byClass, bytes: byClass.reduce((n, c) => n + c.bytes, 0), objects: byClass.reduce((n, c) => n + c.objects, 0) };
    })
    .sort((a, b) => Number(a.owner === UNATTRIBUTED) - Number(b.owner === UNATTRIBUTED) || b.bytes - a.bytes || a.owner.localeCompare(b.owner));
}

export interface SessionBytes {
  /** The session folder, relative to the prefix. */
  session: string;
  bytes: number;
  objects: number;
}

/**
 * The bytes of each session in `sessions` that no record attributes: its folder's and those of
 * the folders below it that no deeper owner or session claims. Largest first.
 */
export function sessionBytes(byFolder: readonly FolderBytes[], owners: ReadonlyMap<string, string>, sessions: readonly string[]): SessionBytes[] {
  const own = new Set(sessions.filter((s) => !owners.has(s)));
  const out = new Map<string, SessionBytes>();
  for (const f of byFolder) {
    for (let at = f.folder; ; at = folderOf(at)) {
      if (owners.has(at)) break;
      if (own.has(at)) {
        const s = out.get(at) ?? { session: at, bytes: 0, objects: 0 };
        for (const c of f.byClass) {
          s.bytes += c.bytes;
          s.objects += c.objects;
        }
        out.set(at, s);
        break;
      }
      if (at === '') break;
    }
  }
  for (const s of own) if (!out.has(s)) out.set(s, { session: s, bytes: 0, objects: 0 });
  return [...out.values()].sort((a, b) => b.bytes - a.bytes || a.session.localeCompare(b.session));
}
