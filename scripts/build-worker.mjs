// Builds the bundled analysis worker (native-worker/, Rust) in release mode. Run by
// `npm install` (postinstall), `npm test` and `npm run demo`; a no-op when it is up to date.
// Without cargo it explains what is missing instead of failing the install.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const required = process.argv.includes('--required');
const probe = spawnSync('cargo', ['--version'], { stdio: 'ignore' });
if (probe.error || probe.status !== 0) {
  const msg = 'scopecloud: cargo (Rust) not found; the analysis worker is not built. Install Rust from https://rustup.rs and run `npm run worker:build`.';
  console.error(msg);
  process.exit(required ? 1 : 0);
}
const r = spawnSync('cargo', ['build', '--release', '--locked', '--manifest-path', join(root, 'native-worker', 'Cargo.toml')], { stdio: 'inherit' });
process.exit(r.status ?? 1);
