/**
 * What the Results list costs on a real S3 server (versitygw) behind a request-counting proxy:
 * re-read within the count's lifetime it sends no request per result (N reloads of K results cost
 * K curation.json HEADs, not N*K); this app's own curation shows in the next list at once (one HEAD,
 * for that result only); a curation written by another workstation shows once the lifetime has
 * passed on the injected clock.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startVersitygw, versitygwMissing, type Versitygw } from '../../support/versitygw.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { FakeTime } from '../../support/fake-timers.ts';
import { requires } from '../../support/requirements.ts';
import { createResultsApi, type ResultsApi } from '../../../main/app/results-api.ts';
import type { JobsContext } from '../../../main/app/jobs-context.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { s3ObjectStore, type ObjectStore } from '../../../main/jobs/object-store.ts';
import { CURATION_FILE, curationRecords, saveCuration } from '../../../main/results/curation.ts';
import { RESULT_FILES } from '../../../main/results/worker-contract.ts';
import type { Analysis } from '../../../preload/api.ts';

const skip = requires(versitygwMissing());
const K = 6;
const ROIS = 5;
const LIFETIME_MS = 60_000;
const ids = Array.from({ length: K }, (_, i) => `j-20261207-150000-${(0xa000 + i).toString(16)}`);
/** Results 4 and 5 were curated before the app started (ROI 0 made not a cell): 2 cells, curated. */
const preCurated = new Set(ids.slice(4));

let gw: Versitygw;
let proxy: FaultProxy;
let elsewhere: ObjectStore;
let api: ResultsApi;
const time = new FakeTime();
/** HEADs of curation.json through the proxy, by analysis id. */
const heads = new Map<string, number>();
const headsTotal = () => [...heads.values()].reduce((a, b) => a + b, 0);
const requestsTotal = () => Object.values(proxy.stats().requests).reduce((a, b) => a + b, 0);

const analysis = (id: string): Analysis =>
  ({ id, name: id, source: 'rig-A/s1', status: 'done', startedAt: 1, finishedAt: 2, demo: false }) as unknown as Analysis;
const list = async () => Object.fromEntries((await api.list(ids.map(analysis))).map((r) => [r.id, `${r.cells}${r.curated ? ' curated' : ''}`]));
const expected = (over: Record<string, string> = {}) => Object.fromEntries(ids.map((id) => [id, over[id] ?? (preCurated.has(id) ? '2 curated' : '3')]));
const who = (name: string) => ({ who: name, when: new Date(1000), source: 'cli' as const });

before(async () => {
  if (skip) return;
  gw = await startVersitygw();
  const bucket = await gw.createBucket();
  proxy = await startFaultProxy({
    target: gw.endpoint,
    rules: [
      {
        // counts, never injects
        match: (op, req) => {
          if (op === 'HeadObject' && req.path.endsWith(`/${CURATION_FILE}`)) {
            const id = ids.find((i) => req.path.includes(`/${i}/`));
            if (id) heads.set(id, (heads.get(id) ?? 0) + 1);
          }
          return false;
        },
        fault: { kind: 'delay', ms: 0 },
      },
    ],
  });
  // Another workstation: straight to the server, not counted.
  elsewhere = s3ObjectStore(gw.client(), bucket, 'lab');
  for (const id of ids) {
    const rois = Array.from({ length: ROIS }, (_, i) => ({ id: i, plane: 0, x: 1, y: 2, z: 0, pixels: 3, score: 0.5, iscell: i < 3, cluster: 0 }));
    await elsewhere.put(jobKeys(id).results + RESULT_FILES.rois, JSON.stringify({ schema: 1, rois }));
    await elsewhere.put(jobKeys(id).results + RESULT_FILES.summary, JSON.stringify({ counts: { cells: 3 } }));
    if (preCurated.has(id)) await saveCuration(elsewhere, jobKeys(id).results + CURATION_FILE, curationRecords(ROIS, [0], false, who('bo')));
  }
  const store = s3ObjectStore(gw.client({ endpoint: proxy.endpoint }), bucket, 'lab');
  const ctx = { key: 's3:lab', store, ec2: true, demo: false } as unknown as JobsContext;
  api = createResultsApi(async () => ctx, { clock: time, countLifetimeMs: LIFETIME_MS });
});

after(async () => {
  await proxy?.stop();
  await gw?.stop();
});

test('N reloads of K results within the lifetime cost K curation.json HEADs in all, not N*K', { skip }, async () => {
  assert.deepEqual(await list(), expected());
  assert.equal(headsTotal(), K, 'the first list checks each result once');
  const sent = requestsTotal();
  const N = 20;
  for (let i = 0; i < N; i++) {
    await time.advance(2_000); // a reload every 2 s for 40 s
    assert.deepEqual(await list(), expected());
  }
  assert.equal(headsTotal(), K, `${N} more lists within the lifetime: no more HEADs (${N * K} without the cache)`);
  assert.equal(requestsTotal(), sent, 'nor any other request');
});

test("after this app's own curation and undo the next list shows the new count at once, re-checking that result only", { skip }, async () => {
  const [a] = ids;
  const before = new Map(heads);
  await api.curate(a, [3, 4], true, 'ana');
  assert.deepEqual(await list(), expected({ [a]: '5 curated' }));
  await api.undoCuration(a, 'ana');
  assert.deepEqual(await list(), expected({ [a]: '3 curated' }), 'undone to the worker’s labels, still counted from the curation');
  for (const id of ids.slice(1)) assert.equal(heads.get(id), before.get(id), `${id} was not checked again`);
  assert.equal(heads.get(a), (before.get(a) ?? 0) + 2, 'one HEAD per list for the curated result');
});

test('a curation written by another workstation shows once the lifetime has passed', { skip }, async () => {
  const b = ids[1];
  const c = ids[4];
  await saveCuration(elsewhere, jobKeys(b).results + CURATION_FILE, curationRecords(ROIS, [0, 1, 2], false, who('bo')));
  await saveCuration(elsewhere, jobKeys(c).results + CURATION_FILE, curationRecords(ROIS, [3], true, who('bo')));
  const old = expected({ [ids[0]]: '3 curated' });
  assert.deepEqual(await list(), old, 'within the lifetime: the counts as they were');
  const before = headsTotal();
  await time.advance(LIFETIME_MS);
  assert.deepEqual(await list(), { ...old, [b]: '0 curated', [c]: '3 curated' }, "after it: the other workstation's curations");
  assert.equal(headsTotal(), before + K, 'one HEAD per result per lifetime');
});
