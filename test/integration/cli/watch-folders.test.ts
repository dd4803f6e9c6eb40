/**
 * A watched folder that is missing or not readable is never silent in the CLI: `config set
 * watch.folders` warns, `watch --once` names it and exits 1 after archiving the other folders,
 * and `status` shows each folder's state, live from a running `watch` (missing since when, then
 * watching again once it is back, with what was written meanwhile archived exactly once).
 *
 * Simulated: "unmounted" is the folder renamed away and back (its files keep their inodes, as on
 * a drive plugged in again); "not readable" is chmod 000, which root ignores, so as root the CLI
 * runs as uid/gid 65534 in a work folder that user owns.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, chown, mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, runCli, UNPRIVILEGED } from '../../support/cli.ts';

const asRoot = process.getuid?.() === 0;
const as = asRoot ? UNPRIVILEGED : undefined;
const who = asRoot ? 'as uid 65534 under root' : 'as this user';
let work: string;

before(async () => {
  work = await mkdtemp(join(tmpdir(), 'scopecloud-watch-folders-'));
  if (as) await chown(work, as.uid, as.gid);
});
after(async () => {
  await rm(work, { recursive: true, force: true });
});

/** A folder (and its files) the CLI's user owns. */
async function folder(name: string, files: Record<string, string> = {}): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  if (as) await chownTree(dir, as.uid, as.gid);
  return dir;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  for (const e of await readdir(path, { withFileTypes: true })) {
    if (e.isDirectory()) await chownTree(join(path, e.name), uid, gid);
    else await chown(join(path, e.name), uid, gid);
  }
}

const cli = (args: string[], home: string) => runCli(args, { SCOPECLOUD_HOME: home, HOME: work }, 60_000, as);

interface StatusJson {
  live: boolean;
  folders: Array<{ path: string; state: string; reason: string | null; since: number | null }>;
  counts: Record<string, number>;
}

test(`config set watch.folders warns about a missing and an unreadable folder, and saves the list (${who})`, async () => {
  const home = join(work, 'home-config');
  const present = await folder('config-present');
  const locked = await folder('config-locked');
  await chmod(locked, 0o000);
  const missing = join(work, 'config-missing');
  const res = await cli(['config', 'set', 'watch.folders', `${present},${missing},${locked}`], home);
  assert.equal(res.code, 0, res.stderr);
  const lines = res.stderr.trim().split('\n');
  assert.equal(lines.length, 2, res.stderr);
  assert.equal(
    lines[0],
    `warning: ${missing} is missing: the folder is not there (was the drive unmounted, or the folder renamed or deleted?); scopecloud watch will say so, and watch it once it is there`,
  );
  assert.ok(
    lines[1].startsWith(`warning: ${locked} is not readable: permission denied: ScopeCloud runs as ${asRoot ? 'user nobody (uid 65534)' : ''}`),
    lines[1],
  );
  assert.ok(
    lines[1].endsWith(', who may not read this folder (give that user read access); scopecloud watch will say so, and watch it once it is there'),
    lines[1],
  );
  assert.match(res.stdout, new RegExp(`watch folders: +${present}, ${missing}, ${locked}`));

  const status = await cli(['status', '--json'], home);
  assert.equal(status.code, 0, status.stderr);
  const s = JSON.parse(status.stdout) as StatusJson;
  assert.equal(s.live, false);
  assert.deepEqual(
    s.folders.map((f) => [f.path, f.state, f.since]),
    [
      [present, 'stopped', null],
      [missing, 'missing', null],
      [locked, 'unreadable', null],
    ],
  );
  await chmod(locked, 0o755);
});

test(`watch --once archives the folders it can read, names the missing and unreadable ones and exits 1 (${who})`, async () => {
  const home = join(work, 'home-once');
  const present = await folder('once-present', { 's1/a.tif': 'frame a' });
  const locked = await folder('once-locked', { 's1/b.tif': 'frame b' });
  await chmod(locked, 0o000);
  const missing = join(work, 'once-missing');
  assert.equal((await cli(['config', 'set', 'watch.stableMs', '300'], home)).code, 0);
  const res = await cli(['watch', present, missing, locked, '--once'], home);
  await chmod(locked, 0o755);
  assert.equal(res.code, 1, `exit 1: ${res.stdout}\n${res.stderr}`);
  assert.match(res.stdout, new RegExp(`^watching ${present} -> local archive`, 'm'));
  assert.match(res.stdout, /verified .*once-present\/s1\/a\.tif/);
  assert.match(res.stderr, new RegExp(`^watch: ${missing} is missing: the folder is not there .*; watched again once it is back$`, 'm'));
  assert.match(res.stderr, new RegExp(`^watch: ${locked} is not readable: permission denied`, 'm'));
  const last = res.stderr.trim().split('\n').at(-1) ?? '';
  assert.match(last, new RegExp(`^scopecloud watch: not watched: ${missing} is missing: .*; ${locked} is not readable: permission denied`));
  assert.equal(await readFile(join(home, 'archive', 'once-present', 's1', 'a.tif'), 'utf8'), 'frame a');
  await assert.rejects(readFile(join(home, 'archive', 'once-locked', 's1', 'b.tif')), 'nothing of the unreadable folder was archived');
});

