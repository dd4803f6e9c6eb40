/**
 * Issue #18 points 1, 4 and 5 (the view as PNG) in Chromium, on the results `scopecloud demo`
 * writes (one plane), served by `scopecloud serve`: the mean projection under the ROIs fills the
 * view top-down, footprints are drawn on it, Max shows another image, playing activity advances
 * the time and recolours the footprints, hovering a footprint picks its ROI, and "Save view as PNG"
 * downloads the canvas. Screenshots go to /tmp/anatomy-*.png.
 * A synthetic 2-plane volume whose ImageJ calibration states 2 µm pixels and a 40 µm z step
 * (`scopecloud-worker synth --pixel-size 2 --z-step 40`) stacks its slices 20 pixel widths apart
 * and says the spacing is from the metadata (issue #18 pt1).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { requires } from '../support/requirements.ts';
import { decodePng, type DecodedPng } from '../support/png-decode.ts';

const skip = requires(chromiumMissing(), workerMissing());

let dir: string | undefined;
let ui: ServedUi | undefined;

after(async () => {
  await ui?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** A screenshot of the canvas, with the legend drawn over it (its coloured swatches) painted out. */
async function canvasShot(page: Page, name: string): Promise<DecodedPng> {
  const canvas = page.getByTestId('roi-canvas');
  const png = decodePng(await canvas.screenshot({ path: `/tmp/anatomy-${name}.png` }));
  const c = (await canvas.boundingBox())!;
  const legend = page.locator('.viewer-wrap .legend');
  const l = (await legend.count()) > 0 ? await legend.first().boundingBox() : null;
  if (l) {
    const k = png.width / c.width;
    for (let y = Math.max(0, Math.floor((l.y - c.y) * k)); y < Math.min(png.height, Math.ceil((l.y - c.y + l.height) * k)); y++)
      for (let x = Math.max(0, Math.floor((l.x - c.x) * k)); x < Math.min(png.width, Math.ceil((l.x - c.x + l.width) * k)); x++)
        png.rgba.fill(0, (y * png.width + x) * 4, (y * png.width + x) * 4 + 3);
  }
  return png;
}

/** Pixels whose channels differ by more than `min` (footprint colours; the anatomy is grey). */
function colouredPixels(img: DecodedPng, min = 40): number {
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4) {
    const [r, g, b] = [img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]];
    if (Math.max(r, g, b) - Math.min(r, g, b) > min) n++;
  }
  return n;
}

/** Standard deviation of the luminance in the middle half of the image (the slice under the ROIs). */
function centreSpread(img: DecodedPng): number {
  let s = 0,
    s2 = 0,
    n = 0;
  for (let y = Math.floor(img.height / 4); y < (img.height * 3) / 4; y++)
    for (let x = Math.floor(img.width / 4); x < (img.width * 3) / 4; x++) {
      const i = (y * img.width + x) * 4;
      const v = (img.rgba[i] + img.rgba[i + 1] + img.rgba[i + 2]) / 3;
      s += v;
      s2 += v * v;
      n++;
    }
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
}

function meanAbsDiff(a: DecodedPng, b: DecodedPng): number {
  assert.equal(a.width, b.width);
  let d = 0;
  for (let i = 0; i < a.rgba.length; i += 4)
    d += Math.abs(a.rgba[i] - b.rgba[i]) + Math.abs(a.rgba[i + 1] - b.rgba[i + 1]) + Math.abs(a.rgba[i + 2] - b.rgba[i + 2]);
  return d / (a.rgba.length / 4) / 3;
}

/** Fraction of rows (sampled in the canvas's centre column) that are not the viewer background. */
function filledRows(img: DecodedPng): number {
  const x = Math.floor(img.width / 2);
  const bg = [img.rgba[0], img.rgba[1], img.rgba[2]];
  let n = 0;
  for (let y = 0; y < img.height; y++) {
    const i = (y * img.width + x) * 4;
    if (Math.abs(img.rgba[i] - bg[0]) + Math.abs(img.rgba[i + 1] - bg[1]) + Math.abs(img.rgba[i + 2] - bg[2]) > 6) n++;
  }
  return n / img.height;
}

