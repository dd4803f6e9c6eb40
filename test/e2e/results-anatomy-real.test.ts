/**
 * Issue #18 point 1 on real recordings from the shared data set, analysed by the local worker
 * through the CLI and opened in Chromium under `scopecloud serve`: neurofinder-crop (one plane)
 * opens top-down with its mean image filling the view and the footprints on it;
 * thunder-zebrafish (two planes) shows two stacked slices, each with its own image. Skips with
 * the reason when ../shared/data is absent. Screenshots go to /tmp/anatomy-real-*.png.
 * thunder-zebrafish states no z step, so the view says its plane spacing is assumed (#18 pt1).
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { requires } from '../support/requirements.ts';
import { sharedData, sharedDataMissing } from '../support/shared-data.ts';
import { decodePng, type DecodedPng } from '../support/png-decode.ts';

const skip = requires(chromiumMissing(), workerMissing(), sharedDataMissing('neurofinder-crop/movie.tif', 'thunder-zebrafish/movie.tif'));

let dir: string | undefined;
let ui: ServedUi | undefined;

after(async () => {
  await ui?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Luminance spread in a centred box covering `f` of each dimension. */
function spread(img: DecodedPng, f = 0.5): number {
  let s = 0,
    s2 = 0,
    n = 0;
  const x0 = Math.floor((img.width * (1 - f)) / 2),
    y0 = Math.floor((img.height * (1 - f)) / 2);
  for (let y = y0; y < img.height - y0; y++)
    for (let x = x0; x < img.width - x0; x++) {
      const i = (y * img.width + x) * 4;
      const v = (img.rgba[i] + img.rgba[i + 1] + img.rgba[i + 2]) / 3;
      s += v;
      s2 += v * v;
      n++;
    }
  return Math.sqrt(Math.max(0, s2 / n - (s / n) ** 2));
}

function coloured(img: DecodedPng): number {
  let n = 0;
  for (let i = 0; i < img.rgba.length; i += 4)
    if (Math.max(img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]) - Math.min(img.rgba[i], img.rgba[i + 1], img.rgba[i + 2]) > 40) n++;
  return n;
}

test('real recordings: neurofinder-crop opens top-down on its mean image; thunder-zebrafish stacks its two planes', { skip }, async () => {
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-anatomy-real-'));
  const env = { SCOPECLOUD_HOME: join(dir, 'home'), SCOPECLOUD_WORKER: WORKER_BINARY };
  for (const args of [
    ['target', 'local', join(dir, 'archive')],
    ['set', 'ui.firstRunComplete', 'true'],
  ]) {
    const r = await runCli(['config', ...args], env);
    assert.equal(r.code, 0, r.stderr);
  }
  const analyse = async (movie: string, name: string, extra: string[]) => {
    const r = await runCli(['analyze', movie, '--local', '--name', name, '--json', ...extra], env, 300_000);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { id: string }).id;
  };
  const crop = await analyse(sharedData('neurofinder-crop', 'movie.tif'), 'neurofinder-crop', []);
  const fish = await analyse(sharedData('thunder-zebrafish', 'movie.tif'), 'zebrafish', ['--planes', '2']);

  const rendererDir = join(dir, 'renderer');
  await bundleRenderer({ outDir: rendererDir });
  ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir });
  const { page, url, pageErrors } = ui;
  const open = async (id: string, slices: number) => {
    await page.goto(`${url}#/results/${id}`);
    await page.waitForFunction((n) => window.__scopecloudViewer?.info().slices === n, slices, { timeout: 30_000 });
    await page.getByText(/Loading plane/).waitFor({ state: 'detached' });
    await page.waitForTimeout(300);
  };
  const shot = async (name: string) => decodePng(await page.getByTestId('roi-canvas').screenshot({ path: `/tmp/anatomy-real-${name}.png` }));

  await open(crop, 1);
  const cropInfo = await page.evaluate(() => window.__scopecloudViewer!.info());
  assert.equal(cropInfo.mode, 'slices');
  assert.equal(cropInfo.inView, 1, 'every ROI of the plane is in view');
  const cropShot = await shot('neurofinder-crop');
  assert.ok(spread(cropShot) > 8, `the mean image is not uniform (spread ${spread(cropShot).toFixed(1)})`);
  assert.ok(coloured(cropShot) > 200, 'footprint outlines are drawn on it');
  // top-down, filling the view: down the canvas's centre column, (almost) every row is the image
  const x = Math.floor(cropShot.width / 2);
  let rows = 0;
  for (let y = 0; y < cropShot.height; y++) {
    const i = (y * cropShot.width + x) * 4;
    if (
      Math.abs(cropShot.rgba[i] - cropShot.rgba[0]) + Math.abs(cropShot.rgba[i + 1] - cropShot.rgba[1]) + Math.abs(cropShot.rgba[i + 2] - cropShot.rgba[2]) >
      6
    )
      rows++;
  }
  assert.ok(rows / cropShot.height > 0.9, `the plane fills the view top-down (${rows} of ${cropShot.height} rows)`);

  await open(fish, 2);
  // Its ImageJ header states no unit, spacing or resolution: the spacing is the viewer's assumption.
  assert.equal(await page.getByTestId('plane-spacing').innerText(), 'plane spacing assumed (the recording carries no z step)');
  const fishShot = await shot('zebrafish');
  assert.ok(spread(fishShot, 0.6) > 8, 'the stacked slices show their images');
  // each plane has its own slice: hiding neither, the two planes' ROIs pick on their own slice
  const planesPicked = await page.evaluate(() => {
    const v = window.__scopecloudViewer!;
    const seen = new Set<number>();
    const world = v.roiScene.world;
    for (let i = 0; i < v.roiScene.count; i++) {
      const p = v.screenPosition(i);
      if (v.pick(p.x, p.y) === i) seen.add(world[i * 3 + 2]);
    }
    return seen.size;
  });
  assert.equal(planesPicked, 2, 'footprints on both stacked slices are picked at their ROI centres');
  assert.deepEqual(pageErrors, []);
});
