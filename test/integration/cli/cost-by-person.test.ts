/**
 * Issue #21 point 4 through the real `scopecloud` processes, local archive: `watch --once` writes
 * the session manifest naming who recorded it (SCOPECLOUD_OWNER, this host), and `scopecloud cost`
 * splits the archive's bytes by it, printing the storage and its table per person before the
 * compute part it cannot give without AWS (then its error and exit code).
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../../support/cli.ts';

let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-cost-people-'));
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

test('a local archive: the manifest names its recorder, and cost prints storage per person, then why compute is missing', async () => {
  const home = join(work, 'home');
  const env: NodeJS.ProcessEnv = {
    SCOPECLOUD_HOME: home,
    SCOPECLOUD_OWNER: 'maria',
    AWS_CONFIG_FILE: join(work, 'no-aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
  };
  assert.equal((await runCli(['config', 'set', 'watch.stableMs', '300'], env)).code, 0);
  const rig = join(work, 'scope');
  await mkdir(join(rig, 'mouse1'), { recursive: true });
  await writeFile(join(rig, 'mouse1', 't0.tif'), Buffer.alloc(3 * 1024 * 1024, 1));
  await writeFile(join(rig, 'mouse1', 'acquisition.done'), '');
  const watched = await runCli(['watch', rig, '--once'], env);
  assert.equal(watched.code, 0, watched.stderr);

  const archive = join(home, 'archive');
  const manifestText = await readFile(join(archive, 'scope', 'mouse1', 'manifest.json'), 'utf8');
  assert.deepEqual((JSON.parse(manifestText) as { recordedBy?: unknown }).recordedBy, { owner: 'maria', host: hostname() });
  // something in the archive no manifest speaks for
  await writeFile(join(archive, 'scope', 'loose.bin'), Buffer.alloc(1024 * 1024, 2));

  const cost = await runCli(['cost', '--live-only'], env);
  assert.notEqual(cost.code, 0, 'compute cannot be read without AWS: the command still fails as before');
  assert.match(cost.stdout, new RegExp(`^Storage \\(${archive.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, local disk, no S3 bill; just listed\\): `, 'm'));
  assert.match(
    cost.stdout,
    /^By person \(compute: Cost Explorer by the owner tag, month to date, not known here; storage: the local archive, on the lab's own disk\):$/m,
  );
  assert.match(cost.stdout, /^ {2}OWNER +COMPUTE +STORAGE +STORAGE COST +TOTAL$/m);
  const row = (who: string) => cost.stdout.split('\n').find((l) => l.startsWith(`  ${who} `)) ?? '';
  assert.match(row('maria'), /^ {2}maria +\? +0\.003 GB +own disk +\?$/, cost.stdout);
  assert.match(row('unattributed'), /^ {2}unattributed +\? +0\.001 GB +own disk +\?$/, cost.stdout);
  const err = cost.stderr.trim().split('\n');
  assert.equal(err.at(-2), 'Compute cost could not be read:', cost.stderr);
  assert.ok(err.at(-1)!.length > 0);
});
