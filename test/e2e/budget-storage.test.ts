/**
 * End-to-end, issue #21 point 2: the Budget view's Storage section (`scopecloud serve` in
 * Chromium; versitygw holds the lab's objects, moto everything else). It shows the bytes under the
 * lab's prefix only (not the rest of the bucket), their $/month from the price table, the rest of
 * the month with its formula, when the prefix was listed, and "List again" lists it anew (a plain
 * reload answers from the cache). Screenshot: /tmp/budget-storage.png (look at it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { labEnv, startConfiguredUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli } from '../support/cli.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing(), motoMissing(), versitygwMissing());
const MiB = 1024 * 1024;

let dir: string;
let moto: MotoServer;
let gw: Versitygw;
let ui: ServedUi;
let page: Page;
let bucket: string;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-storage-e2e-'));
  [moto, gw] = await Promise.all([startMoto(), startVersitygw({ root: join(dir, 'gw') })]);
  await seedAl2023(moto);
  bucket = await gw.createBucket('lab-storage');
  const s3 = gw.client();
  for (const [Key, size] of [
    ['lab/rig1/2026-12-01/a.tif', 6 * MiB],
    ['lab/rig1/2026-12-01/b.tif', 2 * MiB],
    ['lab/rig2/c.tif', 1 * MiB],
    ['someone-else/d.tif', 20 * MiB],
  ] as const)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: Buffer.alloc(size, 3) }));
  ui = await startConfiguredUi({
    dir,
    env: labEnv({ dir, owner: 'maria', aws: { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials } }),
    config: [
      ['config', 'target', 's3', '--bucket', bucket, '--prefix', 'lab', '--region', moto.region],
      ['config', 'set', 'budget.monthlyLimitUsd', '400'],
    ],
    viewport: { width: 1200, height: 1400 },
  });
  page = ui.page;
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await Promise.all([moto?.stop(), gw?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test('the Budget view shows the storage under the prefix, priced and projected, and lists again on demand', { skip }, async () => {
  await page.evaluate(() => {
    location.hash = '#/budget';
  });
  const panel = page.getByTestId('storage');
  const standard = panel.locator('tr[data-storage-class="STANDARD"]');
  await standard.waitFor({ timeout: 20_000 });
  // 9 MiB under lab/ (the 20 MiB elsewhere in the bucket is not the lab's)
  assert.match(await standard.innerText(), /Standard\s+STANDARD\s+3\s+0\.009 GB\s+\$0\.023\s+\$0\.0002/);
  const listed = await panel.getByTestId('storage-listed').innerText();
  assert.ok(listed.includes(`s3://${bucket}/lab/`), listed);
  assert.match(listed, /listed .*\(prices: shipped table of 2025-06-01\)/);
  const formula = panel.getByTestId('storage-formula');
  await formula.locator('summary').click();
  assert.match(await formula.innerText(), /rest of month = stored × price × f \+ added × STANDARD price × f ÷ 2, with f = [\d.]+ days left of \d+ = 0?\.\d+/);
  assert.match(await formula.innerText(), /stored: 0\.009 GB/);
  const tooltip = await panel.locator('[title^="rest of month ="]').count();
  assert.equal(tooltip, 1, 'the projection carries its formula as a tooltip');

  // another 4 MiB arrives; a reload answers from the cache, "List again" lists it
  await gw.client().send(new PutObjectCommand({ Bucket: bucket, Key: 'lab/rig2/e.tif', Body: Buffer.alloc(4 * MiB, 5) }));
  await page.reload();
  await standard.waitFor({ timeout: 20_000 });
  assert.match(await standard.innerText(), /\s3\s+0\.009 GB/, 'the cached listing');
  await panel.getByRole('button', { name: 'List again' }).click();
  await panel.locator('tr[data-storage-class="STANDARD"]', { hasText: /0\.013 GB/ }).waitFor({ timeout: 20_000 });
  assert.match(await panel.locator('tr[data-storage-class="STANDARD"]').innerText(), /Standard\s+STANDARD\s+4\s+0\.013 GB/);
  await panel.getByTestId('storage-formula').locator('summary').click();
  await page.screenshot({ path: '/tmp/budget-storage.png', fullPage: true });
  assert.deepEqual(ui.pageErrors, []);
});
