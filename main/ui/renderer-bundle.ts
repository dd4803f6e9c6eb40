/**
 * Keeps a source checkout's UI bundle current for `scopecloud serve`: when build/renderer is
 * missing, or older than any file under renderer/ or preload/ (a `git pull`, an edit), it is
 * rebuilt with the checkout's own scripts/bundle-renderer.ts before serving. A packaged app has
 * no sources beside its bundle; there this only checks that the bundle exists.
 *
 * Contract: resolves 'fresh' | 'built'; rejects with RendererMissingError when there is no bundle
 * and nothing to build it from. The new bundle is written beside the old one and swapped in, so
 * a failed build leaves the previous bundle in place.
 */
import { existsSync } from 'node:fs';
import { readdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { assertRendererBuilt } from './renderer-files.ts';

export interface BundleSources {
  /** The project root holding renderer/, preload/ and scripts/bundle-renderer.ts. */
  root: string;
  /** Where the served bundle lives (build/renderer). */
  dir: string;
}

async function newestMtime(dir: string): Promise<number> {
  let newest = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    newest = Math.max(newest, (await stat(join(entry.parentPath, entry.name))).mtimeMs);
  }
  return newest;
}

async function bundleMtime(dir: string): Promise<number> {
  try {
    return (await stat(join(dir, 'index.html'))).mtimeMs;
  } catch {
    return -1;
  }
}

/** True when the bundle is missing or older than the sources it is built from. */
export async function rendererBundleStale(s: BundleSources): Promise<boolean> {
  const built = await bundleMtime(s.dir);
  if (built < 0) return true;
  for (const src of ['renderer', 'preload']) {
    const path = join(s.root, src);
    if (existsSync(path) && (await newestMtime(path)) > built) return true;
  }
  return false;
}

export async function ensureRendererBundle(s: BundleSources, log: (line: string) => void): Promise<'fresh' | 'built'> {
  const script = join(s.root, 'scripts', 'bundle-renderer.ts');
  if (!existsSync(script) || !existsSync(join(s.root, 'renderer'))) {
    assertRendererBuilt(s.dir);
    return 'fresh';
  }
  if (!(await rendererBundleStale(s))) return 'fresh';
  log(existsSync(join(s.dir, 'index.html')) ? 'The UI sources changed since the last bundle; rebuilding it…' : 'Building the UI bundle (first start)…');
  const staging = join(dirname(s.dir), `.renderer-${process.pid}`);
  const { bundleRenderer } = (await import(pathToFileURL(script).href)) as { bundleRenderer(o: { outDir: string }): Promise<string> };
  try {
    await bundleRenderer({ outDir: staging });
    await rm(s.dir, { recursive: true, force: true });
    await rename(staging, s.dir);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return 'built';
}
