/**
 * Sessions attributed by hand: a session whose manifests name no one (recorded before manifests
 * carried `recordedBy`) can be assigned to a person by the lab manager. The assignments are one
 * small JSON document in the destination, beside the data (`ASSIGNMENTS_KEY` under the prefix),
 * so every rig and app instance on the bucket reads the same; raw data and manifests are never
 * rewritten.
 *
 * Document (schema 1): `{ "schema": 1, "assignments": [{ "session", "owner", "by", "at" }] }`,
 * append-only. `session` is the session folder relative to the prefix (as the storage listing
 * names folders). Per session the record with the latest `at` wins (ties: the later in the list).
 *
 * `saveAssignments` appends by read-merge-conditional-write (If-Match / If-None-Match on S3, a
 * compare under a lock file for a folder): a writer that lost the race reads again and merges, so
 * two app instances assigning at once both keep their records. After `MAX_ATTEMPTS` lost races it
 * throws `AssignmentError('ASSIGNMENT_CONFLICT')` with nothing written; an invalid stored document
 * is never overwritten (`BAD_ASSIGNMENTS`).
 */

export const ASSIGNMENTS_KEY = 'attribution/assignments.json';
export const ASSIGNMENTS_SCHEMA = 1;
const MAX_ATTEMPTS = 10;

/** Person names as owner tags and per-person budgets accept them. */
export const PERSON = /^[A-Za-z0-9._@+=-]{1,64}$/;
/** Names the table uses for spend without a person; nobody can be assigned them. */
const RESERVED = new Set(['unattributed', '(untagged)']);

export class AssignmentError extends Error {
  readonly code: 'BAD_PERSON' | 'BAD_SESSION' | 'BAD_ASSIGNMENTS' | 'ASSIGNMENT_CONFLICT';
  constructor(code: AssignmentError['code'], message: string) {
    super(message);
    this.name = 'AssignmentError';
    this.code = code;
  }
}

export interface SessionAssignment {
  session: string;
  owner: string;
  /** Who assigned it (the owner name of the app or CLI that wrote it). */
  by: string;
  /** ISO 8601. */
  at: string;
}

export interface AssignmentsDoc {
  schema: typeof ASSIGNMENTS_SCHEMA;
  assignments: SessionAssignment[];
}

/** The store operations the document needs (main/jobs/object-store.ts `ObjectStore` has them). */
export interface VersionedStore {
  readonly location: string;
  getVersioned(key: string): Promise<{ body: Buffer; version: string } | null>;
  putIfVersion(key: string, body: Buffer | string, version: string | null): Promise<boolean>;
}

export const emptyAssignments = (): AssignmentsDoc => ({ schema: ASSIGNMENTS_SCHEMA, assignments: [] });

/** The person name trimmed, or AssignmentError('BAD_PERSON') saying what is allowed. */
export function checkPerson(name: string): string {
  const n = name.trim();
  if (!n) throw new AssignmentError('BAD_PERSON', 'Give the name of the person to assign the sessions to.');
  if (RESERVED.has(n.toLowerCase())) throw new AssignmentError('BAD_PERSON', `"${n}" is not a person: name who recorded the sessions.`);
  if (!PERSON.test(n))
    throw new AssignmentError('BAD_PERSON', `"${n.slice(0, 80)}" is not a person name: use 1-64 letters, digits and . _ @ + = - (as the owner tag).`);
  return n;
}

/** A session folder as the listing names it: no leading/trailing '/', no empty, '.' or '..' part. */
export function isSessionFolder(s: string): boolean {
  return s.length > 0 && s.length <= 1024 && !/[\u0000-\u001f]/.test(s) && s.split('/').every((p) => p !== '' && p !== '.' && p !== '..');
}

/** Throws BAD_ASSIGNMENTS for anything but a schema-1 document of well-formed records. */
export function parseAssignments(text: string, where: string): AssignmentsDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new AssignmentError('BAD_ASSIGNMENTS', `${where} is not JSON (${(e as Error).message}); it was left as it is`);
  }
  const d = doc as Partial<AssignmentsDoc> | null;
  if (!d || d.schema !== ASSIGNMENTS_SCHEMA || !Array.isArray(d.assignments))
    throw new AssignmentError('BAD_ASSIGNMENTS', `${where} is not a schema ${ASSIGNMENTS_SCHEMA} assignments document; it was left as it is`);
  for (const a of d.assignments) {
    const r = a as Partial<SessionAssignment> | null;
    if (
      !r ||
      typeof r.session !== 'string' ||
      !isSessionFolder(r.session) ||
      typeof r.owner !== 'string' ||
      !PERSON.test(r.owner) ||
      typeof r.by !== 'string' ||
      typeof r.at !== 'string' ||
      Number.isNaN(Date.parse(r.at))
    )
      throw new AssignmentError('BAD_ASSIGNMENTS', `${where} holds a malformed assignment (${JSON.stringify(a).slice(0, 200)}); it was left as it is`);
  }
  return { schema: ASSIGNMENTS_SCHEMA, assignments: d.assignments.map((a) => ({ session: a.session, owner: a.owner, by: a.by, at: a.at })) };
}

const recordKey = (a: SessionAssignment) => JSON.stringify([a.session, a.owner, a.by, a.at]);

/** `base` followed by the records of `ours` it does not hold yet. */
export function mergeAssignments(base: AssignmentsDoc, ours: readonly SessionAssignment[]): AssignmentsDoc {
  const have = new Set(base.assignments.map(recordKey));
  return { schema: ASSIGNMENTS_SCHEMA, assignments: [...base.assignments, ...ours.filter((a) => !have.has(recordKey(a)))] };
}

/** Session folder → the person its winning record names. */
export function assignedOwners(doc: AssignmentsDoc): Map<string, SessionAssignment> {
  const out = new Map<string, SessionAssignment>();
  for (const a of doc.assignments) {
    const was = out.get(a.session);
    if (!was || Date.parse(a.at) >= Date.parse(was.at)) out.set(a.session, a);
  }
  return out;
}

/** Waits before attempt `attempt` (1, 2, ...) after a lost race. */
export type Pause = (attempt: number) => Promise<void>;
const backoff: Pause = (attempt) => new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * 2 ** attempt));

/** Appends `records` to the document at `key`; returns the document and version as written. */
export async function saveAssignments(
  store: VersionedStore,
  key: string,
  records: readonly SessionAssignment[],
  pause: Pause = backoff,
): Promise<{ doc: AssignmentsDoc; version: string }> {
  for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
    if (attempt > 0) await pause(attempt);
    const cur = await store.getVersioned(key);
    const base = cur ? parseAssignments(cur.body.toString('utf8'), `${store.location}${key}`) : emptyAssignments();
    const next = mergeAssignments(base, records);
    if (!(await store.putIfVersion(key, JSON.stringify(next, null, 2) + '\n', cur?.version ?? null))) continue;
    // Read back: a gateway without conditional writes may have let another writer replace ours.
    const back = await store.getVersioned(key);
    if (!back) continue;
    const doc = parseAssignments(back.body.toString('utf8'), `${store.location}${key}`);
    const have = new Set(doc.assignments.map(recordKey));
    if (records.every((r) => have.has(recordKey(r)))) return { doc, version: back.version };
  }
  throw new AssignmentError(
    'ASSIGNMENT_CONFLICT',
    `could not record the assignment in ${store.location}${key}: other writers kept changing it (${MAX_ATTEMPTS} attempts); nothing was recorded, try again`,
  );
}
