/** `scopecloud demo`: the README's first command, on a small recording; needs the built worker. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, readFile, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli, WORKER_BINARY, workerMissing } from '../../support/cli.ts';
import { requires } from '../../support/requirements.ts';

test('demo: acquire, archive with verification, analyse locally, score against truth', { skip: requires(workerMissing()) }, async () => {
  const home = await mkdtemp(join(tmpdir(), 'scopecloud-demo-'));
  try {
    // the demo exactly as `npm run demo` runs it (600 frames, 256 x 256, 60 cells): what a newcomer sees
    const r = await runCli(['demo', '--json'], { SCOPECLOUD_HOME: home }, 180_000);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      archive: string;
      results: string;
      detection: { f1: number; truth: number };
      secondsFromCloseToVerified: number;
    };
    assert.equal(out.ok, true);
    assert.equal(out.detection.truth, 60);
    assert.ok(out.detection.f1 >= 0.9, `F1 ${out.detection.f1} on clean synthetic data (the issue's target: 0.9)`);
    const manifest = JSON.parse(await readFile(join(out.archive, 'microscope', 'session-001', 'manifest.json'), 'utf8')) as {
      files: Array<{ path: string; tiff?: { pages: number } }>;
    };
    assert.equal(manifest.files.find((f) => f.path === 'movie.tif')?.tiff?.pages, 600);
    for (const f of ['rois.json', 'F.npy', 'dff.npy', 'clusters.npy', 'covariance.png', 'summary.json']) assert.ok(existsSync(join(out.results, f)), f);
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});

test('demo --dir refuses a folder holding anything but an earlier demo run, and leaves it untouched', async () => {
  const home = await mkdtemp(join(tmpdir(), 'scopecloud-demo-dir-'));
  try {
    const data = join(home, 'my-data');
    await mkdir(data);
    await writeFile(join(data, 'mouse7.tif'), 'precious');
    const r = await runCli(['demo', '--dir', data], { SCOPECLOUD_HOME: home });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /^scopecloud demo: --dir \S+my-data holds other files; the demo empties its folder, so give a new or empty one$/m);
    assert.equal(await readFile(join(data, 'mouse7.tif'), 'utf8'), 'precious');
  } finally {
    await rm(home, { recursive: true, force: true });
  }
});