test(
  `status follows a running watch: missing since when, then watching again with the files written meanwhile, none twice (${who})`,
  { timeout: 90_000 },
  async () => {
    const home = join(work, 'home-live');
    const rig = await folder('rig-live', { 's1/before.tif': 'before' });
    const away = join(work, 'rig-live.unplugged');
    for (const [field, value] of [
      ['watch.stableMs', '300'],
      ['watch.folders', rig],
      ['watch.reconcileIntervalMs', '86400000'],
    ]) {
      assert.equal((await cli(['config', 'set', field, value], home)).code, 0);
    }
    const watch = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'scopecloud.js'), 'watch'], {
      env: { ...process.env, SCOPECLOUD_HOME: home, HOME: work },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    let out = '';
    let err = '';
    watch.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    watch.stderr.on('data', (d: Buffer) => {
      err += d.toString();
    });
    const until = async (what: string, ok: () => boolean | Promise<boolean>, ms = 20_000) => {
      const end = Date.now() + ms;
      while (!(await ok())) {
        if (Date.now() > end || watch.exitCode !== null) assert.fail(`${what}; stdout: ${out}\nstderr: ${err}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    };
    const status = async () => JSON.parse((await cli(['status', '--json'], home)).stdout) as StatusJson;
    try {
      await until('before.tif verified', () => /verified .*s1\/before\.tif/.test(out));
      const watching = (await status()).folders[0];
      assert.equal(watching.state, 'watching');

      const t0 = Date.now();
      await rename(rig, away);
      await until('status shows the folder missing', async () => (await status()).folders[0]?.state === 'missing');
      const gone = (await status()).folders[0];
      assert.match(gone.reason ?? '', /the folder is not there/);
      assert.ok(gone.since !== null && gone.since >= t0 - 1000 && gone.since <= Date.now(), 'since when it is missing');
      const text = await cli(['status'], home);
      assert.match(text.stdout, new RegExp(`^folders: +${rig}  MISSING since \\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d — the folder is not there`, 'm'));
      assert.match(err, new RegExp(`watch: ${rig} is missing: the folder is not there`));

      // the drive was written elsewhere while it was away
      await mkdir(join(away, 's2'));
      await writeFile(join(away, 's1', 'meanwhile.tif'), 'meanwhile');
      await writeFile(join(away, 's2', 'new-session.tif'), 'new session');
      if (as) await chownTree(away, as.uid, as.gid);
      await rename(away, rig);
      await until('status shows the folder watched again', async () => (await status()).folders[0]?.state === 'watching');
      assert.match(err, new RegExp(`watch: ${rig} is back; files written while it was away are being uploaded`));
      await until('both files written meanwhile verified', () => /verified .*s1\/meanwhile\.tif/.test(out) && /verified .*s2\/new-session\.tif/.test(out));
      assert.equal((out.match(/verified .*s1\/before\.tif/g) ?? []).length, 1, 'before.tif was not uploaded again');
      const archived = await readdir(join(home, 'archive', 'rig-live', 's1'));
      assert.deepEqual(archived.filter((n) => n.endsWith('.tif')).sort(), ['before.tif', 'meanwhile.tif'], 'no second version of before.tif');
    } finally {
      const exited = new Promise((r) => watch.once('exit', r));
      watch.kill('SIGINT');
      await exited;
    }
    assert.equal(watch.exitCode, 0, err);
  },
);

test(`watch --once does not wait for a file that was still growing when its folder went away (${who})`, { timeout: 90_000 }, async () => {
  const home = join(work, 'home-growing');
  const rig = await folder('rig-growing', { 's1/done.tif': 'done' });
  assert.equal((await cli(['config', 'set', 'watch.stableMs', '300'], home)).code, 0);
  const watch = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'scopecloud.js'), 'watch', rig, '--once', '--json'], {
    env: { ...process.env, SCOPECLOUD_HOME: home, HOME: work },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(as ? { uid: as.uid, gid: as.gid } : {}),
  });
  let out = '';
  let err = '';
  watch.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  watch.stderr.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((r) => watch.once('exit', (code) => r(code)));
  const writer = await open(join(rig, 's1', 'movie.tif'), 'w');
  // written to every 100 ms: never unchanged for the 300 ms that would complete it
  const growing = setInterval(() => {
    void writer.write(Buffer.alloc(1024, 1));
  }, 100);
  try {
    const end = Date.now() + 20_000;
    while (!out.includes('"growing":1')) {
      if (Date.now() > end || watch.exitCode !== null) assert.fail(`the file never showed as growing: ${out.slice(-1500)}\n${err}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await rename(rig, `${rig}.unplugged`);
  } finally {
    clearInterval(growing);
    await writer.close();
  }
  const code = await Promise.race([exited, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 30_000))]);
  if (code === 'hung') watch.kill('SIGKILL');
  assert.equal(code, 1, `it ended, and with 1: ${err}`);
  assert.match(err, new RegExp(`scopecloud watch: not watched: ${rig} is missing: the folder is not there`));
});
