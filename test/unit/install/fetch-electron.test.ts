import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { downloadFailureReason, fetchElectron } from '../../../scripts/fetch-electron.mjs';
import { PROJECT_ROOT } from '../../support/cli.ts';

const binaryPresent = existsSync(join(PROJECT_ROOT, 'node_modules', 'electron', 'dist', 'version'));

test('a stack trace is reduced to its error line', () => {
  const out = 'RequestError: getaddrinfo ENOTFOUND github.com\n    at ClientRequest.<anonymous> (/x/got.js:970:111)\n    at emit (node:events:531:35)\n';
  assert.equal(downloadFailureReason(out), 'RequestError: getaddrinfo ENOTFOUND github.com');
  assert.equal(downloadFailureReason(''), 'no output');
});

test('ELECTRON_SKIP_BINARY_DOWNLOAD skips the download and says so', async () => {
  const r = await fetchElectron({ ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' });
  assert.equal(r.ok, true);
  assert.match(r.line, /download skipped \(ELECTRON_SKIP_BINARY_DOWNLOAD is set\)/);
});

test('an unreachable download host is one line naming the cause and the retry, not a failed install', async () => {
  // A port that refuses connections stands in for a download host this machine cannot reach.
  const closed = await new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ELECTRON_MIRROR: `http://127.0.0.1:${closed}/`,
    electron_config_cache: mkdtempSync(join(tmpdir(), 'electron-cache-')),
  };
  delete env.ELECTRON_SKIP_BINARY_DOWNLOAD;
  const r = await fetchElectron(env);
  if (binaryPresent) {
    // Electron's installer returns at once when its binary is already in place.
    assert.deepEqual(r, { ok: true, line: r.line });
    assert.match(r.line, /binary ready/);
  } else {
    assert.equal(r.ok, false);
    assert.match(r.line, /could not be downloaded \(.*ECONNREFUSED.*\)/);
    assert.match(r.line, /npm run electron:fetch/);
    assert.equal(r.line.includes('\n'), false);
  }
});
