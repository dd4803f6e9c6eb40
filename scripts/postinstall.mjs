// Runs after `npm install` / `npm ci` in this checkout, so the README's first command needs
// nothing else: fetches Electron's binary where its host is reachable (one line when it is not;
// never a failed install), builds the analysis worker (skipped with a message without cargo),
// and bundles the renderer so `scopecloud serve` works at once. Exits non-zero only when the
// worker is present but fails to build: that is a real defect, not a missing optional part.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { fetchElectron } from './fetch-electron.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// The node@22 devDependency strips TypeScript; the machine's node may be older.
const node22 = join(root, 'node_modules', '.bin', process.platform === 'win32' ? 'node.cmd' : 'node');
const node = existsSync(node22) ? node22 : process.execPath;

const electron = await fetchElectron();
console.log(`scopecloud: ${electron.line}`);

const worker = spawnSync(process.execPath, [join(root, 'scripts', 'build-worker.mjs')], { stdio: 'inherit' });
if (worker.status !== 0) process.exit(worker.status ?? 1);

const ui = spawnSync(node, [join(root, 'scripts', 'bundle-renderer.ts')], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
if (ui.status === 0) console.log('scopecloud: UI bundled for `scopecloud serve`.');
else
  console.log(
    `scopecloud: the UI bundle was not built (${(ui.stderr || ui.error?.message || '').trim().split('\n').pop()}); \`scopecloud serve\` builds it when it starts.`,
  );