test('demo results: the mean image under the ROIs, footprints, Max, playback, picking and Save view as PNG', { skip }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-anatomy-e2e-'));
  const env = { SCOPECLOUD_HOME: join(dir, 'home'), SCOPECLOUD_WORKER: WORKER_BINARY };
  const demo = await runCli(['demo', '--frames', '200', '--size', '128', '--cells', '20'], env, 180_000);
  assert.equal(demo.code, 0, demo.stderr);
  const jobId = /job:\s+(j-\S+)/.exec(demo.stdout)![1];
  const configured = await runCli(['config', 'set', 'ui.firstRunComplete', 'true'], env);
  assert.equal(configured.code, 0, configured.stderr);
  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir });
  const { page, url, pageErrors } = ui;
  await page.goto(`${url}#/results/${jobId}`);
  await page.waitForFunction(() => (window.__scopecloudViewer?.info().slices ?? 0) === 1, undefined, { timeout: 30_000 });
  const info = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.equal(info.mode, 'slices', 'a recording with projections opens on its anatomy');
  await page.getByRole('button', { name: 'Cluster' }).click();
  await page.waitForTimeout(300);

  // The slice: top-down, filling the view's height, a non-uniform image.
  const mean = await canvasShot(page, 'mean-outlines');
  assert.ok(filledRows(mean) > 0.9, `the single plane fills the view top-down (${filledRows(mean).toFixed(2)} of rows)`);
  assert.ok(centreSpread(mean) > 8, `the image under the ROIs is not uniform (spread ${centreSpread(mean).toFixed(1)})`);

  // Footprints: coloured outlines and fills on the grey image, none when turned off.
  const outlined = colouredPixels(mean);
  await page.getByRole('button', { name: 'Filled' }).click();
  await page.waitForTimeout(200);
  const filled = await canvasShot(page, 'mean-filled');
  await page.getByRole('button', { name: 'None', exact: true }).click();
  await page.waitForTimeout(200);
  const bare = await canvasShot(page, 'mean-bare');
  assert.ok(outlined > 500, `outlines are drawn (${outlined} coloured pixels)`);
  assert.ok(colouredPixels(filled) > outlined, `fills colour more than outlines (${colouredPixels(filled)} vs ${outlined})`);
  assert.ok(colouredPixels(bare) < outlined / 20, `without footprints the image is grey (${colouredPixels(bare)} coloured pixels)`);

  // Max: another image.
  await page.getByRole('button', { name: 'Max', exact: true }).click();
  await page.waitForFunction(() => window.__scopecloudViewer!.info().slices === 1 && document.querySelector('[aria-busy="true"]') === null);
  await page.waitForTimeout(300);
  const max = await canvasShot(page, 'max-bare');
  assert.ok(meanAbsDiff(bare, max) > 2, `Max shows another image than Mean (mean difference ${meanAbsDiff(bare, max).toFixed(1)})`);

  // Playback: time advances and the footprints' colours change.
  await page.getByRole('button', { name: 'Filled' }).click();
  await page.getByRole('button', { name: 'Activity' }).click();
  await page.waitForTimeout(200);
  const t0Shot = await canvasShot(page, 'activity-start');
  const readout0 = await page.getByTestId('time-readout').innerText();
  await page.getByTestId('play').click();
  await page.waitForFunction(() => window.__scopecloudViewer!.info().time > 6, undefined, { timeout: 20_000 });
  await page.getByTestId('play').click();
  const t1 = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.equal(t1.playing, false);
  await page.waitForTimeout(200);
  const t1Shot = await canvasShot(page, 'activity-later');
  assert.notEqual(await page.getByTestId('time-readout').innerText(), readout0, 'the time readout follows playback');
  assert.ok(meanAbsDiff(t0Shot, t1Shot) > 0.2, `playing recolours the ROIs (mean difference ${meanAbsDiff(t0Shot, t1Shot).toFixed(2)})`);
  assert.ok(Number(await page.locator('#time-slider').inputValue()) > 0, 'the slider follows playback');

  // Picking: hovering the centre of a cell's footprint shows that ROI.
  const target = await page.evaluate(() => {
    const v = window.__scopecloudViewer!;
    for (let i = 0; i < v.roiScene.count; i++) {
      const p = v.screenPosition(i);
      if (v.pick(p.x, p.y) === i) return { i, ...p };
    }
    return null;
  });
  assert.ok(target, 'some ROI is picked at its own centre');
  const box = (await page.getByTestId('roi-canvas').boundingBox())!;
  await page.mouse.move(box.x + target.x, box.y + target.y);
  await page.getByRole('heading', { name: `ROI ${target.i}`, exact: true }).waitFor({ timeout: 5_000 });
  await page.getByTestId('trace-canvas').waitFor();
  await page.waitForTimeout(300);
  await page.screenshot({ path: '/tmp/anatomy-page.png' });

  // Save view as PNG: the canvas's size, not blank.
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Save view as PNG' }).click()]);
  assert.match(download.suggestedFilename(), /^j-\S+-view\.png$/);
  const saved = join(dir, 'saved.png');
  await download.saveAs(saved);
  const png = decodePng(readFileSync(saved));
  const size = await page.getByTestId('roi-canvas').evaluate((c: HTMLCanvasElement) => ({ width: c.width, height: c.height }));
  assert.deepEqual({ width: png.width, height: png.height }, size);
  assert.ok(centreSpread(png) > 8, 'the saved view is not blank');
  assert.deepEqual(pageErrors, []);
});

