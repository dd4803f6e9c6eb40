/**
 * Sessions assigned by hand on a local archive (the folder store): the storage bill's split follows
 * at once on the instance that assigned, and another app on the same folder sees it at its next
 * listing.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createStorageCost } from '../../../main/app/storage-cost.ts';
import { defaultSettings, type Settings } from '../../../main/config/schema.ts';
import { createMemoryStore } from '../../../main/cost/cache-store.ts';
import { loadPriceTable } from '../../../main/cost/price-table.ts';
import { buildManifest } from '../../../main/session/manifest.ts';
import { ASSIGNMENTS_KEY, AssignmentError } from '../../../main/cost/session-assignments.ts';

const MiB = 1024 * 1024;

describe('assigning sessions on a local archive', () => {
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sc-assign-local-'));
    const put = (rel: string, body: string | Buffer) => {
      mkdirSync(join(dir, rel, '..'), { recursive: true });
      writeFileSync(join(dir, rel), body);
    };
    const manifest = async (session: string, recordedBy?: { owner: string; host: string }) =>
      JSON.stringify(
        await buildManifest(
          { root: '/data/rig1', dir: `/data/rig1/${session}`, files: [], closedBy: 'idle', ...(recordedBy ? { recordedBy } : {}) },
          { readTiffs: async () => new Map() },
        ),
      );
    put('rig1/m1/s1/a.tif', Buffer.alloc(2 * MiB, 1));
    put('rig1/m1/s1/manifest.json', await manifest('m1/s1', { owner: 'maria', host: 'rig-1' }));
    put('rig1/m2/s1/a.tif', Buffer.alloc(3 * MiB, 1));
    put('rig1/m2/s1/manifest.json', await manifest('m2/s1'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const instance = () => {
    let t = Date.UTC(2026, 11, 7, 10);
    const settings: Settings = { ...defaultSettings(dir), target: { kind: 'local', path: dir } };
    const service = createStorageCost({
      settings: () => settings,
      aws: () => null,
      localPrices: () => loadPriceTable(),
      rate: async () => ({ bytesPerDay: 0, verifiedBytes: 0, windowDays: 7 }),
      store: createMemoryStore(),
      clock: { now: () => (t += 1000) },
    });
    return { service };
  };

  it('the assigning app sees it at once, the other at its next listing; the document is in the archive folder', async () => {
    const a = instance();
    const b = instance();
    const first = await a.service.read();
    await b.service.read();
    assert.deepEqual(
      first.unattributedSessions.map((s) => s.session),
      ['rig1/m2/s1'],
    );
    await assert.rejects(
      a.service.assign({ scope: 'prefix', key: 'rig1/m1', owner: 'lee', by: 'pi' }),
      (e: unknown) => e instanceof AssignmentError && e.code === 'BAD_SESSION',
    );
    assert.deepEqual(await a.service.assign({ scope: 'prefix', key: 'rig1', owner: 'lee', by: 'pi' }), { assigned: ['rig1/m2/s1'] });
    const mine = await a.service.read();
    assert.deepEqual(mine.unattributedSessions, []);
    assert.ok((mine.bill?.byOwner ?? []).some((o) => o.owner === 'lee' && o.bytes >= 3 * MiB));
    const stored = JSON.parse(readFileSync(join(dir, ASSIGNMENTS_KEY), 'utf8')) as { assignments: { session: string; owner: string }[] };
    assert.deepEqual(
      stored.assignments.map((x) => [x.session, x.owner]),
      [['rig1/m2/s1', 'lee']],
    );
    assert.deepEqual(
      (await b.service.read()).unattributedSessions.map((s) => s.session),
      ['rig1/m2/s1'],
      "b's cached listing predates it",
    );
    const relisted = await b.service.read({ refresh: true });
    assert.deepEqual(relisted.unattributedSessions, []);
    assert.ok((relisted.bill?.byOwner ?? []).some((o) => o.owner === 'lee'));
    assert.match(relisted.attribution.text, /1 session whose manifest named no one was assigned/);
  });
});
