/**
 * `scopecloud config target` chooses the destination the app's first-run screen asks for, so the
 * app (and `scopecloud serve`) opens straight to its views afterwards; other settings do not.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configCommand } from '../../../main/cli/commands/config.ts';
import type { Settings } from '../../../main/config/schema.ts';
import { runCommand } from '../../support/cli-in-process.ts';

async function settingsIn(env: NodeJS.ProcessEnv): Promise<Settings> {
  return JSON.parse((await runCommand(configCommand, ['show', '--json'], env)).out) as Settings;
}

test('config target local or s3 completes the first run; config set and reset do not', async () => {
  const home = mkdtempSync(join(tmpdir(), 'scopecloud-config-'));
  const env = { ...process.env, SCOPECLOUD_HOME: home };
  try {
    assert.equal((await settingsIn(env)).ui.firstRunComplete, false, 'a fresh install starts at the first-run screen');
    await runCommand(configCommand, ['set', 'watch.stableMs', '500'], env);
    assert.equal((await settingsIn(env)).ui.firstRunComplete, false, 'a watch setting chooses no destination');

    const archive = join(home, 'nas-archive');
    const local = await runCommand(configCommand, ['target', 'local', archive, '--json'], env);
    const saved = JSON.parse(local.out) as Settings;
    assert.deepEqual([saved.target, saved.ui.firstRunComplete, saved.watch.stableMs], [{ kind: 'local', path: archive }, true, 500]);

    await runCommand(configCommand, ['reset'], env);
    assert.equal((await settingsIn(env)).ui.firstRunComplete, false, 'reset goes back to the first-run screen');
    await runCommand(configCommand, ['target', 's3', '--bucket', 'lab-imaging', '--region', 'eu-west-1', '--prefix', 'rig1'], env);
    const s3 = await settingsIn(env);
    assert.deepEqual([s3.target.kind, s3.ui.firstRunComplete], ['s3', true]);

    // a refused target (bad bucket name) changes nothing, the first-run flag included
    await runCommand(configCommand, ['reset'], env);
    await assert.rejects(runCommand(configCommand, ['target', 's3', '--bucket', 'UPPER', '--region', 'eu-west-1'], env), /target\.bucket/);
    assert.equal((await settingsIn(env)).ui.firstRunComplete, false);
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});
