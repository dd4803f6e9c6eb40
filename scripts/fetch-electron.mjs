// Fetches Electron's binary for the desktop window. package.json denies electron's own install
// script (allowScripts) because its failed download fails the whole `npm install`, and the CLI,
// `scopecloud serve` and the demo do not need Electron at all. This runs that same script here,
// where a failure is one line instead of a failed install.
//
// Contract: fetchElectron() resolves { ok, line }: ok is false only when a download was tried and
// failed; `line` says what happened in one sentence. Run directly (`npm run electron:fetch`) it
// exits 1 on failure, since then the user asked for Electron explicitly.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The last meaningful line of a failed download's output: the error, not its stack. */
export function downloadFailureReason(output) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
  const error = lines.find((l) => /^[A-Za-z]*Error\b|^Error:/.test(l)) ?? lines.find((l) => !l.startsWith('at ')) ?? 'no output';
  return error.length > 160 ? `${error.slice(0, 157)}...` : error;
}

export function fetchElectron(env = process.env) {
  const pkgDir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(pkgDir, 'install.js'))) {
    return Promise.resolve({
      ok: true,
      line: 'Electron is not installed (npm omitted dev dependencies); the desktop app is unavailable, the CLI and `scopecloud serve` work.',
    });
  }
  const version = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8')).version;
  if (env.ELECTRON_SKIP_BINARY_DOWNLOAD) {
    return Promise.resolve({
      ok: true,
      line: `Electron ${version}: binary download skipped (ELECTRON_SKIP_BINARY_DOWNLOAD is set); the CLI and \`scopecloud serve\` do not need it.`,
    });
  }
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(pkgDir, 'install.js')], { cwd: pkgDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const keep = (d) => {
      output = (output + d.toString()).slice(-8000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.on('error', (err) => resolve({ ok: false, line: failed(version, err.message) }));
    child.on('close', (code) => {
      resolve(
        code === 0 ? { ok: true, line: `Electron ${version}: desktop app binary ready.` } : { ok: false, line: failed(version, downloadFailureReason(output)) },
      );
    });
  });
}

function failed(version, reason) {
  return `Electron ${version}'s binary could not be downloaded (${reason}); only the desktop window needs it: the CLI, \`scopecloud serve\` and the demo work. Retry with \`npm run electron:fetch\`.`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { ok, line } = await fetchElectron();
  (ok ? console.log : console.error)(`scopecloud: ${line}`);
  process.exit(ok ? 0 : 1);
}
