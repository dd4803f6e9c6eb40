/**
 * Issue #18 point 2 (curation) in Chromium, on the results `scopecloud demo` writes, served by
 * `scopecloud serve`: clicking an ROI opens its detail (footprint, F/Fneu, dF/F, spikes, features,
 * both labels); X marks it not a cell (curation.json beside the results gets the record, the
 * worker's files keep their label, the ROI is hidden with the non-cells); a lasso selects several
 * ROIs that Not cell labels in one call; Z undoes that; after a reload the labels persist; and
 * `results export-suite2p` carries the curated iscell; the Results list's count says when it is a
 * curated one. Screenshots go to /tmp/curation-*.png.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { requires } from '../support/requirements.ts';
import { parseNpy } from '../../main/results/npy.ts';
import { CURATION_FILE, effectiveIscell, readCuration } from '../../main/results/curation.ts';
import { RESULT_FILES, roiList, type RoiRecord } from '../../main/results/worker-contract.ts';

const skip = requires(chromiumMissing(), workerMissing());

let dir: string | undefined;
let ui: ServedUi | undefined;

after(async () => {
  await ui?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The results folder of `jobId` under `root` (the demo keeps its own archive in the state dir). */
function resultsDirOf(root: string, jobId: string): string {
  const hit = readdirSync(root, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith(join('jobs', jobId, 'results', RESULT_FILES.rois)));
  assert.ok(hit, `the results of ${jobId} are somewhere under ${root}`);
  return dirname(join(root, hit));
}

/** Canvas pixels that are not transparent (something was drawn). */
function drawnPixels(page: Page, testId: string): Promise<number> {
  return page.getByTestId(testId).evaluate((c: HTMLCanvasElement) => {
    const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 3; i < d.length; i += 4) n += d[i] > 0 ? 1 : 0;
    return n;
  });
}

const hidden = (page: Page, rois: number[]) => page.evaluate((list) => list.map((i) => window.__scopecloudViewer!.roiScene.hiddenMask?.[i] === 1), rois);

