/**
 * An unfinished analysis says where it is: the job's state reaches the card as its stage
 * (main/app/analyses-mapping.ts) and the card words it (renderer/format.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toAnalysis } from '../../../main/app/analyses-mapping.ts';
import { JOB_STATES, type JobState, type JobView } from '../../../main/jobs/job-types.ts';
import { analysisStageText } from '../../../renderer/format.ts';
import { Analysis } from '../../../preload/api.ts';

function view(state: JobState): JobView {
  return { id: 'j1', name: 'mouse11', where: 'ec2', state, step: null, percent: null, createdAt: 1, updatedAt: 2, shards: [], sources: ['/data/mouse11'] };
}

test('every unfinished job state is a stage; an ended job has none', () => {
  for (const state of JOB_STATES) {
    const a = toAnalysis(view(state));
    Analysis.check(a);
    if (state === 'done' || state === 'failed' || state === 'cancelled') assert.equal(a.stage, null, state);
    else assert.equal(a.stage, state);
  }
});

test('the EC2 stages before and after the analysis are put in words; analysing is left to the step bars', () => {
  assert.match(analysisStageText('restoring', 'ec2')!, /cold storage.*starts by itself/);
  assert.match(analysisStageText('provisioning', 'ec2')!, /Starting an EC2 instance/);
  assert.match(analysisStageText('booting', 'ec2')!, /booting/);
  assert.match(analysisStageText('downloading', 'ec2')!, /from S3 to the instance/);
  assert.match(analysisStageText('uploading', 'ec2')!, /instance then shuts down/);
  assert.doesNotMatch(analysisStageText('uploading', 'local')!, /instance/);
  assert.equal(analysisStageText('running', 'ec2'), null);
  assert.equal(analysisStageText(null, 'ec2'), null);
});
