/**
 * The analyses API's running count (the sidebar's "1 running") against a job service whose list
 * answers are held back, so the order of a job's end and a list read can be chosen.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAnalysesApi } from '../../../main/app/analyses-api.ts';
import type { EventHub } from '../../../main/app/events.ts';
import type { JobsContext } from '../../../main/app/jobs-context.ts';
import type { JobService } from '../../../main/jobs/job-service-contract.ts';
import type { JobState, JobView } from '../../../main/jobs/job-types.ts';
import type { Settings } from '../../../main/config/schema.ts';

function view(state: JobState): JobView {
  return { id: 'j1', name: 'mouse11', where: 'local', state, step: null, percent: null, createdAt: 1, updatedAt: 2, shards: [], sources: ['/data/mouse11'] };
}

function deferred<T>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

const settle = () => new Promise((r) => setImmediate(r));

test('a job that ends while a list read is in flight is not counted as running afterwards', async () => {
  let state: JobState = 'running';
  const held: Array<{ answer: JobState; d: ReturnType<typeof deferred<JobView[]>> }> = [];
  const finished = deferred<JobView>();
  const jobs = {
    submit: async () => ({ id: 'j1' }),
    follow: () => finished.promise,
    // every list read answers with the state at the time it was asked, once released
    list: () => {
      const d = deferred<JobView[]>();
      held.push({ answer: state, d });
      return d.promise;
    },
  } as unknown as JobService;
  const ctx = { key: 'local', jobs, ec2: false } as unknown as JobsContext;
  const topics: string[] = [];
  const hub = { changed: (...t: string[]) => topics.push(...t), notify: () => undefined } as unknown as EventHub;
  const api = createAnalysesApi({
    settings: () => ({}) as Settings,
    jobs: () => ctx,
    aws: () => null,
    sessions: async () => [],
    hub,
    onFinished: () => undefined,
  });
  const release = () => {
    for (const h of held.splice(0)) h.d.resolve([view(h.answer)]);
  };

  await api.launch({ source: { kind: 'local', path: mkdtempSync(join(tmpdir(), 'sc-analyses-')) }, where: 'local', params: {} });
  release();
  await settle();
  assert.equal(api.running(), 1);

  // The renderer reads the list (the job still runs), then the job ends before that read answers.
  const stale = api.list();
  state = 'done';
  finished.resolve(view('done'));
  await settle();
  release();
  assert.equal((await stale)[0].status, 'running', 'the read that began before the end says running');
  await settle();
  release();
  await settle();
  assert.equal(api.running(), 0, 'a read made after the end replaces it');
  assert.ok(topics.includes('status'), 'the sidebar is told to refresh');
  api.stop();
});

test("the Results list is told to reload only when the analyses' finished ones change, not on each progress update", async () => {
  let views: JobView[] = [{ ...view('running'), id: 'j1' }];
  const jobs = { list: async () => views } as unknown as JobService;
  const ctx = { key: 'local', jobs, ec2: false } as unknown as JobsContext;
  const topics: string[] = [];
  const hub = { changed: (...t: string[]) => topics.push(...t), notify: () => undefined } as unknown as EventHub;
  const api = createAnalysesApi({ settings: () => ({}) as Settings, jobs: () => ctx, aws: () => null, sessions: async () => [], hub });
  const results = () => topics.filter((t) => t === 'results').length;

  await api.list();
  const first = results();
  for (let i = 0; i < 5; i++) {
    views = [{ ...view('running'), id: 'j1', percent: i * 10, updatedAt: 10 + i }];
    await api.list();
  }
  assert.equal(results(), first, 'progress of a running analysis does not change the Results list');

  views = [{ ...view('done'), id: 'j1', updatedAt: 100 }];
  await api.list();
  assert.equal(results(), first + 1, 'a finished analysis does');
  await api.list();
  assert.equal(results(), first + 1, 'and only once');

  views = [
    { ...view('done'), id: 'j1', updatedAt: 100 },
    { ...view('failed'), id: 'j2' },
  ];
  await api.list();
  assert.equal(results(), first + 1, 'a failed analysis is not in the Results list');
  views = [];
  await api.list();
  assert.equal(results(), first + 2, 'a finished analysis leaving the list (another destination) does');
  api.stop();
});
