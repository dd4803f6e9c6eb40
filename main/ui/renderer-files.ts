/**
 * The bundled renderer on disk (built by scripts/bundle-renderer.ts into build/renderer/):
 * `index.html` plus flat files under `assets/`. Only those are ever served.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.html': 'text/html; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

export class RendererMissingError extends Error {
  readonly code = 'renderer-missing';
  constructor(dir: string) {
    super(`The UI bundle is missing in ${dir}; run \`npm run build\` first.`);
    this.name = 'RendererMissingError';
  }
}

/** build/renderer of the project this file belongs to (works from main/host and build/main/host). */
export function defaultRendererDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json'))) return join(dir, 'build', 'renderer');
    dir = dirname(dir);
  }
  return resolve('build', 'renderer');
}

/** The project root of a bundle directory returned by defaultRendererDir(). */
export function projectRootOf(rendererDir: string): string {
  return dirname(dirname(rendererDir));
}

export function assertRendererBuilt(dir: string): void {
  if (!existsSync(join(dir, 'index.html'))) throw new RendererMissingError(dir);
}

/** Maps a URL path to a servable file, or null. Rejects anything but `/`, `/index.html` and `/assets/<flat name>`. */
export function resolveRendererPath(dir: string, urlPath: string): { file: string; type: string } | null {
  if (urlPath === '/' || urlPath === '/index.html') return { file: join(dir, 'index.html'), type: TYPES['.html'] };
  const m = /^\/assets\/([A-Za-z0-9_-][A-Za-z0-9_.-]{0,127})$/.exec(urlPath);
  if (!m || m[1].includes('..')) return null;
  const ext = m[1].slice(m[1].lastIndexOf('.'));
  const type = TYPES[ext];
  if (!type) return null;
  return { file: join(dir, 'assets', m[1]), type };
}

export async function readRendererFile(file: string): Promise<Buffer | null> {
  try {
    return await readFile(file);
  } catch {
    return null;
  }
}
