/**
 * The analyses API hands the app's restore watcher every restore the user asked: a job found
 * waiting for one at start-up (asked by the CLI, or before a restart) is watched like one asked
 * by a launch here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createAnalysesApi } from '../../../main/app/analyses-api.ts';
import type { EventHub } from '../../../main/app/events.ts';
import type { JobsContext } from '../../../main/app/jobs-context.ts';
import type { JobService } from '../../../main/jobs/job-service-contract.ts';
import type { JobManifest, JobState, JobView } from '../../../main/jobs/job-types.ts';
import type { WatchedRestore } from '../../../main/jobs/restore-watcher.ts';
import type { Settings } from '../../../main/config/schema.ts';

const view = (id: string, state: JobState): JobView => ({
  id,
  name: `session ${id}`,
  where: 'ec2',
  state,
  step: null,
  percent: null,
  createdAt: 1,
  updatedAt: 2,
  shards: [],
  sources: ['/data/s'],
});

test('resume: a job waiting for its inputs restore is handed to the watcher with its keys, tier and days; others are not', async () => {
  const restore = { keys: ['sessions/s/a.tif'], tier: 'Bulk' as const, askedAt: 5, days: 7, waiting: '5-12 hours' };
  const jobs = {
    recover: async () => [],
    list: async () => [view('j1', 'restoring'), view('j2', 'running'), view('j3', 'done')],
    manifest: async (id: string) => ({ id, ...(id === 'j1' ? { restore } : {}) }) as unknown as JobManifest,
    follow: () => new Promise<JobView>(() => undefined),
  } as unknown as JobService;
  const ctx = { key: 's3', jobs, ec2: true } as unknown as JobsContext;
  const asked: WatchedRestore[] = [];
  const api = createAnalysesApi({
    settings: () => ({}) as Settings,
    jobs: () => ctx,
    aws: () => null,
    sessions: async () => [],
    hub: { changed: () => undefined, notify: () => undefined } as unknown as EventHub,
    onRestoreAsked: (r) => asked.push(r),
  });
  await api.resume();
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(asked, [{ id: 'analysis:j1', label: 'session j1', ...restore }]);
  api.stop();
});
