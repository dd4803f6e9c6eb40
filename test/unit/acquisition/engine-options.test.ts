import { test } from 'node:test';
import assert from 'node:assert/strict';
import { engineOptionsFromSettings } from '../../../main/acquisition/engine-options.ts';
import { defaultSettings } from '../../../main/config/schema.ts';
import { DEFAULT_MEMORY_BUDGET } from '../../../main/upload/engine.ts';
import { DEFAULT_MIN_PART_SIZE, MIN_PART_SIZE } from '../../../main/upload/part-layout.ts';

test('settings map to engine options: files x parts requests, bounded part memory', () => {
  const upload = { ...defaultSettings('/a').upload, concurrency: 6, partConcurrency: 3, bandwidthLimit: 12_500_000 };
  const o = engineOptionsFromSettings(upload);
  assert.deepEqual(o.concurrency, { files: 6, requests: 18 });
  assert.equal(o.bandwidthLimit, 12_500_000);
  assert.equal(o.minPartSize, DEFAULT_MIN_PART_SIZE);
  assert.equal(o.memoryBudget, DEFAULT_MEMORY_BUDGET);
  assert.equal('freeSpaceAfterDays' in o, false, 'free space is off unless opted in');
  assert.equal(engineOptionsFromSettings({ ...upload, freeSpaceAfterDays: 0 }).freeSpaceAfterDays, 0);
});

test('the defaults keep many small files in flight while part memory stays under 100 MiB', () => {
  const o = engineOptionsFromSettings(defaultSettings('/a').upload);
  assert.ok(o.concurrency!.files! >= 8, `files in flight: ${o.concurrency!.files}`);
  assert.ok(o.memoryBudget! <= 100 * 1024 * 1024);
  assert.ok(o.memoryBudget! >= 4 * o.minPartSize!, 'room for several parts of one large file at once');
  assert.ok(o.minPartSize! >= MIN_PART_SIZE);
});
