/**
 * End-to-end, issue #21 point 4: the Budget view's By person table (`scopecloud serve` in
 * Chromium). S3 destination: versitygw holds the lab's objects (a session whose manifest names
 * maria, an analysis job of lee's, an old session whose manifest names no one), moto answers Cost
 * Explorer grouped by the owner tag; the table joins compute this month with storage per person
 * and says how storage was attributed. Local archive: the Budget view shows the archive's storage
 * (the lab's own disk, no price) and its split, instead of only "not configured".
 * Screenshots: /tmp/budget-people.png, /tmp/budget-people-local.png (look at them).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { chromiumMissing } from '../support/chromium.ts';
import { labEnv, startConfiguredUi, type ServedUi } from '../support/served-ui.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { requires } from '../support/requirements.ts';
import { sessionManifest, stubMonthCosts } from '../support/people-lab.ts';
import { jobKeys } from '../../main/jobs/job-layout.ts';

const skip = requires(chromiumMissing(), motoMissing(), versitygwMissing());
const MiB = 1024 * 1024;
const JOB = 'j-20261203-101500-abcd';

let dir: string;
let moto: MotoServer;
let gw: Versitygw;
let ui: ServedUi | undefined;
let local: ServedUi | undefined;
let bucket: string;

const manifest = sessionManifest;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-people-e2e-'));
  [moto, gw] = await Promise.all([startMoto(), startVersitygw({ root: join(dir, 'gw') })]);
  await seedAl2023(moto);
  bucket = await gw.createBucket('lab-people');
  const s3 = gw.client();
  for (const [Key, Body] of [
    ['lab/rig1/mouse1/2026-12-01/a.tif', Buffer.alloc(6 * MiB, 1)],
    ['lab/rig1/mouse1/2026-12-01/manifest.json', await manifest('mouse1/2026-12-01', { owner: 'maria', host: 'rig-2' })],
    ['lab/rig1/mouse2/2026-11-02/c.tif', Buffer.alloc(3 * MiB, 1)],
    ['lab/rig1/mouse2/2026-11-02/manifest.json', await manifest('mouse2/2026-11-02')],
    [`lab/${jobKeys(JOB).manifest}`, JSON.stringify({ schema: 1, id: JOB, owner: 'lee', name: 'x' })],
    [`lab/${jobKeys(JOB).results}traces.npy`, Buffer.alloc(2 * MiB, 1)],
  ] as const)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  await stubMonthCosts(moto, '21.5', { maria: '12.5', ana: '6', '': '3' });
  ui = await startConfiguredUi({
    dir,
    env: labEnv({ dir, owner: 'maria', aws: { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials } }),
    config: [
      ['config', 'target', 's3', '--bucket', bucket, '--prefix', 'lab', '--region', moto.region],
      ['config', 'set', 'budget.monthlyLimitUsd', '400'],
    ],
    viewport: { width: 1200, height: 1500 },
  });
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await local?.stop();
  await Promise.all([moto?.stop(), gw?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const rowText = async (u: ServedUi, person: string) =>
  (await u.page.locator(`[data-testid="people"] tr[data-person="${person}"]`).innerText()).replace(/\s+/g, ' ').trim();

test(
  'By person: compute this month (Cost Explorer by owner tag) beside storage per person, unattributed last, with how storage was attributed',
  { skip },
  async () => {
    const page = ui!.page;
    await page.evaluate(() => {
      location.hash = '#/budget';
    });
    const people = page.getByTestId('people');
    // Cost Explorer is asked once (nothing cached yet); its answer comes with the month's figures
    await people.locator('tr[data-person="ana"]').waitFor({ timeout: 20_000 });
    const order = await people
      .getByRole('table', { name: 'Cost by person' })
      .locator('tbody tr')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-person')));
    assert.deepEqual(order, ['maria', 'ana', 'lee', 'unattributed']);
    assert.match(await rowText(ui!, 'maria'), /^maria \$12\.50 0\.006 GB \$0\.0001 \$12\.50$/);
    assert.match(await rowText(ui!, 'ana'), /^ana \$6\.00 0\.000 GB \$0\.00 \$6\.00$/);
    assert.match(await rowText(ui!, 'lee'), /^lee \$0\.00 0\.002 GB < \$0\.0001 < \$0\.0001$/);
    assert.match(await rowText(ui!, 'unattributed'), /^unattributed \$3\.00 0\.003 GB < \$0\.0001 \$3\.00$/);
    const said = await people.getByTestId('people-attribution').innerText();
    assert.match(said, /Compute: Cost Explorer, month to date, grouped by the owner tag/);
    assert.match(said, /each session manifest's recordedBy .* and each analysis job's owner/);
    await people.scrollIntoViewIfNeeded();
    await page.screenshot({ path: '/tmp/budget-people.png', fullPage: true });
    assert.deepEqual(ui!.pageErrors, []);
  },
);

test('a local archive: the Budget view shows the archive on disk and its split per person, not only "not configured"', { skip }, async () => {
  const archive = join(dir, 'archive');
  mkdirSync(join(archive, 'rig1', 'mouse1', 's1'), { recursive: true });
  mkdirSync(join(archive, 'rig1', 'mouse9'), { recursive: true });
  writeFileSync(join(archive, 'rig1', 'mouse1', 's1', 'a.tif'), Buffer.alloc(4 * MiB, 1));
  writeFileSync(join(archive, 'rig1', 'mouse1', 's1', 'manifest.json'), await manifest('mouse1/s1', { owner: 'maria', host: 'rig-2' }));
  writeFileSync(join(archive, 'rig1', 'mouse9', 'b.tif'), Buffer.alloc(1 * MiB, 1));
  local = await startConfiguredUi({
    dir: join(dir, 'local'),
    env: labEnv({ dir, home: 'home-local', owner: 'maria', aws: { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials } }),
    config: [['config', 'target', 'local', archive]],
    viewport: { width: 1200, height: 1300 },
  });
  const page = local.page;
  await page.evaluate(() => {
    location.hash = '#/budget';
  });
  await page.getByTestId('storage-local').waitFor({ timeout: 20_000 });
  assert.match(await page.locator('.view-error').innerText(), /need an AWS account/);
  assert.match(await page.getByTestId('storage-local').innerText(), /^0\.005 GB in the local archive: local disk, no S3 bill\./);
  await page.locator('[data-testid="people"] tr[data-person="maria"]').waitFor({ timeout: 20_000 });
  assert.match(await rowText(local, 'maria'), /^maria 0\.004 GB own disk$/);
  assert.match(await rowText(local, 'unattributed'), /^unattributed 0\.001 GB own disk$/);
  assert.match(await page.getByTestId('people-attribution').innerText(), /The local archive is on the lab's own disk: no storage bill\./);
  await page.screenshot({ path: '/tmp/budget-people-local.png', fullPage: true });
  assert.deepEqual(local.pageErrors, []);
});