let volumeDir: string | undefined;
let volumeUi: ServedUi | undefined;

after(async () => {
  await volumeUi?.stop();
  if (volumeDir) rmSync(volumeDir, { recursive: true, force: true });
});

test('a 2-plane volume with a z step in its metadata: slices 40 µm / 2 µm = 20 pixel widths apart, and the view says so', { skip }, async () => {
  volumeDir = mkdtempSync(join(tmpdir(), 'scopecloud-anatomy-volume-'));
  const env = { SCOPECLOUD_HOME: join(volumeDir, 'home'), SCOPECLOUD_WORKER: WORKER_BINARY };
  for (const args of [
    ['target', 'local', join(volumeDir, 'archive')],
    ['set', 'ui.firstRunComplete', 'true'],
  ]) {
    const r = await runCli(['config', ...args], env);
    assert.equal(r.code, 0, r.stderr);
  }
  const movie = join(volumeDir, 'volume.tif');
  const synth = ['synth', '-o', movie, '--planes', '2', '--frames', '200', '--width', '96', '--height', '96', '--cells', '24', '--seed', '5', '-q'];
  await promisify(execFile)(WORKER_BINARY, [...synth, '--pixel-size', '2', '--z-step', '40'], { timeout: 120_000 });
  const analysed = await runCli(['analyze', movie, '--local', '--name', 'volume', '--json'], env, 300_000);
  assert.equal(analysed.code, 0, analysed.stderr);
  const id = (JSON.parse(analysed.stdout) as { id: string }).id;

  const rendererDir = join(volumeDir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  volumeUi = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir });
  const { page, url, pageErrors } = volumeUi;
  await page.goto(`${url}#/results/${id}`);
  await page.waitForFunction(() => window.__scopecloudViewer?.info().slices === 2, undefined, { timeout: 30_000 });
  await page.getByText(/Loading plane/).waitFor({ state: 'detached' });
  assert.equal(await page.getByTestId('plane-spacing').innerText(), 'plane spacing 40 µm (from metadata)');

  // The two slices and the two planes' ROIs sit 20 world units (pixel widths) apart.
  const depths = await page.evaluate(() => {
    const v = window.__scopecloudViewer!;
    const layer = (v as unknown as { slices: { group: { children: Array<{ position: { z: number } }> } } }).slices;
    const world = v.roiScene.world;
    const roiZ = new Set<number>();
    for (let i = 0; i < v.roiScene.count; i++) roiZ.add(Math.round(world[i * 3 + 2] * 1000) / 1000);
    return { slices: layer.group.children.map((m) => m.position.z).sort((a, b) => a - b), rois: [...roiZ].sort((a, b) => a - b) };
  });
  assert.equal(depths.slices.length, 2);
  assert.ok(Math.abs(depths.slices[1] - depths.slices[0] - 20) < 1e-6, `slice gap ${depths.slices[1] - depths.slices[0]}`);
  assert.equal(depths.rois.length, 2, `ROIs on both planes (${depths.rois.join(', ')})`);
  assert.ok(Math.abs(depths.rois[1] - depths.rois[0] - 20) < 1e-3, `ROI plane gap ${depths.rois[1] - depths.rois[0]}`);

  // Tilted, the gap shows: both slices' images, one above the other.
  const box = (await page.getByTestId('roi-canvas').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width / 2 + 30, box.y + box.height / 2 - 55, { steps: 8 });
  await page.mouse.up();
  await page.mouse.move(box.x + 5, box.y + box.height - 5);
  await page.waitForTimeout(300);
  await page.screenshot({ path: '/tmp/anatomy-volume-page.png' });
  const tilted = await canvasShot(page, 'volume-tilted');
  assert.ok(centreSpread(tilted) > 8, `the tilted stack shows its images (spread ${centreSpread(tilted).toFixed(1)})`);
  assert.deepEqual(pageErrors, []);
});
