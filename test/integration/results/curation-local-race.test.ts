/**
 * Local results (the archive folder) curated by several processes of one machine at once (the app
 * and `scopecloud results curate`, say): every record of every writer is kept. Each writer is a
 * separate Node process appending through saveCuration to the same curation.json.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fsObjectStore } from '../../../main/jobs/object-store.ts';
import { loadCuration } from '../../../main/results/curation.ts';

const CURATION = new URL('../../../main/results/curation.ts', import.meta.url).href;
const STORE = new URL('../../../main/jobs/object-store.ts', import.meta.url).href;

function writer(root: string, who: string, actions: number): Promise<void> {
  const code = `
import { fsObjectStore } from ${JSON.stringify(STORE)};
import { saveCuration, curationRecords } from ${JSON.stringify(CURATION)};
const store = fsObjectStore(${JSON.stringify(root)});
for (let i = 0; i < ${actions}; i++)
  await saveCuration(store, 'jobs/j1/results/curation.json', curationRecords(1000, [i], i % 2 === 0, { who: ${JSON.stringify(who)}, when: new Date(Date.UTC(2026, 11, 7, 12, 0, 0, i)), source: 'cli' }));
`;
  return new Promise((resolve, reject) => {
    let stderr = '';
    const c = spawn(process.execPath, ['--input-type=module', '-e', code], { stdio: ['ignore', 'ignore', 'pipe'] });
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (status) => (status === 0 ? resolve() : reject(new Error(`writer ${who} exited ${status}: ${stderr}`))));
  });
}

test('four processes appending to one local curation.json keep every record', async () => {
  const root = await mkdtemp(join(tmpdir(), 'sc-curation-local-race-'));
  try {
    const writers = ['ana', 'bo', 'cy', 'di'];
    const actions = 30;
    await Promise.all(writers.map((w) => writer(root, w, actions)));
    const doc = await loadCuration(fsObjectStore(root), 'jobs/j1/results/curation.json');
    for (const w of writers)
      assert.deepEqual(
        doc.records.filter((r) => r.who === w).map((r) => r.roi),
        Array.from({ length: actions }, (_, i) => i),
        `every record of ${w}`,
      );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
