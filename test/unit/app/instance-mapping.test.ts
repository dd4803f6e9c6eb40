// What the Instances view receives about a stopped instance's disks (main/app/compute-mapping.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { toInstance } from '../../../main/app/compute-mapping.ts';
import { makeInstance } from '../instances/make-instance.ts';

test('a stopped instance carries its disks, their monthly cost and when it stopped; a running one no stop time', () => {
  const volumes = [
    { id: 'vol-a', sizeGb: 200, type: 'gp3', deleteOnTermination: true },
    { id: 'vol-b', sizeGb: 50, type: 'gp3', deleteOnTermination: false },
  ];
  const stopped = toInstance(makeInstance({ id: 'i-s', state: 'stopped', stateSince: '2026-12-03T10:00:00.000Z', volumes, storageMonthly: 20 }), 0);
  assert.deepEqual([stopped.diskGb, stopped.diskMonthly, stopped.stoppedSince, stopped.accruedCost], [250, 20, Date.parse('2026-12-03T10:00:00.000Z'), 0]);
  const running = toInstance(makeInstance({ id: 'i-r', state: 'running', stateSince: null, volumes, storageMonthly: 20 }), 0);
  assert.deepEqual([running.diskGb, running.stoppedSince], [250, null]);
  const unsaid = toInstance(makeInstance({ id: 'i-u', state: 'stopped', stateSince: null }), 0);
  assert.equal(unsaid.stoppedSince, null, 'EC2 named no time');
});
