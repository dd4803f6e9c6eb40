import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const require = createRequire(join(root, 'package.json'));

test("electron-builder.yml passes electron-builder's own schema validation and targets every platform", async () => {
  const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js');
  const { DebugLogger } = require('builder-util');
  const cfg = await getConfig(root, join(root, 'electron-builder.yml'), null);
  await validateConfiguration(cfg, new DebugLogger());
  assert.deepEqual(cfg.linux.target, ['AppImage', 'deb']);
  assert.deepEqual(cfg.mac.target, ['dmg']);
  assert.deepEqual(cfg.win.target, ['nsis']);
  assert.ok(
    cfg.linux.extraResources.some((r: { to: string }) => r.to === 'bin/scopecloud-worker'),
    JSON.stringify(cfg.linux.extraResources),
  );
  assert.ok(JSON.stringify(cfg.files).includes('build/electron/preload.cjs'), JSON.stringify(cfg.files));
});
