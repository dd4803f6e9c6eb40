/**
 * `scopecloud serve` as a child process with a Chromium page opened on it: the set-up shared by
 * the end-to-end tests that drive the real services.
 *
 * Contract: resolves once serve printed its JSON line (its URL with the token) and the page
 * exists; rejects with serve's stderr if it exits or is silent for 30 s. `pageErrors` collects
 * uncaught page errors and console errors, except the 422s the tests provoke on purpose (invalid
 * input, AWS views in local mode). `stop()` closes the browser, then SIGINTs serve (SIGKILL after
 * 5 s), and is safe to call twice. `as` runs serve under another user and group (only root may
 * ask; its state dir and renderer dir must be that user's), the browser stays this process's.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { launchChromium, type Browser } from './chromium.ts';
import { PROJECT_ROOT } from './cli.ts';

export interface ServedUi {
  url: string;
  page: Page;
  pageErrors: string[];
  /** serve's stderr so far. */
  stderr(): string;
  stop(): Promise<void>;
}

export async function startServedUi(o: {
  env: NodeJS.ProcessEnv;
  rendererDir: string;
  viewport?: { width: number; height: number };
  as?: { uid: number; gid: number };
}): Promise<ServedUi> {
  const serve = spawn(process.execPath, [join(PROJECT_ROOT, 'bin', 'scopecloud.js'), 'serve', '--json', '--renderer-dir', o.rendererDir], {
    env: o.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(o.as ? { uid: o.as.uid, gid: o.as.gid } : {}),
  });
  let err = '';
  serve.stderr!.on('data', (d: Buffer) => { err += d.toString(); });
  let browser: Browser | undefined;
  const stop = async () => {
    await browser?.close();
    browser = undefined;
    if (serve.exitCode !== null || serve.signalCode !== null) return;
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGINT');
    await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
    if (serve.exitCode === null && serve.signalCode === null) serve.kill('SIGKILL');
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`serve did not start; stderr: ${err}`)), 30_000);
      serve.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.startsWith('{'));
        if (line) {
          clearTimeout(timer);
          resolve((JSON.parse(line) as { url: string }).url);
        }
      });
      serve.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`serve exited (${code}): ${err}`));
      });
    });
    browser = await launchChromium(o.viewport ?? { width: 1280, height: 860 });
    const page = browser.context.pages()[0] ?? await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error' && !/status of 422/.test(m.text())) pageErrors.push(m.text()); });
    return { url, page, pageErrors, stderr: () => err, stop };
  } catch (e) {
    await stop();
    throw e;
  }
}
