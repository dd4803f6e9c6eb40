/**
 * Bundles the renderer with esbuild into build/renderer/: index.html plus assets/app.js and
 * assets/app.css. Everything (React, three) is bundled; nothing is loaded from the network.
 * Run: `node scripts/bundle-renderer.ts` (or via `npm run build`).
 */
import { build } from 'esbuild';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('package.json not found above scripts/');
    dir = up;
  }
  return dir;
}

export async function bundleRenderer(opts: { outDir?: string; minify?: boolean } = {}): Promise<string> {
  const root = projectRoot();
  const outDir = opts.outDir ?? join(root, 'build', 'renderer');
  const assets = join(outDir, 'assets');
  await rm(assets, { recursive: true, force: true });
  await mkdir(assets, { recursive: true });
  await build({
    absWorkingDir: root,
    entryPoints: { app: join(root, 'renderer', 'main.tsx') },
    outdir: assets,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome120'],
    jsx: 'automatic',
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'external',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'warning',
  });
  await build({
    absWorkingDir: root,
    entryPoints: { app: join(root, 'renderer', 'styles.css') },
    outdir: assets,
    bundle: true,
    minify: opts.minify ?? true,
    logLevel: 'warning',
  });
  await copyFile(join(root, 'renderer', 'index.html'), join(outDir, 'index.html'));
  return outDir;
}

/** The sandboxed preload must be one CommonJS file that requires nothing but 'electron'. */
export async function bundlePreload(opts: { outFile?: string } = {}): Promise<string> {
  const root = projectRoot();
  const outFile = opts.outFile ?? join(root, 'build', 'electron', 'preload.cjs');
  await build({
    absWorkingDir: root,
    entryPoints: [join(root, 'main', 'electron', 'preload-entry.ts')],
    outfile: outFile,
    bundle: true,
    format: 'cjs',
    platform: 'node',
    target: ['node22'],
    external: ['electron'],
    logLevel: 'warning',
  });
  return outFile;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const out = await bundleRenderer();
  const preload = await bundlePreload();
  console.log(`renderer bundled into ${out}; preload into ${preload}`);
}
