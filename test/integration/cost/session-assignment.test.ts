/**
 * Sessions recorded before manifests named anyone, assigned to a person from two app instances
 * (two service containers, each its own home and owner) on one real S3 gateway (versitygw), moto
 * standing in for the rest of AWS: the assignment lives in the bucket, so the other instance sees
 * it at its next listing; a write that loses the race to another (If-Match refused by the
 * gateway) reads again and merges, so neither is lost; bad input is refused with the reason and
 * writes nothing; the CLI assigns the same way.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { motoMissing, startMoto, type MotoServer } from '../../support/moto.ts';
import { requires } from '../../support/requirements.ts';
import { createServiceContainer, type ServiceContainer } from '../../../main/services.ts';
import { createAppServices, type AppHost } from '../../../main/app/app-services.ts';
import { s3ObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { buildManifest } from '../../../main/session/manifest.ts';
import { ASSIGNMENTS_KEY, parseAssignments, saveAssignments, type VersionedStore } from '../../../main/cost/session-assignments.ts';
import { costCommand } from '../../../main/cli/commands/cost.ts';
import { CliError, ExitCode, type CliIo } from '../../../main/cli/command.ts';
import type { StorageCost } from '../../../preload/api.ts';

const skip = requires(versitygwMissing(), motoMissing());
const MiB = 1024 * 1024;
let gw: Versitygw;
let moto: MotoServer;
let dir: string;
let bucket: string;
let store: ObjectStore;
const hosts: Array<{ container: ServiceContainer; app: AppHost }> = [];

const manifest = async (session: string, recordedBy?: { owner: string; host: string }) =>
  JSON.stringify(
    await buildManifest(
      { root: '/data/rig1', dir: `/data/rig1/${session}`, files: [], closedBy: 'idle', ...(recordedBy ? { recordedBy } : {}) },
      { readTiffs: async () => new Map() },
    ),
  );

before(async () => {
  if (skip) return;
  [gw, moto] = await Promise.all([startVersitygw(), startMoto()]);
  bucket = await gw.createBucket();
  dir = mkdtempSync(join(tmpdir(), 'sc-assign-'));
  const s3 = gw.client();
  for (const [Key, Body] of [
    ['lab/rig1/mouse1/s-maria/a.tif', Buffer.alloc(4 * MiB, 1)],
    ['lab/rig1/mouse1/s-maria/manifest.json', await manifest('mouse1/s-maria', { owner: 'maria', host: 'rig-1' })],
    ['lab/rig1/mouse2/s1/a.tif', Buffer.alloc(3 * MiB, 1)],
    ['lab/rig1/mouse2/s1/manifest.json', await manifest('mouse2/s1')],
    ['lab/rig1/mouse2/s2/a.tif', Buffer.alloc(2 * MiB, 1)],
    ['lab/rig1/mouse2/s2/manifest.json', await manifest('mouse2/s2')],
    ['lab/rig2/mouse3/s1/a.tif', Buffer.alloc(1 * MiB, 1)],
    ['lab/rig2/mouse3/s1/manifest.json', await manifest('mouse3/s1')],
  ] as const)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  store = s3ObjectStore(s3, bucket, 'lab');
  // the SDK's default credential chain reads the process environment
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: gw.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
  });
  for (const owner of ['ana', 'bo']) {
    const env = {
      ...process.env,
      SCOPECLOUD_HOME: join(dir, owner),
      SCOPECLOUD_OWNER: owner,
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ENDPOINT_URL_S3: gw.endpoint,
      AWS_ACCESS_KEY_ID: gw.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: gw.credentials.secretAccessKey,
      AWS_EC2_METADATA_DISABLED: 'true',
      AWS_CONFIG_FILE: join(dir, 'no-aws-config'),
      AWS_SHARED_CREDENTIALS_FILE: join(dir, 'no-aws-credentials'),
    };
    const container = await createServiceContainer({ env });
    const app = await createAppServices(container, { env, guardrails: false, pollInstances: false, dailySummary: false, log: () => {} });
    await app.saveSettings({ mode: 'aws', aws: { profile: '', region: 'us-east-1', bucket, endpoint: gw.endpoint, prefix: 'lab' }, firstRunComplete: true });
    hosts.push({ container, app });
  }
});

after(async () => {
  for (const h of hosts) {
    await h.app.dispose();
    await h.container.dispose();
  }
  await Promise.all([gw?.stop(), moto?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const bytesOf = (c: StorageCost, owner: string) => c.byOwner?.find((o) => o.owner === owner)?.bytes ?? 0;
const sessionsOf = (c: StorageCost) => c.unattributedSessions.map((s) => s.session);
const storedDoc = async () => {
  const got = await store.getVersioned(ASSIGNMENTS_KEY);
  return got && { version: got.version, doc: parseAssignments(got.body.toString('utf8'), 'stored') };
};

test('an assignment made on one instance is kept in the bucket and seen by the other at its next listing', { skip }, async () => {
  const [ana, bo] = hosts;
  const seenByBo = await bo.app.getStorageCost();
  const first = await ana.app.getStorageCost();
  assert.deepEqual(sessionsOf(first), ['rig1/mouse2/s1', 'rig1/mouse2/s2', 'rig2/mouse3/s1'], 'largest first');
  assert.equal(first.unattributedSessions[0].bytes, 3 * MiB + Buffer.byteLength(await manifest('mouse2/s1')));
  const unattributedBefore = bytesOf(first, 'unattributed');

  const r = await ana.app.assignSessions({ scope: 'session', key: 'rig1/mouse2/s1', owner: 'lee' });
  assert.deepEqual(r.assigned, ['rig1/mouse2/s1']);
  assert.equal(bytesOf(r.storage, 'lee'), first.unattributedSessions[0].bytes, "the session's bytes are lee's now");
  assert.equal(bytesOf(r.storage, 'unattributed'), unattributedBefore - first.unattributedSessions[0].bytes);
  assert.deepEqual(sessionsOf(r.storage), ['rig1/mouse2/s2', 'rig2/mouse3/s1']);
  assert.match(r.storage.attribution.text, /1 session whose manifest named no one was assigned to a person by hand/);
  const stored = await storedDoc();
  assert.deepEqual(
    stored?.doc.assignments.map((a) => [a.session, a.owner, a.by]),
    [['rig1/mouse2/s1', 'lee', 'ana']],
  );

  // bo's listing is cached from before: unchanged until it lists again, then the same split as ana's
  assert.deepEqual(sessionsOf(await bo.app.getStorageCost()), sessionsOf(seenByBo));
  const relisted = await bo.app.refreshStorageCost();
  assert.deepEqual(sessionsOf(relisted), ['rig1/mouse2/s2', 'rig2/mouse3/s1']);
  assert.equal(bytesOf(relisted, 'lee'), bytesOf(r.storage, 'lee'));
});

test('bad input is refused with the reason and writes nothing', { skip }, async () => {
  const [ana] = hosts;
  const before = await storedDoc();
  const refused = async (req: Parameters<AppHost['assignSessions']>[0], code: string, message: RegExp) =>
    assert.rejects(ana.app.assignSessions(req), (e: Error & { code?: string }) => {
      assert.equal(e.code, code);
      assert.match(e.message, message);
      return true;
    });
  await refused({ scope: 'session', key: 'rig1/mouse2/s2', owner: 'unattributed' }, 'BAD_PERSON', /is not a person/);
  await refused({ scope: 'session', key: 'rig1/mouse2/s2', owner: 'li na' }, 'BAD_PERSON', /letters, digits/);
  await refused({ scope: 'session', key: 'rig1/mouse9/s1', owner: 'lee' }, 'BAD_SESSION', /No session rig1\/mouse9\/s1 without an owner in the last listing/);
  await refused({ scope: 'session', key: 'rig1/mouse1/s-maria', owner: 'lee' }, 'BAD_SESSION', /already maria's/);
  await refused({ scope: 'prefix', key: 'rig3', owner: 'lee' }, 'BAD_SESSION', /No unattributed session under rig3\//);
  assert.deepEqual(await storedDoc(), before, 'the stored document is unchanged');
});

test('a write that loses the race on the gateway (If-Match refused) reads again and merges: neither is lost', { skip }, async () => {
  // ana reads the document, then bo writes before ana does: ana's conditional write must fail once.
  let release!: () => void;
  const bWrote = new Promise<void>((r) => (release = r));
  const refusals: boolean[] = [];
  let first = true;
  const slowA: VersionedStore = {
    location: store.location,
    getVersioned: (k) => store.getVersioned(k),
    async putIfVersion(k, body, version) {
      if (first) {
        first = false;
        await bWrote;
      }
      const ok = await store.putIfVersion(k, body, version);
      refusals.push(!ok);
      return ok;
    },
  };
  const at = new Date().toISOString();
  const a = saveAssignments(slowA, ASSIGNMENTS_KEY, [{ session: 'rig2/mouse3/s1', owner: 'ana', by: 'ana', at }], async () => {});
  await new Promise((r) => setTimeout(r, 200));
  await saveAssignments(store, ASSIGNMENTS_KEY, [{ session: 'rig1/mouse2/s2', owner: 'bo', by: 'bo', at }]);
  release();
  const saved = await a;
  assert.deepEqual(refusals, [true, false], "ana's first write was refused by the gateway, the retry on a fresh read went through");
  assert.deepEqual(
    saved.doc.assignments.map((x) => [x.session, x.owner]),
    [
      ['rig1/mouse2/s1', 'lee'],
      ['rig1/mouse2/s2', 'bo'],
      ['rig2/mouse3/s1', 'ana'],
    ],
  );
  // both instances, listing again, split storage the same way: no session left without an owner
  for (const h of hosts) {
    const c = await h.app.refreshStorageCost();
    assert.deepEqual(sessionsOf(c), []);
    assert.deepEqual(
      (c.byOwner ?? []).map((o) => o.owner),
      ['maria', 'lee', 'bo', 'ana', 'unattributed'],
    );
  }
});

test('two instances assigning at the same moment through the app both keep their records; the CLI assigns and refuses alike', { skip }, async () => {
  const [ana, bo] = hosts;
  // corrections of two sessions at once (a session assigned by hand can be assigned again)
  const [x, y] = await Promise.all([
    ana.app.assignSessions({ scope: 'session', key: 'rig1/mouse2/s2', owner: 'kim' }),
    bo.app.assignSessions({ scope: 'session', key: 'rig2/mouse3/s1', owner: 'lee' }),
  ]);
  assert.deepEqual([x.assigned, y.assigned], [['rig1/mouse2/s2'], ['rig2/mouse3/s1']]);
  const doc = (await storedDoc())!.doc;
  assert.equal(doc.assignments.length, 5, 'three earlier records and both new ones');
  assert.ok(doc.assignments.some((r) => r.session === 'rig1/mouse2/s2' && r.owner === 'kim' && r.by === 'ana'));
  assert.ok(doc.assignments.some((r) => r.session === 'rig2/mouse3/s1' && r.owner === 'lee' && r.by === 'bo'));
  const split = await ana.app.refreshStorageCost();
  assert.deepEqual(
    (split.byOwner ?? []).map((o) => o.owner),
    ['lee', 'maria', 'kim', 'unattributed'],
    'the later record per session wins (lee: mouse2/s1 and rig2 now, 4 MiB and two manifests)',
  );

  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = { out: (l) => out.push(l), err: (l) => err.push(l), stopSignal: new AbortController().signal };
  const cli = (argv: string[]) =>
    costCommand
      .run(argv, io, async () => bo.container)
      .catch((e: unknown) => {
        assert.ok(e instanceof CliError, String(e));
        err.push(e.message);
        return e.exitCode;
      });
  assert.equal(await cli(['--assign', 'rig2/mouse3/s1', '--to', 'li']), ExitCode.ok, err.join('\n'));
  assert.deepEqual(out, ['Assigned 1 session to li:', '  rig2/mouse3/s1']);
  assert.equal(await cli(['--assign', 'rig2/mouse3/s1', '--to', 'li na']), ExitCode.usage);
  assert.match(err.at(-1)!, /letters, digits/);
  assert.equal(await cli(['--assign-under', 'rig9', '--to', 'li']), ExitCode.usage);
  assert.match(err.at(-1)!, /No unattributed session under rig9\//);
  assert.equal(await cli(['--assign', 'x', '--assign-under', 'y', '--to', 'li']), ExitCode.usage);
  const last = (await storedDoc())!.doc.assignments.at(-1)!;
  assert.deepEqual([last.session, last.owner, last.by], ['rig2/mouse3/s1', 'li', 'bo']);
});
