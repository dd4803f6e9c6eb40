/**
 * CRC32C (Castagnoli), the checksum of every byte the app uploads (S3's `x-amz-checksum-crc32c`).
 *
 * Contract: `crc32c(data, initial = 0)` is the unsigned 32-bit CRC32C of `data` continued from
 * `initial` (a value it returned before), the same whichever implementation runs:
 * - `hardware`: the Node-API module built with the worker (native-worker/crates/crc32c-node), on the
 *   CPU's CRC instructions, about 4x faster here (#19, bench:upload); looked for at
 *   $SCOPECLOUD_CRC32C, in the packaged app's resources, then in this checkout's cargo build (from
 *   the sources or from their `npm run build` output);
 * - `portable`: @node-rs/crc32, where that module is absent, fails to load, or fails its self-check
 *   (Windows, a checkout without the cargo build).
 * The choice is made once, at import.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32c as portable } from '@node-rs/crc32';

type Crc32c = (data: Uint8Array, initial?: number) => number;

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const LIBRARY = process.platform === 'darwin' ? 'libscopecloud_crc32c_node.dylib' : 'libscopecloud_crc32c_node.so';

/** Where the hardware module may be, in the order tried. */
export function hardwareModuleCandidates(env: NodeJS.ProcessEnv = process.env, root = PROJECT_ROOT): string[] {
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  return [
    env.SCOPECLOUD_CRC32C ?? '',
    resources ? join(resources, 'bin', 'scopecloud-crc32c.node') : '',
    join(root, 'native-worker', 'target', 'release', LIBRARY),
    // compiled by `npm run build`, this module is under build/: the checkout is one level up
    join(root, '..', 'native-worker', 'target', 'release', LIBRARY),
  ].filter(Boolean);
}

/** Loads the module at `path`; undefined when it does not load or gives a wrong CRC for the check value. */
export function loadHardwareCrc32c(path: string): Crc32c | undefined {
  try {
    const module = { exports: {} as { crc32c?: unknown } };
    process.dlopen(module, path);
    const f = module.exports.crc32c;
    if (typeof f !== 'function') return undefined;
    // the standard check value of CRC-32C, and a continued CRC over a split input
    const check = Buffer.from('123456789');
    if ((f as Crc32c)(check) !== 0xe3069283 || (f as Crc32c)(check.subarray(4), (f as Crc32c)(check.subarray(0, 4))) !== 0xe3069283) return undefined;
    return f as Crc32c;
  } catch {
    return undefined;
  }
}

function choose(): { crc32c: Crc32c; implementation: 'hardware' | 'portable' } {
  for (const path of hardwareModuleCandidates()) {
    if (!existsSync(path)) continue;
    const f = loadHardwareCrc32c(path);
    if (f) return { crc32c: f, implementation: 'hardware' };
  }
  return { crc32c: portable, implementation: 'portable' };
}

const chosen = choose();

export const crc32c: Crc32c = chosen.crc32c;
/** Which implementation `crc32c` is (bench:upload prints it). */
export const crc32cImplementation: 'hardware' | 'portable' = chosen.implementation;
