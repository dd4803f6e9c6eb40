/**
 * Sessions assigned by hand, for the storage bill per person (cost/session-assignments.ts holds
 * the document and its conditional writes).
 *
 * Reading: the document is read when the storage listing shows a version of it this cache has not
 * seen (the listing keeps its ETag like an owner record's), so a cached listing reads nothing; an
 * instance's own write is cached at once, another instance's is seen with the next listing ("List
 * again"). A document that cannot be read or parsed assigns nothing and says why.
 *
 * Assigning: `chooseSessions` decides which sessions one request names, from the last listing,
 * and refuses with a plain reason (AssignmentError 'BAD_SESSION') a session that is not in it, one
 * whose manifest names someone, or a prefix with no unattributed session.
 */
import type { KeyValueStore } from '../cost/cache-store.ts';
import {
  AssignmentError,
  assignedOwners,
  ASSIGNMENTS_KEY,
  emptyAssignments,
  isSessionFolder,
  parseAssignments,
  saveAssignments,
  type AssignmentsDoc,
  type SessionAssignment,
  type VersionedStore,
} from '../cost/session-assignments.ts';

interface CachedAssignments {
  /** The ETag the listing showed when this was cached (null: the listing had no document). */
  listed: string | null;
  version: string;
  doc: AssignmentsDoc;
}

export interface AssignmentsAnswer {
  doc: AssignmentsDoc;
  error: string | null;
}

export async function readAssignments(d: {
  store: VersionedStore;
  /** The document's ETag in the listing; null when the listing has none. */
  listed: string | null;
  cache: KeyValueStore;
  cacheKey: string;
}): Promise<AssignmentsAnswer> {
  const c = d.cache.get(d.cacheKey) as CachedAssignments | undefined;
  if (c && typeof c === 'object' && (c.listed === d.listed || (d.listed !== null && c.version === d.listed))) return { doc: c.doc, error: null };
  if (d.listed === null) return { doc: emptyAssignments(), error: null };
  try {
    const got = await d.store.getVersioned(ASSIGNMENTS_KEY);
    if (!got) return { doc: emptyAssignments(), error: null };
    const doc = parseAssignments(got.body.toString('utf8'), `${d.store.location}${ASSIGNMENTS_KEY}`);
    d.cache.set(d.cacheKey, { listed: d.listed, version: got.version, doc } satisfies CachedAssignments);
    return { doc, error: null };
  } catch (e) {
    return { doc: emptyAssignments(), error: `The sessions assigned by hand could not be read, so they count as unattributed: ${(e as Error).message}` };
  }
}

/** Appends `records` and caches the document as written, for the listing that showed `listed`. */
export async function writeAssignments(d: {
  store: VersionedStore;
  listed: string | null;
  cache: KeyValueStore;
  cacheKey: string;
  records: readonly SessionAssignment[];
}): Promise<AssignmentsDoc> {
  const saved = await saveAssignments(d.store, ASSIGNMENTS_KEY, d.records);
  d.cache.set(d.cacheKey, { listed: d.listed, version: saved.version, doc: saved.doc } satisfies CachedAssignments);
  return saved.doc;
}

/**
 * Owners with the assignments added for sessions no manifest names (`unnamed`), and the sessions
 * left unattributed. An assignment of a session a manifest names, or not in the listing, is ignored.
 */
export function withAssignments(
  owners: ReadonlyMap<string, string>,
  unnamed: readonly string[],
  doc: AssignmentsDoc,
): { owners: Map<string, string>; unattributed: string[]; applied: number } {
  const assigned = assignedOwners(doc);
  const out = new Map(owners);
  const unattributed: string[] = [];
  let applied = 0;
  for (const s of unnamed) {
    const a = assigned.get(s);
    if (a) {
      out.set(s, a.owner);
      applied++;
    } else unattributed.push(s);
  }
  return { owners: out, unattributed, applied };
}

export type AssignScope = 'session' | 'prefix';

/**
 * The sessions one request assigns: `session`, one session of the listing whose manifests name no
 * one (assigned by hand already or not: a correction); `prefix`, every still unattributed session
 * at or below that folder (an acquisition folder, a rig, a mouse).
 */
export function chooseSessions(d: {
  scope: AssignScope;
  key: string;
  /** Session folders whose manifests name no one (the last listing). */
  unnamed: readonly string[];
  /** Of those, the ones not assigned by hand yet. */
  unattributed: readonly string[];
  /** Folder → owner as the manifests and job records name them. */
  named: ReadonlyMap<string, string>;
  location: string;
}): string[] {
  const k = d.key.trim().replace(/^\/+|\/+$/g, '');
  if (!isSessionFolder(k))
    throw new AssignmentError(
      'BAD_SESSION',
      `"${d.key.slice(0, 200)}" is not a ${d.scope === 'session' ? 'session' : 'folder'} of the listing (a path like rig1/mouse2/2026-11-02).`,
    );
  if (d.scope === 'session') {
    if (d.unnamed.includes(k)) return [k];
    const owner = d.named.get(k);
    if (owner !== undefined)
      throw new AssignmentError('BAD_SESSION', `${k} is already ${owner}'s: its records name them, and recorded attribution is not overridden.`);
    throw new AssignmentError(
      'BAD_SESSION',
      `No session ${k} without an owner in the last listing of ${d.location} (a session is a folder with a manifest.json; "List again" if it was uploaded since).`,
    );
  }
  const under = d.unattributed.filter((s) => s === k || s.startsWith(`${k}/`));
  if (!under.length) throw new AssignmentError('BAD_SESSION', `No unattributed session under ${k}/ in the last listing of ${d.location}.`);
  return under;
}
