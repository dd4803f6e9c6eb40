/**
 * Sessions assigned by hand (main/cost/session-assignments.ts, main/app/session-attribution.ts):
 * the document's rules, the choice of sessions one request names and its refusals, and the
 * read-merge-conditional-write on a folder store (the S3 side: test/integration/cost/session-assignment.test.ts).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AssignmentError,
  assignedOwners,
  ASSIGNMENTS_KEY,
  checkPerson,
  parseAssignments,
  saveAssignments,
  type VersionedStore,
} from '../../../main/cost/session-assignments.ts';
import { chooseSessions, withAssignments } from '../../../main/app/session-attribution.ts';
import { sessionBytes } from '../../../main/cost/storage-attribution.ts';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';

const code = (c: AssignmentError['code'], message?: RegExp) => (e: unknown) => {
  assert.ok(e instanceof AssignmentError, String(e));
  assert.equal(e.code, c);
  if (message) assert.match(e.message, message);
  return true;
};

describe('person names and the stored document', () => {
  it('names follow the owner tag rules; unattributed and empty are refused with the reason', () => {
    assert.equal(checkPerson('  maria.k@lab '), 'maria.k@lab');
    assert.throws(() => checkPerson('   '), code('BAD_PERSON', /Give the name/));
    assert.throws(() => checkPerson('Unattributed'), code('BAD_PERSON', /is not a person/));
    assert.throws(() => checkPerson('maria k'), code('BAD_PERSON', /letters, digits and \. _ @ \+ = -/));
    assert.throws(() => checkPerson('x'.repeat(65)), code('BAD_PERSON'));
  });

  it('a malformed document is refused, never read as empty; per session the latest record wins', () => {
    assert.throws(() => parseAssignments('{', 'doc'), code('BAD_ASSIGNMENTS', /not JSON/));
    assert.throws(() => parseAssignments('{"schema":2,"assignments":[]}', 'doc'), code('BAD_ASSIGNMENTS'));
    assert.throws(
      () => parseAssignments(JSON.stringify({ schema: 1, assignments: [{ session: '../x', owner: 'a', by: 'b', at: '2026-12-01T00:00:00Z' }] }), 'doc'),
      code('BAD_ASSIGNMENTS', /malformed/),
    );
    const doc = parseAssignments(
      JSON.stringify({
        schema: 1,
        assignments: [
          { session: 'rig1/s1', owner: 'ana', by: 'pi', at: '2026-12-02T00:00:00Z' },
          { session: 'rig1/s1', owner: 'bo', by: 'pi', at: '2026-12-01T00:00:00Z' },
          { session: 'rig1/s2', owner: 'bo', by: 'pi', at: '2026-12-01T00:00:00Z' },
        ],
      }),
      'doc',
    );
    assert.deepEqual(
      [...assignedOwners(doc)].map(([s, a]) => [s, a.owner]),
      [
        ['rig1/s1', 'ana'],
        ['rig1/s2', 'bo'],
      ],
    );
  });
});

describe('which sessions a request assigns', () => {
  const named = new Map([['rig1/m1/s-maria', 'maria']]);
  const unnamed = ['rig1/m2/s1', 'rig1/m2/s2', 'rig2/m3/s1'];
  const ask = (scope: 'session' | 'prefix', key: string, unattributed = unnamed) =>
    chooseSessions({ scope, key, unnamed, unattributed, named, location: 's3://lab/x/' });

  it('one session, or every unattributed session under a folder', () => {
    assert.deepEqual(ask('session', '/rig1/m2/s1/'), ['rig1/m2/s1']);
    assert.deepEqual(ask('prefix', 'rig1'), ['rig1/m2/s1', 'rig1/m2/s2']);
    assert.deepEqual(ask('prefix', 'rig1/m2', ['rig1/m2/s2']), ['rig1/m2/s2'], 'already assigned ones are left as they are');
    assert.deepEqual(ask('session', 'rig1/m2/s1', []), ['rig1/m2/s1'], 'one session can be assigned again (a correction)');
  });

  it('refuses a session not in the listing, one a manifest names, a prefix with none, and malformed keys', () => {
    assert.throws(
      () => ask('session', 'rig1/m9/s1'),
      code('BAD_SESSION', /No session rig1\/m9\/s1 without an owner in the last listing of s3:\/\/lab\/x\/.*List again/),
    );
    assert.throws(() => ask('session', 'rig1/m1/s-maria'), code('BAD_SESSION', /already maria's/));
    assert.throws(() => ask('prefix', 'rig1/m2', []), code('BAD_SESSION', /No unattributed session under rig1\/m2\//));
    assert.throws(() => ask('prefix', 'rig1/../etc'), code('BAD_SESSION', /is not a folder of the listing/));
    assert.throws(() => ask('session', '///'), code('BAD_SESSION'));
  });

  it('assignments fill only sessions no manifest names; their bytes move from unattributed to the person', () => {
    const doc = {
      schema: 1 as const,
      assignments: [
        { session: 'rig1/m2/s1', owner: 'lee', by: 'pi', at: '2026-12-01T00:00:00Z' },
        { session: 'rig1/m1/s-maria', owner: 'lee', by: 'pi', at: '2026-12-01T00:00:00Z' },
      ],
    };
    const w = withAssignments(named, unnamed, doc);
    assert.equal(w.owners.get('rig1/m2/s1'), 'lee');
    assert.equal(w.owners.get('rig1/m1/s-maria'), 'maria', 'a manifest naming someone is not overridden');
    assert.deepEqual(w.unattributed, ['rig1/m2/s2', 'rig2/m3/s1']);
    assert.equal(w.applied, 1);
    const cls = (bytes: number) => [{ storageClass: 'STANDARD', bytes, objects: 1 }];
    const folders = [
      { folder: 'rig1/m2/s2', byClass: cls(5) },
      { folder: 'rig1/m2/s2/plane0', byClass: cls(7) },
      { folder: 'rig1/m2/s1', byClass: cls(3) },
      { folder: 'rig2/m3', byClass: cls(100) },
    ];
    assert.deepEqual(sessionBytes(folders, w.owners, w.unattributed), [
      { session: 'rig1/m2/s2', bytes: 12, objects: 2 },
      { session: 'rig2/m3/s1', bytes: 0, objects: 0 },
    ]);
  });
});

describe('saving assignments: read, merge, write only if unchanged', () => {
  const rec = (session: string, owner: string, at = '2026-12-07T10:00:00.000Z') => ({ session, owner, by: 'pi', at });

  it('two writers at once on a folder store both keep their records', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-assign-'));
    try {
      const store = fsObjectStore(dir);
      await Promise.all([
        saveAssignments(store, ASSIGNMENTS_KEY, [rec('rig1/a', 'ana')], async () => new Promise((r) => setTimeout(r, 5))),
        saveAssignments(store, ASSIGNMENTS_KEY, [rec('rig1/b', 'bo')], async () => new Promise((r) => setTimeout(r, 5))),
      ]);
      const doc = parseAssignments(readFileSync(join(dir, ASSIGNMENTS_KEY), 'utf8'), 'doc');
      assert.deepEqual(doc.assignments.map((a) => a.session).sort(), ['rig1/a', 'rig1/b']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an invalid stored document is never overwritten; a store that always loses the race gives up with nothing written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sc-assign-'));
    try {
      mkdirSync(join(dir, 'attribution'));
      writeFileSync(join(dir, ASSIGNMENTS_KEY), 'not json');
      await assert.rejects(saveAssignments(fsObjectStore(dir), ASSIGNMENTS_KEY, [rec('rig1/a', 'ana')]), code('BAD_ASSIGNMENTS', /left as it is/));
      assert.equal(readFileSync(join(dir, ASSIGNMENTS_KEY), 'utf8'), 'not json');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    let puts = 0;
    const losing: VersionedStore = {
      location: 'mem://',
      getVersioned: async () => null,
      putIfVersion: async () => {
        puts++;
        return false;
      },
    };
    await assert.rejects(
      saveAssignments(losing, ASSIGNMENTS_KEY, [rec('rig1/a', 'ana')], async () => {}),
      code('ASSIGNMENT_CONFLICT', /nothing was recorded/),
    );
    assert.equal(puts, 10);
  });
});
