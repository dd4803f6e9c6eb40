/**
 * End-to-end, issue #16 point 7: a budget override made on one workstation (the CLI, with its own
 * state dir and owner) is seen in another workstation's Budget view (`scopecloud serve` in
 * Chromium), with the AWS identity STS gave the first one, because both read the shared log in
 * the destination bucket (versitygw; everything else moto). Screenshot:
 * /tmp/budget-overrides.png (look at it).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { bundleRenderer } from '../../scripts/bundle-renderer.ts';
import { chromiumMissing } from '../support/chromium.ts';
import { labEnv, startConfiguredUi, type ServedUi } from '../support/served-ui.ts';
import { WORKER_BINARY, runCli } from '../support/cli.ts';
import { motoMissing, seedAl2023, startMoto, type MotoServer } from '../support/moto.ts';
import { startVersitygw, versitygwMissing, type Versitygw } from '../support/versitygw.ts';
import { requires } from '../support/requirements.ts';

const skip = requires(chromiumMissing(), motoMissing(), versitygwMissing());

let dir: string;
let moto: MotoServer;
let gw: Versitygw;
let ui: ServedUi;
let page: Page;
let rigA: Record<string, string>;

before(async () => {
  if (skip) return;
  dir = mkdtempSync(join(tmpdir(), 'scopecloud-overrides-e2e-'));
  [moto, gw] = await Promise.all([startMoto(), startVersitygw({ root: join(dir, 'gw') })]);
  await seedAl2023(moto);
  const bucket = await gw.createBucket('lab-overrides');
  const aws = { s3Endpoint: gw.endpoint, awsEndpoint: moto.endpoint, credentials: gw.credentials };
  rigA = labEnv({ dir, home: 'rig-a', owner: 'maria', aws });
  ui = await startConfiguredUi({
    dir,
    env: labEnv({ dir, home: 'rig-b', owner: 'jon', aws }),
    also: [rigA],
    config: [
      ['config', 'target', 's3', '--bucket', bucket, '--prefix', 'lab', '--region', moto.region],
      ['config', 'set', 'budget.monthlyLimitUsd', '1'],
    ],
  });
  page = ui.page;
});

after(async () => {
  if (skip) return;
  await ui?.stop();
  await Promise.all([moto?.stop(), gw?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

test("an override made on rig A (CLI) shows in rig B's Budget view with A's AWS identity", { skip }, async () => {
  await page.evaluate(() => {
    location.hash = '#/budget';
  });
  const panel = page.getByTestId('overrides');
  await panel.getByText('No budget overrides recorded.').waitFor({ timeout: 15_000 });
  await panel.getByText(/Every workstation's overrides, recorded in s3:\/\/lab-overrides\/lab\/budget\/overrides\//).waitFor();

  const refused = await runCli(['instances', 'launch', '--preset', 'small-analysis', '--yes'], rigA);
  assert.notEqual(refused.code, 0, 'a $1 limit refuses the launch');
  const forced = await runCli(['instances', 'launch', '--preset', 'small-analysis', '--yes', '--override-budget', 'grant deadline: figure 3'], rigA);
  assert.equal(forced.code, 0, forced.stderr);

  const arn = (await new STSClient({ region: moto.region, endpoint: moto.endpoint, credentials: gw.credentials }).send(new GetCallerIdentityCommand({}))).Arn!;
  // The view is not told about another rig's override: reloading it (as a user does) reads the log.
  await page.reload();
  const row = page.locator(`[data-testid="overrides"] tr[data-override-by="${arn}"]`);
  await row.waitFor({ timeout: 15_000 });
  const text = await row.innerText();
  assert.match(text, /maria/);
  assert.ok(text.includes(arn), text);
  assert.match(text, /launch small-analysis/);
  assert.match(text, /grant deadline: figure 3/);
  assert.match(text, /\$1\.00/, 'the limit it went past');
  await page.screenshot({ path: '/tmp/budget-overrides.png', fullPage: true });
  assert.deepEqual(ui.pageErrors, []);
});
