import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureRendererBundle, rendererBundleStale } from '../../../main/ui/renderer-bundle.ts';
import { RendererMissingError } from '../../../main/ui/renderer-files.ts';

/** A checkout with renderer/, preload/ and a bundle script that writes its build counter into index.html. */
function checkout(opts: { script?: 'ok' | 'fails' | 'none' } = {}): { root: string; dir: string } {
  const root = mkdtempSync(join(tmpdir(), 'scopecloud-bundle-'));
  mkdirSync(join(root, 'renderer'));
  mkdirSync(join(root, 'preload'));
  writeFileSync(join(root, 'renderer', 'main.tsx'), 'export {};');
  writeFileSync(join(root, 'preload', 'api.ts'), 'export {};');
  mkdirSync(join(root, 'scripts'));
  if ((opts.script ?? 'ok') !== 'none') {
    const body =
      opts.script === 'fails'
        ? `export async function bundleRenderer() { throw new Error('syntax error in renderer/main.tsx'); }`
        : `import { mkdirSync, writeFileSync, readFileSync, existsSync } from 'node:fs';
         import { join } from 'node:path';
         export async function bundleRenderer({ outDir }) {
           const counter = join(outDir, '..', 'builds');
           const n = existsSync(counter) ? Number(readFileSync(counter, 'utf8')) + 1 : 1;
           writeFileSync(counter, String(n));
           mkdirSync(outDir, { recursive: true });
           writeFileSync(join(outDir, 'index.html'), 'build ' + n);
           return outDir;
         }`;
    writeFileSync(join(root, 'scripts', 'bundle-renderer.ts'), body);
  }
  return { root, dir: join(root, 'build', 'renderer') };
}

const age = (path: string, secondsAgo: number) => {
  const t = new Date(Date.now() - secondsAgo * 1000);
  utimesSync(path, t, t);
};

test('a missing bundle is built before serving, and a current one is left alone', async () => {
  const s = checkout();
  mkdirSync(join(s.root, 'build'));
  const lines: string[] = [];
  assert.equal(await ensureRendererBundle(s, (l) => lines.push(l)), 'built');
  assert.equal(readFileSync(join(s.dir, 'index.html'), 'utf8'), 'build 1');
  assert.match(lines.join('\n'), /first start/);
  assert.equal(await rendererBundleStale(s), false);
  assert.equal(await ensureRendererBundle(s, (l) => lines.push(l)), 'fresh');
  assert.equal(readFileSync(join(s.dir, 'index.html'), 'utf8'), 'build 1');
});

test('a renderer or preload source newer than the bundle rebuilds it', async () => {
  for (const changed of [
    ['renderer', 'main.tsx'],
    ['preload', 'api.ts'],
  ]) {
    const s = checkout();
    mkdirSync(join(s.root, 'build'));
    await ensureRendererBundle(s, () => {});
    age(join(s.dir, 'index.html'), 60);
    age(join(s.root, 'renderer', 'main.tsx'), 120);
    age(join(s.root, 'preload', 'api.ts'), 120);
    assert.equal(await rendererBundleStale(s), false, 'older sources keep the bundle');
    writeFileSync(join(s.root, ...changed), 'export const edited = 1;');
    const lines: string[] = [];
    assert.equal(await ensureRendererBundle(s, (l) => lines.push(l)), 'built', changed.join('/'));
    assert.equal(readFileSync(join(s.dir, 'index.html'), 'utf8'), 'build 2');
    assert.match(lines.join('\n'), /sources changed/);
  }
});

test('a failed rebuild keeps the previous bundle and reports the build error', async () => {
  const s = checkout({ script: 'fails' });
  mkdirSync(s.dir, { recursive: true });
  writeFileSync(join(s.dir, 'index.html'), 'previous');
  age(join(s.dir, 'index.html'), 60);
  await assert.rejects(
    ensureRendererBundle(s, () => {}),
    /syntax error in renderer\/main\.tsx/,
  );
  assert.equal(readFileSync(join(s.dir, 'index.html'), 'utf8'), 'previous');
  assert.equal(existsSync(join(s.root, 'build', `.renderer-${process.pid}`)), false, 'no staging folder left behind');
});

test('without sources (a packaged app) a missing bundle is an error naming the folder', async () => {
  const s = checkout({ script: 'none' });
  await assert.rejects(
    ensureRendererBundle(s, () => {}),
    (err: Error) => err instanceof RendererMissingError && err.message.includes(s.dir),
  );
  mkdirSync(s.dir, { recursive: true });
  writeFileSync(join(s.dir, 'index.html'), 'shipped');
  assert.equal(await ensureRendererBundle(s, () => {}), 'fresh');
});
