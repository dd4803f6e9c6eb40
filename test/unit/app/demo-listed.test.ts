/**
 * The last demo run's analysis is listed beside the destination's (main/app/jobs-context.ts):
 * labelled demo, opened from the demo's own archive, never written into the destination; a demo
 * folder that is gone (or replaced by a new run) leaves nothing behind in the list.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { statePaths } from '../../../main/config/paths.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { demoRoot, demoStatePaths } from '../../../main/demo/demo-state.ts';
import { createJobService } from '../../../main/jobs/job-service.ts';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';
import { describeWorker } from '../../../main/jobs/worker-binary.ts';
import { jobKeys } from '../../../main/jobs/job-layout.ts';
import { createJobsContexts } from '../../../main/app/jobs-context.ts';
import { createAnalysesApi } from '../../../main/app/analyses-api.ts';
import { createResultsApi } from '../../../main/app/results-api.ts';
import { createEventHub } from '../../../main/app/events.ts';
import { writeFakeWorker } from '../../support/fake-worker.ts';

/** A finished job in the archive at `archive`, its summary saying `cells` cells (or nothing). */
async function finishedJob(archive: string, workDir: string, worker: string, name: string, cells: number | null): Promise<string> {
  const store = fsObjectStore(archive);
  const svc = createJobService({ store, workDir, worker: () => describeWorker(worker), owner: 'tester' });
  const m = await svc.submit({
    name,
    sources: [name],
    shards: [{ label: name, input: { kind: 'local', paths: ['/data/x'] }, args: [] }],
    params: { k: 2 },
    placement: { kind: 'local' },
    maxRuntimeSeconds: 60,
    heartbeatSeconds: 1,
  });
  assert.equal((await svc.follow(m.id)).state, 'done');
  if (cells !== null) await store.put(`${jobKeys(m.id).results}summary.json`, JSON.stringify({ schema: 1, counts: { rois: 30, cells } }));
  return m.id;
}

test("the demo's analysis is listed and opened from the demo's archive, labelled demo; the destination keeps only its own", async () => {
  const home = await mkdtemp(join(tmpdir(), 'sc-demo-listed-'));
  try {
    const paths = statePaths({ SCOPECLOUD_HOME: home });
    const worker = await writeFakeWorker(join(home, 'bin'), 'ok');
    const demo = demoStatePaths(demoRoot(paths));
    const own = await finishedJob(paths.archive, join(home, 'w1'), worker, 'mouse7', null);
    // the demo's job is written 1 ms later at least, so it lists first
    await new Promise((r) => setTimeout(r, 5));
    const demoJob = await finishedJob(demo.archive, join(home, 'w2'), worker, 'synthetic recording', 20);

    const contexts = createJobsContexts({ paths, env: {}, owner: 'tester', aws: () => null });
    let settings = defaultSettings(paths.archive);
    assert.deepEqual(
      contexts.listed(settings).map((c) => c.demo),
      [false, true],
    );
    assert.equal((await contexts.holding(settings, demoJob)).demo, true);
    assert.equal((await contexts.holding(settings, own)).demo, false);
    assert.equal((await contexts.holding(settings, 'j-20990101-000000-none')).demo, false, "an unknown id is the destination's to refuse");

    const hub = createEventHub();
    const analyses = createAnalysesApi({
      settings: () => settings,
      jobs: (s) => contexts.of(s),
      listed: (s) => contexts.listed(s),
      holding: (s, id) => contexts.holding(s, id),
      aws: () => null,
      sessions: async () => [],
      hub,
      onFinished: () => undefined,
    });
    const results = createResultsApi((id) => contexts.holding(settings, id));
    const list = await analyses.list();
    assert.deepEqual(
      list.map((a) => [a.id, a.name, a.demo]),
      [
        [demoJob, 'synthetic recording', true],
        [own, 'mouse7', false],
      ],
    );
    assert.deepEqual(
      (await results.list(list)).map((r) => [r.id, r.cells, r.demo]),
      [
        [demoJob, 20, true],
        [own, null, false],
      ],
    );
    assert.equal((await results.summary(demoJob)).id, demoJob, "the demo's results open from its archive");
    assert.match((await analyses.log(demoJob)).join('\n'), /analyze --input/);
    assert.ok(!existsSync(join(paths.archive, 'jobs', demoJob)), 'nothing of the demo entered the destination');

    // A destination that is the demo's archive itself lists it once, as the destination's.
    settings = defaultSettings(demo.archive);
    assert.deepEqual(
      contexts.listed(settings).map((c) => c.demo),
      [false],
    );
    settings = defaultSettings(paths.archive);

    // The demo folder replaced or removed: its old analysis is no longer listed.
    await rm(demoRoot(paths), { recursive: true, force: true });
    assert.deepEqual(
      (await analyses.list()).map((a) => a.id),
      [own],
    );
    analyses.stop();
    hub.dispose();
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test("cell counts: the worker's summary, or the sum over a merged job's shards", async () => {
  const { cellCountOf } = await import('../../../main/app/results-mapping.ts');
  assert.equal(cellCountOf({ counts: { rois: 62, cells: 20 } }), 20);
  assert.equal(cellCountOf({ merged: true, shardSummaries: [{ counts: { cells: 3 } }, { counts: { cells: 4 } }] }), 7);
  assert.equal(cellCountOf({ merged: true, shardSummaries: [{ counts: { cells: 3 } }, {}] }), null);
  assert.equal(cellCountOf({ fake: true }), null);
  assert.equal(cellCountOf(null), null);
});
