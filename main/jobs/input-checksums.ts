/**
 * The CRC32C each input of an EC2 shard must have, from the session manifests uploaded beside the
 * recordings (`<session>/manifest.json`, main/session/manifest.ts).
 *
 * Contract: for a key, the nearest `manifest.json` in its folder or a parent folder that lists the
 * key's path relative to that folder gives its checksum. A key no manifest lists, or whose entry
 * changed while it was being read (no trustworthy checksum), has none. Keys are relative to the
 * store's prefix.
 */
import type { Manifest } from '../session/manifest.ts';
import { MANIFEST_NAME } from '../session/manifest.ts';
import { getJson, type ObjectStore } from './object-store.ts';

const CRC32C_BASE64 = /^[A-Za-z0-9+/]{6}==$/;

export async function expectedInputChecksums(store: ObjectStore, keys: readonly string[]): Promise<Map<string, string>> {
  const manifests = new Map<string, Promise<Map<string, string> | null>>();
  const filesOf = (folder: string) => {
    let got = manifests.get(folder);
    if (!got) {
      got = getJson<Manifest>(store, `${folder}${MANIFEST_NAME}`).then((m) => {
        if (!m || !Array.isArray(m.files)) return null;
        const files = new Map<string, string>();
        for (const f of m.files) {
          if (typeof f?.path === 'string' && typeof f.crc32c === 'string' && CRC32C_BASE64.test(f.crc32c) && !f.changedWhileReading)
            files.set(f.path, f.crc32c);
        }
        return files;
      });
      manifests.set(folder, got);
    }
    return got;
  };
  const out = new Map<string, string>();
  for (const key of keys) {
    const parts = key.split('/');
    for (let depth = parts.length - 1; depth >= 0; depth--) {
      const folder = parts
        .slice(0, depth)
        .map((p) => `${p}/`)
        .join('');
      const files = await filesOf(folder);
      const sum = files?.get(parts.slice(depth).join('/'));
      if (sum) {
        out.set(key, sum);
        break;
      }
    }
  }
  return out;
}
