/**
 * The shared data set of real recordings: `../shared/data`, the folder beside the project root
 * (never committed here; sources credited in its README.md). `SCOPECLOUD_SHARED_DATA` points
 * elsewhere (the Rust tests read the same variable).
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Missing } from './requirements.ts';

/** The nearest folder above this file holding package.json (works from source and from build/). */
function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return dir;
}

export function sharedDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.SCOPECLOUD_SHARED_DATA ? resolve(env.SCOPECLOUD_SHARED_DATA) : join(projectRoot(), '..', 'shared', 'data');
}

/** A path inside the shared data set, e.g. `sharedData('neurofinder-crop', 'movie.tif')`. */
export function sharedData(...parts: string[]): string {
  return join(sharedDataDir(), ...parts);
}

/**
 * Why the shared data set (its README.md, and each of `paths` inside it) cannot be read, or
 * `false`. A folder without README.md (an empty mount, a wrong `SCOPECLOUD_SHARED_DATA`) is missing.
 */
export function sharedDataMissing(...paths: string[]): Missing {
  const dir = sharedDataDir();
  const absent = ['README.md', ...paths].filter((p) => !existsSync(join(dir, p)));
  if (absent.length === 0) return false;
  return `shared data set absent: ${absent.map((p) => join(dir, p)).join(', ')} not found (the folder ../shared/data beside the checkout, or SCOPECLOUD_SHARED_DATA)`;
}
