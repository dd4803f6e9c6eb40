/**
 * The newcomer's path past the demo: `scopecloud demo` (twice, as someone trying it again would),
 * then `scopecloud serve` with the same SCOPECLOUD_HOME. The demo's analysis is in the Results
 * list (date, recording, cell count; labelled demo; one entry, the second run replaced the first)
 * and opens in 3D; the user's own destination and upload queue hold nothing of the demo, and the
 * user's own one-file session reads "1 file". Screenshots go to /tmp/demo-*.png.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { startServedUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli, workerMissing } from '../support/cli.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing(), workerMissing());

let dir: string | undefined;
let ui: ServedUi | undefined;

after(async () => {
  await ui?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Every file's text under `root`, for "does the user's queue mention the demo". */
function textUnder(root: string): string {
  if (!existsSync(root)) return '';
  return readdirSync(root, { recursive: true, encoding: 'utf8' })
    .map((f) => join(root, f))
    .filter((p) => statSync(p).isFile())
    .map((p) => readFileSync(p, 'latin1'))
    .join('\n');
}

test(
  "after the demo, serve lists its analysis in Results (labelled demo, once) and opens it in 3D; the user's destination and queue stay the user's",
  { skip },
  async () => {
    dir = mkdtempSync(join(tmpdir(), 'scopecloud-demo-e2e-'));
    const home = join(dir, 'home');
    const labArchive = join(dir, 'lab-archive');
    const rig = join(dir, 'rig');
    const env = { SCOPECLOUD_HOME: home, SCOPECLOUD_WORKER: WORKER_BINARY };
    const demo = ['demo', '--frames', '200', '--size', '128', '--cells', '20'];
    const first = await runCli(demo, env, 180_000);
    assert.equal(first.code, 0, first.stderr);
    const second = await runCli(demo, env, 180_000);
    assert.equal(second.code, 0, second.stderr);
    assert.match(second.stdout, /1\/4 {2}synthesising a 200-frame 128x128 recording at 30 Hz with 20 cells/);
    assert.match(second.stdout, /\(3 files, 0 failed\)/);
    assert.match(second.stdout, /scopecloud serve \(Results view, labelled demo\)/);
    const jobId = /job:\s+(j-\S+)/.exec(second.stdout)![1];
    const firstId = /job:\s+(j-\S+)/.exec(first.stdout)![1];
    assert.notEqual(jobId, firstId);
    const found = Number(/(\d+) cells found among (\d+) ROIs/.exec(second.stdout)![1]);
    const rois = Number(/cells found among (\d+) ROIs/.exec(second.stdout)![1]);

    // The user's own set-up: another destination and a watched folder with a one-file session.
    for (const args of [
      ['target', 'local', labArchive],
      ['set', 'ui.firstRunComplete', 'true'],
      ['set', 'watch.folders', rig],
      ['set', 'watch.stableMs', '300'],
    ]) {
      const r = await runCli(['config', ...args], env);
      assert.equal(r.code, 0, r.stderr);
    }
    mkdirSync(join(rig, '2025-07-01_mouse3'), { recursive: true });
    writeFileSync(join(rig, '2025-07-01_mouse3', 'frame_0001.tif'), randomBytes(256 * 1024));

    const rendererDir = join(dir, 'renderer');
    await bundleRenderer({ outDir: rendererDir });
    ui = await startServedUi({ env: { ...process.env, ...env, AWS_EC2_METADATA_DISABLED: 'true' }, rendererDir });
    const { page, url, pageErrors } = ui;
    await page.goto(`${url}#/results`);
    const rows = page.locator('tr[data-result]');
    await rows.first().waitFor({ timeout: 20_000 });
    assert.equal(await rows.count(), 1, 'one demo analysis: a new run replaces the one before');
    const row = page.locator(`tr[data-result="${jobId}"]`);
    const [when, recording, cells] = await row.locator('td').allInnerTexts();
    assert.match(when, /^\d{4}-\d\d-\d\d \d\d:\d\d$/);
    assert.match(recording, /^synthetic recording\s+demo\s+microscope\/session-001$/);
    assert.equal(cells, String(found));
    await page.screenshot({ path: '/tmp/demo-results-list.png' });

    await row.getByRole('link', { name: 'synthetic recording' }).click();
    await page.waitForFunction(() => (window.__scopecloudViewer?.info().frames ?? 0) > 0, undefined, { timeout: 30_000 });
    assert.equal((await page.evaluate(() => window.__scopecloudViewer!.info())).instances, rois);
    assert.match(
      await page.getByTestId('results-line').innerText(),
      new RegExp(`^${rois} ROIs \\(${found} cells\\) in 1 plane · \\d+ clusters? · 200 frames at 30 Hz`),
    );
    // one plane: no depth to colour by, so no Depth choice and no plane 1-to-plane 1 legend
    await page.getByRole('button', { name: 'Cluster' }).waitFor();
    assert.equal(await page.getByRole('button', { name: 'Depth' }).count(), 0);
    assert.equal(await page.locator('.depth-ramp').count(), 0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: '/tmp/demo-results-3d.png' });

    // Analyses: the demo's card is labelled; the user's own session of one file says so.
    const archived = join(labArchive, 'rig', '2025-07-01_mouse3', 'frame_0001.tif');
    for (let i = 0; i < 150 && !existsSync(archived); i++) await new Promise((r) => setTimeout(r, 200));
    assert.ok(existsSync(archived), "the user's own file reached the user's destination");
    await page.evaluate(() => {
      location.hash = '#/analyses';
    });
    const card = page.locator(`article[data-analysis="${jobId}"]`);
    await card.waitFor();
    assert.equal(
      await card
        .locator('.pill')
        .filter({ hasText: /^demo$/ })
        .count(),
      1,
    );
    await page.getByLabel('Data', { exact: true }).selectOption('session');
    const sessions = await page.getByLabel('Session', { exact: true }).locator('option').allInnerTexts();
    assert.ok(
      sessions.some((s) => /^2025-07-01_mouse3 \(1 file(, uploaded)?\)$/.test(s)),
      sessions.join(' | '),
    );
    await page.screenshot({ path: '/tmp/demo-analyses.png' });

    // Nothing of the demo in the user's destination or upload queue.
    assert.deepEqual(
      readdirSync(labArchive).filter((n) => !n.startsWith('.')),
      ['rig'],
      'no jobs/ or microscope/ of the demo',
    );
    assert.doesNotMatch(textUnder(join(home, 'queue')), /session-001|demo[/\\]microscope/);
    assert.deepEqual(pageErrors, []);
  },
);
