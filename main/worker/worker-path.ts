/**
 * Where the bundled `scopecloud-worker` binary is: $SCOPECLOUD_WORKER, the packaged app's
 * resources, or the cargo build in this checkout, the first that exists.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Candidate locations in the order they are tried. */
export function workerCandidates(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): string[] {
  return [
    env.SCOPECLOUD_WORKER ?? '',
    join(root, 'resources', 'scopecloud-worker'),
    join(root, 'native-worker', 'target', 'release', 'scopecloud-worker'),
  ].filter(Boolean);
}

/** The first candidate that exists; null when the worker is not built or bundled. */
export function findWorkerPath(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): string | null {
  return workerCandidates(env, root).find((p) => existsSync(p)) ?? null;
}
