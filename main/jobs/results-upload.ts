/**
 * Puts a worker's output folder into the store under a results key, files first and
 * `checksums.sha256` (sha256sum format, paths relative to the results key) last: a reader that
 * finds the checksum file knows every file it names is complete.
 */
import { readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { sha256File, type ObjectStore } from './object-store.ts';
import { CHECKSUMS_FILE } from './job-layout.ts';

export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  await walk(dir);
  return out.sort();
}

export function formatChecksums(entries: ReadonlyArray<{ path: string; sha256: string }>): string {
  return entries.map((e) => `${e.sha256}  ${e.path}\n`).join('');
}

/** Parses sha256sum output (`<hex>  <path>` or `<hex> *<path>`); paths are made relative. */
export function parseChecksums(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (m) out.set(m[2].replace(/^\.\//, ''), m[1]);
  }
  return out;
}

export async function uploadResults(store: ObjectStore, outDir: string, resultsKey: string): Promise<number> {
  const files = (await listFiles(outDir)).filter((f) => f !== CHECKSUMS_FILE);
  const entries: { path: string; sha256: string }[] = [];
  for (const f of files) {
    const path = join(outDir, ...f.split('/'));
    entries.push({ path: f, sha256: await sha256File(path) });
    await store.putFile(resultsKey + f, path);
  }
  await store.put(resultsKey + CHECKSUMS_FILE, formatChecksums(entries), 'text/plain');
  return files.length;
}
