/**
 * End-to-end (`scopecloud serve` in Chromium): the Budget view's By person table lists the
 * sessions recorded before manifests named anyone, and the lab manager assigns one to a person:
 * the table moves its storage from `unattributed` to that person, the session leaves the list, and
 * the assignment is in the bucket (versitygw; moto answers Cost Explorer). A bad person name is
 * refused in the view with the reason. Screenshots: /tmp/budget-people-assign{,-done}.png.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { chromiumMissing } from '../support/chromium.ts';
import { labEnv, startConfiguredUi, type ServedUi } from '../support/served-ui.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { requires } from '../support/requirements.ts';
import { sessionManifest, stubMonthCosts } from '../support/people-lab.ts';
import { ASSIGNMENTS_KEY } from '../../main/cost/session-assignments.ts';

const skip = requires(chromiumMissing(), motoMissing(), versitygwMissing());
const MiB = 1024 * 1024;

let dir: string;
let moto: MotoServer;
let gw: Versitygw;
let ui: ServedUi | undefined;
let bucket: string;

const manifest = sessionManifest;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-assign-e2e-'));
  [moto, gw] = await Promise.all([startMoto(), startVersitygw({ root: join(dir, 'gw') })]);
  await seedAl2023(moto);
  bucket = await gw.createBucket('lab-assign');
  const s3 = gw.client();
  for (const [Key, Body] of [
    ['lab/rig1/mouse1/2026-12-01/a.tif', Buffer.alloc(6 * MiB, 1)],
    ['lab/rig1/mouse1/2026-12-01/manifest.json', await manifest('mouse1/2026-12-01', { owner: 'maria', host: 'rig-2' })],
    ['lab/rig1/mouse2/2026-11-02/c.tif', Buffer.alloc(3 * MiB, 1)],
    ['lab/rig1/mouse2/2026-11-02/manifest.json', await manifest('mouse2/2026-11-02')],
    ['lab/rig1/mouse2/2026-11-03/d.tif', Buffer.alloc(2 * MiB, 1)],
    ['lab/rig1/mouse2/2026-11-03/manifest.json', await manifest('mouse2/2026-11-03')],
  ] as const)
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body }));
  await stubMonthCosts(moto, '18.5', { maria: '12.5', lee: '3', '': '3' });
  ui = await startConfiguredUi({
    dir,
    env: labEnv({ dir, owner: 'pi', aws: { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials } }),
    config: [
      ['config', 'target', 's3', '--bucket', bucket, '--prefix', 'lab', '--region', moto.region],
      ['config', 'set', 'budget.monthlyLimitUsd', '400'],
    ],
    viewport: { width: 1200, height: 1700 },
  });
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await Promise.all([moto?.stop(), gw?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

const rowText = async (person: string) =>
  (await ui!.page.locator(`[data-testid="people"] tr[data-person="${person}"]`).innerText()).replace(/\s+/g, ' ').trim();

test('By person: an unattributed session assigned to a person moves its storage to them, kept in the bucket', { skip }, async () => {
  const page = ui!.page;
  await page.evaluate(() => {
    location.hash = '#/budget';
  });
  const sessions = page.getByTestId('people-sessions');
  await sessions.locator('tr[data-session="rig1/mouse2/2026-11-02"]').waitFor({ timeout: 20_000 });
  await page.locator('[data-testid="people"] tr[data-person="lee"]').waitFor({ timeout: 20_000 });
  assert.deepEqual(
    await sessions.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-session'))),
    ['rig1/mouse2/2026-11-02', 'rig1/mouse2/2026-11-03'],
    'largest first',
  );
  assert.match(await rowText('lee'), /^lee \$3\.00 0\.000 GB \$0\.00 \$3\.00$/);
  assert.match(await rowText('unattributed'), /^unattributed \$3\.00 0\.005 GB /);
  const options = await page.locator('#assign-what option').allInnerTexts();
  assert.ok(options.includes('All 2 under rig1/mouse2/ (0.005 GB)'), options.join('\n'));
  await sessions.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/budget-people-assign.png', fullPage: true });

  // a name that is no person is refused in the view, nothing changes
  await page.locator('#assign-owner').fill('lee smith');
  await sessions.getByRole('button', { name: 'Assign' }).click();
  await sessions.locator('.note, [role="alert"]').filter({ hasText: 'letters, digits' }).first().waitFor({ timeout: 10_000 });
  assert.match(await rowText('unattributed'), /^unattributed \$3\.00 0\.005 GB /);

  await page.locator('#assign-what').selectOption('session:rig1/mouse2/2026-11-02');
  await page.locator('#assign-owner').fill('lee');
  await sessions.getByRole('button', { name: 'Assign' }).click();
  await sessions.getByRole('status').filter({ hasText: 'Assigned rig1/mouse2/2026-11-02 to lee.' }).waitFor({ timeout: 10_000 });
  await page.waitForFunction(() => !document.querySelector('[data-testid="people-sessions"] tr[data-session="rig1/mouse2/2026-11-02"]'), null, {
    timeout: 10_000,
  });
  assert.match(await rowText('lee'), /^lee \$3\.00 0\.003 GB < \$0\.0001 \$3\.00$/, 'the session is now counted as lee storage');
  assert.match(await rowText('unattributed'), /^unattributed \$3\.00 0\.002 GB /);
  assert.match(await page.getByTestId('people-attribution').innerText(), /1 session whose manifest named no one was assigned to a person by hand/);
  const stored = JSON.parse(
    await (await gw.client().send(new GetObjectCommand({ Bucket: bucket, Key: `lab/${ASSIGNMENTS_KEY}` }))).Body!.transformToString(),
  ) as { assignments: { session: string; owner: string; by: string }[] };
  assert.deepEqual(
    stored.assignments.map((a) => [a.session, a.owner, a.by]),
    [['rig1/mouse2/2026-11-02', 'lee', 'pi']],
  );
  await sessions.scrollIntoViewIfNeeded();
  await page.screenshot({ path: '/tmp/budget-people-assign-done.png', fullPage: true });
  assert.deepEqual(ui!.pageErrors, []);
});