test('curation: detail of a clicked ROI, a key, a lasso, undo, reload and the suite2p export', { skip }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-curation-e2e-'));
  const home = join(dir, 'home');
  const env = { SCOPECLOUD_HOME: home, SCOPECLOUD_WORKER: WORKER_BINARY, SCOPECLOUD_OWNER: 'ana' };
  const demo = await runCli(['demo', '--frames', '200', '--size', '128', '--cells', '24'], env, 180_000);
  assert.equal(demo.code, 0, demo.stderr);
  const jobId = /job:\s+(j-\S+)/.exec(demo.stdout)![1];
  assert.equal((await runCli(['config', 'set', 'ui.firstRunComplete', 'true'], env)).code, 0);
  const results = resultsDirOf(home, jobId);
  const rois = roiList<RoiRecord>(JSON.parse(readFileSync(join(results, RESULT_FILES.rois), 'utf8')));
  const workerRois = readFileSync(join(results, RESULT_FILES.rois), 'utf8');
  const worker = rois.map((r) => r.iscell === true);
  assert.ok(worker.filter(Boolean).length >= 6, 'the demo finds enough cells to curate');

  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir, viewport: { width: 1400, height: 1000 } });
  const { page, url, pageErrors } = ui;
  /** The Results list's cell count of this analysis, as shown. */
  // The list shows what it last loaded and reads itself again on the way back, so the count may
  // change once after it appears: wait (bounded) for the expected text, then report what is shown.
  const listedCells = async (expected: string) => {
    await page.goto(`${url}#/results`);
    const cell = page.locator(`tr[data-result="${jobId}"]`).getByTestId('result-cells');
    await cell.waitFor({ timeout: 30_000 });
    await cell
      .filter({ hasText: new RegExp(`^\\s*${expected.replace(/[()]/g, '\\$&')}\\s*$`) })
      .waitFor({ timeout: 15_000 })
      .catch(() => {});
    return ((await cell.textContent()) ?? '').trim();
  };
  const workerCells = String(worker.filter(Boolean).length);
  assert.equal(await listedCells(workerCells), workerCells, "not curated yet: the worker's count, unmarked");
  const open = async () => {
    await page.goto(`${url}#/results/${jobId}`);
    await page.waitForFunction(() => (window.__scopecloudViewer?.info().slices ?? 0) === 1, undefined, { timeout: 30_000 });
  };
  await open();
  const cellsLine = async () => Number(/\((\d+) cells?\)/.exec((await page.getByTestId('results-line').textContent()) ?? '')![1]);
  const cells0 = await cellsLine();
  assert.equal(cells0, worker.filter(Boolean).length);

  // 1. Click a cell: the detail panel shows its traces, features and labels.
  const target = await page.evaluate(() => {
    const v = window.__scopecloudViewer!;
    for (let i = 0; i < v.roiScene.count; i++) {
      if (v.roiScene.hiddenMask?.[i]) continue;
      const p = v.screenPosition(i);
      if (v.pick(p.x, p.y) === i) return { i, ...p };
    }
    return null;
  });
  assert.ok(target, 'some cell is picked at its own centre');
  const box = (await page.getByTestId('roi-canvas').boundingBox())!;
  await page.mouse.click(box.x + target.x, box.y + target.y);
  const panel = page.getByTestId('roi-detail');
  await panel.getByRole('heading', { name: `Curation · ROI ${target.i}` }).waitFor({ timeout: 10_000 });
  await panel.getByTestId('features').waitFor();
  assert.equal(await panel.getByTestId('curated-label').textContent(), 'cell');
  assert.equal(await panel.getByTestId('worker-label').textContent(), 'cell');
  const features = await panel.getByTestId('features').locator('tr').allTextContents();
  assert.ok(
    features.some((t) => t.startsWith('Pixels') && t.endsWith(String(rois[target.i].pixels))),
    `the features show the ROI's pixel count (${features.join(' | ')})`,
  );
  for (const name of ['Radius (px)', 'Aspect ratio', 'Compactness', 'Skewness'])
    assert.ok(
      features.some((t) => t.startsWith(name)),
      `${name} is listed`,
    );
  await page.waitForTimeout(200);
  for (const id of ['plot-f', 'plot-dff', 'plot-spikes', 'footprint']) assert.ok((await drawnPixels(page, id)) > 500, `${id} is drawn`);
  await panel.screenshot({ path: '/tmp/curation-detail.png' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await panel.screenshot({ path: '/tmp/curation-detail-dark.png' });
  await page.emulateMedia({ colorScheme: 'light' });
  assert.equal(await page.getByTestId('quick-label').textContent(), 'cell');

  // 2. X marks it not a cell: recorded beside the results, the worker's files untouched, hidden.
  const rasterNonCells = async () => Number(/not cells: (\d+)/.exec((await page.getByTestId('raster-canvas').getAttribute('aria-label')) ?? '')?.[1] ?? 0);
  const nonCells0 = await rasterNonCells();
  await page.keyboard.press('x');
  await panel
    .getByTestId('curation-status')
    .filter({ hasText: `ROI ${target.i} marked not cell and saved` })
    .waitFor({ timeout: 10_000 });
  await panel.getByTestId('curated-label').filter({ hasText: 'not cell' }).waitFor();
  assert.equal(await panel.getByTestId('worker-label').textContent(), 'cell');
  assert.equal(await page.getByTestId('quick-label').textContent(), 'not cell', 'the pinned ROI’s label beside the view follows');
  await page.screenshot({ path: '/tmp/curation-marked.png' });
  let doc = await readCuration(results);
  assert.equal(doc.records.length, 1);
  assert.deepEqual([doc.records[0].roi, doc.records[0].iscell, doc.records[0].who, doc.records[0].source], [target.i, false, 'ana', 'app']);
  assert.ok(Date.now() - Date.parse(doc.records[0].when) < 120_000, 'the record says when');
  assert.equal(readFileSync(join(results, RESULT_FILES.rois), 'utf8'), workerRois, "rois.json keeps the worker's labels");
  assert.equal((parseNpy(readFileSync(join(results, RESULT_FILES.iscell))).data as Float64Array)[target.i * 2], 1, "iscell.npy keeps the worker's label");
  assert.deepEqual(await hidden(page, [target.i]), [true], 'the new non-cell is hidden with the others');
  assert.equal(await cellsLine(), cells0 - 1, 'the cell count follows');
  assert.equal(await rasterNonCells(), nonCells0 + 1, 'the traces-by-cluster raster moves it to the non-cells');

  // 3. Lasso mode: a rectangle around several visible cells, marked together.
  const shown = await page.evaluate(() => {
    const v = window.__scopecloudViewer!;
    const out: Array<{ i: number; x: number; y: number }> = [];
    for (let i = 0; i < v.roiScene.count; i++) if (!v.roiScene.hiddenMask?.[i]) out.push({ i, ...v.screenPosition(i) });
    return out;
  });
  const xs = shown.map((p) => p.x).sort((a, b) => a - b);
  const ys = shown.map((p) => p.y).sort((a, b) => a - b);
  const rect = { x0: xs[0] - 6, y0: ys[0] - 6, x1: xs[Math.floor(xs.length / 2)] + 1, y1: ys[ys.length - 1] + 6 };
  const inside = shown.filter((p) => p.x > rect.x0 && p.x < rect.x1 && p.y > rect.y0 && p.y < rect.y1).map((p) => p.i);
  assert.ok(inside.length >= 2, `the rectangle holds several ROIs (${inside.length})`);
  await page.getByTestId('lasso-mode').click();
  await page.mouse.move(box.x + rect.x0, box.y + rect.y0);
  await page.mouse.down();
  for (const [x, y] of [
    [rect.x1, rect.y0],
    [rect.x1, rect.y1],
    [rect.x0, rect.y1],
    [rect.x0, rect.y0 + 2],
  ])
    await page.mouse.move(box.x + x, box.y + y, { steps: 6 });
  await page.locator('.viewer-wrap').screenshot({ path: '/tmp/curation-lasso.png' });
  await page.mouse.up();
  await panel.getByRole('heading', { name: `Curation · ${inside.length} ROIs selected` }).waitFor({ timeout: 5_000 });
  assert.equal(await page.locator('.lasso-marks circle').count(), inside.length, 'each selected ROI is ringed');
  await panel.getByTestId('mark-not-cell').click();
  await panel
    .getByTestId('curation-status')
    .filter({ hasText: 'marked not cell and saved' })
    .filter({ hasText: `${inside.length} ROIs` })
    .waitFor({ timeout: 10_000 });
  doc = await readCuration(results);
  const batch = doc.records.slice(1);
  assert.deepEqual(
    batch.map((r) => r.roi).sort((a, b) => a - b),
    [...inside].sort((a, b) => a - b),
  );
  assert.equal(new Set(batch.map((r) => r.when)).size, 1, 'one action: one curateRois call, one time');
  assert.deepEqual(
    await hidden(page, inside),
    inside.map(() => true),
  );
  await page.screenshot({ path: '/tmp/curation-after-lasso.png', fullPage: true });

  // 4. Z undoes the lasso's labels (not the first one).
  await page.keyboard.press('Escape');
  await page.keyboard.press('z');
  await panel.getByTestId('curation-status').filter({ hasText: 'Last change undone' }).waitFor({ timeout: 10_000 });
  doc = await readCuration(results);
  const labels = effectiveIscell(worker, doc.records);
  assert.deepEqual(
    inside.map((i) => labels[i]),
    inside.map((i) => worker[i] && i !== target.i),
  );
  assert.equal(labels[target.i], false);
  assert.deepEqual(
    await hidden(page, inside),
    inside.map((i) => i === target.i || !worker[i]),
  );
  assert.equal(await cellsLine(), cells0 - 1);

  // 5. The Results list counts the curated labels and says so; after a reload they are still there.
  await page.getByTestId('lasso-mode').click();
  assert.equal(await listedCells(`${cells0 - 1} (curated)`), `${cells0 - 1} (curated)`);
  await page.locator('.panel').first().screenshot({ path: '/tmp/curation-list.png' });
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.waitForTimeout(200);
  await page.locator('.panel').first().screenshot({ path: '/tmp/curation-list-dark.png' });
  await page.emulateMedia({ colorScheme: 'light' });
  await open();
  assert.equal(await cellsLine(), cells0 - 1, 'the count after a reload is the curated one');
  assert.deepEqual(await hidden(page, [target.i]), [true]);
  // Hidden now, so it is opened by its number.
  await page.locator('#roi-id').fill(String(target.i));
  await page.getByRole('button', { name: 'Show', exact: true }).click();
  await panel.getByRole('heading', { name: `Curation · ROI ${target.i}` }).waitFor({ timeout: 10_000 });
  await panel.getByTestId('curated-label').filter({ hasText: 'not cell' }).waitFor({ timeout: 10_000 });
  assert.equal(await panel.getByTestId('worker-label').textContent(), 'cell');
  await page.screenshot({ path: '/tmp/curation-after-reload.png', fullPage: true });

  // 6. The suite2p export of this result: iscell.npy column 0 curated, column 1 the worker's score.
  const archive = results.slice(0, results.lastIndexOf(join('jobs', jobId)));
  assert.equal((await runCli(['config', 'target', 'local', archive], env)).code, 0);
  const out = join(dir, 'export');
  const exported = await runCli(['results', 'export-suite2p', jobId, '--out', out], env, 120_000);
  assert.equal(exported.code, 0, exported.stderr);
  const iscell = parseNpy(readFileSync(join(out, 'suite2p', 'plane0', 'iscell.npy')));
  const col0 = Array.from({ length: iscell.shape[0] }, (_, i) => (iscell.data as Float64Array)[i * 2] === 1);
  assert.deepEqual(col0, labels, 'the exported iscell is the curated one');
  assert.equal(readFileSync(join(results, CURATION_FILE), 'utf8').length > 0, true);

  // 7. Undo until nothing is left: the refusal is said, and nothing changes.
  await page.getByTestId('undo-curation').click();
  await panel
    .getByTestId('curated-label')
    .filter({ hasText: /^cell$/ })
    .waitFor({ timeout: 10_000 });
  const records = (await readCuration(results)).records.length;
  await page.getByTestId('undo-curation').click();
  await panel.getByRole('alert').filter({ hasText: 'Nothing undone:' }).waitFor({ timeout: 10_000 });
  assert.equal((await readCuration(results)).records.length, records, 'a refused undo writes nothing');
  await panel.screenshot({ path: '/tmp/curation-refused.png' });
  assert.deepEqual(pageErrors, []);
});
