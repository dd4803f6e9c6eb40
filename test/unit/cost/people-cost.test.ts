import assert from 'node:assert/strict';
import { it } from 'node:test';
import { costByPerson, UNATTRIBUTED } from '../../../preload/people-cost.ts';
import { UNATTRIBUTED as STORAGE_UNATTRIBUTED } from '../../../main/cost/storage-attribution.ts';

it('joins compute per owner tag with storage per person: untagged and unattributed are one row, last; total = compute + storage per month', () => {
  assert.equal(UNATTRIBUTED, STORAGE_UNATTRIBUTED, 'the storage split and the table name the rest alike');
  const rows = costByPerson(
    [
      { name: 'maria', amount: 10 },
      { name: '(untagged)', amount: 3 },
      { name: 'ana', amount: 1 },
    ],
    [
      { owner: 'lee', bytes: 100, monthly: 20 },
      { owner: 'maria', bytes: 50, monthly: 0.5 },
      { owner: 'unattributed', bytes: 7, monthly: 0.25 },
      { owner: 'ana', bytes: 1, monthly: null },
    ],
  );
  assert.deepEqual(rows, [
    { owner: 'lee', compute: null, storageBytes: 100, storageMonthly: 20, total: 20 },
    { owner: 'maria', compute: 10, storageBytes: 50, storageMonthly: 0.5, total: 10.5 },
    { owner: 'ana', compute: 1, storageBytes: 1, storageMonthly: null, total: 1 },
    { owner: 'unattributed', compute: 3, storageBytes: 7, storageMonthly: 0.25, total: 3.25 },
  ]);
  assert.deepEqual(costByPerson(null, null), []);
  assert.deepEqual(costByPerson([{ name: 'maria', amount: 2 }], null), [{ owner: 'maria', compute: 2, storageBytes: null, storageMonthly: null, total: 2 }]);
});
