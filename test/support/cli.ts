/** Runs the real `scopecloud` CLI in a child process (Node 22 from node_modules) with its own state dir. */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { Missing } from './requirements.ts';

export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = join(PROJECT_ROOT, 'bin', 'scopecloud.js');
/** The release worker `npm run worker:build` produces. */
export const WORKER_BINARY = join(PROJECT_ROOT, 'native-worker', 'target', 'release', 'scopecloud-worker');

/** Why tests of the real worker cannot run, or false when `WORKER_BINARY` exists. */
export function workerMissing(): Missing {
  return existsSync(WORKER_BINARY) ? false : `scopecloud-worker not built at ${WORKER_BINARY} (npm run worker:build)`;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The unprivileged account tests run the CLI as when they run as root (`nobody`/`nogroup`). */
export const UNPRIVILEGED = { uid: 65534, gid: 65534 };

/** `as` runs the child under another user and group (only root may ask): its files and dirs must be reachable for it. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 60_000, as?: { uid: number; gid: number }): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(as ? { uid: as.uid, gid: as.gid } : {}),
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`scopecloud ${args.join(' ')} timed out; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
