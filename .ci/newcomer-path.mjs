// The newcomer's path, as the README gives it, on a fresh clone of this commit:
//   1. the README's first command, read from README.md and run exactly as written, with no
//      ELECTRON_SKIP_BINARY_DOWNLOAD (Electron's download host is unreachable on CI machines:
//      the install must still pass and say so in one line);
//   2. `npx scopecloud serve` right after it serves the UI (no `npm run build`), at a URL of the
//      form the README shows;
//   3. the demo's analysis is in that UI's analyses, done, with cells to look at.
// Plain JS on the machine's node, like a newcomer's shell. Exits 1 naming the step that broke.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const fail = (step, why) => { console.error(`newcomer path: FAILED at ${step}: ${why}`); process.exit(1); };
const check = (ok, step, why) => { if (!ok) fail(step, why); console.log(`newcomer path: ok - ${step}`); };

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const command = readme.split('\n').map((l) => l.trim()).find((l) => l.startsWith('npm install'));
if (!command) fail('README', 'no line starting with `npm install` in README.md');
const urlForm = /http:\/\/127\.0\.0\.1:<port>\/(\S*)=\.\.\./.exec(readme);
if (!urlForm) fail('README', 'no `http://127.0.0.1:<port>/...=...` serve URL in README.md');

const work = mkdtempSync(join(tmpdir(), 'scopecloud-newcomer-'));
const clone = join(work, 'scopecloud');
execFileSync('git', ['clone', '--quiet', root, clone]);
const env = { ...process.env, SCOPECLOUD_HOME: join(work, 'home') };
delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;

console.log(`newcomer path: running \`${command}\` in a fresh clone (${clone})`);
const first = spawnSync('bash', ['-c', command], { cwd: clone, env, encoding: 'utf8', maxBuffer: 64 << 20 });
const output = `${first.stdout}\n${first.stderr}`;
process.stdout.write(output.split('\n').filter((l) => /^scopecloud:|F1|results:|npm error/.test(l)).map((l) => `  | ${l}\n`).join(''));
check(first.status === 0, `\`${command}\` exits 0`, `exit ${first.status}; last output:\n${output.trim().split('\n').slice(-25).join('\n')}`);
const electronLines = output.split('\n').filter((l) => l.startsWith('scopecloud: Electron'));
check(electronLines.length === 1, 'the install says in one line what became of Electron', `${electronLines.length} such lines`);
check(!/EBADENGINE[\s\S]*package: 'scopecloud@/.test(output), 'no EBADENGINE warning about scopecloud itself', 'npm warned about the project\'s own engines');
const f1 = /F1 ([0-9.]+)/.exec(first.stdout);
check(f1 !== null && Number(f1[1]) >= 0.9, 'the demo finds the planted cells (F1 >= 0.9)', f1 ? `F1 ${f1[1]}` : 'no F1 line');

// Its own process group: npx runs serve as a child, and both must stop at the end.
const serve = spawn('npx', ['scopecloud', 'serve'], { cwd: clone, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
const exited = new Promise((resolve) => serve.once('exit', resolve));
let served = '';
serve.stdout.on('data', (d) => { served += d; });
serve.stderr.on('data', (d) => { served += d; });
try {
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL within 120 s:\n${served}`)), 120_000);
    const look = () => {
      const m = /http:\/\/127\.0\.0\.1:\d+\/\S+/.exec(served);
      if (m) { clearTimeout(timer); resolve(m[0]); }
    };
    serve.stdout.on('data', look);
    serve.on('exit', (code) => reject(new Error(`serve exited ${code}:\n${served}`)));
  }).catch((e) => fail('`npx scopecloud serve` right after install', e.message));
  check(!/npm warn/i.test(served), '`npx scopecloud serve` prints no npm warnings', served);
  const shown = new URL(url);
  const key = [...shown.searchParams.keys()][0] ?? shown.hash.slice(1).split('=')[0];
  check(urlForm[1] === `${shown.hash ? '#' : '?'}${key}`, 'the README shows the URL serve prints', `README has /${urlForm[1]}=..., serve printed ${url}`);
  const token = shown.searchParams.get('token');
  const origin = `${shown.protocol}//${shown.host}`;
  const page = await fetch(`${origin}/`, { headers: { authorization: `Bearer ${token}` } });
  const html = await page.text();
  const script = /src="([^"]+\.js)"/.exec(html)?.[1];
  const js = script ? await fetch(new URL(script, origin), { headers: { authorization: `Bearer ${token}` } }) : null;
  check(page.status === 200 && js?.status === 200, 'serve serves the UI bundle', `index ${page.status}, script ${script} ${js?.status}`);
  const api = async (method, body) => {
    const r = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', origin }, body: JSON.stringify(body ?? null) });
    if (!r.ok) fail(`api ${method}`, `${r.status} ${await r.text()}`);
    return (await r.json()).value;
  };
  const { analyses } = await api('listAnalyses');
  const demo = analyses.find((a) => a.status === 'done');
  check(demo !== undefined, "the demo's analysis is listed in the UI, done", JSON.stringify(analyses));
  const summary = await api('getResultSummary', { id: demo.id });
  check(summary.roiCount > 0, "the demo's results open (ROIs to show)", JSON.stringify(summary).slice(0, 300));
} finally {
  const group = (signal) => { try { process.kill(-serve.pid, signal); } catch { /* already gone */ } };
  group('SIGINT');
  const stopped = await Promise.race([exited.then(() => true), new Promise((r) => setTimeout(() => r(false), 10_000).unref())]);
  if (!stopped) group('SIGKILL');
  serve.stdout.destroy();
  serve.stderr.destroy();
  rmSync(work, { recursive: true, force: true });
}
