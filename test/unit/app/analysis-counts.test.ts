import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analysisCounts, analysisStatus } from '../../../main/app/analyses-mapping.ts';
import type { Analysis } from '../../../preload/api.ts';

const a = (status: Analysis['status'], stage: Analysis['stage']) => ({ status, stage });

test('the sidebar counts an analysis waiting for a restore as restoring, never as running', () => {
  // a job in state restoring is an unfinished analysis ('running' status) whose stage says why
  assert.equal(analysisStatus('restoring'), 'running');
  assert.deepEqual(analysisCounts([a('running', 'restoring'), a('running', 'restoring')]), { running: 0, restoring: 2 });
  assert.deepEqual(
    analysisCounts([
      a('running', 'restoring'),
      a('running', 'running'),
      a('queued', 'queued'),
      a('running', 'provisioning'),
      a('done', null),
      a('failed', null),
    ]),
    { running: 3, restoring: 1 },
  );
  assert.deepEqual(analysisCounts([]), { running: 0, restoring: 0 });
});
